package nla.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import nla.core.Metrics;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

class RidgeTest {
  private static double fve(DMatrixRMaj pred, DMatrixRMaj gold) {
    return Metrics.fveOfSet(pred.data, gold.data, gold.numCols);
  }

  /**
   * With signal variance 1 and noise variance σ² = 0.25 per dimension, the best possible FVE on
   * fresh data is 1/(1 + σ²) = 0.8; ridge with small λ and n ≫ d gets there.
   */
  @Test
  void recoversAPlantedLinearMapWithKnownFve() {
    Random rng = new Random(11);
    int d = 8;
    DMatrixRMaj w = PlantedMaps.orthogonal(d, rng);
    DMatrixRMaj[] train = PlantedMaps.planted(4000, d, 0.5, w, rng);
    DMatrixRMaj[] test = PlantedMaps.planted(4000, d, 0.5, w, rng);
    for (Ridge.Kernel k : Ridge.Kernel.values()) {
      if (k == Ridge.Kernel.RBF) continue; // a linear map: the RBF case is tested below
      Ridge.Model m = Ridge.fit(train[0], train[1], new Ridge.Params(k, 1e-3, 0));
      assertEquals(0.8, fve(m.predict(test[0]), test[1]), 0.015);
    }
    // Dual (n < d is not the case here): force the dual path with n = 300 ≤ ... via a wide map.
    DMatrixRMaj[] small = PlantedMaps.planted(300, d, 0.5, w, rng);
    Ridge.Model dual =
        Ridge.fit(small[0], small[1], new Ridge.Params(Ridge.Kernel.LINEAR, 1e-3, 0));
    assertEquals(0.8, fve(dual.predict(test[0]), test[1]), 0.04);
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
    DMatrixRMaj w = PlantedMaps.orthogonal(d, rng);
    DMatrixRMaj[] a = PlantedMaps.planted(15, d, 0.3, w, rng); // n < d: dual
    DMatrixRMaj[] b = PlantedMaps.planted(30, d, 0.3, w, rng); // n > d: primal
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
}
