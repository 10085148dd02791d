package nla.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * A request body being read field by field, as pydantic validates one: every problem is collected
 * as a {@code {loc, msg, type}} item with pydantic's type names, and {@link #done} answers them all
 * in one 422. Unknown fields are ignored (pydantic's default).
 */
final class Body {
  private final JsonNode root;
  private final ArrayNode problems = JsonNodeFactory.instance.arrayNode();

  Body(JsonNode root) {
    if (root == null || !root.isObject()) {
      throw ApiError.invalid(
          "model_attributes_type", "Input should be a valid dictionary or object");
    }
    this.root = root;
  }

  private JsonNode field(String name) {
    JsonNode n = root.get(name);
    return n == null || n.isNull() ? null : n;
  }

  void problem(String type, String msg, Object... loc) {
    problems.add(ApiError.item(type, msg, loc));
  }

  /** Throws the collected problems as one 422. */
  void done() {
    if (!problems.isEmpty()) throw new ApiError(422, problems, null);
  }

  boolean has(String name) {
    return field(name) != null;
  }

  String string(String name, boolean required, int maxChars) {
    JsonNode n = field(name);
    if (n == null) {
      if (required) problem("missing", "Field required", name);
      return null;
    }
    if (!n.isTextual()) {
      problem("string_type", "Input should be a valid string", name);
      return null;
    }
    String s = n.asText();
    if (s.length() > maxChars) {
      problem(
          "string_too_long",
          "String should have at most " + maxChars + " characters (got " + s.length() + ")",
          name);
      return null;
    }
    return s;
  }

  boolean bool(String name, boolean fallback) {
    JsonNode n = field(name);
    if (n == null) return fallback;
    if (!n.isBoolean()) {
      problem("bool_type", "Input should be a valid boolean", name);
      return fallback;
    }
    return n.asBoolean();
  }

  Boolean optionalBool(String name) {
    JsonNode n = field(name);
    if (n == null) return null;
    if (!n.isBoolean()) {
      problem("bool_type", "Input should be a valid boolean", name);
      return null;
    }
    return n.asBoolean();
  }

  /** A number in [min, max] ({@code minExclusive}: above min). */
  double number(String name, double fallback, double min, boolean minExclusive, double max) {
    JsonNode n = field(name);
    if (n == null) return fallback;
    if (!n.isNumber()) {
      problem("float_type", "Input should be a valid number", name);
      return fallback;
    }
    double x = n.asDouble();
    if (!Double.isFinite(x)) {
      problem("finite_number", "Input should be a finite number", name);
    } else if (minExclusive ? x <= min : x < min) {
      problem(
          minExclusive ? "greater_than" : "greater_than_equal",
          "Input should be " + (minExclusive ? "greater than " : "greater than or equal to ") + min,
          name);
    } else if (x > max) {
      problem("less_than_equal", "Input should be less than or equal to " + max, name);
    } else {
      return x;
    }
    return fallback;
  }

  long integer(String name, long fallback, long min, long max) {
    JsonNode n = field(name);
    if (n == null) return fallback;
    if (!isInteger(n)) {
      problem("int_type", "Input should be a valid integer", name);
      return fallback;
    }
    long x = n.asLong();
    if (x < min) {
      problem("greater_than_equal", "Input should be greater than or equal to " + min, name);
    } else if (x > max) {
      problem("less_than_equal", "Input should be less than or equal to " + max, name);
    } else {
      return x;
    }
    return fallback;
  }

  private static boolean isInteger(JsonNode n) {
    if (n.isIntegralNumber()) return n.canConvertToLong();
    // pydantic takes 3.0 for an int, not 3.5.
    return n.isFloatingPointNumber()
        && Double.isFinite(n.asDouble())
        && n.asDouble() == Math.rint(n.asDouble())
        && Math.abs(n.asDouble()) < 9e15;
  }

  /** A list of integers (null when absent), at most {@code maxItems}. */
  List<Integer> integers(String name, int maxItems) {
    JsonNode n = field(name);
    if (n == null) return null;
    if (!n.isArray()) {
      problem("list_type", "Input should be a valid list", name);
      return null;
    }
    if (n.size() > maxItems) {
      problem("too_long", "List should have at most " + maxItems + " items", name);
      return null;
    }
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < n.size(); i++) {
      JsonNode x = n.get(i);
      if (!isInteger(x) || x.asLong() != (int) x.asLong()) {
        problem("int_type", "Input should be a valid integer", name, i);
        return null;
      }
      out.add((int) x.asLong());
    }
    return out;
  }

  /**
   * A vector of exactly {@code width} finite numbers ({@code loc} the field's path). Width and
   * finiteness are checked here (Neuronpedia answers a wrong width on /score with a 500).
   */
  float[] vector(JsonNode n, int width, Object... loc) {
    if (n == null || n.isNull()) {
      problem("missing", "Field required", loc);
      return null;
    }
    if (!n.isArray()) {
      problem("list_type", "Input should be a valid list", loc);
      return null;
    }
    if (n.size() != width) {
      problem(
          "vector_width",
          "Vector has " + n.size() + " values; this server's d_model is " + width,
          loc);
      return null;
    }
    float[] v = new float[width];
    boolean nonZero = false;
    for (int i = 0; i < width; i++) {
      JsonNode x = n.get(i);
      if (!x.isNumber()) {
        problem("float_type", "Input should be a valid number", append(loc, i));
        return null;
      }
      double d = x.asDouble();
      float f = (float) d;
      if (!Double.isFinite(d) || !Float.isFinite(f)) {
        problem(
            "finite_number", "Input should be a finite float32 number, got " + x, append(loc, i));
        return null;
      }
      v[i] = f;
      nonZero |= f != 0;
    }
    if (!nonZero) {
      problem("zero_vector", "Vector is all zeros: it has no direction to verbalize or score", loc);
      return null;
    }
    return v;
  }

  float[] vector(String name, int width) {
    return vector(root.get(name), width, name);
  }

  /** A list of 1..maxItems vectors of {@code width}. */
  List<float[]> vectors(String name, int width, int maxItems) {
    JsonNode n = field(name);
    if (n == null) {
      problem("missing", "Field required", name);
      return null;
    }
    if (!n.isArray()) {
      problem("list_type", "Input should be a valid list", name);
      return null;
    }
    if (n.isEmpty()) {
      problem("too_short", "List should have at least 1 item", name);
      return null;
    }
    if (n.size() > maxItems) {
      problem("too_long", "List should have at most " + maxItems + " items", name);
      return null;
    }
    List<float[]> out = new ArrayList<>();
    for (int i = 0; i < n.size(); i++) out.add(vector(n.get(i), width, name, i));
    return out;
  }

  JsonNode raw(String name) {
    return field(name);
  }

  private static Object[] append(Object[] loc, Object last) {
    Object[] out = java.util.Arrays.copyOf(loc, loc.length + 1);
    out[loc.length] = last;
    return out;
  }
}
