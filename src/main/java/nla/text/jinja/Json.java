package nla.text.jinja;

import java.util.List;
import java.util.Map;
import nla.text.jinja.Py.Undefined;

/**
 * Python's {@code json.dumps}, which Hugging Face installs as the {@code tojson} filter (with
 * {@code ensure_ascii=False}; Jinja's own HTML-escaping tojson is replaced).
 */
final class Json {
  private Json() {}

  static String dumps(
      Object value, Object indent, boolean ensureAscii, boolean sortKeys, Object separators) {
    String indentUnit = null;
    if (indent instanceof String s) indentUnit = s;
    else if (indent != null) indentUnit = " ".repeat((int) Math.max(0, Py.asLong(indent)));
    String itemSep = indentUnit == null ? ", " : ",";
    String keySep = ": ";
    if (separators instanceof List<?> seps && seps.size() == 2) {
      itemSep = Py.str(seps.get(0));
      keySep = Py.str(seps.get(1));
    }
    StringBuilder sb = new StringBuilder();
    new Json.Writer(indentUnit, itemSep, keySep, ensureAscii, sortKeys).write(value, sb, 0);
    return sb.toString();
  }

  private record Writer(
      String indent, String itemSep, String keySep, boolean ensureAscii, boolean sortKeys) {
    void write(Object v, StringBuilder sb, int depth) {
      switch (v) {
        case null -> sb.append("null");
        case Boolean b -> sb.append(b ? "true" : "false");
        case Long l -> sb.append(l);
        case Double d -> {
          if (d.isNaN()) sb.append("NaN");
          else if (d.isInfinite()) sb.append(d > 0 ? "Infinity" : "-Infinity");
          else sb.append(Py.floatRepr(d));
        }
        case String s -> string(s, sb);
        case List<?> l -> {
          if (l.isEmpty()) {
            sb.append("[]");
            return;
          }
          sb.append('[');
          for (int i = 0; i < l.size(); i++) {
            if (i > 0) sb.append(itemSep);
            newline(sb, depth + 1);
            write(l.get(i), sb, depth + 1);
          }
          newline(sb, depth);
          sb.append(']');
        }
        case Map<?, ?> m -> {
          if (m.isEmpty()) {
            sb.append("{}");
            return;
          }
          var entries = new java.util.ArrayList<Map.Entry<?, ?>>(m.entrySet());
          if (sortKeys) entries.sort((a, b) -> Py.compare(key(a.getKey()), key(b.getKey())));
          sb.append('{');
          boolean first = true;
          for (var e : entries) {
            if (!first) sb.append(itemSep);
            first = false;
            newline(sb, depth + 1);
            string(key(e.getKey()), sb);
            sb.append(keySep);
            write(e.getValue(), sb, depth + 1);
          }
          newline(sb, depth);
          sb.append('}');
        }
        case Undefined u ->
            throw new TemplateError("Object of type Undefined is not JSON serializable");
        default ->
            throw new TemplateError(
                "Object of type " + Py.typeName(v) + " is not JSON serializable");
      }
    }

    private static String key(Object k) {
      return switch (k) {
        case String s -> s;
        case null -> "null";
        case Boolean b -> b ? "true" : "false";
        case Long l -> l.toString();
        case Double d -> Py.floatRepr(d);
        default -> throw new TemplateError("keys must be str, int, float, bool or None");
      };
    }

    private void newline(StringBuilder sb, int depth) {
      if (indent != null) sb.append('\n').append(indent.repeat(depth));
    }

    private void string(String s, StringBuilder sb) {
      sb.append('"');
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        switch (c) {
          case '"' -> sb.append("\\\"");
          case '\\' -> sb.append("\\\\");
          case '\n' -> sb.append("\\n");
          case '\r' -> sb.append("\\r");
          case '\t' -> sb.append("\\t");
          case '\b' -> sb.append("\\b");
          case '\f' -> sb.append("\\f");
          default -> {
            if (c < 0x20 || (ensureAscii && c > 0x7e)) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
          }
        }
      }
      sb.append('"');
    }
  }
}
