package nla.study;

import static nla.study.ReportPage.f3;
import static nla.study.ReportPage.f4;
import static nla.study.ReportPage.interval;
import static nla.study.ReportPage.num;
import static nla.study.ReportPage.pct;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import nla.core.Metrics;
import nla.core.VerbalizeOptions;
import nla.study.Steps.Decode;
import nla.study.Steps.Scored;

/**
 * §1, round-trip fidelity: greedy decodes of every row, scored against the eval set's own
 * denominator; mean FVE with a bootstrap 95% CI, fraction FVE > 0.5, missing tags, and the eval
 * set's Var(v_nrm) beside the training one.
 */
public final class EvalStudy implements Study<EvalStudy.Params> {
  public static final String NAME = "eval";

  /**
   * @param trainingVarNrm the training Var(v_nrm) to show beside the eval set's (NaN: unknown)
   */
  public record Params(String nla, String activations, double trainingVarNrm) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "§1: FVE per item, mean with bootstrap 95%% CI, fraction > 0.5, missing tags, Var(v_nrm).";
  }

  @Override
  public List<String> settings() {
    return List.of("nla", "activations");
  }

  @Override
  public List<StudyFlag> flags() {
    return Studies.concat(
        StudyFlag.PAIR,
        StudyFlag.optional(
            "--training-var-nrm",
            "X",
            StudyFlag.Type.NUMBER,
            "Training Var(v_nrm) to show beside the eval set's."));
  }

  @Override
  public void plan(StudyFlag.Values flags, OneStudyPlan plan) {
    Object trainingVar = flags.get("--training-var-nrm");
    plan.pair(
        flags, trainingVar == null ? Map.of() : Map.of("training_var_nrm", (Object) trainingVar));
  }

  @Override
  public Params parse(StudySettings s) {
    String nla = s.nla("nla", null);
    String activations = s.activations("activations", nla);
    // The training value lives with the pair (nlas.<name>.training_var_nrm); not a number: unknown.
    Object tv = s.nlaSetting(nla, "training_var_nrm");
    return new Params(nla, activations, tv instanceof Number x ? x.doubleValue() : Double.NaN);
  }

  @Override
  public void run(Params p, StudyContext c) {
    ActivationSet acts = c.activations(p.activations()); // cheap inputs fail before models load
    Nla nla = c.nla(p.nla());
    try (RunDir run = c.open(Studies.inputs(p.nla(), nla, p.activations(), acts))) {
      run(run, nla, acts, c.greedy(), p.trainingVarNrm(), c.seed(), c.batch());
    }
  }

  /** §1 as a Java call, in an open run directory; returns the summary it wrote. */
  public static ObjectNode run(
      RunDir run,
      Nla nla,
      ActivationSet acts,
      VerbalizeOptions greedy,
      double trainingVarNrm,
      long seed,
      int batch) {
    Decode[][] d = Steps.decodes(run, NAME, "greedy", nla, acts, greedy);
    Metrics.Denominator den = Steps.denominator(acts, nla.ar());
    List<Scored> s =
        Steps.scores(
            run,
            NAME,
            "scores",
            nla,
            Studies.rowKeys(acts.size()),
            Studies.arInputs(d),
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
    ObjectNode out = Studies.obj();
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
    run.writeSummary(NAME, out);
    return out;
  }

  @Override
  public void headline(JsonNode e, ReportPage page) {
    page.card(
        f3(num(e, "mean_fve")),
        "FVE (" + e.path("nla").asText() + ")",
        "95% CI " + interval(num(e, "fve_ci_low"), num(e, "fve_ci_high")));
  }

  @Override
  public void report(JsonNode e, ReportPage page) {
    page.section(
        "§1",
        "Round-trip fidelity",
        "FVE = 1 − mse_nrm / Var(v_nrm); 0 = predict-the-mean, 1 = perfect. Denominator: "
            + e.path("denominator").asText());
    page.table(
        List.of("metric", "value"),
        List.of(
            List.of("items", e.path("n").asText()),
            List.of("mean fve_nrm", f3(num(e, "mean_fve"))),
            List.of("95% bootstrap CI", interval(num(e, "fve_ci_low"), num(e, "fve_ci_high"))),
            List.of("fraction FVE > 0.5", pct(num(e, "fraction_fve_gt_0_5"))),
            List.of("missing-tag decodes", e.path("missing_tags").asText()),
            List.of("mean cos", f4(num(e, "mean_cos"))),
            List.of("mean mse_nrm", f4(num(e, "mean_mse_nrm"))),
            List.of("Var(v_nrm), eval set", f4(num(e, "var_nrm_eval"))),
            List.of("Var(v_nrm), training", f4(num(e, "var_nrm_training")))));
    page.endSection();
  }
}
