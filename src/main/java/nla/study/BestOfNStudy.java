package nla.study;

import static nla.study.ReportPage.f4;
import static nla.study.ReportPage.num;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import nla.core.Metrics;
import nla.core.VerbalizeOptions;
import nla.study.Steps.Decode;
import nla.study.Steps.Scored;

/**
 * §5, best-of-N: N samples per row at a temperature; the best of the first n chosen by the AR's own
 * score; FVE against n and the gain per doubling ({@link BestOfN}).
 */
public final class BestOfNStudy implements Study<BestOfNStudy.Params> {
  public static final String NAME = "best-of-n";

  public record Params(String nla, String activations, int samples, double temperature) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "§5: N samples per activation; AR-selected best of the first n; FVE vs n; gain per doubling.";
  }

  @Override
  public List<String> settings() {
    return List.of("nla", "activations", "samples", "temperature");
  }

  @Override
  public List<StudyFlag> flags() {
    return Studies.concat(
        StudyFlag.PAIR,
        StudyFlag.withDefault(
            "--samples",
            "N",
            StudyFlag.Type.INTEGER,
            "10",
            "Samples per activation. Default: ${DEFAULT-VALUE}."),
        StudyFlag.withDefault(
            "--temperature",
            "X",
            StudyFlag.Type.NUMBER,
            "1.0",
            "Sampling temperature of the N decodes. Default: ${DEFAULT-VALUE}."));
  }

  @Override
  public void plan(StudyFlag.Values flags, OneStudyPlan plan) {
    plan.pair(flags, Map.of());
    plan.set("samples", flags.get("--samples")).set("temperature", flags.get("--temperature"));
  }

  @Override
  public Params parse(StudySettings s) {
    String nla = s.nla("nla", null);
    String activations = s.activations("activations", nla);
    double temperature = s.number("temperature", 1.0);
    // Checked with the plan, not when the study's first decode starts after the others have run.
    if (!(temperature >= 0) || Double.isInfinite(temperature))
      throw s.error(s.where() + ".temperature: must be a finite number >= 0, got " + temperature);
    return new Params(
        nla, activations, (int) s.integer("samples", 10, 1, Integer.MAX_VALUE), temperature);
  }

  @Override
  public void run(Params p, StudyContext c) {
    ActivationSet acts = c.activations(p.activations());
    Nla nla = c.nla(p.nla());
    VerbalizeOptions sampling =
        VerbalizeOptions.greedy()
            .withSampling(p.temperature(), 1, 0, c.seed())
            .withSamples(p.samples())
            .withMaxNewTokens(c.maxNewTokens(), c.ignoreEos());
    try (RunDir run = c.open(Studies.inputs(p.nla(), nla, p.activations(), acts))) {
      run(run, nla, acts, sampling, c.batch());
    }
  }

  /** §5 as a Java call, in an open run directory; returns the summary it wrote. */
  public static ObjectNode run(
      RunDir run, Nla nla, ActivationSet acts, VerbalizeOptions sampling, int batch) {
    Decode[][] d = Steps.decodes(run, NAME, "samples", nla, acts, sampling);
    int n = acts.size();
    int k = sampling.samples();
    Metrics.Denominator den = Steps.denominator(acts, nla.ar());
    List<String> keys = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    List<float[]> golds = new ArrayList<>();
    for (int r = 0; r < n; r++)
      for (int s = 0; s < k; s++) {
        keys.add(Steps.key(r, s));
        texts.add(d[r][s].arInput());
        golds.add(acts.vectors().get(r));
      }
    List<Scored> sc = Steps.scores(run, NAME, "scores", nla, keys, texts, golds, den, batch);
    double[][] fve = new double[n][k];
    boolean[][] fail = new boolean[n][k];
    for (int r = 0; r < n; r++)
      for (int s = 0; s < k; s++) {
        fve[r][s] = sc.get(r * k + s).fve();
        fail[r][s] = d[r][s].missingTag();
      }
    BestOfN.Summary b = BestOfN.summarize(fve, fail);
    ObjectNode out = Studies.obj();
    out.put("nla", nla.name());
    out.put("n", n);
    out.put("samples", k);
    out.put("temperature", sampling.temperature());
    out.set("fve_by_n", Studies.arr(b.fveByN()));
    ArrayNode dbl = Studies.arr();
    for (BestOfN.Doubling x : b.doublings()) {
      ObjectNode o = Studies.obj();
      o.put("n", x.n());
      o.put("gain", x.gain());
      dbl.add(o);
    }
    out.set("doublings", dbl);
    out.put("gain_per_doubling", b.gainPerDoubling());
    out.put("tag_failures", b.tagFailures());
    out.put("total_samples", b.totalSamples());
    run.writeSummary(NAME, out);
    return out;
  }

  @Override
  public void report(JsonNode n, ReportPage page) {
    page.section(
        "§5",
        "Best-of-N",
        n.path("samples").asText()
            + " samples per activation at temperature "
            + n.path("temperature").asText()
            + "; best of the first n chosen by the AR's own score. Tag failures: "
            + n.path("tag_failures").asText()
            + " of "
            + n.path("total_samples").asText()
            + ".");
    JsonNode by = n.get("fve_by_n");
    double[][] xy = new double[by.size()][];
    for (int i = 0; i < by.size(); i++) xy[i] = new double[] {i + 1, by.get(i).asDouble()};
    page.figure(
        Charts.svg(
            Charts.lines("N (samples)", "FVE", Map.of("best of first N", xy), 2, Map.of()),
            "fig-bon"),
        "FVE vs N. Gain per doubling (least-squares slope over log2 N): "
            + f4(num(n, "gain_per_doubling"))
            + ".");
    page.endSection();
  }
}
