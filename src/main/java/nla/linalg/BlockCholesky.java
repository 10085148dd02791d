package nla.linalg;

import java.util.stream.IntStream;
import org.ejml.data.DMatrixRBlock;

/**
 * In-place Cholesky factorisation A = LLᵀ of a symmetric positive definite matrix in EJML's block
 * layout ({@link DMatrixRBlock}), for the kernel ridge fit. It replaces EJML's {@code
 * CholeskyOuterSolver_MT_DDRB}, which at n = 20,000 was the largest phase of the fit, and needs no
 * second n×n matrix (EJML's {@code getT} copies the factor).
 *
 * <p>Left-looking by block columns: for block column J, first every block (I, J) with I ≥ J has the
 * products of the already factored columns subtracted, A_IJ −= Σ_{K<J} L_IK L_JKᵀ (almost all of
 * the work), then the diagonal block is factored unblocked and the blocks below it are solved
 * against it. In block layout row r of block (I, K) is {@code blockLength} contiguous doubles, so
 * each entry of the update is a dot product of two rows, read block after block: 4×4 register tiles
 * of Vector API dot products ({@link Tile4x4}, as in {@link DotProducts}), over chunks of {@value
 * #CHUNK_COLUMNS} columns so the two row panels a chunk reads stay in L2. Block rows I run one per
 * task on all cores.
 *
 * <p>Every output entry is computed by one task in a fixed order (lanes summed in a fixed tree,
 * chunks in order), so the factor is the same on every run and for any thread count; it differs
 * from EJML's only by rounding.
 */
final class BlockCholesky {
  private BlockCholesky() {}

  /** About how many columns of the factored panels one chunk of the update reads. */
  private static final int CHUNK_COLUMNS = 1024;

  /**
   * Overwrites the lower triangle of {@code a} with L (LLᵀ = A) and zeroes the upper triangle, as
   * EJML's {@code getT} returns it. Reads only the lower triangle. Returns false when A is not
   * positive definite (a pivot is not positive); {@code a} then holds partial results.
   */
  static boolean factorLower(DMatrixRBlock a) {
    if (a.numRows != a.numCols)
      throw new IllegalArgumentException(a.numRows + "×" + a.numCols + " is not square");
    int n = a.numRows;
    int bw = a.blockLength;
    int blocks = (n + bw - 1) / bw;
    for (int jb = 0; jb < blocks; jb++) {
      int j = jb;
      updateBlock(a, j, j);
      if (!factorDiagonal(a, j)) return false;
      IntStream.range(j + 1, blocks)
          .parallel()
          .forEach(
              i -> {
                updateBlock(a, i, j);
                solveAgainstDiagonal(a, i, j);
              });
      zeroAbove(a, j);
    }
    return true;
  }

  /** The offset of block (I, K): block rows of full width, each block row-major. */
  private static int blockOffset(DMatrixRBlock a, int bi, int bk) {
    int bw = a.blockLength;
    int h = Math.min(bw, a.numRows - bi * bw);
    return bi * bw * a.numCols + h * bk * bw;
  }

  private static int size(DMatrixRBlock a, int b) {
    return Math.min(a.blockLength, a.numRows - b * a.blockLength);
  }

  /**
   * A_IJ −= Σ_{K<J} L_IK L_JKᵀ. Blocks K < J are full width (only the last block column is
   * narrower), so row r of L_IK is at {@code offset(I,0) + r·bw + K·h_I·bw}. On the diagonal block
   * only the 4×4 tiles touching the lower triangle are computed.
   */
  private static void updateBlock(DMatrixRBlock a, int bi, int bj) {
    if (bj == 0) return;
    double[] x = a.data;
    int bw = a.blockLength;
    int h = size(a, bi);
    int w = size(a, bj);
    int aBase = blockOffset(a, bi, 0);
    int bBase = blockOffset(a, bj, 0);
    int aStride = h * bw;
    int bStride = w * bw;
    int chunk = Math.max(1, CHUNK_COLUMNS / bw);
    double[] sum = new double[h * w];
    double[] acc = new double[16];
    int[] ao = new int[4];
    int[] bo = new int[4];
    boolean diagonal = bi == bj;
    for (int k0 = 0; k0 < bj; k0 += chunk) {
      int k1 = Math.min(bj, k0 + chunk);
      for (int r = 0; r < h; r += 4) {
        for (int q = 0; q < 4; q++) ao[q] = aBase + k0 * aStride + Math.min(r + q, h - 1) * bw;
        for (int c = 0; c < w; c += 4) {
          if (diagonal && c > r + 3) break;
          for (int q = 0; q < 4; q++) bo[q] = bBase + k0 * bStride + Math.min(c + q, w - 1) * bw;
          Tile4x4.dot(x, ao, aStride, x, bo, bStride, k1 - k0, bw, acc);
          for (int p = 0; p < 4 && r + p < h; p++)
            for (int q = 0; q < 4 && c + q < w; q++) sum[(r + p) * w + c + q] += acc[p * 4 + q];
        }
      }
    }
    int cOff = blockOffset(a, bi, bj);
    for (int i = 0; i < h * w; i++) x[cOff + i] -= sum[i];
  }

  /** The diagonal block, already updated, factored in place (unblocked, row by row). */
  private static boolean factorDiagonal(DMatrixRBlock a, int bj) {
    double[] x = a.data;
    int w = size(a, bj);
    int off = blockOffset(a, bj, bj);
    for (int i = 0; i < w; i++) {
      for (int j = 0; j < i; j++) {
        double s = x[off + i * w + j];
        for (int k = 0; k < j; k++) s -= x[off + i * w + k] * x[off + j * w + k];
        x[off + i * w + j] = s / x[off + j * w + j];
      }
      double d = x[off + i * w + i];
      for (int k = 0; k < i; k++) d -= x[off + i * w + k] * x[off + i * w + k];
      if (!(d > 0)) return false; // also NaN
      x[off + i * w + i] = Math.sqrt(d);
      for (int j = i + 1; j < w; j++) x[off + i * w + j] = 0;
    }
    return true;
  }

  /** L_IJ = A_IJ L_JJ⁻ᵀ: each row r solves L_JJ·l = a_r by forward substitution. */
  private static void solveAgainstDiagonal(DMatrixRBlock a, int bi, int bj) {
    double[] x = a.data;
    int h = size(a, bi);
    int w = size(a, bj);
    int off = blockOffset(a, bi, bj);
    int diag = blockOffset(a, bj, bj);
    for (int r = 0; r < h; r++) {
      int row = off + r * w;
      for (int c = 0; c < w; c++) {
        double s = x[row + c];
        for (int k = 0; k < c; k++) s -= x[diag + c * w + k] * x[row + k];
        x[row + c] = s / x[diag + c * w + c];
      }
    }
  }

  /** Zeroes blocks (I, J) for I < J: the upper triangle of L. */
  private static void zeroAbove(DMatrixRBlock a, int bj) {
    int w = size(a, bj);
    for (int bi = 0; bi < bj; bi++) {
      int off = blockOffset(a, bi, bj);
      java.util.Arrays.fill(a.data, off, off + size(a, bi) * w, 0);
    }
  }
}
