package nla.study;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import nla.core.Metrics;
import nla.linalg.Ridge;
import org.ejml.data.DMatrixRMaj;

/**
 * How §8 uses ridge fits: each fit's λ (and γ for RBF) chosen by k-fold cross-validation over a
 * default grid, scored by the contract's FVE, and the FVE-against-n curve extrapolated to the n at
 * which the fit would match the text route.
 */
public final class RidgeScaling {
  private RidgeScaling() {}

  /**
   * FVE as the contract scores it (§5): predictions and gold rows normalised to one norm, divided
   * by the gold set's predict-the-mean variance ({@link Metrics#fveOfSet}). The norm cancels in the
   * ratio, so unit norm is used.
   */
  public static double fveNormalised(DMatrixRMaj pred, DMatrixRMaj gold) {
    return Metrics.fveOfSet(Ridge.unitRows(pred).data, Ridge.unitRows(gold).data, gold.numCols);
  }

  /** The CV grid's outcome: each candidate's mean held-out FVE, and the best one. */
  public record CvResult(List<Ridge.Params> candidates, double[] meanFve, Ridge.Params best) {}

  /**
   * k-fold cross-validation over the candidates, scoring held-out {@link #fveNormalised}. At most
   * {@code maxRows} rows (a seeded random subset) take part, so CV at n = 20,000 costs k solves of
   * a smaller system rather than k of the full one; the final model is then fitted on all rows.
   */
  public static CvResult crossValidate(
      DMatrixRMaj x,
      DMatrixRMaj y,
      List<Ridge.Params> candidates,
      int folds,
      int maxRows,
      long seed) {
    int n = Math.min(x.numRows, maxRows);
    int[] order = permutation(x.numRows, seed);
    double[] score = new double[candidates.size()];
    for (int f = 0; f < folds; f++) {
      List<Integer> train = new ArrayList<>();
      List<Integer> test = new ArrayList<>();
      for (int i = 0; i < n; i++) (i % folds == f ? test : train).add(order[i]);
      DMatrixRMaj xTr = Ridge.rows(x, train);
      DMatrixRMaj yTr = Ridge.rows(y, train);
      DMatrixRMaj xTe = Ridge.rows(x, test);
      DMatrixRMaj yTe = Ridge.rows(y, test);
      for (int c = 0; c < candidates.size(); c++)
        score[c] += fveNormalised(Ridge.fit(xTr, yTr, candidates.get(c)).predict(xTe), yTe) / folds;
    }
    int best = 0;
    for (int c = 1; c < score.length; c++) if (score[c] > score[best]) best = c;
    return new CvResult(List.copyOf(candidates), score, candidates.get(best));
  }

  /**
   * The default grid: λ over decades; for RBF, γ around the median heuristic (γ₀ = 1/median squared
   * distance; unit vectors' squared distances are 2 − 2cos).
   */
  public static List<Ridge.Params> defaultGrid(Ridge.Kernel kernel, DMatrixRMaj unitX, long seed) {
    double[] lambdas = {1e-3, 1e-2, 1e-1, 1, 10};
    List<Ridge.Params> out = new ArrayList<>();
    if (kernel == Ridge.Kernel.LINEAR) {
      for (double l : lambdas) out.add(new Ridge.Params(kernel, l, 0));
      return out;
    }
    double g0 = 1 / medianSquaredDistance(unitX, seed);
    for (double l : lambdas)
      for (double gm : new double[] {0.5, 1, 2}) out.add(new Ridge.Params(kernel, l, g0 * gm));
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

  private static int[] permutation(int n, long seed) {
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

  /** One point of the n-scaling curve. */
  public record ScalingPoint(int n, Ridge.Params chosen, double fve) {}

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
