package nla.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

class RidgeTest {
  /** x ~ N(0, I_d); y = x·W + σ·noise with W orthogonal, so per-dim signal variance is 1. */
  private static DMatrixRMaj[] planted(int n, int d, double sigma, DMatrixRMaj w, Random rng) {
    DMatrixRMaj x = new DMatrixRMaj(n, d);
    for (int i = 0; i < x.data.length; i++) x.data[i] = rng.nextGaussian();
    DMatrixRMaj y = new DMatrixRMaj(n, d);
    CommonOps_DDRM.mult(x, w, y);
    for (int i = 0; i < y.data.length; i++) y.data[i] += sigma * rng.nextGaussian();
    return new DMatrixRMaj[] {x, y};
  }

  private static DMatrixRMaj orthogonal(int d, Random rng) {
    DMatrixRMaj a = new DMatrixRMaj(d, d);
    for (int i = 0; i < a.data.length; i++) a.data[i] = rng.nextGaussian();
    var qr = org.ejml.dense.row.factory.DecompositionFactory_DDRM.qr(d, d);
    qr.decompose(a);
    return qr.getQ(null, false);
  }

  /**
   * With signal variance 1 and noise variance σ² = 0.25 per dimension, the best possible FVE on
   * fresh data is 1/(1 + σ²) = 0.8; ridge with small λ and n ≫ d gets there.
   */
  @Test
  void recoversAPlantedLinearMapWithKnownFve() {
    Random rng = new Random(11);
    int d = 8;
    DMatrixRMaj w = orthogonal(d, rng);
    DMatrixRMaj[] train = planted(4000, d, 0.5, w, rng);
    DMatrixRMaj[] test = planted(4000, d, 0.5, w, rng);
    for (Ridge.Kernel k : Ridge.Kernel.values()) {
      if (k == Ridge.Kernel.RBF) continue; // a linear map: the RBF case is tested below
      Ridge.Model m = Ridge.fit(train[0], train[1], new Ridge.Params(k, 1e-3, 0));
      assertEquals(0.8, Ridge.fve(m.predict(test[0]), test[1]), 0.015);
    }
    // Dual (n < d is not the case here): force the dual path with n = 300 ≤ ... via a wide map.
    DMatrixRMaj[] small = planted(300, d, 0.5, w, rng);
    Ridge.Model dual =
        Ridge.fit(small[0], small[1], new Ridge.Params(Ridge.Kernel.LINEAR, 1e-3, 0));
    assertEquals(0.8, Ridge.fve(dual.predict(test[0]), test[1]), 0.04);
  }

  /**
   * The column-split solve against EJML's own multi-threaded Cholesky solve, on an SPD system whose
   * right-hand sides span several block columns (so several ranges run in parallel) and end in a
   * partial block.
   */
  @Test
  void columnSplitCholeskySolveMatchesEjmlsSolver() {
    Random rng = new Random(8);
    int n = 150;
    int m = 250;
    int block = 60;
    DMatrixRMaj g = new DMatrixRMaj(n, n + 10);
    for (int i = 0; i < g.data.length; i++) g.data[i] = rng.nextGaussian();
    DMatrixRMaj a = new DMatrixRMaj(n, n);
    CommonOps_DDRM.multTransB(g, g, a); // SPD
    DMatrixRMaj b = new DMatrixRMaj(n, m);
    for (int i = 0; i < b.data.length; i++) b.data[i] = rng.nextGaussian();

    var ejml = new org.ejml.dense.block.linsol.chol.CholeskyOuterSolver_MT_DDRB();
    assertTrue(ejml.setA(org.ejml.dense.block.MatrixOps_DDRB.convert(a, block)));
    var expected = new org.ejml.data.DMatrixRBlock(n, m, block);
    ejml.solve(org.ejml.dense.block.MatrixOps_DDRB.convert(b, block), expected);

    var solver = new org.ejml.dense.block.linsol.chol.CholeskyOuterSolver_MT_DDRB();
    assertTrue(solver.setA(org.ejml.dense.block.MatrixOps_DDRB.convert(a, block)));
    var got = org.ejml.dense.block.MatrixOps_DDRB.convert(b, block);
    Ridge.solveInPlace(solver.getDecomposition().getT(null), got);
    for (int i = 0; i < n; i++)
      for (int j = 0; j < m; j++)
        assertEquals(
            expected.get(i, j), got.get(i, j), 1e-9 * Math.abs(expected.get(i, j)) + 1e-12);
    // And it solves the system: A·Z = B.
    DMatrixRMaj z = org.ejml.dense.block.MatrixOps_DDRB.convert(got, (DMatrixRMaj) null);
    DMatrixRMaj az = new DMatrixRMaj(n, m);
    CommonOps_DDRM.mult(a, z, az);
    for (int i = 0; i < b.data.length; i++) assertEquals(b.data[i], az.data[i], 1e-8);
  }

  @Test
  void primalAndDualLinearRidgeAgree() {
    Random rng = new Random(5);
    int d = 20;
    DMatrixRMaj w = orthogonal(d, rng);
    DMatrixRMaj[] a = planted(15, d, 0.3, w, rng); // n < d: dual
    DMatrixRMaj[] b = planted(30, d, 0.3, w, rng); // n > d: primal
    DMatrixRMaj x = new DMatrixRMaj(45, d);
    DMatrixRMaj y = new DMatrixRMaj(45, d);
    CommonOps_DDRM.concatRows(a[0], b[0], x);
    CommonOps_DDRM.concatRows(a[1], b[1], y);
    Ridge.Params p = new Ridge.Params(Ridge.Kernel.LINEAR, 0.5, 0);
    DMatrixRMaj primal = Ridge.fit(x, y, p).predict(a[0]);
    // The same fit through the kernel path: an RBF-free dual on the same rows, by transposing
    // the problem size (pad d so n ≤ d).
    DMatrixRMaj xPad = new DMatrixRMaj(45, 60);
    CommonOps_DDRM.insert(x, xPad, 0, 0);
    DMatrixRMaj aPad = new DMatrixRMaj(15, 60);
    CommonOps_DDRM.insert(a[0], aPad, 0, 0);
    DMatrixRMaj dual = Ridge.fit(xPad, y, p).predict(aPad);
    for (int i = 0; i < primal.data.length; i++) assertEquals(primal.data[i], dual.data[i], 1e-8);
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
    Ridge.CvResult rbf =
        Ridge.crossValidate(xTr, yTr, Ridge.defaultGrid(Ridge.Kernel.RBF, xTr, 1), 3, 1000, 1);
    Ridge.CvResult lin =
        Ridge.crossValidate(xTr, yTr, Ridge.defaultGrid(Ridge.Kernel.LINEAR, xTr, 1), 3, 1000, 1);
    double fRbf =
        Ridge.fve(Ridge.fit(xTr, yTr, rbf.best()).predict(Ridge.rows(x, te)), Ridge.rows(y, te));
    double fLin =
        Ridge.fve(Ridge.fit(xTr, yTr, lin.best()).predict(Ridge.rows(x, te)), Ridge.rows(y, te));
    assertTrue(fRbf > 0.9, "rbf " + fRbf);
    assertTrue(fRbf > fLin + 0.2, "rbf " + fRbf + " linear " + fLin);
  }

  @Test
  void crossValidationPrefersSmallLambdaWhenNoiseIsSmallAndLargeWhenDataIsPureNoise() {
    Random rng = new Random(8);
    int d = 10;
    DMatrixRMaj w = orthogonal(d, rng);
    DMatrixRMaj[] clean = planted(200, d, 0.05, w, rng);
    List<Ridge.Params> grid = new ArrayList<>();
    for (double l : new double[] {1e-3, 1e3}) grid.add(new Ridge.Params(Ridge.Kernel.LINEAR, l, 0));
    assertEquals(1e-3, Ridge.crossValidate(clean[0], clean[1], grid, 5, 200, 1).best().lambda());
    DMatrixRMaj noiseY = new DMatrixRMaj(200, d);
    // Targets are a fixed direction plus noise unrelated to x: the mean is the best prediction.
    for (int i = 0; i < noiseY.data.length; i++) noiseY.data[i] = 3 + rng.nextGaussian();
    assertEquals(1e3, Ridge.crossValidate(clean[0], noiseY, grid, 5, 200, 1).best().lambda());
  }

  @Test
  void fveNormalisedIgnoresRowScaleAndIsOneForPerfectPredictions() {
    Random rng = new Random(4);
    DMatrixRMaj g = new DMatrixRMaj(50, 6);
    for (int i = 0; i < g.data.length; i++) g.data[i] = rng.nextGaussian() + 1;
    DMatrixRMaj scaled = g.copy();
    CommonOps_DDRM.scale(7.5, scaled);
    assertEquals(1.0, Ridge.fveNormalised(scaled, g), 1e-12);
  }

  @Test
  void logLinearCrossoverExtrapolation() {
    List<Ridge.ScalingPoint> curve = new ArrayList<>();
    // fve = 0.1 + 0.1·log10(n): reaches 0.6 at n = 10^5.
    for (int n : new int[] {100, 1000, 10000})
      curve.add(new Ridge.ScalingPoint(n, null, 0.1 + 0.1 * Math.log10(n)));
    Ridge.Crossover c = Ridge.crossover(curve, 0.6, 3);
    assertTrue(c.reachable());
    assertEquals(1e5, c.n(), 1e-6);
    List<Ridge.ScalingPoint> flat =
        List.of(new Ridge.ScalingPoint(100, null, 0.3), new Ridge.ScalingPoint(1000, null, 0.3));
    assertFalse(Ridge.crossover(flat, 0.6, 3).reachable());
    assertEquals(Double.POSITIVE_INFINITY, Ridge.crossover(flat, 0.6, 3).n());
  }
}
