package nla.study;

import static nla.study.ReportPage.f3;
import static nla.study.ReportPage.f4;
import static nla.study.ReportPage.num;

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
import nla.io.UserError;
import nla.study.Steps.Decode;
import nla.study.Steps.Scored;

/**
 * §6, adjacent-layer transfer: the layer-K NLA on its own layer and on neighbouring layers' vectors
 * at the same positions; cos, NMSE, own-denominator FVE and the additive bound ({@link
 * AdjacentLayers}).
 */
public final class LayersStudy implements Study<LayersStudy.Params> {
  public static final String NAME = "layers";

  /**
   * @param trained the trained layer's label (e.g. L41); its vectors are {@code activations}
   * @param neighbours each neighbouring layer's vector file by label
   */
  public record Params(
      String nla, String activations, String trained, Map<String, Path> neighbours) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "§6: neighbouring layers' vectors through the layer-K NLA; cos, NMSE, own-denominator FVE, additive bound.";
  }

  @Override
  public List<String> settings() {
    return List.of("nla", "activations", "neighbours", "trained");
  }

  @Override
  public List<StudyFlag> flags() {
    return Studies.concat(
        StudyFlag.PAIR,
        StudyFlag.withDefault(
            "--trained-label",
            "LABEL",
            StudyFlag.Type.TEXT,
            "K",
            "Label of the trained layer, e.g. L41. Default: ${DEFAULT-VALUE}."),
        StudyFlag.required(
            "--neighbour",
            "LABEL=FILE",
            StudyFlag.Type.KEY_VALUES,
            "A neighbouring layer's activations at the same positions (repeatable)."));
  }

  @Override
  public void plan(StudyFlag.Values flags, OneStudyPlan plan) {
    plan.pair(flags, Map.of());
    plan.set("trained", flags.get("--trained-label")).set("neighbours", flags.get("--neighbour"));
  }

  @Override
  public Params parse(StudySettings s) {
    String nla = s.nla("nla", null);
    String activations = s.activations("activations", nla);
    Map<String, Path> neighbours = new LinkedHashMap<>();
    s.mapping("neighbours", true)
        .forEach(
            (label, file) ->
                neighbours.put(label, s.inputFile("neighbours." + label, String.valueOf(file))));
    return new Params(nla, activations, s.string("trained", "K"), neighbours);
  }

  @Override
  public void run(Params p, StudyContext c) {
    Nla nla = c.nla(p.nla());
    ActivationSet trained = c.activations(p.activations());
    Map<String, String> inputs = new LinkedHashMap<>();
    Map<String, ActivationSet> neighbours = new LinkedHashMap<>();
    for (var e : p.neighbours().entrySet()) {
      ActivationSet x = ActivationSets.load(e.getValue()).head(c.limit());
      neighbours.put(e.getKey(), x);
      inputs.put("activations:" + e.getKey(), x.hash());
    }
    inputs.put("nla:" + p.nla(), nla.hash());
    inputs.put("activations:trained", trained.hash());
    try (RunDir run = c.open(inputs)) {
      run(run, nla, p.trained(), trained, neighbours, c.greedy(), c.batch());
    }
  }

  /**
   * §6 as a Java call, in an open run directory. {@code neighbours} maps a label (e.g. {@code L40})
   * to vectors at the same positions as {@code trained}. Returns the summary it wrote.
   */
  public static ObjectNode run(
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
      Decode[][] d = Steps.decodes(run, NAME, "decodes-" + e.getKey(), nla, a, greedy);
      Metrics.Denominator den = Steps.denominator(a, nla.ar());
      List<Scored> s =
          Steps.scores(
              run,
              NAME,
              "scores-" + e.getKey(),
              nla,
              Studies.rowKeys(a.size()),
              Studies.arInputs(d),
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
        inter[r] = Metrics.mseNrm(a.vectors().get(r), trained.vectors().get(r), nla.ar().mseNorm());
      }
      rows.add(AdjacentLayers.adjacent(e.getKey(), mse, cos, inter, den.varNrm(), k.nmse()));
    }
    ArrayNode table = Studies.arr();
    for (AdjacentLayers.Row r : rows) table.add(RunDir.JSON.valueToTree(r));
    ObjectNode out = Studies.obj();
    out.put("nla", nla.name());
    out.put("n", trained.size());
    out.set("rows", table);
    run.writeSummary(NAME, out);
    return out;
  }

  @Override
  public void report(JsonNode l, ReportPage page) {
    page.section(
        "§6",
        "Adjacent-layer transfer",
        "Neighbouring layers' vectors at the same positions through the trained layer's NLA; additive bound = intrinsic NMSE + inter-layer NMSE.");
    List<List<String>> rows = new ArrayList<>();
    for (JsonNode r : l.get("rows"))
      rows.add(
          List.of(
              r.get("layer").asText() + (r.get("trained").asBoolean() ? " (trained)" : ""),
              r.get("trained").asBoolean() ? "—" : f4(num(r, "cosToK")),
              f4(num(r, "nmse")),
              f3(num(r, "fveOwnDenominator")),
              r.get("trained").asBoolean() ? "—" : f4(num(r, "additiveBound")),
              r.get("withinBound").asBoolean() ? "yes" : "no"));
    page.table(
        List.of("input", "cos to K", "NMSE", "FVE (own denom)", "additive bound", "within bound"),
        rows);
    page.endSection();
  }
}
