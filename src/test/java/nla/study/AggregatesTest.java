package nla.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** §1, §6, §7 summaries on hand-computed numbers. */
class AggregatesTest {
  @Test
  void evalSummary() {
    double[] fve = {0.9, 0.4, 0.6, 0.8};
    EvalSummary s =
        EvalSummary.of(
            fve,
            new double[] {0.99, 0.97, 0.98, 0.98},
            new double[] {0.01, 0.03, 0.02, 0.02},
            new boolean[] {false, true, false, false},
            0.0575,
            0.0579,
            42);
    assertEquals(4, s.n());
    assertEquals(0.675, s.meanFve(), 1e-12);
    assertEquals(0.75, s.fractionFveAbove05(), 1e-12);
    assertEquals(1, s.missingTags());
    assertEquals(0.98, s.meanCos(), 1e-12);
    assertEquals(0.02, s.meanMse(), 1e-12);
    assertTrue(s.fveCi().low() >= 0.4 && s.fveCi().high() <= 0.9);
    assertEquals(0.0579, s.varNrmTraining());
  }

  @Test
  void adjacentLayersAdditiveBound() {
    // Seed §6: intrinsic 0.013, L40 cos 0.997 → inter-layer 2(1 − 0.997) = 0.006.
    AdjacentLayers.Row k = AdjacentLayers.trained("L41", new double[] {0.012, 0.014}, 0.0577);
    assertEquals(0.013, k.nmse(), 1e-12);
    assertEquals(1 - 0.013 / 0.0577, k.fveOwnDenominator(), 1e-12);
    AdjacentLayers.Row l40 =
        AdjacentLayers.adjacent(
            "L40",
            new double[] {0.0160, 0.0174},
            new double[] {0.997, 0.997},
            new double[] {0.006, 0.006},
            0.0548,
            k.nmse());
    assertEquals(0.0167, l40.nmse(), 1e-12);
    assertEquals(0.019, l40.additiveBound(), 1e-12);
    assertTrue(l40.withinBound());
    assertEquals(1 - 0.0167 / 0.0548, l40.fveOwnDenominator(), 1e-12);
    AdjacentLayers.Row bad =
        AdjacentLayers.adjacent(
            "L42", new double[] {0.03}, new double[] {0.99}, new double[] {0.01}, 0.05, 0.013);
    assertFalse(bad.withinBound());
  }

  @Test
  void transferMatrixSharesOfColumnCeilings() {
    // Rows AV, columns AR; seed §7 numbers.
    TransferMatrix.Matrix m =
        TransferMatrix.of(
            List.of("gemma", "qwen"),
            new double[][] {{0.774, 0.592}, {0.528, 0.752}},
            new double[][] {{-0.76, -0.89}, {-0.66, -0.91}});
    assertEquals(0.592 / 0.752, m.cell("gemma", "qwen").shareOfCeiling(), 1e-12);
    assertEquals(0.528 / 0.774, m.cell("qwen", "gemma").shareOfCeiling(), 1e-12);
    assertEquals(1.0, m.cell("qwen", "qwen").shareOfCeiling(), 1e-12);
    assertTrue(m.cell("gemma", "gemma").withinFamily());
    assertEquals(-0.89, m.cell("gemma", "qwen").nullFve());
  }
}
