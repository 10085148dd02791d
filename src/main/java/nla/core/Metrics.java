package nla.core;

import java.util.List;
import nla.io.UserError;

/**
 * The round-trip metrics of contract §5 (the reference's {@code NLACritic.score} and {@code
 * compute_predict_mean_baselines}). Pred and gold are each scaled to L2 norm {@code s} (the AR's
 * {@code mse_scale}, √d by default; null = raw), so with s = √d, {@code mse_nrm = 2(1 − cos)}.
 * Arithmetic is in double; inputs are float32 vectors.
 */
public final class Metrics {
  /** The reference clamps norms at 1e-12 so a zero vector stays zero instead of dividing by 0. */
  private static final double MIN_NORM = 1e-12;

  private Metrics() {}

  /** One item's score. {@code fveNrm} is NaN when no denominator was given. */
  public record Score(double mseNrm, double cos, double fveNrm) {}

  /**
   * The FVE denominator Var(v_nrm) and where it came from (a vector set, or a number someone
   * supplied such as the training value); a report always says which.
   */
  public record Denominator(double varNrm, String origin) {
    public Denominator {
      if (!(varNrm > 0) || Double.isInfinite(varNrm)) {
        throw new UserError("FVE denominator must be a positive finite number, got " + varNrm);
      }
    }

    /**
     * Var(v_nrm) of a vector set at {@code scale}, named after the set: the one way every caller
     * builds a denominator from vectors.
     */
    public static Denominator ofVectorSet(List<float[]> vectors, Double scale, String setName) {
      return of(baseline(vectors, scale), setName);
    }

    public static Denominator of(Baseline b, String vectorSetName) {
      return new Denominator(
          b.varNrm(),
          "var_nrm of "
              + b.n()
              + " vectors in "
              + vectorSetName
              + " (mse_scale "
              + b.scaleText()
              + ")");
    }

    public static Denominator given(double varNrm) {
      return new Denominator(varNrm, "given number " + varNrm);
    }
  }

  /**
   * The two predict-the-mean baselines over a vector set V normalised to s with mean μ: {@code
   * varNrm = mean (v̂ − μ)²} (the FVE denominator) and {@code meannorm = mean (v̂ − s·μ/‖μ‖)²}.
   */
  public record Baseline(int n, int d, Double mseScale, double varNrm, double meannorm) {
    String scaleText() {
      return mseScale == null ? "raw" : Double.toString(mseScale);
    }
  }

  /** Scales {@code v} to L2 norm {@code scale} (null: unchanged), as doubles. */
  public static double[] normalize(float[] v, Double scale) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) out[i] = v[i];
    if (scale == null) return out;
    double k = scale / Math.max(norm(out), MIN_NORM);
    for (int i = 0; i < out.length; i++) out[i] *= k;
    return out;
  }

  /** {@code mean_i (p̂_i − v̂_i)²} with both scaled to {@code scale}. */
  public static double mseNrm(float[] pred, float[] gold, Double scale) {
    sameWidth(pred, gold);
    double[] p = normalize(pred, scale);
    double[] g = normalize(gold, scale);
    double sum = 0;
    for (int i = 0; i < p.length; i++) {
      double e = p[i] - g[i];
      sum += e * e;
    }
    return sum / p.length;
  }

  /** Cosine similarity (NaN if either vector is zero). */
  public static double cos(float[] pred, float[] gold) {
    sameWidth(pred, gold);
    double dot = 0;
    double pp = 0;
    double gg = 0;
    for (int i = 0; i < pred.length; i++) {
      dot += (double) pred[i] * gold[i];
      pp += (double) pred[i] * pred[i];
      gg += (double) gold[i] * gold[i];
    }
    return dot / (Math.sqrt(pp) * Math.sqrt(gg));
  }

  /**
   * {@code 1 − mse_nrm / var_nrm}: 0 = predict-the-mean, 1 = perfect. The one definition of FVE:
   * every other FVE (a study's table, a whole prediction set) divides through this.
   */
  public static double fveNrm(double mseNrm, double varNrm) {
    return 1 - mseNrm / varNrm;
  }

  /**
   * FVE of a whole prediction set with the gold set as its own denominator: {@code 1 − Σ(p − g)² /
   * Σ(g − ḡ)²} over rows and dimensions (row-major, {@code width} columns; ḡ the gold column
   * means). Rows are used as given: a caller that wants the contract's normalised FVE passes rows
   * already normalised to one norm (it cancels in the ratio). The sums are not divided by the count
   * before the ratio, which would only add rounding.
   */
  public static double fveOfSet(double[] pred, double[] gold, int width) {
    if (pred.length != gold.length) {
      throw new IllegalArgumentException(pred.length + " predictions against " + gold.length);
    }
    int rows = gold.length / width;
    double[] mean = new double[width];
    for (int j = 0; j < width; j++) {
      double total = 0;
      for (int i = 0; i < rows; i++) total += gold[i * width + j];
      mean[j] = total;
    }
    // Times the reciprocal, as EJML's column means were computed when this lived beside the fits.
    double inverseRows = 1.0 / rows;
    for (int j = 0; j < width; j++) mean[j] *= inverseRows;
    double squaredError = 0;
    double squaredSpread = 0;
    for (int i = 0; i < rows; i++)
      for (int j = 0; j < width; j++) {
        double e = pred[i * width + j] - gold[i * width + j];
        double c = gold[i * width + j] - mean[j];
        squaredError += e * e;
        squaredSpread += c * c;
      }
    return fveNrm(squaredError, squaredSpread);
  }

  /** mse_nrm, cos and (with a denominator, else NaN) fve_nrm for one item. */
  public static Score score(float[] pred, float[] gold, Double scale, Denominator denominator) {
    double mse = mseNrm(pred, gold, scale);
    return new Score(
        mse, cos(pred, gold), denominator == null ? Double.NaN : fveNrm(mse, denominator.varNrm()));
  }

  /** Both baselines over a vector set (rows must be finite and of one width). */
  public static Baseline baseline(List<float[]> vectors, Double scale) {
    if (vectors.isEmpty()) throw new UserError("baseline: the vector set is empty");
    int d = vectors.get(0).length;
    int n = vectors.size();
    double[][] normed = new double[n][];
    double[] mu = new double[d];
    for (int r = 0; r < n; r++) {
      float[] v = vectors.get(r);
      if (v.length != d) {
        throw new UserError("baseline: row " + r + " has width " + v.length + ", row 0 has " + d);
      }
      for (float x : v) {
        if (!Float.isFinite(x)) throw new UserError("baseline: row " + r + " is not finite");
      }
      normed[r] = normalize(v, scale);
      for (int i = 0; i < d; i++) mu[i] += normed[r][i];
    }
    for (int i = 0; i < d; i++) mu[i] /= n;
    double[] muNormed = mu.clone();
    if (scale != null) {
      double k = scale / Math.max(norm(mu), MIN_NORM);
      for (int i = 0; i < d; i++) muNormed[i] *= k;
    }
    double var = 0;
    double meannorm = 0;
    for (double[] v : normed) {
      for (int i = 0; i < d; i++) {
        double a = v[i] - mu[i];
        double b = v[i] - muNormed[i];
        var += a * a;
        meannorm += b * b;
      }
    }
    double count = (double) n * d;
    return new Baseline(n, d, scale, var / count, meannorm / count);
  }

  private static double norm(double[] v) {
    double s = 0;
    for (double x : v) s += x * x;
    return Math.sqrt(s);
  }

  private static void sameWidth(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new UserError("vector widths differ: " + a.length + " vs " + b.length);
    }
  }
}
