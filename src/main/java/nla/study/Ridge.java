package nla.study;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
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
 * §8, the linear baseline: ridge and kernel ridge regression from one vector space to another (EJML
 * does the linear algebra). Inputs and targets are unit-normalised rows; targets are centred (the
 * fit predicts the training mean plus a correction), linear inputs too.
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

  /**
   * FVE as the contract scores it (§5): predictions and gold rows normalised to one norm, mse over
   * rows and dims, divided by the gold set's predict-the-mean variance. The norm cancels in the
   * ratio, so unit norm is used.
   */
  public static double fveNormalised(DMatrixRMaj pred, DMatrixRMaj gold) {
    DMatrixRMaj p = unitRows(pred);
    DMatrixRMaj g = unitRows(gold);
    DMatrixRMaj mean = columnMeans(g);
    double mse = 0;
    double var = 0;
    int d = g.numCols;
    for (int i = 0; i < g.numRows; i++)
      for (int j = 0; j < d; j++) {
        double e = p.data[i * d + j] - g.data[i * d + j];
        double c = g.data[i * d + j] - mean.data[j];
        mse += e * e;
        var += c * c;
      }
    return 1 - mse / var;
  }

  /** Plain FVE without normalisation: 1 − Σ(ŷ−y)² / Σ(y−ȳ)². */
  public static double fve(DMatrixRMaj pred, DMatrixRMaj gold) {
    DMatrixRMaj mean = columnMeans(gold);
    double mse = 0;
    double var = 0;
    int d = gold.numCols;
    for (int i = 0; i < gold.numRows; i++)
      for (int j = 0; j < d; j++) {
        double e = pred.data[i * d + j] - gold.data[i * d + j];
        double c = gold.data[i * d + j] - mean.data[j];
        mse += e * e;
        var += c * c;
      }
    return 1 - mse / var;
  }

  /** The CV grid's outcome: each candidate's mean held-out FVE, and the best one. */
  public record CvResult(List<Params> candidates, double[] meanFve, Params best) {}

  /**
   * k-fold cross-validation over the candidates, scoring held-out {@link #fveNormalised}. At most
   * {@code maxRows} rows (a seeded random subset) take part, so CV at n = 20,000 costs k solves of
   * a smaller system rather than k of the full one; the final model is then fitted on all rows.
   */
  public static CvResult crossValidate(
      DMatrixRMaj x, DMatrixRMaj y, List<Params> candidates, int folds, int maxRows, long seed) {
    int n = Math.min(x.numRows, maxRows);
    int[] order = permutation(x.numRows, seed);
    double[] score = new double[candidates.size()];
    for (int f = 0; f < folds; f++) {
      List<Integer> train = new ArrayList<>();
      List<Integer> test = new ArrayList<>();
      for (int i = 0; i < n; i++) (i % folds == f ? test : train).add(order[i]);
      DMatrixRMaj xTr = rows(x, train);
      DMatrixRMaj yTr = rows(y, train);
      DMatrixRMaj xTe = rows(x, test);
      DMatrixRMaj yTe = rows(y, test);
      for (int c = 0; c < candidates.size(); c++)
        score[c] += fveNormalised(fit(xTr, yTr, candidates.get(c)).predict(xTe), yTe) / folds;
    }
    int best = 0;
    for (int c = 1; c < score.length; c++) if (score[c] > score[best]) best = c;
    return new CvResult(List.copyOf(candidates), score, candidates.get(best));
  }

  /**
   * The default grid: λ over decades; for RBF, γ around the median heuristic (γ₀ = 1/median squared
   * distance; unit vectors' squared distances are 2 − 2cos).
   */
  public static List<Params> defaultGrid(Kernel kernel, DMatrixRMaj unitX, long seed) {
    double[] lambdas = {1e-3, 1e-2, 1e-1, 1, 10};
    List<Params> out = new ArrayList<>();
    if (kernel == Kernel.LINEAR) {
      for (double l : lambdas) out.add(new Params(kernel, l, 0));
      return out;
    }
    double g0 = 1 / medianSquaredDistance(unitX, seed);
    for (double l : lambdas)
      for (double gm : new double[] {0.5, 1, 2}) out.add(new Params(kernel, l, g0 * gm));
    return out;
  }

  private static double medianSquaredDistance(DMatrixRMaj unitX, long seed) {
    Random rng = new Random(seed);
    int pairs = Math.min(2000, unitX.numRows * (unitX.numRows - 1) / 2);
    double[] d2 = new double[pairs];
    int d = unitX.numCols;
    for (int k = 0; k < pairs; k++) {
      int a = rng.nextInt(unitX.numRows);
      int b = rng.nextInt(unitX.numRows - 1);
      if (b >= a) b++;
      double s = 0;
      for (int j = 0; j < d; j++) {
        double e = unitX.data[a * d + j] - unitX.data[b * d + j];
        s += e * e;
      }
      d2[k] = s;
    }
    double m = Stats.median(d2);
    return m > 0 ? m : 1;
  }

  static int[] permutation(int n, long seed) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) p[i] = i;
    Random rng = new Random(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
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

  /** One point of the n-scaling curve. */
  public record ScalingPoint(int n, Params chosen, double fve) {}

  /** The n at which a log-linear fit through the curve reaches {@code target}. */
  public record Crossover(Stats.Line fveVsLog10N, double target, double log10N, boolean reachable) {
    public double n() {
      return reachable ? Math.pow(10, log10N) : Double.POSITIVE_INFINITY;
    }
  }

  /**
   * Fits FVE = a + b·log10(n) through the last {@code lastPoints} points of the curve (the gains
   * decelerate, so the tail is the honest slope) and solves for the n reaching {@code target}. With
   * a non-positive slope the target is never reached.
   */
  public static Crossover crossover(List<ScalingPoint> curve, double target, int lastPoints) {
    List<ScalingPoint> tail = curve.subList(Math.max(0, curve.size() - lastPoints), curve.size());
    double[] lx = tail.stream().mapToDouble(p -> Math.log10(p.n())).toArray();
    double[] f = tail.stream().mapToDouble(ScalingPoint::fve).toArray();
    Stats.Line line = Stats.fitLine(lx, f);
    if (line.slope() <= 0) return new Crossover(line, target, Double.POSITIVE_INFINITY, false);
    return new Crossover(line, target, (target - line.intercept()) / line.slope(), true);
  }
}
