package nla.core;

/**
 * Per-vector checks and the injection scaling of contract §4. A bad vector is reported for its row
 * alone; the other rows go on.
 */
public final class Vectors {
  private Vectors() {}

  /** What is wrong with {@code v} as an NLA input of width {@code dModel}, or null if nothing. */
  public static String problem(float[] v, int dModel) {
    if (v.length != dModel) return "width " + v.length + " differs from d_model " + dModel;
    boolean nonZero = false;
    for (int i = 0; i < v.length; i++) {
      if (!Float.isFinite(v[i])) return "element " + i + " is " + v[i] + " (not finite)";
      if (v[i] != 0) nonZero = true;
    }
    return nonZero ? null : "the vector is all zeros (it has no direction to verbalize)";
  }

  /**
   * {@code v · (scale / ‖v‖₂)}: normalise to the norm the AV was trained with ("injection scale"
   * means normalise-to, not multiply-by). The norm is taken in fp32 and applied as one division
   * {@code v / (‖v‖ / scale)}, as the reference's {@code normalize_activation} does. A null scale
   * injects the raw vector.
   */
  public static float[] scaleForInjection(float[] v, Double scale) {
    if (scale == null) return v.clone();
    double sum = 0;
    for (float x : v) sum += (double) x * x;
    float norm = Math.max((float) Math.sqrt(sum), 1e-12f);
    // torch divides an fp32 tensor by a Python float in fp32: both operands rounded to float.
    float divisor = norm / scale.floatValue();
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) out[i] = v[i] / divisor;
    return out;
  }
}
