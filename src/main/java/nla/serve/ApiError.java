package nla.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An answer other than 200: its status and the {@code detail} of its JSON body, a string or (for a
 * 422) FastAPI's list of {@code {loc, msg, type}} items, as Neuronpedia's server answers.
 */
final class ApiError extends RuntimeException {
  final int status;
  final JsonNode detail;
  final String retryAfter;

  ApiError(int status, String detail) {
    this(status, JsonNodeFactory.instance.textNode(detail), null);
  }

  ApiError(int status, JsonNode detail, String retryAfter) {
    super(detail.isTextual() ? detail.asText() : detail.toString(), null, false, false);
    this.status = status;
    this.detail = detail;
    this.retryAfter = retryAfter;
  }

  /** A 422 naming one field: {@code loc} is the path below the body, e.g. "activations", 3. */
  static ApiError invalid(String type, String msg, Object... loc) {
    ArrayNode items = JsonNodeFactory.instance.arrayNode();
    items.add(item(type, msg, loc));
    return new ApiError(422, items, null);
  }

  static ObjectNode item(String type, String msg, Object... loc) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    ArrayNode l = o.putArray("loc");
    l.add("body");
    for (Object x : loc) {
      if (x instanceof Integer i) l.add(i);
      else l.add(String.valueOf(x));
    }
    o.put("msg", msg);
    o.put("type", type);
    return o;
  }

  ObjectNode body() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.set("detail", detail);
    return o;
  }
}
