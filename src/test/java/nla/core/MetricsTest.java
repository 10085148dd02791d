package nla.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import nla.io.UserError;
import org.junit.jupiter.api.Test;

/** Metric arithmetic on cases worked by hand. */
class MetricsTest {
  private static final double SQRT2 = Math.sqrt(2);

  @Test
  void orthogonalVectorsAtSqrtDScaleHaveMseTwoAndCosZero() {
    // p̂ = (√2, 0), v̂ = (0, √2): mean of (2, 2) = 2 = 2(1 − 0).
    float[] p = {3, 0};
    float[] g = {0, 0.5f};
    assertEquals(2.0, Metrics.mseNrm(p, g, SQRT2), 1e-12);
    assertEquals(0.0, Metrics.cos(p, g), 1e-12);
  }

  @Test
  void mseIsTwoTimesOneMinusCosAtSqrtDAndScaleInvariant() {
    // p = (1, 1), g = (1, 0): cos = 1/√2; at s = √2, mse = 2(1 − 1/√2).
    float[] p = {10, 10};
    float[] g = {0.25f, 0};
    assertEquals(1 / SQRT2, Metrics.cos(p, g), 1e-12);
    assertEquals(2 * (1 - 1 / SQRT2), Metrics.mseNrm(p, g, SQRT2), 1e-12);
  }

  @Test
  void rawScaleComparesUnnormalisedVectors() {
    // (1,2) vs (3,5): ((−2)² + (−3)²)/2 = 6.5
    assertEquals(6.5, Metrics.mseNrm(new float[] {1, 2}, new float[] {3, 5}, null), 1e-12);
  }

  @Test
  void baselinesOfTwoOrthogonalUnitVectors() {
    // v̂ = (√2,0), (0,√2); μ = (√2/2, √2/2): var = (√2/2)² = 0.5.
    // s·μ/‖μ‖ = (1,1): meannorm = ((√2−1)² + 1)/2 = 2 − √2.
    Metrics.Baseline b =
        Metrics.baseline(List.of(new float[] {5, 0}, new float[] {0, 0.1f}), SQRT2);
    assertEquals(2, b.n());
    assertEquals(2, b.d());
    assertEquals(0.5, b.varNrm(), 1e-12);
    assertEquals(2 - SQRT2, b.meannorm(), 1e-12);
  }

  @Test
  void rawBaselineIsThePerElementVarianceAndMeannormEqualsIt() {
    // rows (1,2), (3,6): μ = (2,4); deviations (∓1, ∓2): var = (1+4+1+4)/4 = 2.5
    Metrics.Baseline b = Metrics.baseline(List.of(new float[] {1, 2}, new float[] {3, 6}), null);
    assertEquals(2.5, b.varNrm(), 1e-12);
    assertEquals(2.5, b.meannorm(), 1e-12);
  }

  @Test
  void fveIsOneMinusMseOverVarianceAndTheDenominatorKeepsItsOrigin() {
    assertEquals(0.75, Metrics.fveNrm(0.25, 1.0), 1e-15);
    Metrics.Denominator given = Metrics.Denominator.given(0.0579);
    assertTrue(given.origin().contains("0.0579"), given.origin());
    Metrics.Baseline b =
        Metrics.baseline(List.of(new float[] {5, 0}, new float[] {0, 0.1f}), SQRT2);
    Metrics.Denominator fromSet = Metrics.Denominator.of(b, "eval.npy");
    assertEquals(0.5, fromSet.varNrm(), 1e-12);
    assertTrue(fromSet.origin().contains("2 vectors in eval.npy"), fromSet.origin());
    Metrics.Score s = Metrics.score(new float[] {10, 10}, new float[] {0.25f, 0}, SQRT2, fromSet);
    assertEquals(1 - 2 * (1 - 1 / SQRT2) / 0.5, s.fveNrm(), 1e-12);
  }

  @Test
  void badInputsAreUserErrors() {
    assertThrows(UserError.class, () -> Metrics.baseline(List.of(), SQRT2));
    assertThrows(
        UserError.class,
        () -> Metrics.baseline(List.of(new float[] {1}, new float[] {Float.NaN}), SQRT2));
    assertThrows(UserError.class, () -> Metrics.mseNrm(new float[2], new float[3], null));
    assertThrows(UserError.class, () -> Metrics.Denominator.given(0));
  }
}
