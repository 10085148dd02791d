package nla.linalg;

import java.util.stream.IntStream;
import org.ejml.data.DMatrixRBlock;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * All dot products between the rows of two row-major double matrices (C = A·Bᵀ): the kernel ridge
 * fit's Gram matrix, its prediction's cross-kernel and (columns made rows) its final ZᵀY. EJML's
 * general product spent most of a §8 fit on these; this one exploits their shape (both operands are
 * read along rows, contiguous), the symmetry of A·Aᵀ (one triangle computed, then mirrored), the
 * Vector API and all cores.
 *
 * <p>Work is split into {@value #TILE}×{@value #TILE} output tiles (one task each) and, inside a
 * tile, into chunks of {@value #CHUNK} columns of the operands, so the two row panels a chunk reads
 * (2 × 64 rows × 4 KB) stay in L2 while 4×4 register tiles ({@link Tile4x4}) sweep them.
 * Accumulation is in double, like EJML's: each lane sums its share of a chunk, the lanes are summed
 * in a fixed order, and the chunks are summed in order. The result differs from EJML's only by
 * rounding (the order of the additions), and is the same for every run and thread count.
 */
final class DotProducts {
  private DotProducts() {}

  static final int TILE = 64;
  private static final int CHUNK =
      512; // a multiple of every lane count, so only the last chunk has a tail

  /** Where a tile's values go: row-major, or EJML's block layout (the Cholesky solver's). */
  private interface Target {
    int index(int i, int j);
  }

  /** C = A·Bᵀ, row-major. */
  static DMatrixRMaj multTransB(DMatrixRMaj a, DMatrixRMaj b) {
    DMatrixRMaj c = new DMatrixRMaj(a.numRows, b.numRows);
    product(a, b, false, c.data, (i, j) -> i * c.numCols + j);
    return c;
  }

  /** C = A·Bᵀ in block layout with EJML's block width {@code block}. */
  static DMatrixRBlock multTransBBlock(DMatrixRMaj a, DMatrixRMaj b, int block) {
    DMatrixRBlock c = new DMatrixRBlock(a.numRows, b.numRows, block);
    product(a, b, false, c.data, blockIndex(c));
    return c;
  }

  /** K = A·Aᵀ in block layout: the lower triangle is computed and mirrored, so K is symmetric. */
  static DMatrixRBlock gramBlock(DMatrixRMaj a, int block) {
    DMatrixRBlock c = new DMatrixRBlock(a.numRows, a.numRows, block);
    product(a, a, true, c.data, blockIndex(c));
    return c;
  }

  /**
   * C = Aᵀ·B for tall A (n×m) and B (n×d), e.g. the kernel ridge prediction ZᵀY: the columns of
   * both become rows by transposing, B {@value #CHUNK} columns at a time (a whole transposed copy
   * of B would double its memory, 860 MB at n = 20,000, d = 5,376).
   */
  static DMatrixRMaj multTransA(DMatrixRMaj a, DMatrixRMaj b) {
    if (a.numRows != b.numRows)
      throw new IllegalArgumentException(a.numRows + " rows against " + b.numRows);
    DMatrixRMaj at = CommonOps_DDRM.transpose(a, null);
    DMatrixRMaj c = new DMatrixRMaj(a.numCols, b.numCols);
    for (int c0 = 0; c0 < b.numCols; c0 += CHUNK) {
      int first = c0;
      int last = Math.min(b.numCols, c0 + CHUNK);
      DMatrixRMaj bt =
          CommonOps_DDRM.transpose(CommonOps_DDRM.extract(b, 0, b.numRows, first, last), null);
      product(at, bt, false, c.data, (i, j) -> i * c.numCols + first + j);
    }
    return c;
  }

  /**
   * The offset of (i, j) in EJML's block layout: block rows of full width, each block row-major.
   */
  private static Target blockIndex(DMatrixRBlock c) {
    int bw = c.blockLength;
    int rows = c.numRows;
    int cols = c.numCols;
    return (i, j) -> {
      int r0 = i - i % bw;
      int c0 = j - j % bw;
      int h = Math.min(bw, rows - r0);
      int w = Math.min(bw, cols - c0);
      return r0 * cols + h * c0 + (i - r0) * w + (j - c0);
    };
  }

  private static void product(
      DMatrixRMaj a, DMatrixRMaj b, boolean symmetric, double[] out, Target target) {
    if (a.numCols != b.numCols)
      throw new IllegalArgumentException(a.numCols + " columns against " + b.numCols);
    int tilesI = (a.numRows + TILE - 1) / TILE;
    int tilesJ = (b.numRows + TILE - 1) / TILE;
    // Tasks in row-major tile order; for A·Aᵀ only tiles on or below the diagonal (tj ≤ ti).
    int[] taskI;
    int[] taskJ;
    if (symmetric) {
      int count = tilesI * (tilesI + 1) / 2;
      taskI = new int[count];
      taskJ = new int[count];
      for (int ti = 0, t = 0; ti < tilesI; ti++)
        for (int tj = 0; tj <= ti; tj++, t++) {
          taskI[t] = ti;
          taskJ[t] = tj;
        }
    } else {
      taskI = new int[tilesI * tilesJ];
      taskJ = new int[tilesI * tilesJ];
      for (int t = 0; t < taskI.length; t++) {
        taskI[t] = t / tilesJ;
        taskJ[t] = t % tilesJ;
      }
    }
    IntStream.range(0, taskI.length)
        .parallel()
        .forEach(
            t -> {
              double[] tile = new double[TILE * TILE];
              int i0 = taskI[t] * TILE;
              int j0 = taskJ[t] * TILE;
              int iEnd = Math.min(a.numRows, i0 + TILE);
              int jEnd = Math.min(b.numRows, j0 + TILE);
              tile(a, b, i0, iEnd, j0, jEnd, symmetric && i0 == j0, tile);
              for (int i = i0; i < iEnd; i++)
                for (int j = j0; j < jEnd; j++) {
                  if (symmetric && j > i) break;
                  double v = tile[(i - i0) * TILE + (j - j0)];
                  out[target.index(i, j)] = v;
                  if (symmetric) out[target.index(j, i)] = v;
                }
            });
  }

  /**
   * Fills {@code tile[(i − i0)·TILE + (j − j0)]} with a_i·b_j. On a diagonal tile of A·Aᵀ only the
   * 4×4 blocks on or below the diagonal are computed. Rows past the end are clamped to the last row
   * (computed, never stored).
   */
  private static void tile(
      DMatrixRMaj a,
      DMatrixRMaj b,
      int i0,
      int iEnd,
      int j0,
      int jEnd,
      boolean diagonal,
      double[] tile) {
    int d = a.numCols;
    double[] acc = new double[16];
    for (int k0 = 0; k0 < d; k0 += CHUNK) {
      int k1 = Math.min(d, k0 + CHUNK);
      for (int i = i0; i < iEnd; i += 4)
        for (int j = j0; j < jEnd; j += 4) {
          if (diagonal && j > i) break;
          Tile4x4.dot(
              a.data,
              rowOffsets(i, iEnd, d, k0),
              0,
              b.data,
              rowOffsets(j, jEnd, d, k0),
              0,
              1,
              k1 - k0,
              acc);
          for (int r = 0; r < 4 && i + r < iEnd; r++)
            for (int c = 0; c < 4 && j + c < jEnd; c++)
              tile[(i + r - i0) * TILE + (j + c - j0)] += acc[r * 4 + c];
        }
    }
  }

  /** Where column {@code k0} of rows first..first+3 starts (rows past the end clamped). */
  private static int[] rowOffsets(int first, int end, int d, int k0) {
    return new int[] {
      first * d + k0,
      Math.min(first + 1, end - 1) * d + k0,
      Math.min(first + 2, end - 1) * d + k0,
      Math.min(first + 3, end - 1) * d + k0
    };
  }
}
