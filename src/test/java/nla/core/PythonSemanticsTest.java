package nla.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import nla.io.UserError;
import org.junit.jupiter.api.Test;

/** Template formatting, stripping and explanation extraction against real Python's answers. */
class PythonSemanticsTest {
  private static final JsonNode GOLDEN = load();

  private static JsonNode load() {
    try (InputStream in =
        PythonSemanticsTest.class.getResourceAsStream("/golden/core/python_semantics.json")) {
      return new ObjectMapper().readTree(in);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void templatesFormatLikePythonStrFormatAndRefuseWhatPythonRefuses() {
    int checked = 0;
    for (JsonNode c : GOLDEN.get("format")) {
      Map<String, String> args = new LinkedHashMap<>();
      c.get("args").properties().forEach(e -> args.put(e.getKey(), e.getValue().asText()));
      String template = c.get("template").asText();
      if (c.has("ok")) {
        assertEquals(c.get("ok").asText(), PyFormat.format(template, args, "t"), template);
      } else {
        UserError e =
            assertThrows(
                UserError.class, () -> PyFormat.format(template, args, "prompt_templates.x"));
        assertTrue(e.getMessage().startsWith("prompt_templates.x: "), e.getMessage());
      }
      checked++;
    }
    assertEquals(11, checked);
  }

  @Test
  void stripRemovesExactlyPythonsWhitespace() {
    for (JsonNode c : GOLDEN.get("strip")) {
      assertEquals(
          c.get("stripped").asText(),
          Explanations.pythonStrip(c.get("input").asText()),
          c.toString());
    }
  }

  @Test
  void explanationIsTheFirstTaggedSpanStrippedOrNullWhenATagIsMissing() {
    int missing = 0;
    for (JsonNode c : GOLDEN.get("extract")) {
      JsonNode want = c.get("explanation");
      String got = Explanations.extract(c.get("input").asText());
      if (want.isNull()) {
        assertEquals(null, got, c.toString());
        missing++;
      } else {
        assertEquals(want.asText(), got, c.toString());
      }
    }
    assertEquals(4, missing);
  }
}
