package nla.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.ejml.data.DMatrixRBlock;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.block.MatrixOps_DDRB;
import org.ejml.dense.block.linsol.chol.CholeskyOuterSolver_MT_DDRB;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.NormOps_DDRM;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.linsol.LinearSolverDense;
import org.junit.jupiter.api.Test;

/** The Vector API block Cholesky against EJML's factorisation and solvers. */
class BlockCholeskyTest {
  /** G·Gᵀ + I for a random G with a few more columns than rows: SPD, condition number modest. */
  private static DMatrixRMaj randomSpd(int n, Random rng) {
    DMatrixRMaj g = new DMatrixRMaj(n, n + 3);
    for (int i = 0; i < g.data.length; i++) g.data[i] = rng.nextGaussian();
    DMatrixRMaj a = new DMatrixRMaj(n, n);
    CommonOps_DDRM.multTransB(g, g, a);
    for (int i = 0; i < n; i++) a.add(i, i, 1);
    return a;
  }

  /**
   * Sizes 1 … 301 with block widths that do not divide them (and 64, the fit's width, and one
   * narrower than the lane count): L equals EJML's factor up to rounding, 1e-12 of ‖A‖_F, and the
   * solves through it match EJML's symmetric positive definite solver.
   */
  @Test
  void factorMatchesEjmlsCholeskyOnOddSizesAndBlockWidths() {
    Random rng = new Random(3);
    int[][] cases = {{1, 60}, {7, 3}, {7, 5}, {61, 60}, {61, 64}, {130, 60}, {130, 64}, {301, 64}};
    for (int[] c : cases) {
      int n = c[0];
      int bw = c[1];
      DMatrixRMaj a = randomSpd(n, rng);
      double norm = NormOps_DDRM.normF(a);

      CholeskyOuterSolver_MT_DDRB ejml = new CholeskyOuterSolver_MT_DDRB();
      assertTrue(ejml.setA(MatrixOps_DDRB.convert(a, bw)));
      DMatrixRBlock expected = ejml.getDecomposition().getT(null);

      DMatrixRBlock got = MatrixOps_DDRB.convert(a, bw);
      assertTrue(BlockCholesky.factorLower(got));
      for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
          assertEquals(
              expected.get(i, j), got.get(i, j), 1e-12 * norm, "n=" + n + " bw=" + bw + " L");

      // The ridge solution (A)⁻¹B through the factor, against EJML's row-major SPD solver.
      int m = 9;
      DMatrixRMaj b = new DMatrixRMaj(n, m);
      for (int i = 0; i < b.data.length; i++) b.data[i] = rng.nextGaussian();
      LinearSolverDense<DMatrixRMaj> solver = LinearSolverFactory_DDRM.symmPosDef(n);
      assertTrue(solver.setA(a.copy()));
      DMatrixRMaj want = new DMatrixRMaj(n, m);
      solver.solve(b, want);
      DMatrixRBlock z = MatrixOps_DDRB.convert(b, bw);
      Ridge.solveInPlace(got, z);
      double scale = NormOps_DDRM.normF(want);
      for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++)
          assertEquals(want.get(i, j), z.get(i, j), 1e-10 * scale, "n=" + n + " bw=" + bw + " z");
    }
  }

  /** Every entry is computed in a fixed order: repeated runs give bit-identical factors. */
  @Test
  void factorIsBitIdenticalAcrossRuns() {
    DMatrixRMaj a = randomSpd(257, new Random(5));
    DMatrixRBlock first = MatrixOps_DDRB.convert(a, 64);
    assertTrue(BlockCholesky.factorLower(first));
    for (int run = 0; run < 3; run++) {
      DMatrixRBlock again = MatrixOps_DDRB.convert(a, 64);
      assertTrue(BlockCholesky.factorLower(again));
      assertArrayEquals(first.data, again.data);
    }
  }

  /** A negative eigenvalue (or a zero one) is reported as EJML reports it: false. */
  @Test
  void notPositiveDefiniteIsReportedLikeEjml() {
    Random rng = new Random(6);
    DMatrixRMaj a = randomSpd(130, rng);
    // Subtracting 2·(A's largest Gershgorin radius) from the diagonal makes A indefinite.
    double shift = 0;
    for (int i = 0; i < a.numRows; i++) {
      double row = 0;
      for (int j = 0; j < a.numCols; j++) row += Math.abs(a.get(i, j));
      shift = Math.max(shift, row);
    }
    for (int i = 0; i < a.numRows; i++) a.add(i, i, -shift);
    assertFalse(new CholeskyOuterSolver_MT_DDRB().setA(MatrixOps_DDRB.convert(a, 60)));
    assertFalse(BlockCholesky.factorLower(MatrixOps_DDRB.convert(a, 60)));
    // Rank deficient in the last block: a zero pivot there.
    DMatrixRMaj g = new DMatrixRMaj(130, 129);
    for (int i = 0; i < g.data.length; i++) g.data[i] = rng.nextGaussian();
    DMatrixRMaj singular = new DMatrixRMaj(130, 130);
    CommonOps_DDRM.multTransB(g, g, singular);
    for (int i = 0; i < 130; i++) singular.add(i, i, -1e-6);
    assertFalse(new CholeskyOuterSolver_MT_DDRB().setA(MatrixOps_DDRB.convert(singular, 60)));
    assertFalse(BlockCholesky.factorLower(MatrixOps_DDRB.convert(singular, 60)));
  }

  /**
   * The kernel ridge fit keeps its message: a linear kernel on centred rows is singular, so a
   * negative λ makes K + λI indefinite.
   */
  @Test
  void ridgeFitReportsAnIndefiniteKernel() {
    Random rng = new Random(7);
    DMatrixRMaj x = new DMatrixRMaj(20, 40); // n ≤ d: the dual (kernel) path
    for (int i = 0; i < x.data.length; i++) x.data[i] = rng.nextGaussian();
    DMatrixRMaj y = new DMatrixRMaj(20, 3);
    for (int i = 0; i < y.data.length; i++) y.data[i] = rng.nextGaussian();
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> Ridge.fit(x, y, new Ridge.Params(Ridge.Kernel.LINEAR, -1e-3, 0)));
    assertEquals("kernel matrix is not positive definite", e.getMessage());
  }
}
