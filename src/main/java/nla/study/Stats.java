package nla.study;

import java.util.Arrays;
import java.util.Random;

/**
 * Small statistics the studies share. Every random choice takes an explicit seed and uses {@link
 * java.util.Random}, whose sequence the Java specification fixes, so a seed means the same draws on
 * every JDK.
 */
public final class Stats {
  private Stats() {}

  public static double mean(double[] x) {
    if (x.length == 0) return Double.NaN;
    double s = 0;
    for (double v : x) s += v;
    return s / x.length;
  }

  /**
   * The q-quantile (0 ≤ q ≤ 1) with linear interpolation between order statistics, numpy's default
   * ("linear", type 7): position q·(n−1) in the sorted values.
   */
  public static double quantile(double[] x, double q) {
    if (x.length == 0) return Double.NaN;
    double[] s = x.clone();
    Arrays.sort(s);
    double pos = q * (s.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(lo + 1, s.length - 1);
    return s[lo] + (pos - lo) * (s[hi] - s[lo]);
  }

  public static double median(double[] x) {
    return quantile(x, 0.5);
  }

  /** Share of values ≥ threshold. */
  public static double shareAtLeast(double[] x, double threshold) {
    if (x.length == 0) return Double.NaN;
    int n = 0;
    for (double v : x) if (v >= threshold) n++;
    return (double) n / x.length;
  }

  /** Share of values > threshold. */
  public static double shareAbove(double[] x, double threshold) {
    if (x.length == 0) return Double.NaN;
    int n = 0;
    for (double v : x) if (v > threshold) n++;
    return (double) n / x.length;
  }

  /** A confidence interval around a point estimate. */
  public record Interval(double estimate, double low, double high, double level) {}

  /**
   * Percentile bootstrap CI of the mean: {@code resamples} resamples with replacement, the
   * (1−level)/2 and (1+level)/2 quantiles of their means.
   */
  public static Interval bootstrapMeanCi(double[] x, double level, int resamples, long seed) {
    Random rng = new Random(seed);
    double[] means = new double[resamples];
    int n = x.length;
    for (int b = 0; b < resamples; b++) {
      double s = 0;
      for (int i = 0; i < n; i++) s += x[rng.nextInt(n)];
      means[b] = s / n;
    }
    return new Interval(
        mean(x), quantile(means, (1 - level) / 2), quantile(means, (1 + level) / 2), level);
  }

  /**
   * A random permutation without fixed points (Sattolo's algorithm: a uniformly random single
   * cycle), so every item is paired with another item's partner in a shuffled null.
   */
  public static int[] derangement(int n, long seed) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) p[i] = i;
    if (n < 2) return p;
    Random rng = new Random(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** Least-squares line y = a + b·x. */
  public record Line(double intercept, double slope) {
    public double at(double x) {
      return intercept + slope * x;
    }
  }

  public static Line fitLine(double[] x, double[] y) {
    double mx = mean(x);
    double my = mean(y);
    double sxy = 0;
    double sxx = 0;
    for (int i = 0; i < x.length; i++) {
      sxy += (x[i] - mx) * (y[i] - my);
      sxx += (x[i] - mx) * (x[i] - mx);
    }
    double b = sxx == 0 ? 0 : sxy / sxx;
    return new Line(my - b * mx, b);
  }
}
