package nla.study;

import static nla.study.ReportPage.f3;
import static nla.study.ReportPage.num;
import static nla.study.ReportPage.pct;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import nla.core.Metrics;
import nla.core.VerbalizeOptions;
import nla.data.CrossModelAligner;
import nla.io.UserError;
import nla.study.Steps.Decode;
import nla.study.Steps.Scored;

/**
 * §7, cross-family transfer: the transfer matrix over families (each an NLA pair and its vectors at
 * the same aligned positions). Cell (row AV, column AR): the row AV's greedy explanations of its
 * own vectors, reconstructed by the column AR and scored against the column family's vectors with
 * their own denominator; the null scores the same reconstructions against a deranged pairing
 * ({@link TransferMatrix}).
 */
public final class CrossStudy implements Study<CrossStudy.Params> {
  public static final String NAME = "cross";

  /**
   * @param families the families, each an NLA pair and an activation set of that name
   * @param alignment the {@code nla align} report the two families' sets come from, or null
   */
  public record Params(List<String> families, Path alignment) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "§7: the cross-family transfer matrix with shuffled nulls and shares of the within-family ceilings.";
  }

  @Override
  public List<String> settings() {
    return List.of("families", "alignment");
  }

  @Override
  public List<StudyFlag> flags() {
    return List.of(
        StudyFlag.required(
            "--family",
            "NAME=AV,AR,ACTIVATIONS",
            StudyFlag.Type.KEY_VALUES,
            "One family: its AV and AR directories and its activations at the shared positions (give two or more)."),
        StudyFlag.optional(
            "--alignment",
            "FILE",
            StudyFlag.Type.TEXT,
            "The alignment report (alignment.jsonl) of the nla align run the two families' activations come from: adds the alignment's mean character error to the summary and report."));
  }

  @Override
  @SuppressWarnings("unchecked")
  public void plan(StudyFlag.Values flags, OneStudyPlan plan) {
    Map<String, String> families = (Map<String, String>) flags.get("--family");
    if (families.size() < 2) throw new UserError("--family: give at least two families");
    for (var e : families.entrySet()) {
      String[] parts = e.getValue().split(",");
      if (parts.length != 3)
        throw new UserError("--family " + e.getKey() + ": expected AV,AR,ACTIVATIONS");
      plan.nla(e.getKey(), parts[0], parts[1], Map.of()).activations(e.getKey(), parts[2]);
    }
    plan.set("families", List.copyOf(families.keySet()));
    if (flags.get("--alignment") != null) plan.set("alignment", flags.get("--alignment"));
  }

  @Override
  public Params parse(StudySettings s) {
    List<String> families = s.list("families");
    for (String family : families) {
      s.requireNla(family, s.where() + ".families");
      s.requireActivations(family, s.where() + ".families");
    }
    Object alignment = s.raw("alignment");
    return new Params(
        families, alignment == null ? null : s.inputFile("alignment", alignment.toString()));
  }

  @Override
  public void run(Params p, StudyContext c) {
    List<Nla> fams = new ArrayList<>();
    List<ActivationSet> sets = new ArrayList<>();
    Map<String, String> inputs = new LinkedHashMap<>();
    for (String f : p.families()) {
      Nla n = c.nla(f);
      ActivationSet a = c.activations(f);
      fams.add(n);
      sets.add(a);
      inputs.put("nla:" + f, n.hash());
      inputs.put("activations:" + f, a.hash());
    }
    // The nla align report the sets come from: the study reports its character error.
    if (p.alignment() != null) inputs.put("alignment", RunDir.sha256(p.alignment()));
    try (RunDir run = c.open(inputs)) {
      run(run, fams, sets, p.alignment(), c.greedy(), c.seed(), c.batch());
    }
  }

  /** §7 as a Java call without an alignment report; returns the summary it wrote. */
  public static ObjectNode run(
      RunDir run,
      List<Nla> families,
      List<ActivationSet> vectors,
      VerbalizeOptions greedy,
      long seed,
      int batch) {
    return run(run, families, vectors, null, greedy, seed, batch);
  }

  /**
   * §7 as a Java call, plus, when {@code alignment} (the {@code nla align} report the two families'
   * sets come from) is given, the alignment's character error over the scored rows ({@link
   * CrossAlignment}). Returns the summary it wrote.
   */
  public static ObjectNode run(
      RunDir run,
      List<Nla> families,
      List<ActivationSet> vectors,
      Path alignment,
      VerbalizeOptions greedy,
      long seed,
      int batch) {
    int f = families.size();
    CrossAlignment aligned = null;
    if (alignment != null) {
      if (f != 2)
        throw new UserError("cross: an alignment report pairs two families; this study has " + f);
      aligned =
          CrossAlignment.of(
              alignment.getFileName().toString(),
              CrossModelAligner.readReport(alignment),
              vectors.get(0),
              vectors.get(1));
    }
    int n = vectors.get(0).size();
    for (ActivationSet a : vectors)
      if (a.size() != n) throw new UserError("cross: activation sets differ in row count");
    int[] perm = Stats.derangement(n, seed);
    double[][] fve = new double[f][f];
    double[][] nul = new double[f][f];
    List<String> names = new ArrayList<>();
    for (Nla x : families) names.add(x.name());
    for (int a = 0; a < f; a++) {
      Nla av = families.get(a);
      Decode[][] d = Steps.decodes(run, NAME, "decodes-" + av.name(), av, vectors.get(a), greedy);
      for (int r = 0; r < f; r++) {
        Nla ar = families.get(r);
        ActivationSet gold = vectors.get(r);
        Metrics.Denominator den = Steps.denominator(gold, ar.ar());
        List<float[]> shuffled = new ArrayList<>();
        for (int i = 0; i < n; i++) shuffled.add(gold.vectors().get(perm[i]));
        String cell = av.name() + "-to-" + ar.name();
        List<List<Scored>> sc =
            Steps.scoresAgainst(
                run,
                NAME,
                "scores-" + cell,
                ar,
                Studies.rowKeys(n),
                Studies.arInputs(d),
                List.of(gold.vectors(), shuffled),
                den,
                batch);
        fve[a][r] = Stats.mean(Steps.column(sc.get(0), Scored::fve));
        nul[a][r] = Stats.mean(Steps.column(sc.get(1), Scored::fve));
      }
    }
    TransferMatrix.Matrix m = TransferMatrix.of(names, fve, nul);
    ArrayNode cells = Studies.arr();
    for (TransferMatrix.Cell[] row : m.cells())
      for (TransferMatrix.Cell c : row) cells.add(RunDir.JSON.valueToTree(c));
    ObjectNode out = Studies.obj();
    out.put("n", n);
    out.set("families", RunDir.JSON.valueToTree(names));
    out.set("cells", cells);
    if (aligned != null) {
      ObjectNode al = out.putObject("alignment");
      al.put("report", aligned.report());
      al.put("pairs", aligned.pairs());
      al.put("mean_error_chars", aligned.meanErrorChars());
      al.put("max_error_chars", aligned.maxErrorChars());
      al.put("report_pairs", aligned.reportPairs());
      al.put("report_mean_error_chars", aligned.reportMeanErrorChars());
    }
    run.writeSummary(NAME, out);
    return out;
  }

  /**
   * The text route's FVE per direction ({@code A->B}) from a finished cross study's summary: its
   * off-diagonal cells. Empty when there is none.
   */
  static Map<String, Double> textRoute(JsonNode summary) {
    Map<String, Double> text = new LinkedHashMap<>();
    if (summary != null)
      for (JsonNode c : summary.get("cells"))
        if (!c.get("withinFamily").asBoolean())
          text.put(
              c.get("avFamily").asText() + "->" + c.get("arFamily").asText(),
              c.get("fve").asDouble());
    return text;
  }

  @Override
  public void headline(JsonNode c, ReportPage page) {
    double best = Double.NaN;
    String which = "";
    for (JsonNode cell : c.get("cells"))
      if (!cell.get("withinFamily").asBoolean() && !(num(cell, "fve") <= best)) {
        best = num(cell, "fve");
        which = pct(num(cell, "shareOfCeiling")) + " of within ceiling";
      }
    page.card(f3(best), "cross-family FVE (best)", which);
  }

  @Override
  public void report(JsonNode c, ReportPage page) {
    page.section(
        "§7",
        "Cross-family transfer",
        "Row AV's explanation → column AR, scored against the AR family's own vectors; nulls pair explanations with shuffled gold.");
    List<String> fam = new ArrayList<>();
    for (JsonNode f : c.get("families")) fam.add(f.asText());
    int k = fam.size();
    double[][] fve = new double[k][k];
    double[][] nul = new double[k][k];
    List<List<String>> rows = new ArrayList<>();
    for (JsonNode cell : c.get("cells")) {
      int a = fam.indexOf(cell.get("avFamily").asText());
      int r = fam.indexOf(cell.get("arFamily").asText());
      fve[a][r] = num(cell, "fve");
      nul[a][r] = num(cell, "nullFve");
    }
    for (int a = 0; a < k; a++) {
      List<String> row = new ArrayList<>(List.of("AV " + fam.get(a)));
      for (int r = 0; r < k; r++)
        row.add(
            f3(fve[a][r])
                + " · null "
                + f3(nul[a][r])
                + (a == r ? " · within" : " · " + pct(fve[a][r] / fve[r][r]) + " of ceiling"));
      rows.add(row);
    }
    List<String> head = new ArrayList<>(List.of(""));
    for (String f : fam) head.add("→ AR " + f);
    page.table(head, rows);
    JsonNode al = c.get("alignment");
    if (al != null) alignment(al, page);
    page.figure(
        Charts.svg(Charts.heatmap(fam, fve, nul), "fig-cross"),
        "Transfer matrix, FVE per cell with shuffled-pair nulls.");
    page.endSection();
  }

  /**
   * The token alignment: how far apart the two tokenizers' aligned tokens end. Rows only for the
   * fields the summary has (the seed publishes only the mean).
   */
  private static void alignment(JsonNode al, ReportPage page) {
    List<List<String>> rows = new ArrayList<>();
    if (al.has("report")) rows.add(List.of("alignment report", al.get("report").asText()));
    if (al.has("pairs")) rows.add(List.of("aligned pairs scored", al.get("pairs").asText()));
    rows.add(
        List.of(
            "mean alignment error (characters between token ends)",
            f3(num(al, "mean_error_chars"))));
    if (al.has("max_error_chars"))
      rows.add(List.of("largest alignment error (characters)", al.get("max_error_chars").asText()));
    if (al.has("report_pairs"))
      rows.add(
          List.of(
              "whole report: pairs, mean error (characters)",
              al.get("report_pairs").asText() + ", " + f3(num(al, "report_mean_error_chars"))));
    page.table(List.of("token alignment", "value"), rows);
  }
}
