package nla.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import nla.core.Metrics;
import nla.linalg.PlantedMaps;
import nla.linalg.Ridge;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

class RidgeScalingTest {
  private static double fve(DMatrixRMaj pred, DMatrixRMaj gold) {
    return Metrics.fveOfSet(pred.data, gold.data, gold.numCols);
  }

  @Test
  void rbfKernelRidgeFitsASmoothNonlinearMapBetterThanLinear() {
    Random rng = new Random(2);
    int n = 1500;
    DMatrixRMaj x = new DMatrixRMaj(n, 3);
    DMatrixRMaj y = new DMatrixRMaj(n, 2);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < 3; j++) x.set(i, j, rng.nextGaussian());
    }
    x = Ridge.unitRows(x);
    for (int i = 0; i < n; i++) {
      y.set(i, 0, Math.sin(3 * x.get(i, 0)) + 0.05 * rng.nextGaussian());
      y.set(i, 1, x.get(i, 1) * x.get(i, 2) * 4 + 0.05 * rng.nextGaussian());
    }
    List<Integer> tr = new ArrayList<>();
    List<Integer> te = new ArrayList<>();
    for (int i = 0; i < n; i++) (i < 1000 ? tr : te).add(i);
    DMatrixRMaj xTr = Ridge.rows(x, tr);
    DMatrixRMaj yTr = Ridge.rows(y, tr);
    RidgeScaling.CvResult rbf =
        RidgeScaling.crossValidate(
            xTr, yTr, RidgeScaling.defaultGrid(Ridge.Kernel.RBF, xTr, 1), 3, 1000, 1);
    RidgeScaling.CvResult lin =
        RidgeScaling.crossValidate(
            xTr, yTr, RidgeScaling.defaultGrid(Ridge.Kernel.LINEAR, xTr, 1), 3, 1000, 1);
    double fRbf =
        fve(Ridge.fit(xTr, yTr, rbf.best()).predict(Ridge.rows(x, te)), Ridge.rows(y, te));
    double fLin =
        fve(Ridge.fit(xTr, yTr, lin.best()).predict(Ridge.rows(x, te)), Ridge.rows(y, te));
    assertTrue(fRbf > 0.9, "rbf " + fRbf);
    assertTrue(fRbf > fLin + 0.2, "rbf " + fRbf + " linear " + fLin);
  }

  @Test
  void crossValidationPrefersSmallLambdaWhenNoiseIsSmallAndLargeWhenDataIsPureNoise() {
    Random rng = new Random(8);
    int d = 10;
    DMatrixRMaj w = PlantedMaps.orthogonal(d, rng);
    DMatrixRMaj[] clean = PlantedMaps.planted(200, d, 0.05, w, rng);
    List<Ridge.Params> grid = new ArrayList<>();
    for (double l : new double[] {1e-3, 1e3}) grid.add(new Ridge.Params(Ridge.Kernel.LINEAR, l, 0));
    assertEquals(
        1e-3, RidgeScaling.crossValidate(clean[0], clean[1], grid, 5, 200, 1).best().lambda());
    DMatrixRMaj noiseY = new DMatrixRMaj(200, d);
    // Targets are a fixed direction plus noise unrelated to x: the mean is the best prediction.
    for (int i = 0; i < noiseY.data.length; i++) noiseY.data[i] = 3 + rng.nextGaussian();
    assertEquals(
        1e3, RidgeScaling.crossValidate(clean[0], noiseY, grid, 5, 200, 1).best().lambda());
  }

  @Test
  void fveNormalisedIgnoresRowScaleAndIsOneForPerfectPredictions() {
    Random rng = new Random(4);
    DMatrixRMaj g = new DMatrixRMaj(50, 6);
    for (int i = 0; i < g.data.length; i++) g.data[i] = rng.nextGaussian() + 1;
    DMatrixRMaj scaled = g.copy();
    CommonOps_DDRM.scale(7.5, scaled);
    assertEquals(1.0, RidgeScaling.fveNormalised(scaled, g), 1e-12);
  }

  @Test
  void logLinearCrossoverExtrapolation() {
    List<RidgeScaling.ScalingPoint> curve = new ArrayList<>();
    // fve = 0.1 + 0.1·log10(n): reaches 0.6 at n = 10^5.
    for (int n : new int[] {100, 1000, 10000})
      curve.add(new RidgeScaling.ScalingPoint(n, null, 0.1 + 0.1 * Math.log10(n)));
    RidgeScaling.Crossover c = RidgeScaling.crossover(curve, 0.6, 3);
    assertTrue(c.reachable());
    assertEquals(1e5, c.n(), 1e-6);
    List<RidgeScaling.ScalingPoint> flat =
        List.of(
            new RidgeScaling.ScalingPoint(100, null, 0.3),
            new RidgeScaling.ScalingPoint(1000, null, 0.3));
    assertFalse(RidgeScaling.crossover(flat, 0.6, 3).reachable());
    assertEquals(Double.POSITIVE_INFINITY, RidgeScaling.crossover(flat, 0.6, 3).n());
  }
}
