package nla.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Parity with Hugging Face transformers 5.17 on {@code golden/tokenizers/<family>/reference.json}
 * ({@code tools/golden/make_tokenizer_refs.py}): for every text, ids with and without special
 * tokens, tokens, code-point offsets, single-token decodes and full decodes; for every chat, the
 * rendered template and {@code apply_chat_template(tokenize=True)} ids; and the tokenizer's size
 * and special ids.
 */
class TokenizerGoldenTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();

  private static Tokenizer tokenizer(String family) {
    return TOKENIZERS.computeIfAbsent(family, f -> Tokenizer.load(TokenizerFixtures.goldenDir(f)));
  }

  private static JsonNode reference(String family) {
    String resource = "/golden/tokenizers/" + family + "/reference.json";
    try (InputStream in = TokenizerGoldenTest.class.getResourceAsStream(resource)) {
      if (in == null) throw new IllegalStateException("missing test resource " + resource);
      return JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
    return out;
  }

  private static String[] strings(JsonNode array) {
    String[] out = new String[array.size()];
    for (int i = 0; i < out.length; i++) out[i] = array.get(i).asText();
    return out;
  }

  private static String offsets(int[][] offsets) {
    return Arrays.deepToString(offsets).replace(" ", "");
  }

  private static String offsets(JsonNode array) {
    return array.toString().replace(" ", "");
  }

  static Stream<Arguments> texts() {
    List<Arguments> all = new ArrayList<>();
    for (String family : TokenizerFixtures.FAMILIES) {
      JsonNode texts = reference(family).path("texts");
      for (int i = 0; i < texts.size(); i++) {
        all.add(Arguments.of(family, Named.of("text " + i, texts.get(i))));
      }
    }
    return all.stream();
  }

  static Stream<Arguments> chats() {
    List<Arguments> all = new ArrayList<>();
    for (String family : TokenizerFixtures.FAMILIES) {
      JsonNode chats = reference(family).path("chats");
      for (int i = 0; i < chats.size(); i++) {
        all.add(Arguments.of(family, Named.of("chat " + i, chats.get(i))));
      }
    }
    return all.stream();
  }

  static Stream<String> families() {
    return TokenizerFixtures.FAMILIES.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("families")
  void sizeAndSpecialIdsMatch(String family) {
    JsonNode ref = reference(family);
    Tokenizer t = tokenizer(family);
    assertEquals(ref.path("vocab_size").asInt(), t.vocabSize());
    assertArrayEquals(ints(ref.path("all_special_ids")), t.allSpecialIds());
    Object bos = t.specialTokens().get("bos_token");
    int bosId = bos == null ? -1 : t.tokenId((String) bos);
    assertEquals(ref.path("bos_token_id").isNull() ? -1 : ref.path("bos_token_id").asInt(), bosId);
    assertEquals(
        ref.path("eos_token_id").asInt(), t.tokenId((String) t.specialTokens().get("eos_token")));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("texts")
  void encodingMatches(String family, JsonNode ref) {
    Tokenizer t = tokenizer(family);
    String text = ref.path("text").asText();
    Encoding with = t.encode(text, true);
    Encoding without = t.encode(text, false);
    assertArrayEquals(ints(ref.path("ids_with_special")), with.ids(), "ids with special");
    assertArrayEquals(ints(ref.path("ids_without_special")), without.ids(), "ids without special");
    assertArrayEquals(strings(ref.path("tokens_with_special")), with.tokens(), "tokens");
    assertEquals(offsets(ref.path("offsets_with_special")), offsets(with.offsets()), "offsets");
    assertEquals(
        offsets(ref.path("offsets_without_special")), offsets(without.offsets()), "offsets w/o");
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("texts")
  void decodingMatches(String family, JsonNode ref) {
    Tokenizer t = tokenizer(family);
    int[] ids = ints(ref.path("ids_with_special"));
    String[] expectedTokenTexts = strings(ref.path("token_texts"));
    for (int i = 0; i < ids.length; i++) {
      assertEquals(expectedTokenTexts[i], t.tokenText(ids[i]), "token text of id " + ids[i]);
      assertEquals(expectedTokenTexts[i], t.tokenTexts()[ids[i]], "bulk token text of " + ids[i]);
    }
    assertEquals(ref.path("decode_keep_special").asText(), t.decode(ids, false));
    assertEquals(ref.path("decode_skip_special").asText(), t.decode(ids, true));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("chats")
  void chatTemplateMatches(String family, JsonNode ref) {
    Tokenizer t = tokenizer(family);
    if (ref.has("date_string")) {
      t = t.withTemplateVariables(Map.of("date_string", ref.path("date_string").asText()));
    }
    List<ChatMessage> messages = new ArrayList<>();
    for (JsonNode m : ref.path("messages")) {
      messages.add(new ChatMessage(m.path("role").asText(), m.path("content").asText()));
    }
    boolean generationPrompt = ref.path("add_generation_prompt").asBoolean();
    assertEquals(ref.path("rendered").asText(), t.renderChat(messages, generationPrompt));
    assertArrayEquals(ints(ref.path("ids")), t.applyChatTemplate(messages, generationPrompt));
  }
}
