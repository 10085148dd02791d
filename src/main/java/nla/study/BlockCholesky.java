package nla.study;

import java.util.stream.IntStream;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;
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
 * of Vector API dot products, as in {@link DotProducts}, over chunks of {@value #CHUNK_COLUMNS}
 * columns so the two row panels a chunk reads stay in L2. Block rows I run one per task on all
 * cores.
 *
 * <p>Every output entry is computed by one task in a fixed order (lanes summed in a fixed tree,
 * chunks in order), so the factor is the same on every run and for any thread count; it differs
 * from EJML's only by rounding.
 */
final class BlockCholesky {
  private BlockCholesky() {}

  private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

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
          dot4x4(x, ao, aStride, bo, bStride, k1 - k0, bw, acc);
          for (int p = 0; p < 4 && r + p < h; p++)
            for (int q = 0; q < 4 && c + q < w; q++) sum[(r + p) * w + c + q] += acc[p * 4 + q];
        }
      }
    }
    int cOff = blockOffset(a, bi, bj);
    for (int i = 0; i < h * w; i++) x[cOff + i] -= sum[i];
  }

  /**
   * The 4×4 dot products of rows starting at {@code x[ao[p]]} and {@code x[bo[q]]}, each made of
   * {@code blocks} segments of {@code len} contiguous doubles, segment s at {@code + s·stride}:
   * {@code out[p·4 + q]}. Each loaded vector serves four products; 16 accumulators in registers.
   */
  private static void dot4x4(
      double[] x, int[] ao, int aStride, int[] bo, int bStride, int blocks, int len, double[] out) {
    DoubleVector s00 = DoubleVector.zero(D), s01 = s00, s02 = s00, s03 = s00;
    DoubleVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
    DoubleVector s20 = s00, s21 = s00, s22 = s00, s23 = s00;
    DoubleVector s30 = s00, s31 = s00, s32 = s00, s33 = s00;
    int vectorEnd = D.loopBound(len);
    for (int s = 0; s < blocks; s++) {
      int a0 = ao[0] + s * aStride, a1 = ao[1] + s * aStride;
      int a2 = ao[2] + s * aStride, a3 = ao[3] + s * aStride;
      int b0 = bo[0] + s * bStride, b1 = bo[1] + s * bStride;
      int b2 = bo[2] + s * bStride, b3 = bo[3] + s * bStride;
      for (int k = 0; k < vectorEnd; k += D.length()) {
        DoubleVector v0 = DoubleVector.fromArray(D, x, b0 + k);
        DoubleVector v1 = DoubleVector.fromArray(D, x, b1 + k);
        DoubleVector v2 = DoubleVector.fromArray(D, x, b2 + k);
        DoubleVector v3 = DoubleVector.fromArray(D, x, b3 + k);
        DoubleVector r = DoubleVector.fromArray(D, x, a0 + k);
        s00 = r.fma(v0, s00);
        s01 = r.fma(v1, s01);
        s02 = r.fma(v2, s02);
        s03 = r.fma(v3, s03);
        r = DoubleVector.fromArray(D, x, a1 + k);
        s10 = r.fma(v0, s10);
        s11 = r.fma(v1, s11);
        s12 = r.fma(v2, s12);
        s13 = r.fma(v3, s13);
        r = DoubleVector.fromArray(D, x, a2 + k);
        s20 = r.fma(v0, s20);
        s21 = r.fma(v1, s21);
        s22 = r.fma(v2, s22);
        s23 = r.fma(v3, s23);
        r = DoubleVector.fromArray(D, x, a3 + k);
        s30 = r.fma(v0, s30);
        s31 = r.fma(v1, s31);
        s32 = r.fma(v2, s32);
        s33 = r.fma(v3, s33);
      }
    }
    out[0] = DotProducts.sumLanes(s00);
    out[1] = DotProducts.sumLanes(s01);
    out[2] = DotProducts.sumLanes(s02);
    out[3] = DotProducts.sumLanes(s03);
    out[4] = DotProducts.sumLanes(s10);
    out[5] = DotProducts.sumLanes(s11);
    out[6] = DotProducts.sumLanes(s12);
    out[7] = DotProducts.sumLanes(s13);
    out[8] = DotProducts.sumLanes(s20);
    out[9] = DotProducts.sumLanes(s21);
    out[10] = DotProducts.sumLanes(s22);
    out[11] = DotProducts.sumLanes(s23);
    out[12] = DotProducts.sumLanes(s30);
    out[13] = DotProducts.sumLanes(s31);
    out[14] = DotProducts.sumLanes(s32);
    out[15] = DotProducts.sumLanes(s33);
    // A block width that is not a multiple of the lane count leaves a tail in every segment.
    if (vectorEnd < len)
      for (int p = 0; p < 4; p++)
        for (int q = 0; q < 4; q++) {
          double t = out[p * 4 + q];
          for (int s = 0; s < blocks; s++) {
            int ai = ao[p] + s * aStride;
            int bi = bo[q] + s * bStride;
            for (int k = vectorEnd; k < len; k++) t += x[ai + k] * x[bi + k];
          }
          out[p * 4 + q] = t;
        }
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
