package nla.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/** One JSON value per line, as the commands print them. Non-finite numbers become null. */
final class Json {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  static String line(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A double for JSON: NaN and infinities have no JSON spelling, so they print as null. */
  static Double num(double x) {
    return Double.isFinite(x) ? x : null;
  }
}
