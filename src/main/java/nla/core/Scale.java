package nla.core;

import nla.io.UserError;

/**
 * A target L2 norm as a sidecar writes it ({@code extraction.injection_scale}, {@code
 * extraction.mse_scale}): a number, the word {@code sqrt_d_model}, or null (no normalisation: use
 * the raw vector).
 *
 * @param spelling how it was written: {@code "sqrt_d_model"}, {@code "raw"} or the number as text
 * @param number the number when {@code spelling} is numeric, else NaN
 */
public record Scale(String spelling, double number) {
  public static final String SQRT_D_MODEL = "sqrt_d_model";
  public static final Scale RAW = new Scale("raw", Double.NaN);
  public static final Scale SQRT_D = new Scale(SQRT_D_MODEL, Double.NaN);

  public static Scale of(double number) {
    return new Scale(Double.toString(number), number);
  }

  /**
   * Reads a YAML value or a command-line word, like the reference's {@code resolve_target_scale}:
   * null, "raw" or "none" mean no normalisation; "sqrt_d_model"; a number or numeric string.
   */
  public static Scale parse(Object raw, String field) {
    if (raw == null) return RAW;
    if (raw instanceof Number num) return positive(num.doubleValue(), field);
    if (raw instanceof String s) {
      String t = s.strip();
      if (t.equals("raw") || t.equals("none") || t.equals("null")) return RAW;
      if (t.equals(SQRT_D_MODEL)) return SQRT_D;
      try {
        return positive(Double.parseDouble(t), field);
      } catch (NumberFormatException e) {
        throw new UserError(
            field + ": expected a number, \"sqrt_d_model\" or null, got \"" + s + "\"");
      }
    }
    throw new UserError(field + ": expected a number, \"sqrt_d_model\" or null, got " + raw);
  }

  private static Scale positive(double v, String field) {
    if (!(v > 0) || Double.isInfinite(v)) {
      throw new UserError(field + ": scale must be a positive finite number, got " + v);
    }
    return of(v);
  }

  public boolean isRaw() {
    return spelling.equals("raw");
  }

  /** The concrete norm for width {@code dModel}, or null for "raw". */
  public Double resolve(int dModel) {
    if (isRaw()) return null;
    if (spelling.equals(SQRT_D_MODEL)) return Math.sqrt(dModel);
    return number;
  }

  /** The value as the sidecar spells it: a number, "sqrt_d_model" or null. */
  public Object yamlValue() {
    if (isRaw()) return null;
    if (spelling.equals(SQRT_D_MODEL)) return SQRT_D_MODEL;
    return number;
  }
}
