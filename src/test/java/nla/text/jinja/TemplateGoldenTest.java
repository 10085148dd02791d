package nla.text.jinja;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every case of {@code golden/jinja/cases.json}, rendered by real Python jinja2 configured as
 * Hugging Face configures it ({@code tools/golden/jinja_render.py}): unit templates for each Jinja
 * feature, and the five published chat templates over several message lists.
 */
class TemplateGoldenTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNode GOLDEN = load("/golden/jinja/cases.json");

  private static JsonNode load(String resource) {
    try (InputStream in = TemplateGoldenTest.class.getResourceAsStream(resource)) {
      return JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String templateFile(String name) {
    try (InputStream in = TemplateGoldenTest.class.getResourceAsStream("/chat-templates/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Stream<JsonNode> cases() {
    List<JsonNode> all = new ArrayList<>();
    GOLDEN.path("cases").forEach(all::add);
    return all.stream();
  }

  private static final ZonedDateTime PINNED =
      LocalDateTime.parse(GOLDEN.path("pinned_now").asText()).atZone(ZoneId.systemDefault());

  @Test
  void goldenFileCoversUnitCasesAndAllFourChatTemplates() {
    List<String> names = cases().map(c -> c.path("name").asText()).toList();
    assertTrue(names.size() > 100, "cases: " + names.size());
    for (String family :
        List.of(
            "qwen2.5-instruct",
            "qwen3",
            "gemma-3-it",
            "llama-3.3-instruct",
            "llama-3.2-instruct")) {
      assertTrue(names.stream().anyMatch(n -> n.startsWith(family + "/")), family);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void rendersLikeJinja2(JsonNode golden) {
    String source =
        golden.has("template_file")
            ? templateFile(golden.path("template_file").asText())
            : golden.path("template").asText();
    @SuppressWarnings("unchecked")
    Map<String, Object> variables = JSON.convertValue(golden.path("variables"), Map.class);
    if (golden.has("error")) {
      TemplateError e =
          assertThrows(
              TemplateError.class, () -> Template.parse(source).render(variables, () -> PINNED));
      if (e instanceof TemplateError.Raised) {
        assertEquals(golden.path("error").asText(), e.getMessage());
      }
      return;
    }
    assertEquals(
        golden.path("output").asText(), Template.parse(source).render(variables, () -> PINNED));
  }
}
