package nla;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import nla.io.StoredTensor;

/**
 * The rounding an fp32 matrix product may show against the exact one, for tests of products the
 * backends compute (in fp32, in an order of their choosing).
 */
public final class Fp32Dot {
  private Fp32Dot() {}

  /**
   * {@code got} is W·h up to fp32 rounding: per value, |got − W·h| ≤ γ_d · Σ_j |W_ij·h_j| (γ_d =
   * d·u / (1 − d·u), u = 2⁻²⁴: Higham's bound for a d-term dot product summed in any order), with
   * W·h computed here in double from the stored weight [out, d].
   */
  public static void assertWithinBound(StoredTensor w, float[] h, float[] got, String where) {
    int d = h.length;
    assertEquals(w.dim(0), got.length, where + ": output width");
    double u = Math.scalb(1.0, -24);
    double gamma = d * u / (1 - d * u);
    for (int i = 0; i < got.length; i++) {
      double exact = 0, magnitude = 0;
      for (int j = 0; j < d; j++) {
        double term = (double) w.get((long) i * d + j) * h[j];
        exact += term;
        magnitude += Math.abs(term);
      }
      double bound = gamma * magnitude;
      assertTrue(
          Math.abs(got[i] - exact) <= bound,
          where + " value " + i + ": " + got[i] + " vs W·h = " + exact + " (bound " + bound + ")");
    }
  }
}
