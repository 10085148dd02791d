package nla.text.jinja;

import java.util.ArrayList;
import java.util.List;

/** Python's binary operators on template values ({@code + - * / // % **}). */
final class Arithmetic {
  private Arithmetic() {}

  static Object apply(String op, Object l, Object r, int line) {
    if (op.equals("+")) {
      if (l instanceof String a && r instanceof String b) return a + b;
      if (l instanceof List<?> a && r instanceof List<?> b) {
        List<Object> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
      }
    }
    if (op.equals("*")) {
      if (l instanceof String s && Py.isInt(r)) return s.repeat((int) Math.max(0, Py.asLong(r)));
      if (l instanceof List<?> a && Py.isInt(r)) {
        List<Object> out = new ArrayList<>();
        for (long k = 0; k < Py.asLong(r); k++) out.addAll(a);
        return out;
      }
    }
    if (!Py.isNumber(l) || !Py.isNumber(r)) {
      throw new TemplateError(
          "line "
              + line
              + ": unsupported operand type(s) for "
              + op
              + ": '"
              + Py.typeName(l)
              + "' and '"
              + Py.typeName(r)
              + "'");
    }
    boolean ints = Py.isInt(l) && Py.isInt(r);
    if (ints) {
      long a = Py.asLong(l), b = Py.asLong(r);
      switch (op) {
        case "+" -> {
          return Math.addExact(a, b);
        }
        case "-" -> {
          return Math.subtractExact(a, b);
        }
        case "*" -> {
          return Math.multiplyExact(a, b);
        }
        case "//" -> {
          if (b == 0) throw new TemplateError("line " + line + ": integer division by zero");
          return Math.floorDiv(a, b);
        }
        case "%" -> {
          if (b == 0) throw new TemplateError("line " + line + ": integer modulo by zero");
          return Math.floorMod(a, b);
        }
        case "**" -> {
          if (b >= 0) {
            long result = 1;
            for (long k = 0; k < b; k++) result = Math.multiplyExact(result, a);
            return result;
          }
          return Math.pow(a, b);
        }
        default -> {}
      }
    }
    double a = Py.asDouble(l), b = Py.asDouble(r);
    return switch (op) {
      case "+" -> a + b;
      case "-" -> a - b;
      case "*" -> a * b;
      case "/" -> {
        if (b == 0) throw new TemplateError("line " + line + ": division by zero");
        yield a / b;
      }
      case "//" -> {
        if (b == 0) throw new TemplateError("line " + line + ": float floor division by zero");
        yield Math.floor(a / b);
      }
      case "%" -> {
        if (b == 0) throw new TemplateError("line " + line + ": float modulo");
        double m = a % b;
        yield (m != 0 && (m < 0) != (b < 0)) ? m + b : m;
      }
      case "**" -> Math.pow(a, b);
      default -> throw new IllegalStateException(op);
    };
  }
}
