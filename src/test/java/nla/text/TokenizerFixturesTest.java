package nla.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TokenizerFixturesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode config(String family) throws Exception {
    return JSON.readTree(TokenizerFixtures.dir(family).resolve("tokenizer_config.json").toFile());
  }

  @Test
  void everyFamilyHasAParseableTokenizerJson() throws Exception {
    for (String family : TokenizerFixtures.FAMILIES) {
      Path dir = TokenizerFixtures.dir(family);
      JsonNode tokenizer = JSON.readTree(dir.resolve("tokenizer.json").toFile());
      assertEquals("BPE", tokenizer.path("model").path("type").asText(), family);
    }
  }

  @Test
  void configsCarryThePublishedChatTemplates() throws Exception {
    assertEquals(
        TokenizerFixtures.chatTemplate("qwen2.5-instruct.chat_template.jinja"),
        config("qwen2.5").path("chat_template").asText());
    assertEquals(
        TokenizerFixtures.chatTemplate("gemma-3-it.chat_template.jinja"),
        config("gemma3").path("chat_template").asText());
    assertEquals(
        TokenizerFixtures.chatTemplate("llama-3.3-instruct.chat_template.jinja"),
        config("llama3").path("chat_template").asText());
  }
}
