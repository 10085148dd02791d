package nla.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.ejml.data.DMatrixRBlock;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

/** The Vector API products against EJML's plain row-major A·Bᵀ. */
class DotProductsTest {
  private static DMatrixRMaj random(int rows, int cols, Random rng) {
    DMatrixRMaj m = new DMatrixRMaj(rows, cols);
    for (int i = 0; i < m.data.length; i++) m.data[i] = rng.nextGaussian();
    return m;
  }

  private static DMatrixRMaj ejml(DMatrixRMaj a, DMatrixRMaj b) {
    DMatrixRMaj c = new DMatrixRMaj(a.numRows, b.numRows);
    CommonOps_DDRM.multTransB(a, b, c);
    return c;
  }

  private static double rowNorm(DMatrixRMaj m, int i) {
    double s = 0;
    for (int k = 0; k < m.numCols; k++) s += m.get(i, k) * m.get(i, k);
    return Math.sqrt(s);
  }

  /**
   * Entry (i, j) may differ from EJML's only by the rounding of a different summation order: far
   * below 1e-12 of ‖a_i‖‖b_j‖ (the scale of the terms summed; a dot near 0 is no exception).
   */
  private static void assertMatches(DMatrixRMaj expected, DMatrixRMaj a, DMatrixRMaj b, Got got) {
    for (int i = 0; i < expected.numRows; i++)
      for (int j = 0; j < expected.numCols; j++) {
        double scale = rowNorm(a, i) * rowNorm(b, j);
        double diff = Math.abs(got.get(i, j) - expected.get(i, j));
        assertTrue(
            diff <= 1e-12 * scale,
            "(" + i + ", " + j + "): " + got.get(i, j) + " vs EJML " + expected.get(i, j));
      }
  }

  private interface Got {
    double get(int i, int j);
  }

  // Shapes: row counts off the 4-row register blocks and the 64-row tiles, widths off the lane
  // count, below one 512-column chunk, and across several chunks with a tail.
  private static final int[][] SHAPES = {
    {1, 1, 1}, {3, 5, 7}, {67, 45, 131}, {130, 129, 1100}, {64, 64, 512}, {200, 70, 896}
  };

  @Test
  void multTransBMatchesEjml() {
    Random rng = new Random(3);
    for (int[] s : SHAPES) {
      DMatrixRMaj a = random(s[0], s[2], rng);
      DMatrixRMaj b = random(s[1], s[2], rng);
      DMatrixRMaj got = DotProducts.multTransB(a, b);
      assertEquals(s[0], got.numRows);
      assertEquals(s[1], got.numCols);
      assertMatches(ejml(a, b), a, b, got::get);
    }
  }

  @Test
  void multTransAMatchesEjml() {
    Random rng = new Random(5);
    // (n, m, d): widths below, at and across the 512-column chunks of B.
    for (int[] s : new int[][] {{1, 1, 1}, {37, 5, 9}, {130, 70, 512}, {90, 66, 1100}}) {
      DMatrixRMaj a = random(s[0], s[1], rng);
      DMatrixRMaj b = random(s[0], s[2], rng);
      DMatrixRMaj expected = new DMatrixRMaj(s[1], s[2]);
      CommonOps_DDRM.multTransA(a, b, expected);
      DMatrixRMaj got = DotProducts.multTransA(a, b);
      DMatrixRMaj at = CommonOps_DDRM.transpose(a, null);
      DMatrixRMaj bt = CommonOps_DDRM.transpose(b, null);
      assertMatches(expected, at, bt, got::get);
    }
  }

  @Test
  void blockLayoutProductsMatchEjml() {
    Random rng = new Random(4);
    for (int[] s : SHAPES)
      for (int block : new int[] {60, 7}) {
        DMatrixRMaj a = random(s[0], s[2], rng);
        DMatrixRMaj b = random(s[1], s[2], rng);
        DMatrixRBlock cross = DotProducts.multTransBBlock(a, b, block);
        assertEquals(block, cross.blockLength);
        assertMatches(ejml(a, b), a, b, cross::get);
        DMatrixRBlock gram = DotProducts.gramBlock(a, block);
        assertMatches(ejml(a, a), a, a, gram::get);
        for (int i = 0; i < a.numRows; i++)
          for (int j = 0; j < i; j++) assertEquals(gram.get(i, j), gram.get(j, i), 0.0);
      }
  }

  @Test
  void sameResultOnEveryCall() {
    DMatrixRMaj a = random(150, 600, new Random(9));
    DMatrixRBlock first = DotProducts.gramBlock(a, 60);
    for (int run = 0; run < 3; run++)
      org.junit.jupiter.api.Assertions.assertArrayEquals(
          first.data, DotProducts.gramBlock(a, 60).data, 0.0);
  }
}
