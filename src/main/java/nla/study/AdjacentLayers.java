package nla.study;

import nla.core.Metrics;

/**
 * §6, adjacent layers: vectors of layers K−1 and K+1 at the same positions go through the layer-K
 * NLA. Per input layer L: the mean cosine of v_L to v_K; the round-trip NMSE (mse_nrm of the
 * reconstruction against v_L itself); FVE with L's own denominator Var(v_L,nrm); the inter-layer
 * NMSE (mse_nrm of v_L against v_K); and the additive bound = intrinsic NMSE (the layer-K round
 * trip) + inter-layer NMSE, which the observed NMSE is expected not to exceed.
 */
public final class AdjacentLayers {
  private AdjacentLayers() {}

  public record Row(
      String layer,
      boolean trained,
      double cosToK,
      double nmse,
      double fveOwnDenominator,
      double varNrmOwn,
      double interLayerNmse,
      double additiveBound,
      boolean withinBound) {}

  /** The trained layer's row: no inter-layer offset, its NMSE is the intrinsic error. */
  public static Row trained(String layer, double[] roundTripMse, double varNrm) {
    double nmse = Stats.mean(roundTripMse);
    return new Row(layer, true, 1.0, nmse, Metrics.fveNrm(nmse, varNrm), varNrm, 0.0, nmse, true);
  }

  /**
   * @param roundTripMse per item mse_nrm(reconstruction of v_L, v_L)
   * @param cosToK per item cos(v_L, v_K)
   * @param interLayerMse per item mse_nrm(v_L, v_K)
   * @param varNrmOwn Var(v_L,nrm) over the layer-L eval vectors
   * @param intrinsicNmse the layer-K round trip's NMSE
   */
  public static Row adjacent(
      String layer,
      double[] roundTripMse,
      double[] cosToK,
      double[] interLayerMse,
      double varNrmOwn,
      double intrinsicNmse) {
    double nmse = Stats.mean(roundTripMse);
    double inter = Stats.mean(interLayerMse);
    double bound = intrinsicNmse + inter;
    return new Row(
        layer,
        false,
        Stats.mean(cosToK),
        nmse,
        Metrics.fveNrm(nmse, varNrmOwn),
        varNrmOwn,
        inter,
        bound,
        nmse <= bound);
  }
}
