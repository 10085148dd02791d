package nla.study;

/**
 * §1, the headline evaluation: per item mse_nrm, cos and fve_nrm (computed by {@code
 * nla.core.Metrics}); here the summary over items.
 *
 * @param varNrmEval Var(v_nrm) of the eval set's own vectors: the FVE denominator used
 * @param varNrmTraining the training value to print beside it (sidecar or given), or NaN if unknown
 */
public record EvalSummary(
    int n,
    double meanFve,
    Stats.Interval fveCi,
    double fractionFveAbove05,
    int missingTags,
    double meanCos,
    double meanMse,
    double varNrmEval,
    double varNrmTraining) {

  public static final int BOOTSTRAP_RESAMPLES = 10_000;

  /** Summarises per-item FVE, cos, mse and missing-tag flags; {@code seed} drives the bootstrap. */
  public static EvalSummary of(
      double[] fve,
      double[] cos,
      double[] mse,
      boolean[] missingTag,
      double varNrmEval,
      double varNrmTraining,
      long seed) {
    int missing = 0;
    for (boolean m : missingTag) if (m) missing++;
    return new EvalSummary(
        fve.length,
        Stats.mean(fve),
        Stats.bootstrapMeanCi(fve, 0.95, BOOTSTRAP_RESAMPLES, seed),
        Stats.shareAbove(fve, 0.5),
        missing,
        Stats.mean(cos),
        Stats.mean(mse),
        varNrmEval,
        varNrmTraining);
  }
}
