package nla.study;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
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
 * The studies of contract §7 as Java calls. Each runs its resumable steps in an open {@link
 * RunDir}, writes {@code <study>/summary.json} (recomputed from the journals, so a resumed run's
 * summary equals an uninterrupted one's) and returns it.
 */
public final class Studies {
  private Studies() {}

  public static final String EVAL = "eval";
  public static final String QUOTE_BAN = "quote-ban";
  public static final String CONFAB = "confab";
  public static final String REDACT = "redact";
  public static final String BEST_OF_N = "best-of-n";
  public static final String LAYERS = "layers";
  public static final String CROSS = "cross";
  public static final String RIDGE = "ridge";

  static ObjectNode obj() {
    return RunDir.JSON.createObjectNode();
  }

  static ArrayNode arr() {
    return RunDir.JSON.createArrayNode();
  }

  static ArrayNode arr(double[] xs) {
    ArrayNode a = arr();
    for (double x : xs) a.add(x);
    return a;
  }

  private static List<String> rowKeys(int n) {
    List<String> k = new ArrayList<>();
    for (int r = 0; r < n; r++) k.add(Steps.key(r, 0));
    return k;
  }

  private static List<String> arInputs(Decode[][] d) {
    List<String> t = new ArrayList<>();
    for (Decode[] row : d) t.add(row[0].arInput());
    return t;
  }

  // ---------------------------------------------------------------- §1

  /**
   * §1: greedy decodes of every row, scored against the eval set's own denominator; the summary
   * holds mean FVE with a bootstrap 95% CI, fraction FVE > 0.5, missing tags, and the eval-set
   * Var(v_nrm) beside {@code trainingVarNrm} (NaN when unknown).
   */
  public static ObjectNode eval(
      RunDir run,
      Nla nla,
      ActivationSet acts,
      VerbalizeOptions greedy,
      double trainingVarNrm,
      long seed,
      int batch) {
    Decode[][] d = Steps.decodes(run, EVAL, "greedy", nla, acts, greedy, batch);
    Metrics.Denominator den = Steps.denominator(acts, nla.mseScale());
    List<Scored> s =
        Steps.scores(
            run,
            EVAL,
            "scores",
            nla,
            rowKeys(acts.size()),
            arInputs(d),
            acts.vectors(),
            den,
            batch);
    boolean[] missing = new boolean[d.length];
    for (int r = 0; r < d.length; r++) missing[r] = d[r][0].missingTag();
    EvalSummary e =
        EvalSummary.of(
            Steps.column(s, Scored::fve),
            Steps.column(s, Scored::cos),
            Steps.column(s, Scored::mse),
            missing,
            den.varNrm(),
            trainingVarNrm,
            seed);
    ObjectNode out = obj();
    out.put("nla", nla.name());
    out.put("n", e.n());
    out.put("mean_fve", e.meanFve());
    out.put("fve_ci_low", e.fveCi().low());
    out.put("fve_ci_high", e.fveCi().high());
    out.put("fraction_fve_gt_0_5", e.fractionFveAbove05());
    out.put("missing_tags", e.missingTags());
    out.put("mean_cos", e.meanCos());
    out.put("mean_mse_nrm", e.meanMse());
    out.put("var_nrm_eval", e.varNrmEval());
    if (Double.isNaN(trainingVarNrm)) out.putNull("var_nrm_training");
    else out.put("var_nrm_training", trainingVarNrm);
    out.put("denominator", den.origin());
    run.writeSummary(EVAL, out);
    return out;
  }

  // ---------------------------------------------------------------- §2

  /** §2: one greedy decode set per ban condition; FVE per condition and substitute rates. */
  public static ObjectNode quoteBan(
      RunDir run,
      Nla nla,
      ActivationSet acts,
      VerbalizeOptions greedy,
      List<QuoteBan.Condition> conditions,
      Map<String, String> families,
      long seed,
      int batch) {
    Metrics.Denominator den = Steps.denominator(acts, nla.mseScale());
    ArrayNode rows = arr();
    for (QuoteBan.Condition c : conditions) {
      String banned = QuoteBan.bannedCharacters(c, families);
      VerbalizeOptions o = greedy.withBanChars(banned.isEmpty() ? null : banned);
      String set = "ban " + c.name();
      Decode[][] d = Steps.decodes(run, QUOTE_BAN, set, nla, acts, o, batch);
      List<Scored> s =
          Steps.scores(
              run,
              QUOTE_BAN,
              "scores-" + c.name(),
              nla,
              rowKeys(acts.size()),
              arInputs(d),
              acts.vectors(),
              den,
              batch);
      double[] fve = Steps.column(s, Scored::fve);
      Stats.Interval ci = Stats.bootstrapMeanCi(fve, 0.95, EvalSummary.BOOTSTRAP_RESAMPLES, seed);
      List<String> texts = new ArrayList<>();
      int missing = 0;
      for (Decode[] r : d) {
        texts.add(r[0].arInput());
        if (r[0].missingTag()) missing++;
      }
      ObjectNode row = obj();
      row.put("condition", c.name());
      row.put("banned_characters", banned);
      row.put("mean_fve", ci.estimate());
      row.put("fve_ci_low", ci.low());
      row.put("fve_ci_high", ci.high());
      row.put("missing_tags", missing);
      ObjectNode subs = obj();
      QuoteBan.substituteRates(texts, c).forEach(subs::put);
      row.set("substitute_rates", subs);
      rows.add(row);
    }
    ObjectNode out = obj();
    out.put("nla", nla.name());
    out.put("n", acts.size());
    out.set("conditions", rows);
    run.writeSummary(QUOTE_BAN, out);
    return out;
  }

  // ---------------------------------------------------------------- §3

  /**
   * §3 on every decode set the run holds: the eval study's greedy decodes and each quote-ban
   * condition's. Needs only the run's journals and the contexts.
   */
  public static ObjectNode confab(RunDir run, ActivationSet acts, long seed) {
    if (acts.contexts() == null)
      throw new UserError("confab: the activation set '" + acts.name() + "' has no contexts");
    // Every single-sample decode set of these vectors, whichever studies made it.
    Map<String, Journal> sets = new LinkedHashMap<>();
    Path dir = run.dir().resolve(Steps.DECODES);
    if (Files.isDirectory(dir)) {
      try (var files = Files.list(dir)) {
        for (var f : files.sorted().toList()) {
          String n = f.getFileName().toString();
          if (!n.endsWith(".json")) continue;
          var meta = RunDir.JSON.readTree(f.toFile());
          if (!meta.path("activations_hash").asText().equals(acts.hash())) continue;
          if (meta.path("samples").asInt() != 1) continue;
          List<String> labels = new ArrayList<>();
          for (var l : meta.get("labels")) labels.add(l.asText());
          String base = n.substring(0, n.length() - ".json".length());
          sets.put(
              String.join(" = ", labels) + " (" + meta.path("nla").asText() + ")",
              run.journal(Steps.DECODES, base));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    if (sets.isEmpty())
      throw new UserError(
          "confab: run directory "
              + run.dir()
              + " holds no decodes of "
              + acts.name()
              + " (run eval or quote-ban on it first)");
    ArrayNode rows = arr();
    for (var e : sets.entrySet()) {
      List<String> expl = new ArrayList<>();
      List<String> ctx = new ArrayList<>();
      for (var rec : e.getValue().items()) {
        if (rec.get("sample").asInt() != 0) continue;
        int r = rec.get("row").asInt();
        if (r >= acts.size()) continue;
        var ex = rec.get("explanation");
        expl.add(ex == null || ex.isNull() ? rec.get("text").asText() : ex.asText());
        ctx.add(acts.contexts().get(r));
      }
      Confabulation.Summary s = Confabulation.summarize(Confabulation.items(expl, ctx, seed));
      ObjectNode row = obj();
      row.put("decode_set", e.getKey());
      row.put("n", s.n());
      row.put("median_run", s.medianRun());
      row.put("p90_run", s.p90Run());
      row.put("share_ge_6", s.shareAtLeast6());
      row.put("null_median_run", s.nullMedianRun());
      row.put("null_p90_run", s.nullP90Run());
      row.put("null_share_ge_6", s.nullShareAtLeast6());
      rows.add(row);
    }
    ObjectNode out = obj();
    out.set("decode_sets", rows);
    run.writeSummary(CONFAB, out);
    return out;
  }

  // ---------------------------------------------------------------- §4

  /**
   * §4: span statistics of the greedy decodes, and FVE per redaction condition with its 95%
   * percentile bootstrap CI over items ({@code seed} drives the resampling, as in §1 and §2).
   */
  public static ObjectNode redact(
      RunDir run,
      Nla nla,
      ActivationSet acts,
      VerbalizeOptions greedy,
      List<Redaction> conditions,
      String filler,
      long seed,
      int batch) {
    Decode[][] d = Steps.decodes(run, REDACT, "greedy", nla, acts, greedy, batch);
    Metrics.Denominator den = Steps.denominator(acts, nla.mseScale());
    double[] count = new double[d.length];
    double[] frac = new double[d.length];
    for (int r = 0; r < d.length; r++) {
      Spans.Parsed p = Spans.parse(d[r][0].arInput());
      count[r] = p.count();
      frac[r] = p.charFraction();
    }
    ArrayNode rows = arr();
    for (Redaction c : conditions) {
      List<String> texts = new ArrayList<>();
      for (Decode[] row : d) texts.add(c.apply(row[0].arInput(), filler));
      List<Scored> s =
          Steps.scores(
              run,
              REDACT,
              "scores-" + c.id(),
              nla,
              rowKeys(d.length),
              texts,
              acts.vectors(),
              den,
              batch);
      Stats.Interval ci =
          Stats.bootstrapMeanCi(
              Steps.column(s, Scored::fve), 0.95, EvalSummary.BOOTSTRAP_RESAMPLES, seed);
      ObjectNode row = obj();
      row.put("condition", c.id());
      row.put("mean_fve", ci.estimate());
      row.put("fve_ci_low", ci.low());
      row.put("fve_ci_high", ci.high());
      rows.add(row);
    }
    ObjectNode out = obj();
    out.put("nla", nla.name());
    out.put("n", d.length);
    out.put("mean_span_count", Stats.mean(count));
    out.put("mean_char_fraction", Stats.mean(frac));
    out.put("filler", filler);
    out.set("conditions", rows);
    run.writeSummary(REDACT, out);
    return out;
  }

  // ---------------------------------------------------------------- §5

  /** §5: N samples per row at the given temperature; best-of-prefix-n by the AR's own score. */
  public static ObjectNode bestOfN(
      RunDir run, Nla nla, ActivationSet acts, VerbalizeOptions sampling, int batch) {
    Decode[][] d = Steps.decodes(run, BEST_OF_N, "samples", nla, acts, sampling, batch);
    int n = acts.size();
    int k = sampling.samples();
    Metrics.Denominator den = Steps.denominator(acts, nla.mseScale());
    List<String> keys = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    List<float[]> golds = new ArrayList<>();
    for (int r = 0; r < n; r++)
      for (int s = 0; s < k; s++) {
        keys.add(Steps.key(r, s));
        texts.add(d[r][s].arInput());
        golds.add(acts.vectors().get(r));
      }
    List<Scored> sc = Steps.scores(run, BEST_OF_N, "scores", nla, keys, texts, golds, den, batch);
    double[][] fve = new double[n][k];
    boolean[][] fail = new boolean[n][k];
    for (int r = 0; r < n; r++)
      for (int s = 0; s < k; s++) {
        fve[r][s] = sc.get(r * k + s).fve();
        fail[r][s] = d[r][s].missingTag();
      }
    BestOfN.Summary b = BestOfN.summarize(fve, fail);
    ObjectNode out = obj();
    out.put("nla", nla.name());
    out.put("n", n);
    out.put("samples", k);
    out.put("temperature", sampling.temperature());
    out.set("fve_by_n", arr(b.fveByN()));
    ArrayNode dbl = arr();
    for (BestOfN.Doubling x : b.doublings()) {
      ObjectNode o = obj();
      o.put("n", x.n());
      o.put("gain", x.gain());
      dbl.add(o);
    }
    out.set("doublings", dbl);
    out.put("gain_per_doubling", b.gainPerDoubling());
    out.put("tag_failures", b.tagFailures());
    out.put("total_samples", b.totalSamples());
    run.writeSummary(BEST_OF_N, out);
    return out;
  }

  // ---------------------------------------------------------------- §6

  /**
   * §6: the layer-K NLA on its own layer and on neighbours. {@code layers} maps a label (e.g.
   * {@code L40}) to vectors at the same positions as {@code trained}.
   */
  public static ObjectNode layers(
      RunDir run,
      Nla nla,
      String trainedLabel,
      ActivationSet trained,
      Map<String, ActivationSet> neighbours,
      VerbalizeOptions greedy,
      int batch) {
    AdjacentLayers.Row k = null;
    List<AdjacentLayers.Row> rows = new ArrayList<>();
    Map<String, ActivationSet> all = new LinkedHashMap<>();
    all.put(trainedLabel, trained);
    all.putAll(neighbours);
    for (var e : all.entrySet()) {
      ActivationSet a = e.getValue();
      if (a.size() != trained.size())
        throw new UserError(
            "layers: set "
                + e.getKey()
                + " has "
                + a.size()
                + " rows, "
                + trainedLabel
                + " has "
                + trained.size());
      Decode[][] d = Steps.decodes(run, LAYERS, "decodes-" + e.getKey(), nla, a, greedy, batch);
      Metrics.Denominator den = Steps.denominator(a, nla.mseScale());
      List<Scored> s =
          Steps.scores(
              run,
              LAYERS,
              "scores-" + e.getKey(),
              nla,
              rowKeys(a.size()),
              arInputs(d),
              a.vectors(),
              den,
              batch);
      double[] mse = Steps.column(s, Scored::mse);
      if (k == null) {
        k = AdjacentLayers.trained(e.getKey(), mse, den.varNrm());
        rows.add(k);
        continue;
      }
      double[] cos = new double[a.size()];
      double[] inter = new double[a.size()];
      for (int r = 0; r < a.size(); r++) {
        cos[r] = Metrics.cos(a.vectors().get(r), trained.vectors().get(r));
        inter[r] = Metrics.mseNrm(a.vectors().get(r), trained.vectors().get(r), nla.mseScale());
      }
      rows.add(AdjacentLayers.adjacent(e.getKey(), mse, cos, inter, den.varNrm(), k.nmse()));
    }
    ArrayNode table = arr();
    for (AdjacentLayers.Row r : rows) table.add(RunDir.JSON.valueToTree(r));
    ObjectNode out = obj();
    out.put("nla", nla.name());
    out.put("n", trained.size());
    out.set("rows", table);
    run.writeSummary(LAYERS, out);
    return out;
  }

  // ---------------------------------------------------------------- §7

  /**
   * §7: the transfer matrix over families (each an NLA pair and its vectors at the same aligned
   * positions). Cell (row AV, column AR): the row AV's greedy explanations of its own vectors,
   * reconstructed by the column AR and scored against the column family's vectors with their own
   * denominator; the null scores the same reconstructions against a deranged pairing.
   */
  public static ObjectNode cross(
      RunDir run,
      List<Nla> families,
      List<ActivationSet> vectors,
      VerbalizeOptions greedy,
      long seed,
      int batch) {
    return cross(run, families, vectors, null, greedy, seed, batch);
  }

  /**
   * §7 as {@link #cross(RunDir, List, List, VerbalizeOptions, long, int)}, plus, when {@code
   * alignment} (the {@code nla align} report the two families' sets come from) is given, the
   * alignment's character error over the scored rows ({@link CrossAlignment}).
   */
  public static ObjectNode cross(
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
      Decode[][] d =
          Steps.decodes(run, CROSS, "decodes-" + av.name(), av, vectors.get(a), greedy, batch);
      for (int r = 0; r < f; r++) {
        Nla ar = families.get(r);
        ActivationSet gold = vectors.get(r);
        Metrics.Denominator den = Steps.denominator(gold, ar.mseScale());
        List<float[]> shuffled = new ArrayList<>();
        for (int i = 0; i < n; i++) shuffled.add(gold.vectors().get(perm[i]));
        String cell = av.name() + "-to-" + ar.name();
        List<List<Scored>> sc =
            Steps.scoresAgainst(
                run,
                CROSS,
                "scores-" + cell,
                ar,
                rowKeys(n),
                arInputs(d),
                List.of(gold.vectors(), shuffled),
                den,
                batch);
        fve[a][r] = Stats.mean(Steps.column(sc.get(0), Scored::fve));
        nul[a][r] = Stats.mean(Steps.column(sc.get(1), Scored::fve));
      }
    }
    TransferMatrix.Matrix m = TransferMatrix.of(names, fve, nul);
    ArrayNode cells = arr();
    for (TransferMatrix.Cell[] row : m.cells())
      for (TransferMatrix.Cell c : row) cells.add(RunDir.JSON.valueToTree(c));
    ObjectNode out = obj();
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
    run.writeSummary(CROSS, out);
    return out;
  }
}
