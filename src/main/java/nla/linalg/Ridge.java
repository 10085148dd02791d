package nla.linalg;

import java.util.List;
import java.util.stream.IntStream;
import org.ejml.data.DMatrixRBlock;
import org.ejml.data.DMatrixRMaj;
import org.ejml.data.DSubmatrixD1;
import org.ejml.dense.block.MatrixOps_DDRB;
import org.ejml.dense.block.TriangularSolver_DDRB;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.CommonOps_MT_DDRM;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.linsol.LinearSolverDense;

/**
 * Ridge and kernel ridge regression from one vector space to another (the §8 linear baseline; EJML
 * does most of the linear algebra). Inputs and targets are unit-normalised rows; targets are
 * centred (the fit predicts the training mean plus a correction), linear inputs too.
 *
 * <p>Kernel ridge solves (K + λI)α = Y − ȳ with a blocked, multi-threaded Cholesky ({@link
 * BlockCholesky}: Vector API, all cores, in place) on the n×n kernel built in place in block
 * layout, so memory is one n×n double matrix (3.2 GB at n = 20,000) plus the data. The linear
 * kernel uses the primal form (d×d) when n > d: same predictions, less work. The kernel and the
 * prediction's cross-kernel are dot products of rows ({@link DotProducts}: Vector API, all cores,
 * one triangle of the symmetric kernel); the prediction's triangular solves run one range of
 * right-hand-side columns per core ({@link #solveInPlace}).
 */
public final class Ridge {
  private Ridge() {}

  public enum Kernel {
    LINEAR,
    RBF
  }

  /** Hyper-parameters: the kernel, λ, and γ for RBF (k(x,y) = exp(−γ‖x−y‖²)). */
  public record Params(Kernel kernel, double lambda, double gamma) {}

  /** A fitted model that maps input rows to predicted target rows. */
  public interface Model {
    DMatrixRMaj predict(DMatrixRMaj x);
  }

  /** Row-wise L2 normalisation (a zero row stays zero). */
  public static DMatrixRMaj unitRows(DMatrixRMaj m) {
    DMatrixRMaj out = m.copy();
    int d = m.numCols;
    for (int i = 0; i < m.numRows; i++) {
      double s = 0;
      for (int j = 0; j < d; j++) s += out.data[i * d + j] * out.data[i * d + j];
      double inv = s == 0 ? 0 : 1 / Math.sqrt(s);
      for (int j = 0; j < d; j++) out.data[i * d + j] *= inv;
    }
    return out;
  }

  public static DMatrixRMaj matrix(List<float[]> rows) {
    DMatrixRMaj m = new DMatrixRMaj(rows.size(), rows.isEmpty() ? 0 : rows.get(0).length);
    for (int i = 0; i < rows.size(); i++)
      for (int j = 0; j < m.numCols; j++) m.data[i * m.numCols + j] = rows.get(i)[j];
    return m;
  }

  public static Model fit(DMatrixRMaj x, DMatrixRMaj y, Params p) {
    return p.kernel == Kernel.LINEAR && x.numRows > x.numCols
        ? fitPrimal(x, y, p.lambda)
        : fitDual(x, y, p);
  }

  private static DMatrixRMaj columnMeans(DMatrixRMaj m) {
    DMatrixRMaj mean = new DMatrixRMaj(1, m.numCols);
    CommonOps_DDRM.sumCols(m, mean);
    CommonOps_DDRM.scale(1.0 / m.numRows, mean);
    return mean;
  }

  private static DMatrixRMaj minusRow(DMatrixRMaj m, DMatrixRMaj row) {
    DMatrixRMaj out = m.copy();
    for (int i = 0; i < m.numRows; i++)
      for (int j = 0; j < m.numCols; j++) out.data[i * m.numCols + j] -= row.data[j];
    return out;
  }

  private static DMatrixRMaj plusRow(DMatrixRMaj m, DMatrixRMaj row) {
    for (int i = 0; i < m.numRows; i++)
      for (int j = 0; j < m.numCols; j++) m.data[i * m.numCols + j] += row.data[j];
    return m;
  }

  /** W = (XcᵀXc + λI)⁻¹ XcᵀYc; ŷ = (x − x̄)W + ȳ. */
  private static Model fitPrimal(DMatrixRMaj x, DMatrixRMaj y, double lambda) {
    DMatrixRMaj xMean = columnMeans(x);
    DMatrixRMaj yMean = columnMeans(y);
    DMatrixRMaj xc = minusRow(x, xMean);
    DMatrixRMaj yc = minusRow(y, yMean);
    int d = x.numCols;
    DMatrixRMaj gram = new DMatrixRMaj(d, d);
    CommonOps_MT_DDRM.multTransA(xc, xc, gram);
    for (int i = 0; i < d; i++) gram.add(i, i, lambda);
    DMatrixRMaj xty = new DMatrixRMaj(d, y.numCols);
    CommonOps_MT_DDRM.multTransA(xc, yc, xty);
    LinearSolverDense<DMatrixRMaj> solver = LinearSolverFactory_DDRM.symmPosDef(d);
    if (!solver.setA(gram))
      throw new IllegalStateException("ridge Gram matrix is not positive definite");
    DMatrixRMaj w = new DMatrixRMaj(d, y.numCols);
    solver.solve(xty, w);
    return xNew -> {
      DMatrixRMaj out = new DMatrixRMaj(xNew.numRows, w.numCols);
      CommonOps_MT_DDRM.mult(minusRow(xNew, xMean), w, out);
      return plusRow(out, yMean);
    };
  }

  /**
   * Kernel ridge: ŷ = k(x, X) (K + λI)⁻¹ (Y − ȳ) + ȳ. Linear inputs are centred as in the primal
   * form. The fit factors K + λI (Cholesky, in place); a prediction solves against k(x, X)ᵀ — m
   * right-hand sides for m query rows — instead of against Y's d columns: at n = 20,000 with d =
   * 5,376 and a 1,000-row eval set that is five times fewer triangular solves.
   */
  /**
   * The kernel fit's block width (the Cholesky's and the solves' tile). 64, not EJML's default 60:
   * {@link BlockCholesky} reads rows of a block as whole vectors, and 60 left a scalar tail on
   * AVX-512 (8 doubles a vector), costing 40% more factorisation time at n = 8,000.
   */
  static volatile int kernelBlockWidth = 64;

  private static Model fitDual(DMatrixRMaj x, DMatrixRMaj y, Params p) {
    DMatrixRMaj yMean = columnMeans(y);
    // RBF on unit vectors needs no centring: use X as given rather than a centred copy (at n =
    // 20,000, d = 5,376 every copy is 860 MB).
    DMatrixRMaj xMean = p.kernel == Kernel.LINEAR ? columnMeans(x) : null;
    DMatrixRMaj xTrain = xMean == null ? x : minusRow(x, xMean);
    int block = kernelBlockWidth;
    // Built straight into the solver's block layout, one triangle then mirrored (DotProducts).
    DMatrixRBlock k = DotProducts.gramBlock(xTrain, block);
    if (p.kernel == Kernel.RBF) rbfFromDots(k.data, 1.0, 1.0, p.gamma);
    for (int i = 0; i < x.numRows; i++) k.set(i, i, k.get(i, i) + p.lambda);
    phase("kernel built");
    // In place: k becomes L, lower triangle, LLᵀ = K + λI.
    if (!BlockCholesky.factorLower(k))
      throw new IllegalStateException("kernel matrix is not positive definite");
    DMatrixRBlock factor = k;
    phase("kernel factored");
    return xNew -> {
      // k(X, x)ᵀ = X·xᵀ: the n×m right-hand sides, built straight into block layout.
      DMatrixRBlock rhs =
          DotProducts.multTransBBlock(xTrain, xMean == null ? xNew : minusRow(xNew, xMean), block);
      if (p.kernel == Kernel.RBF) rbfFromDots(rhs.data, 1.0, 1.0, p.gamma);
      phase("cross kernel built");
      solveInPlace(factor, rhs);
      DMatrixRMaj z = MatrixOps_DDRB.convert(rhs, (DMatrixRMaj) null);
      phase("solved for " + xNew.numRows + " query rows");
      // Zᵀ(Y − 1ȳᵀ) + ȳ = ZᵀY − (Zᵀ1)ȳᵀ + ȳ, without a centred copy of Y.
      DMatrixRMaj out = DotProducts.multTransA(z, y);
      DMatrixRMaj zSum = new DMatrixRMaj(1, z.numCols);
      CommonOps_DDRM.sumCols(z, zSum);
      for (int i = 0; i < out.numRows; i++) {
        double w = 1 - zSum.data[i];
        for (int j = 0; j < out.numCols; j++) out.data[i * out.numCols + j] += w * yMean.data[j];
      }
      return out;
    };
  }

  /**
   * B ← (LLᵀ)⁻¹B for the factor L, splitting B's columns into one block-aligned range per core. The
   * columns are independent systems. EJML's multi-threaded triangular solve (what {@code
   * CholeskyOuterSolver_MT_DDRB.solve} runs) parallelises only within one block row × block column
   * update at a time, which at n in the thousands kept one core busy; a range per core keeps all
   * busy and reads L once per range.
   */
  static void solveInPlace(DMatrixRBlock factor, DMatrixRBlock b) {
    int bw = b.blockLength;
    int n = b.numRows;
    int colBlocks = (b.numCols + bw - 1) / bw;
    int ranges = Math.max(1, Math.min(colBlocks, Runtime.getRuntime().availableProcessors()));
    IntStream.range(0, ranges)
        .parallel()
        .forEach(
            r -> {
              int col0 = colBlocks * r / ranges * bw;
              int col1 = Math.min(b.numCols, colBlocks * (r + 1) / ranges * bw);
              DSubmatrixD1 l = new DSubmatrixD1(factor, 0, n, 0, n);
              DSubmatrixD1 cols = new DSubmatrixD1(b, 0, n, col0, col1);
              TriangularSolver_DDRB.solve(bw, false, l, cols, false); // L y = b
              TriangularSolver_DDRB.solve(bw, false, l, cols, true); // Lᵀ z = y
            });
  }

  /** Receives phase names of long kernel fits (the benchmark times them); null = silent. */
  static volatile java.util.function.Consumer<String> phaseLog;

  private static void phase(String what) {
    var log = phaseLog;
    if (log != null) log.accept(what);
  }

  /**
   * Turns dot products of unit vectors into RBF kernel values in place: ‖x−y‖² = ‖x‖² + ‖y‖² −
   * 2x·y, with both norms 1. Works in any layout because it is elementwise.
   */
  private static void rbfFromDots(double[] dots, double nx, double ny, double gamma) {
    for (int i = 0; i < dots.length; i++) {
      double sq = Math.max(0, nx + ny - 2 * dots[i]);
      dots[i] = Math.exp(-gamma * sq);
    }
  }

  public static DMatrixRMaj rows(DMatrixRMaj m, List<Integer> idx) {
    DMatrixRMaj out = new DMatrixRMaj(idx.size(), m.numCols);
    for (int r = 0; r < idx.size(); r++)
      System.arraycopy(m.data, idx.get(r) * m.numCols, out.data, r * m.numCols, m.numCols);
    return out;
  }

  public static DMatrixRMaj firstRows(DMatrixRMaj m, int n) {
    DMatrixRMaj out = new DMatrixRMaj(n, m.numCols);
    System.arraycopy(m.data, 0, out.data, 0, n * m.numCols);
    return out;
  }
}
