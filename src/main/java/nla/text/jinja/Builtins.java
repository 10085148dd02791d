package nla.text.jinja;

import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import nla.text.jinja.Py.Callable;
import nla.text.jinja.Py.Namespace;
import nla.text.jinja.Py.Undefined;

/**
 * Jinja's filters, tests and globals, the Python methods of str/dict/list that templates call, and
 * Hugging Face's additions ({@code tojson} as {@code json.dumps(ensure_ascii=False)}, {@code
 * raise_exception}, {@code strftime_now}).
 */
final class Builtins {
  private Builtins() {}

  // ---- globals ----

  static Map<String, Object> globals(Supplier<ZonedDateTime> now) {
    Map<String, Object> g = new LinkedHashMap<>();
    g.put(
        "raise_exception",
        (Callable)
            (args, kw) -> {
              throw new TemplateError.Raised(args.isEmpty() ? "" : Py.str(args.getFirst()));
            });
    g.put("strftime_now", (Callable) (args, kw) -> strftime(Py.str(arg(args, 0)), now.get()));
    g.put("range", (Callable) (args, kw) -> range(args));
    g.put("dict", (Callable) (args, kw) -> new LinkedHashMap<Object, Object>(kw));
    g.put(
        "namespace",
        (Callable)
            (args, kw) -> {
              Namespace ns = new Namespace();
              if (!args.isEmpty() && args.getFirst() instanceof Map<?, ?> m) {
                m.forEach((k, v) -> ns.attrs.put(Py.str(k), v));
              }
              ns.attrs.putAll(kw);
              return ns;
            });
    return g;
  }

  private static Object arg(List<Object> args, int i) {
    if (i >= args.size()) throw new TemplateError("missing argument " + (i + 1));
    return args.get(i);
  }

  private static Object arg(
      List<Object> args, Map<String, Object> kw, int i, String name, Object dflt) {
    if (i < args.size()) return args.get(i);
    return kw.getOrDefault(name, dflt);
  }

  private static List<Object> range(List<Object> args) {
    long start = 0, stop, step = 1;
    if (args.size() == 1) {
      stop = Py.asLong(args.get(0));
    } else {
      start = Py.asLong(arg(args, 0));
      stop = Py.asLong(arg(args, 1));
      if (args.size() > 2) step = Py.asLong(args.get(2));
    }
    if (step == 0) throw new TemplateError("range() arg 3 must not be zero");
    List<Object> out = new ArrayList<>();
    for (long i = start; step > 0 ? i < stop : i > stop; i += step) out.add(i);
    return out;
  }

  /** Python's {@code datetime.strftime} in the C locale, for the codes templates use. */
  static String strftime(String format, ZonedDateTime t) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < format.length(); i++) {
      char c = format.charAt(i);
      if (c != '%' || i + 1 >= format.length()) {
        sb.append(c);
        continue;
      }
      char code = format.charAt(++i);
      boolean noPad = false;
      if (code == '-' && i + 1 < format.length()) { // glibc "%-d": no zero padding
        noPad = true;
        code = format.charAt(++i);
      }
      String v =
          switch (code) {
            case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.US);
            case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US);
            case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.US);
            case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.US);
            case 'd' -> pad(t.getDayOfMonth(), 2, noPad);
            case 'e' -> String.format("%2d", t.getDayOfMonth());
            case 'm' -> pad(t.getMonthValue(), 2, noPad);
            case 'y' -> pad(t.getYear() % 100, 2, noPad);
            case 'Y' -> Integer.toString(t.getYear());
            case 'H' -> pad(t.getHour(), 2, noPad);
            case 'I' -> pad((t.getHour() + 11) % 12 + 1, 2, noPad);
            case 'M' -> pad(t.getMinute(), 2, noPad);
            case 'S' -> pad(t.getSecond(), 2, noPad);
            case 'f' -> pad(t.getNano() / 1000, 6, false);
            case 'p' -> t.getHour() < 12 ? "AM" : "PM";
            case 'j' -> pad(t.getDayOfYear(), 3, noPad);
            case 'w' -> Integer.toString(t.getDayOfWeek().getValue() % 7);
            case 'u' -> Integer.toString(t.getDayOfWeek().getValue());
            case 'F' -> t.toLocalDate().toString();
            case '%' -> "%";
            default -> "%" + code;
          };
      sb.append(v);
    }
    return sb.toString();
  }

  private static String pad(int v, int width, boolean noPad) {
    String s = Integer.toString(v);
    return noPad ? s : "0".repeat(Math.max(0, width - s.length())) + s;
  }

  // ---- attribute access: Jinja tries the attribute (a method) first, then the item ----

  static Object getAttr(Object target, String name) {
    return switch (target) {
      case Undefined u ->
          throw new TemplateError("'" + u.name + "' is undefined (reading ." + name + ")");
      case Interpreter.Loop loop -> loop.attr(name);
      case Namespace ns -> ns.attrs.containsKey(name) ? ns.attrs.get(name) : new Undefined(name);
      case Map<?, ?> m -> {
        Callable method = dictMethod(m, name);
        if (method != null) yield method;
        yield m.containsKey(name) ? m.get(name) : new Undefined(name);
      }
      case String s -> {
        Callable method = stringMethod(s, name);
        yield method != null ? method : new Undefined(name);
      }
      case List<?> l -> {
        Callable method = listMethod(l, name);
        yield method != null ? method : new Undefined(name);
      }
      case null, default -> new Undefined(name);
    };
  }

  private static Callable dictMethod(Map<?, ?> m, String name) {
    return switch (name) {
      case "items" -> (args, kw) -> items(m);
      case "keys" -> (args, kw) -> new ArrayList<Object>(m.keySet());
      case "values" -> (args, kw) -> new ArrayList<Object>(m.values());
      case "get" ->
          (args, kw) -> {
            Object key = arg(args, 0);
            return m.containsKey(key) ? m.get(key) : (args.size() > 1 ? args.get(1) : null);
          };
      default -> null;
    };
  }

  private static List<Object> items(Map<?, ?> m) {
    List<Object> out = new ArrayList<>();
    m.forEach((k, v) -> out.add(new ArrayList<>(java.util.Arrays.asList(k, v))));
    return out;
  }

  private static Callable listMethod(List<?> l, String name) {
    return switch (name) {
      case "index" ->
          (args, kw) -> {
            for (int i = 0; i < l.size(); i++) if (Py.eq(l.get(i), arg(args, 0))) return (long) i;
            throw new TemplateError(Py.repr(arg(args, 0)) + " is not in list");
          };
      case "count" -> (args, kw) -> l.stream().filter(x -> Py.eq(x, arg(args, 0))).count();
      default -> null;
    };
  }

  private static String optChars(List<Object> args) {
    return args.isEmpty() || args.getFirst() == null ? null : (String) args.getFirst();
  }

  private static Callable stringMethod(String s, String name) {
    return switch (name) {
      case "strip" -> (args, kw) -> Py.strip(s, optChars(args), true, true);
      case "lstrip" -> (args, kw) -> Py.strip(s, optChars(args), true, false);
      case "rstrip" -> (args, kw) -> Py.strip(s, optChars(args), false, true);
      case "split" ->
          (args, kw) -> {
            Object sep = arg(args, kw, 0, "sep", null);
            long max = Py.asLong(arg(args, kw, 1, "maxsplit", -1L));
            return Py.split(s, (String) sep, max);
          };
      case "splitlines" ->
          (args, kw) -> {
            List<Object> lines =
                new ArrayList<>(
                    List.of(
                        s.split(
                            "\\r\\n|[\\n\\r\\u000B\\u000C\\u001C-\\u001E\\u0085\\u2028\\u2029]",
                            -1)));
            if (((String) lines.getLast()).isEmpty()) lines.removeLast();
            return lines;
          };
      case "startswith" -> (args, kw) -> affix(s, arg(args, 0), true);
      case "endswith" -> (args, kw) -> affix(s, arg(args, 0), false);
      case "upper" -> (args, kw) -> s.toUpperCase(Locale.ROOT);
      case "lower" -> (args, kw) -> s.toLowerCase(Locale.ROOT);
      case "title" -> (args, kw) -> title(s);
      case "capitalize" -> (args, kw) -> capitalize(s);
      case "replace" ->
          (args, kw) ->
              replace(
                  s,
                  (String) arg(args, 0),
                  (String) arg(args, 1),
                  args.size() > 2 ? Py.asLong(args.get(2)) : -1);
      case "find" -> (args, kw) -> (long) codePointIndex(s, s.indexOf((String) arg(args, 0)));
      case "rfind" -> (args, kw) -> (long) codePointIndex(s, s.lastIndexOf((String) arg(args, 0)));
      case "count" ->
          (args, kw) -> {
            String sub = (String) arg(args, 0);
            if (sub.isEmpty()) return (long) Py.len(s) + 1;
            long n = 0;
            for (int k = s.indexOf(sub); k >= 0; k = s.indexOf(sub, k + sub.length())) n++;
            return n;
          };
      case "join" ->
          (args, kw) -> {
            StringBuilder sb = new StringBuilder();
            List<Object> parts = Py.iterate(arg(args, 0));
            for (int i = 0; i < parts.size(); i++) {
              if (!(parts.get(i) instanceof String p)) {
                throw new TemplateError("sequence item " + i + ": expected str instance");
              }
              sb.append(i > 0 ? s : "").append(p);
            }
            return sb.toString();
          };
      case "removeprefix" ->
          (args, kw) ->
              s.startsWith((String) arg(args, 0))
                  ? s.substring(((String) arg(args, 0)).length())
                  : s;
      case "removesuffix" ->
          (args, kw) -> {
            String suffix = (String) arg(args, 0);
            return !suffix.isEmpty() && s.endsWith(suffix)
                ? s.substring(0, s.length() - suffix.length())
                : s;
          };
      case "isdigit" -> (args, kw) -> !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
      case "isalpha" -> (args, kw) -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
      case "isalnum" ->
          (args, kw) -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
      case "isspace" -> (args, kw) -> !s.isEmpty() && s.codePoints().allMatch(Py::isSpace);
      case "islower" ->
          (args, kw) ->
              s.chars().anyMatch(Character::isLowerCase) && s.equals(s.toLowerCase(Locale.ROOT));
      case "isupper" ->
          (args, kw) ->
              s.chars().anyMatch(Character::isUpperCase) && s.equals(s.toUpperCase(Locale.ROOT));
      default -> null;
    };
  }

  private static int codePointIndex(String s, int utf16) {
    return utf16 < 0 ? -1 : s.codePointCount(0, utf16);
  }

  private static boolean affix(String s, Object affix, boolean prefix) {
    if (affix instanceof List<?> options) {
      for (Object o : options) if (affix(s, o, prefix)) return true;
      return false;
    }
    if (!(affix instanceof String a)) throw new TemplateError("startswith/endswith need a string");
    return prefix ? s.startsWith(a) : s.endsWith(a);
  }

  private static String replace(String s, String old, String replacement, long count) {
    if (count < 0) return s.replace(old, replacement);
    StringBuilder sb = new StringBuilder();
    int from = 0;
    for (long n = 0; n < count; n++) {
      int k = s.indexOf(old, from);
      if (k < 0) break;
      sb.append(s, from, k).append(replacement);
      from = k + old.length();
      if (old.isEmpty()) {
        if (from < s.length()) sb.append(s.charAt(from));
        from++;
      }
    }
    if (from <= s.length()) sb.append(s.substring(Math.min(from, s.length())));
    return sb.toString();
  }

  private static String capitalize(String s) {
    if (s.isEmpty()) return s;
    int first = s.codePointAt(0);
    return new String(Character.toChars(Character.toUpperCase(first)))
        + s.substring(Character.charCount(first)).toLowerCase(Locale.ROOT);
  }

  private static String title(String s) {
    StringBuilder sb = new StringBuilder();
    boolean previousCased = false;
    for (int c : s.codePoints().toArray()) {
      boolean cased = Character.isLetter(c);
      sb.appendCodePoint(
          cased ? (previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c)) : c);
      previousCased = cased;
    }
    return sb.toString();
  }

  // ---- filters ----

  static Object filter(String name, Object v, List<Object> args, Map<String, Object> kw, int line) {
    try {
      return applyFilter(name, v, args, kw);
    } catch (ClassCastException e) {
      throw new TemplateError("line " + line + ": bad argument to filter '" + name + "'");
    }
  }

  private static Object applyFilter(
      String name, Object v, List<Object> args, Map<String, Object> kw) {
    switch (name) {
      case "default", "d" -> {
        Object dflt = arg(args, kw, 0, "default_value", "");
        boolean bool = Py.truthy(arg(args, kw, 1, "boolean", false));
        if (v instanceof Undefined || (bool && !Py.truthy(v))) return dflt;
        return v;
      }
      case "safe" -> {
        return v;
      }
      default -> {}
    }
    if (v instanceof Undefined u
        && !List.of("length", "count", "list", "items", "string", "join", "first", "last", "tojson")
            .contains(name)) {
      throw u.error();
    }
    return switch (name) {
      case "trim" -> Py.strip(Py.str(v), (String) arg(args, kw, 0, "chars", null), true, true);
      case "length", "count" -> (long) Py.len(v);
      case "tojson" ->
          Json.dumps(
              v,
              arg(args, kw, 0, "indent", null),
              Py.truthy(kw.getOrDefault("ensure_ascii", false)),
              Py.truthy(kw.getOrDefault("sort_keys", false)),
              kw.get("separators"));
      case "join" -> {
        String sep = Py.str(arg(args, kw, 0, "d", ""));
        Object attribute = arg(args, kw, 1, "attribute", null);
        StringBuilder sb = new StringBuilder();
        List<Object> items = Py.iterate(v);
        for (int i = 0; i < items.size(); i++) {
          Object item = attribute == null ? items.get(i) : attribute(items.get(i), attribute);
          sb.append(i > 0 ? sep : "").append(Py.str(item));
        }
        yield sb.toString();
      }
      case "upper" -> Py.str(v).toUpperCase(Locale.ROOT);
      case "lower" -> Py.str(v).toLowerCase(Locale.ROOT);
      case "title" -> title(Py.str(v));
      case "capitalize" -> capitalize(Py.str(v));
      case "replace" ->
          replace(
              Py.str(v),
              Py.str(arg(args, 0)),
              Py.str(arg(args, 1)),
              args.size() > 2 ? Py.asLong(args.get(2)) : -1);
      case "first" -> {
        List<Object> items = Py.iterate(v);
        yield items.isEmpty() ? new Undefined("first") : items.getFirst();
      }
      case "last" -> {
        List<Object> items = Py.iterate(v);
        yield items.isEmpty() ? new Undefined("last") : items.getLast();
      }
      case "list" -> Py.iterate(v);
      case "string" -> Py.str(v);
      case "int" -> toInt(v, arg(args, kw, 0, "default", 0L));
      case "float" -> toFloat(v, arg(args, kw, 0, "default", 0.0));
      case "abs" -> v instanceof Double d ? (Object) Math.abs(d) : (Object) Math.abs(Py.asLong(v));
      case "round" -> {
        int precision = (int) Py.asLong(arg(args, kw, 0, "precision", 0L));
        String method = Py.str(arg(args, kw, 1, "method", "common"));
        // Python's round() rounds the exact binary value half to even: round(2.5) == 2.
        java.math.RoundingMode mode =
            switch (method) {
              case "ceil" -> java.math.RoundingMode.CEILING;
              case "floor" -> java.math.RoundingMode.FLOOR;
              default -> java.math.RoundingMode.HALF_EVEN;
            };
        yield new java.math.BigDecimal(Py.asDouble(v)).setScale(precision, mode).doubleValue();
      }
      case "items" -> v instanceof Undefined ? List.of() : items((Map<?, ?>) v);
      case "select", "reject" -> {
        boolean keep = name.equals("select");
        List<Object> out = new ArrayList<>();
        for (Object item : Py.iterate(v)) {
          boolean pass =
              args.isEmpty()
                  ? Py.truthy(item)
                  : Py.truthy(test(Py.str(args.getFirst()), item, args.subList(1, args.size()), 0));
          if (pass == keep) out.add(item);
        }
        yield out;
      }
      case "selectattr", "rejectattr" -> {
        boolean keep = name.equals("selectattr");
        List<Object> out = new ArrayList<>();
        for (Object item : Py.iterate(v)) {
          Object value = attribute(item, arg(args, 0));
          boolean pass =
              args.size() < 2
                  ? Py.truthy(value)
                  : Py.truthy(test(Py.str(args.get(1)), value, args.subList(2, args.size()), 0));
          if (pass == keep) out.add(item);
        }
        yield out;
      }
      case "map" -> {
        List<Object> out = new ArrayList<>();
        for (Object item : Py.iterate(v)) {
          if (kw.containsKey("attribute")) {
            Object value = attribute(item, kw.get("attribute"));
            if (value instanceof Undefined && kw.containsKey("default")) value = kw.get("default");
            out.add(value);
          } else {
            Map<String, Object> rest = new LinkedHashMap<>(kw);
            out.add(applyFilter(Py.str(arg(args, 0)), item, args.subList(1, args.size()), rest));
          }
        }
        yield out;
      }
      case "unique" -> {
        List<Object> out = new ArrayList<>();
        for (Object item : Py.iterate(v)) {
          if (out.stream().noneMatch(x -> Py.eq(x, item))) out.add(item);
        }
        yield out;
      }
      case "sort" -> {
        boolean reverse = Py.truthy(arg(args, kw, 0, "reverse", false));
        Object attribute = arg(args, kw, 2, "attribute", null);
        List<Object> out = new ArrayList<>(Py.iterate(v));
        Comparator<Object> order =
            (a, b) ->
                attribute == null
                    ? Py.compare(a, b)
                    : Py.compare(attribute(a, attribute), attribute(b, attribute));
        out.sort(reverse ? order.reversed() : order);
        yield out;
      }
      case "dictsort" -> {
        List<Object> out = items((Map<?, ?>) v);
        out.sort((a, b) -> Py.compare(((List<?>) a).get(0), ((List<?>) b).get(0)));
        yield out;
      }
      case "reverse" -> {
        if (v instanceof String s) yield new StringBuilder(s).reverse().toString();
        List<Object> out = new ArrayList<>(Py.iterate(v));
        java.util.Collections.reverse(out);
        yield out;
      }
      case "sum" -> {
        Object attribute = kw.get("attribute");
        Object total = kw.getOrDefault("start", 0L);
        for (Object item : Py.iterate(v)) {
          total =
              Arithmetic.apply(
                  "+", total, attribute == null ? item : attribute(item, attribute), 0);
        }
        yield total;
      }
      case "min", "max" -> {
        List<Object> items = Py.iterate(v);
        if (items.isEmpty()) yield new Undefined(name);
        Object best = items.getFirst();
        for (Object item : items) {
          int c = Py.compare(item, best);
          if (name.equals("min") ? c < 0 : c > 0) best = item;
        }
        yield best;
      }
      case "indent" -> {
        Object width = arg(args, kw, 0, "width", 4L);
        String pad = width instanceof String w ? w : " ".repeat((int) Py.asLong(width));
        boolean first = Py.truthy(arg(args, kw, 1, "first", false));
        boolean blank = Py.truthy(arg(args, kw, 2, "blank", false));
        String[] lines = Py.str(v).split("\n", -1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
          if (i > 0) sb.append('\n');
          boolean indent = (i > 0 || first) && (blank || !lines[i].isBlank());
          sb.append(indent ? pad : "").append(lines[i]);
        }
        yield sb.toString();
      }
      case "wordcount" -> (long) Py.split(Py.str(v), null, -1).size();
      case "escape", "e" ->
          Py.str(v)
              .replace("&", "&amp;")
              .replace("<", "&lt;")
              .replace(">", "&gt;")
              .replace("\"", "&#34;")
              .replace("'", "&#39;");
      default -> throw new TemplateError("unknown filter '" + name + "'");
    };
  }

  private static Object attribute(Object item, Object attribute) {
    Object value = item;
    for (String part : Py.str(attribute).split("\\.")) {
      Object key =
          part.chars().allMatch(Character::isDigit) && !part.isEmpty()
              ? (Object) Long.parseLong(part)
              : part;
      Object next = Py.index(value, key);
      value = next instanceof Undefined && key instanceof String k ? getAttr(value, k) : next;
    }
    return value;
  }

  private static Object toInt(Object v, Object dflt) {
    if (v instanceof Boolean || v instanceof Long) return Py.asLong(v);
    if (v instanceof Double d) return (long) (double) d;
    try {
      return Long.parseLong(Py.str(v).strip().replace("_", ""));
    } catch (NumberFormatException e) {
      try {
        return (long) Double.parseDouble(Py.str(v).strip());
      } catch (NumberFormatException e2) {
        return dflt;
      }
    }
  }

  private static Object toFloat(Object v, Object dflt) {
    if (Py.isNumber(v)) return Py.asDouble(v);
    try {
      return Double.parseDouble(Py.str(v).strip());
    } catch (NumberFormatException e) {
      return dflt;
    }
  }

  // ---- tests ----

  static boolean test(String name, Object v, List<Object> args, int line) {
    return switch (name) {
      case "defined" -> !(v instanceof Undefined);
      case "undefined" -> v instanceof Undefined;
      case "none" -> v == null;
      case "string" -> v instanceof String;
      case "number" -> Py.isNumber(v);
      case "integer" -> v instanceof Long;
      case "float" -> v instanceof Double;
      case "boolean" -> v instanceof Boolean;
      case "true" -> Boolean.TRUE.equals(v);
      case "false" -> Boolean.FALSE.equals(v);
      case "mapping" -> v instanceof Map<?, ?>;
      case "iterable" ->
          v instanceof String
              || v instanceof List<?>
              || v instanceof Map<?, ?>
              || v instanceof Undefined;
      case "sequence" -> v instanceof String || v instanceof List<?> || v instanceof Map<?, ?>;
      case "callable" -> v instanceof Callable;
      case "even" -> Py.asLong(v) % 2 == 0;
      case "odd" -> Py.asLong(v) % 2 != 0;
      case "divisibleby" -> Py.asLong(v) % Py.asLong(arg(args, 0)) == 0;
      case "eq", "equalto", "==" -> Py.eq(v, arg(args, 0));
      case "ne", "!=" -> !Py.eq(v, arg(args, 0));
      case "lt", "lessthan", "<" -> Py.compare(v, arg(args, 0)) < 0;
      case "gt", "greaterthan", ">" -> Py.compare(v, arg(args, 0)) > 0;
      case "le", "<=" -> Py.compare(v, arg(args, 0)) <= 0;
      case "ge", ">=" -> Py.compare(v, arg(args, 0)) >= 0;
      case "in" -> Py.contains(arg(args, 0), v);
      case "sameas" ->
          v == arg(args, 0) || (v != null && v.equals(arg(args, 0)) && (v instanceof Boolean));
      case "lower" -> v instanceof String s && s.equals(s.toLowerCase(Locale.ROOT));
      case "upper" -> v instanceof String s && s.equals(s.toUpperCase(Locale.ROOT));
      default -> throw new TemplateError("line " + line + ": unknown test '" + name + "'");
    };
  }
}
