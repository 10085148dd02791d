package nla.study;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import nla.io.UserError;

/**
 * Typed reads of a plan's YAML mappings. Every error is a {@link UserError} that names the plan
 * file and the field, so the plan's top level and every study's settings fail alike.
 */
final class PlanFields {
  private final String file;
  private final Path baseDir;

  PlanFields(String file, Path baseDir) {
    this.file = file;
    this.baseDir = baseDir;
  }

  String file() {
    return file;
  }

  /** A user error about the plan: the file, then {@code message}. */
  UserError error(String message) {
    return new UserError(file + ": " + message);
  }

  @SuppressWarnings("unchecked")
  Map<String, Object> map(Map<String, Object> m, String field, boolean required) {
    Object v = m.get(field);
    if (v == null) {
      if (required) throw error("missing field '" + field + "'");
      return Map.of();
    }
    if (!(v instanceof Map<?, ?>)) throw error("field '" + field + "' must be a mapping");
    return (Map<String, Object>) v;
  }

  /** The field as text; absent: {@code dflt}, or (null) an error. */
  String str(Map<String, Object> m, String field, String where, String dflt) {
    Object v = m.get(field);
    if (v == null) {
      if (dflt == null) throw error(where + ": missing field '" + field + "'");
      return dflt;
    }
    return v.toString();
  }

  double num(Map<String, Object> m, String field, String where, double dflt) {
    Object v = m.get(field);
    if (v == null) return dflt;
    if (!(v instanceof Number n)) throw error(where + "." + field + ": must be a number");
    return n.doubleValue();
  }

  /** {@code true} or {@code false}; absent: {@code dflt}. */
  boolean bool(Map<String, Object> m, String field, String where, boolean dflt) {
    Object v = m.get(field);
    if (v == null) return dflt;
    if (!(v instanceof Boolean b))
      throw error(where + "." + field + ": must be true or false, got " + v);
    return b;
  }

  /**
   * A whole number in [min, max]. YAML reads {@code 4.5e99} and {@code 2.5} as floating point,
   * which a cast would silently turn into 2^63 − 1 and 2.
   */
  long integer(Map<String, Object> m, String field, String where, long dflt, long min, long max) {
    Object v = m.get(field);
    if (v == null) return dflt;
    BigDecimal x = wholeNumber(v);
    if (x == null) throw error(where + "." + field + ": must be a whole number, got " + v);
    if (x.compareTo(BigDecimal.valueOf(min)) < 0 || x.compareTo(BigDecimal.valueOf(max)) > 0)
      throw error(
          where
              + "."
              + field
              + ": "
              + v
              + " is out of range (expected "
              + (min == Long.MIN_VALUE ? "a 64-bit integer" : min + ".." + max)
              + ")");
    return x.longValueExact();
  }

  /** The exact value of a YAML number if it is whole (2, 2.0, 4.5e99), else null. */
  static BigDecimal wholeNumber(Object v) {
    BigDecimal x;
    if (v instanceof Integer || v instanceof Long || v instanceof BigInteger)
      x = new BigDecimal(v.toString());
    else if (v instanceof Double d && Double.isFinite(d)) x = new BigDecimal(d);
    else return null;
    return x.signum() == 0 || x.stripTrailingZeros().scale() <= 0 ? x : null;
  }

  List<String> list(Map<String, Object> m, String field, String where) {
    Object v = m.get(field);
    if (!(v instanceof List<?> l)) throw error(where + "." + field + ": must be a list");
    List<String> out = new ArrayList<>();
    for (Object x : l) out.add(x.toString());
    return out;
  }

  /** A path as the plan gives it: relative ones are relative to the plan's folder. */
  Path path(String p) {
    Path x = Path.of(p);
    return x.isAbsolute() ? x : baseDir.resolve(x);
  }
}
