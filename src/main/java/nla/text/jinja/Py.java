package nla.text.jinja;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Python value semantics for template values, because Jinja templates run on Python objects: None
 * is {@code null}, ints are {@link Long}, floats {@link Double}, str {@link String} (indexed by
 * code point, as Python does), list and tuple {@link List}, dict {@link Map}. Missing things are
 * {@link Undefined}.
 */
final class Py {
  private Py() {}

  /** Jinja's default Undefined: prints as "", is falsy, iterates as empty, fails on use. */
  static final class Undefined {
    final String name;

    Undefined(String name) {
      this.name = name;
    }

    TemplateError error() {
      return new TemplateError("'" + name + "' is undefined");
    }

    @Override
    public String toString() {
      return "";
    }
  }

  /** Jinja's {@code namespace(...)}: the one mutable object, assigned through {@code set ns.x}. */
  static final class Namespace {
    final Map<String, Object> attrs = new LinkedHashMap<>();
  }

  @FunctionalInterface
  interface Callable {
    Object call(List<Object> args, Map<String, Object> kwargs);
  }

  /** Converts Java values handed to a template into the representations above. */
  static Object fromJava(Object v) {
    return switch (v) {
      case null -> null;
      case Integer i -> (long) i;
      case Short s -> (long) s;
      case Byte b -> (long) b;
      case Float f -> (double) f;
      case Map<?, ?> m -> {
        Map<Object, Object> out = new LinkedHashMap<>();
        m.forEach((k, x) -> out.put(fromJava(k), fromJava(x)));
        yield out;
      }
      case Collection<?> c -> {
        List<Object> out = new ArrayList<>();
        for (Object x : c) out.add(fromJava(x));
        yield out;
      }
      case Object[] a -> fromJava(List.of(a));
      default -> v;
    };
  }

  static boolean truthy(Object v) {
    return switch (v) {
      case null -> false;
      case Undefined u -> false;
      case Boolean b -> b;
      case Long l -> l != 0;
      case Double d -> d != 0.0;
      case String s -> !s.isEmpty();
      case Collection<?> c -> !c.isEmpty();
      case Map<?, ?> m -> !m.isEmpty();
      default -> true;
    };
  }

  static boolean isNumber(Object v) {
    return v instanceof Long || v instanceof Double || v instanceof Boolean;
  }

  static boolean isInt(Object v) {
    return v instanceof Long || v instanceof Boolean;
  }

  static long asLong(Object v) {
    if (v instanceof Boolean b) return b ? 1 : 0;
    if (v instanceof Long l) return l;
    throw new TemplateError("expected an integer, got " + typeName(v));
  }

  static double asDouble(Object v) {
    if (v instanceof Double d) return d;
    return asLong(v);
  }

  static String typeName(Object v) {
    return switch (v) {
      case null -> "NoneType";
      case Undefined u -> "Undefined";
      case Boolean b -> "bool";
      case Long l -> "int";
      case Double d -> "float";
      case String s -> "str";
      case List<?> l -> "list";
      case Map<?, ?> m -> "dict";
      case Namespace n -> "Namespace";
      default -> v.getClass().getSimpleName();
    };
  }

  // ---- strings: Python str() and repr() ----

  static String str(Object v) {
    return switch (v) {
      case null -> "None";
      case Undefined u -> "";
      case Boolean b -> b ? "True" : "False";
      case Double d -> floatRepr(d);
      case String s -> s;
      default -> repr(v);
    };
  }

  static String repr(Object v) {
    return switch (v) {
      case null -> "None";
      case Undefined u -> "";
      case Boolean b -> b ? "True" : "False";
      case Long l -> l.toString();
      case Double d -> floatRepr(d);
      case String s -> stringRepr(s);
      case List<?> l -> {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < l.size(); i++) sb.append(i > 0 ? ", " : "").append(repr(l.get(i)));
        yield sb.append(']').toString();
      }
      case Map<?, ?> m -> {
        StringBuilder sb = new StringBuilder("{");
        boolean first = true;
        for (var e : m.entrySet()) {
          sb.append(first ? "" : ", ").append(repr(e.getKey())).append(": ");
          sb.append(repr(e.getValue()));
          first = false;
        }
        yield sb.append('}').toString();
      }
      case Namespace n -> "<Namespace " + repr(n.attrs) + ">";
      default -> v.toString();
    };
  }

  /** Python's shortest round-trip float repr: 1.0, 0.1, 1e-05, 1e+16, inf, nan. */
  static String floatRepr(double d) {
    if (Double.isNaN(d)) return "nan";
    if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
    if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
    BigDecimal shortest = new BigDecimal(Double.toString(d)).stripTrailingZeros();
    String digits = shortest.unscaledValue().abs().toString();
    int exponent = digits.length() - 1 - shortest.scale(); // decimal exponent of first digit
    String sign = d < 0 ? "-" : "";
    if (exponent < -4 || exponent >= 16) {
      String mantissa =
          digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
      return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + pad2(Math.abs(exponent));
    }
    String plain = shortest.abs().toPlainString();
    return sign + (plain.contains(".") ? plain : plain + ".0");
  }

  private static String pad2(int e) {
    return e < 10 ? "0" + e : Integer.toString(e);
  }

  private static String stringRepr(String s) {
    char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
    StringBuilder sb = new StringBuilder().append(quote);
    s.codePoints()
        .forEach(
            c -> {
              if (c == quote || c == '\\') sb.append('\\').appendCodePoint(c);
              else if (c == '\n') sb.append("\\n");
              else if (c == '\r') sb.append("\\r");
              else if (c == '\t') sb.append("\\t");
              else if (c < 0x20 || c == 0x7f) sb.append(String.format("\\x%02x", c));
              else sb.appendCodePoint(c);
            });
    return sb.append(quote).toString();
  }

  // ---- comparisons ----

  static boolean eq(Object a, Object b) {
    if (a instanceof Undefined || b instanceof Undefined) {
      return a instanceof Undefined && b instanceof Undefined;
    }
    if (isNumber(a) && isNumber(b)) {
      if (isInt(a) && isInt(b)) return asLong(a) == asLong(b);
      return asDouble(a) == asDouble(b);
    }
    if (a instanceof List<?> x && b instanceof List<?> y) {
      if (x.size() != y.size()) return false;
      for (int i = 0; i < x.size(); i++) if (!eq(x.get(i), y.get(i))) return false;
      return true;
    }
    if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
      if (x.size() != y.size()) return false;
      for (var e : x.entrySet()) {
        if (!y.containsKey(e.getKey()) || !eq(e.getValue(), y.get(e.getKey()))) return false;
      }
      return true;
    }
    return Objects.equals(a, b);
  }

  static int compare(Object a, Object b) {
    if (isNumber(a) && isNumber(b)) {
      if (isInt(a) && isInt(b)) return Long.compare(asLong(a), asLong(b));
      return Double.compare(asDouble(a), asDouble(b));
    }
    if (a instanceof String x && b instanceof String y) return compareCodePoints(x, y);
    if (a instanceof List<?> x && b instanceof List<?> y) {
      for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
        if (!eq(x.get(i), y.get(i))) return compare(x.get(i), y.get(i));
      }
      return Integer.compare(x.size(), y.size());
    }
    throw new TemplateError(
        "'<' not supported between instances of '" + typeName(a) + "' and '" + typeName(b) + "'");
  }

  private static int compareCodePoints(String x, String y) {
    int i = 0, j = 0;
    while (i < x.length() && j < y.length()) {
      int a = x.codePointAt(i), b = y.codePointAt(j);
      if (a != b) return Integer.compare(a, b);
      i += Character.charCount(a);
      j += Character.charCount(b);
    }
    return Integer.compare(x.length() - i, y.length() - j);
  }

  static boolean contains(Object container, Object item) {
    return switch (container) {
      case String s -> {
        if (!(item instanceof String sub)) {
          throw new TemplateError("'in <string>' requires string as left operand");
        }
        yield s.contains(sub);
      }
      case List<?> l -> {
        for (Object x : l) if (eq(x, item)) yield true;
        yield false;
      }
      case Map<?, ?> m -> m.containsKey(item);
      case Namespace n -> n.attrs.containsKey(item);
      case Undefined u -> false;
      default ->
          throw new TemplateError("argument of type '" + typeName(container) + "' is not iterable");
    };
  }

  // ---- length, iteration, indexing (Python str indices are code points) ----

  static int len(Object v) {
    return switch (v) {
      case String s -> s.codePointCount(0, s.length());
      case Collection<?> c -> c.size();
      case Map<?, ?> m -> m.size();
      case Undefined u -> 0;
      default -> throw new TemplateError("object of type '" + typeName(v) + "' has no len()");
    };
  }

  static List<Object> iterate(Object v) {
    return switch (v) {
      case null -> throw new TemplateError("'NoneType' object is not iterable");
      case Undefined u -> List.of();
      case String s -> {
        List<Object> chars = new ArrayList<>();
        s.codePoints().forEach(c -> chars.add(new String(Character.toChars(c))));
        yield chars;
      }
      case List<?> l -> new ArrayList<>(l);
      case Map<?, ?> m -> new ArrayList<>(m.keySet());
      case Collection<?> c -> new ArrayList<>(c);
      default -> throw new TemplateError("'" + typeName(v) + "' object is not iterable");
    };
  }

  static Object index(Object target, Object key) {
    if (target instanceof String s && isInt(key)) {
      int[] cps = s.codePoints().toArray();
      int i = normaliseIndex(asLong(key), cps.length);
      if (i < 0) return new Undefined("string index out of range");
      return new String(cps, i, 1);
    }
    if (target instanceof List<?> l && isInt(key)) {
      int i = normaliseIndex(asLong(key), l.size());
      if (i < 0) return new Undefined("list index out of range");
      return l.get(i);
    }
    if (target instanceof Map<?, ?> m) {
      if (m.containsKey(key)) return m.get(key);
      return new Undefined(str(key));
    }
    if (target instanceof Namespace n && key instanceof String k && n.attrs.containsKey(k)) {
      return n.attrs.get(k);
    }
    if (target instanceof Undefined u) throw u.error();
    return new Undefined(str(key));
  }

  private static int normaliseIndex(long i, int size) {
    long j = i < 0 ? i + size : i;
    return j < 0 || j >= size ? -1 : (int) j;
  }

  /** Python slicing {@code target[start:stop:step]} of a list or a string. */
  static Object slice(Object target, Object start, Object stop, Object step) {
    long st = step == null ? 1 : asLong(step);
    if (st == 0) throw new TemplateError("slice step cannot be zero");
    List<Object> items;
    boolean isString = target instanceof String;
    if (target instanceof String s) {
      items = iterate(s);
    } else if (target instanceof List<?> l) {
      items = new ArrayList<>(l);
    } else {
      throw new TemplateError("'" + typeName(target) + "' object is not subscriptable");
    }
    int n = items.size();
    long lo, hi;
    if (st > 0) {
      lo = start == null ? 0 : clamp(asLong(start), n, 0, n);
      hi = stop == null ? n : clamp(asLong(stop), n, 0, n);
    } else {
      lo = start == null ? n - 1 : clamp(asLong(start), n, -1, n - 1);
      hi = stop == null ? -1 : clamp(asLong(stop), n, -1, n - 1);
    }
    List<Object> out = new ArrayList<>();
    for (long i = lo; st > 0 ? i < hi : i > hi; i += st) out.add(items.get((int) i));
    if (!isString) return out;
    StringBuilder sb = new StringBuilder();
    for (Object c : out) sb.append((String) c);
    return sb.toString();
  }

  private static long clamp(long i, int n, long min, long max) {
    if (i < 0) i += n;
    return Math.max(min, Math.min(max, i));
  }

  // ---- Python's str.isspace(), which strip() and split() use ----

  static boolean isSpace(int c) {
    return Character.isWhitespace(c) || c == 0x85 || c == 0xA0 || c == 0x2007 || c == 0x202F;
  }

  static String strip(String s, String chars, boolean left, boolean right) {
    int[] cps = s.codePoints().toArray();
    int lo = 0, hi = cps.length;
    if (left) while (lo < hi && stripped(cps[lo], chars)) lo++;
    if (right) while (hi > lo && stripped(cps[hi - 1], chars)) hi--;
    return new String(cps, lo, hi - lo);
  }

  private static boolean stripped(int c, String chars) {
    return chars == null ? isSpace(c) : chars.indexOf(Character.toString(c)) >= 0;
  }

  /** {@code str.split(sep, maxsplit)}; {@code sep == null} splits on whitespace runs. */
  static List<Object> split(String s, String sep, long maxSplit) {
    List<Object> out = new ArrayList<>();
    if (sep == null) {
      int[] cps = s.codePoints().toArray();
      int i = 0;
      while (true) {
        while (i < cps.length && isSpace(cps[i])) i++;
        if (i >= cps.length) break;
        if (maxSplit >= 0 && out.size() == maxSplit) {
          int end = cps.length;
          while (end > i && isSpace(cps[end - 1])) end--;
          out.add(new String(cps, i, end - i));
          break;
        }
        int j = i;
        while (j < cps.length && !isSpace(cps[j])) j++;
        out.add(new String(cps, i, j - i));
        i = j;
      }
      return out;
    }
    if (sep.isEmpty()) throw new TemplateError("empty separator");
    int from = 0;
    while (maxSplit < 0 || out.size() < maxSplit) {
      int k = s.indexOf(sep, from);
      if (k < 0) break;
      out.add(s.substring(from, k));
      from = k + sep.length();
    }
    out.add(s.substring(from));
    return out;
  }

  static Iterator<Object> iterator(Object v) {
    return iterate(v).iterator();
  }
}
