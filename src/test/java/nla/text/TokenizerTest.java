package nla.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import nla.io.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tokenizer behaviours on the real Qwen2.5, Gemma 3 and Llama 3 tokenizers. Expected ids come from
 * the tokenizer files themselves (vocabulary and added-token tables), expected offsets from Python
 * string indexing worked out by hand; exact parity with Hugging Face is {@code
 * TokenizerGoldenTest}.
 */
class TokenizerTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final Tokenizer QWEN = Tokenizer.load(TokenizerFixtures.dir("qwen2.5"));
  private static final Tokenizer GEMMA = Tokenizer.load(TokenizerFixtures.dir("gemma3"));
  private static final Tokenizer LLAMA = Tokenizer.load(TokenizerFixtures.dir("llama3"));

  private static final Map<String, JsonNode> TOKENIZER_JSON = new java.util.HashMap<>();

  private static synchronized JsonNode tokenizerJson(String family) throws IOException {
    JsonNode json = TOKENIZER_JSON.get(family);
    if (json == null) {
      json = JSON.readTree(TokenizerFixtures.dir(family).resolve("tokenizer.json").toFile());
      TOKENIZER_JSON.put(family, json);
    }
    return json;
  }

  private static int addedTokenId(String family, String content) throws IOException {
    for (JsonNode t : tokenizerJson(family).path("added_tokens")) {
      if (t.path("content").asText().equals(content)) return t.path("id").asInt();
    }
    throw new AssertionError(content + " not in " + family);
  }

  private static int vocabId(String family, String token) throws IOException {
    JsonNode id = tokenizerJson(family).path("model").path("vocab").path(token);
    if (id.isMissingNode()) throw new AssertionError(token + " not in " + family + " vocab");
    return id.asInt();
  }

  /**
   * The tokenizers library is told to use the CPU build it carries: on a GPU machine it would look
   * for a CUDA build and download it (an offline GPU machine failed every tokenizer load so).
   */
  @Test
  void theTokenizersLibraryRunsItsCpuBuild() {
    assertEquals(QWEN.encode("hello", false).ids().length, 1);
    String flavor =
        System.getenv(Tokenizer.FLAVOR_PROPERTY) != null
            ? System.getenv(Tokenizer.FLAVOR_PROPERTY)
            : System.getProperty(Tokenizer.FLAVOR_PROPERTY);
    assertEquals("cpu", flavor);
  }

  @Test
  void qwenAddsNoBosEvenWithSpecialTokens() throws IOException {
    int[] with = QWEN.encode("hello", true).ids();
    int[] without = QWEN.encode("hello", false).ids();
    assertArrayEquals(new int[] {vocabId("qwen2.5", "hello")}, with);
    assertArrayEquals(with, without);
  }

  @Test
  void gemmaAndLlamaPrependBosOnlyWithSpecialTokens() throws IOException {
    int gemmaBos = addedTokenId("gemma3", "<bos>");
    int llamaBos = addedTokenId("llama3", "<|begin_of_text|>");
    assertEquals(gemmaBos, GEMMA.encode("hello", true).ids()[0]);
    assertEquals(
        GEMMA.encode("hello", true).ids().length - 1, GEMMA.encode("hello", false).ids().length);
    assertFalse(Arrays.stream(GEMMA.encode("hello", false).ids()).anyMatch(id -> id == gemmaBos));
    assertEquals(llamaBos, LLAMA.encode("hello", true).ids()[0]);
    assertArrayEquals(
        new int[] {llamaBos, vocabId("llama3", "hello")}, LLAMA.encode("hello", true).ids());
    assertArrayEquals(new int[] {vocabId("llama3", "hello")}, LLAMA.encode("hello", false).ids());
  }

  @Test
  void offsetsArePythonCodePointIndicesAndBosIsZeroZero() throws IOException {
    // Python: len("é😀") == 2, so " hi" spans [2, 5); in UTF-16 it would be [3, 6).
    String text = "é😀 hi";
    Encoding q = QWEN.encode(text, true);
    assertEquals("Ġhi", q.tokens()[q.size() - 1]);
    assertArrayEquals(new int[] {2, 5}, q.offsets()[q.size() - 1]);
    Encoding l = LLAMA.encode(text, true);
    assertArrayEquals(new int[] {0, 0}, l.offsets()[0]);
    assertArrayEquals(new int[] {2, 5}, l.offsets()[l.size() - 1]);
    Encoding g = GEMMA.encode(text, true);
    assertArrayEquals(new int[] {0, 0}, g.offsets()[0]);
    assertEquals("▁hi", g.tokens()[g.size() - 1]);
    assertArrayEquals(new int[] {2, 5}, g.offsets()[g.size() - 1]);
  }

  @Test
  void addedSpecialTokensInTextAreSingleTokens() throws IOException {
    Encoding e = QWEN.encode("<|im_start|>user\nhi<|im_end|>", false);
    assertEquals(addedTokenId("qwen2.5", "<|im_start|>"), e.ids()[0]);
    assertArrayEquals(new int[] {0, 12}, e.offsets()[0]);
    assertEquals(addedTokenId("qwen2.5", "<|im_end|>"), e.ids()[e.size() - 1]);
  }

  @Test
  void decodeSkipsOnlySpecialAddedTokensWhenAsked() throws IOException {
    int[] ids = GEMMA.encode("Hello world", true).ids();
    assertEquals("<bos>Hello world", GEMMA.decode(ids, false));
    assertEquals("Hello world", GEMMA.decode(ids, true));
    // <tool_call> is an added token with "special": false in Qwen's tokenizer.json: never skipped.
    int toolCall = addedTokenId("qwen2.5", "<tool_call>");
    int imEnd = addedTokenId("qwen2.5", "<|im_end|>");
    assertEquals("<tool_call>", QWEN.decode(new int[] {toolCall, imEnd}, true));
    assertFalse(QWEN.isSpecial(toolCall));
    assertTrue(QWEN.isSpecial(imEnd));
  }

  @Test
  void llamaDecodeKeepsSpacesBeforePunctuationLikeTransformers5() throws IOException {
    // tokenizer_config.json of Llama 3 sets clean_up_tokenization_spaces: true, but transformers 5
    // ignores it for BPE models (golden/tokenizers/llama3/reference.json); Qwen's is false anyway.
    String text = "Hello , world . It 's";
    assertEquals(text, LLAMA.decode(LLAMA.encode(text, false).ids(), true));
    assertEquals(text, QWEN.decode(QWEN.encode(text, false).ids(), true));
  }

  @Test
  void tokenTextRendersSpecialTokensAndByteLevelSpaces() throws IOException {
    assertEquals("<|im_start|>", QWEN.tokenText(addedTokenId("qwen2.5", "<|im_start|>")));
    assertEquals(" hi", QWEN.tokenText(vocabId("qwen2.5", "Ġhi"))); // Ġ is the byte-level space
    assertEquals("<bos>", GEMMA.tokenText(addedTokenId("gemma3", "<bos>")));
    assertEquals(" hi", GEMMA.tokenText(vocabId("gemma3", "▁hi")));
    // One byte of a three-byte character decodes to U+FFFD.
    assertEquals("\uFFFD", GEMMA.tokenText(vocabId("gemma3", "<0xE3>")));
  }

  @Test
  void vocabSizeCountsVocabularyAndAddedTokens() throws IOException {
    assertEquals(
        tokenizerJson("qwen2.5").path("model").path("vocab").size()
            + tokenizerJson("qwen2.5").path("added_tokens").size(),
        QWEN.vocabSize());
    assertEquals(128256, LLAMA.vocabSize());
    // Gemma's vocab holds ids 0..262143; one added token (<image_soft_token>) sits past it.
    assertEquals(262144, tokenizerJson("gemma3").path("model").path("vocab").size());
    assertEquals(262145, GEMMA.vocabSize());
  }

  @Test
  void chatTemplateIdsCarryExactlyOneBos() throws IOException {
    int gemmaBos = addedTokenId("gemma3", "<bos>");
    int[] ids = GEMMA.applyChatTemplate(List.of(ChatMessage.user("hi")), true);
    assertEquals(gemmaBos, ids[0]);
    assertEquals(1, Arrays.stream(ids).filter(id -> id == gemmaBos).count());
    int llamaBos = addedTokenId("llama3", "<|begin_of_text|>");
    int[] llama = LLAMA.applyChatTemplate(List.of(ChatMessage.user("hi")), true);
    assertEquals(llamaBos, llama[0]);
    assertEquals(1, Arrays.stream(llama).filter(id -> id == llamaBos).count());
  }

  @Test
  void qwenTemplateInjectsDefaultSystemPrompt() {
    String rendered = QWEN.renderChat(List.of(ChatMessage.user("hi")), true);
    assertEquals(
        "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful"
            + " assistant.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
        rendered);
    assertArrayEquals(
        QWEN.encode(rendered, false).ids(),
        QWEN.applyChatTemplate(List.of(ChatMessage.user("hi")), true));
  }

  @Test
  void llamaDateCanBePinned() {
    String dflt = LLAMA.renderChat(List.of(ChatMessage.user("hi")), true);
    assertTrue(
        dflt.contains("Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"), dflt);
    String pinned =
        LLAMA
            .withTemplateVariables(Map.of("date_string", "05 Mar 2026"))
            .renderChat(List.of(ChatMessage.user("hi")), true);
    assertTrue(pinned.contains("Today Date: 05 Mar 2026\n\n"), pinned);
  }

  @Test
  void templateRefusalIsAUserErrorNamingTheFile() {
    UserError e =
        assertThrows(
            UserError.class,
            () -> GEMMA.renderChat(List.of(ChatMessage.user("a"), ChatMessage.user("b")), true));
    assertTrue(e.getMessage().contains("tokenizer_config.json"), e.getMessage());
    assertTrue(e.getMessage().contains("Conversation roles must alternate"), e.getMessage());
  }

  @Test
  void missingTokenizerJsonIsAUserErrorNamingIt(@TempDir Path dir) {
    UserError e = assertThrows(UserError.class, () -> Tokenizer.load(dir));
    assertTrue(e.getMessage().contains(dir.resolve("tokenizer.json").toString()), e.getMessage());
  }

  @Test
  void corruptTokenizerJsonIsAUserErrorNamingIt(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"vocab\": ");
    UserError e = assertThrows(UserError.class, () -> Tokenizer.load(dir));
    assertTrue(
        e.getMessage().startsWith(dir.resolve("tokenizer.json") + ": not valid JSON"),
        e.getMessage());
  }

  @Test
  void jsonThatIsNoTokenizerIsAUserError(@TempDir Path dir) throws IOException {
    Files.writeString(
        dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\", \"vocab\": 3}}");
    UserError e = assertThrows(UserError.class, () -> Tokenizer.load(dir));
    assertTrue(e.getMessage().startsWith(dir.resolve("tokenizer.json").toString()), e.getMessage());
  }

  @Test
  void corruptTokenizerConfigIsAUserErrorNamingIt(@TempDir Path dir) throws IOException {
    TokenizerFixtures.copyOf("qwen2.5", dir);
    Files.writeString(dir.resolve("tokenizer_config.json"), "not json");
    UserError e = assertThrows(UserError.class, () -> Tokenizer.load(dir));
    assertTrue(
        e.getMessage().startsWith(dir.resolve("tokenizer_config.json").toString()), e.getMessage());
  }

  @Test
  void missingChatTemplateIsAUserErrorOnlyWhenUsed(@TempDir Path dir) throws IOException {
    TokenizerFixtures.copyOf("qwen2.5", dir);
    Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|im_end|>\"}");
    Tokenizer t = Tokenizer.load(dir);
    assertEquals(1, t.encode("hello", true).size());
    UserError e =
        assertThrows(UserError.class, () -> t.renderChat(List.of(ChatMessage.user("x")), true));
    assertTrue(e.getMessage().contains("no chat_template"), e.getMessage());
  }

  @Test
  void chatTemplateJinjaFileTakesPrecedence(@TempDir Path dir) throws IOException {
    TokenizerFixtures.copyOf("qwen2.5", dir);
    Files.writeString(
        dir.resolve("chat_template.jinja"), "{% for m in messages %}[{{ m.content }}]{% endfor %}");
    assertEquals("[x]", Tokenizer.load(dir).renderChat(List.of(ChatMessage.user("x")), true));
  }

  @Test
  void tokenTextsEqualsSingleTokenDecodes() {
    for (Tokenizer t : List.of(QWEN, GEMMA, LLAMA)) {
      String[] all = t.tokenTexts();
      assertEquals(t.vocabSize(), all.length);
      for (int id = 0; id < t.vocabSize(); id += 997)
        assertEquals(t.tokenText(id), all[id], "id " + id);
    }
  }

  @Test
  void allSpecialIdsAreTheConfigsNamedAndAdditionalSpecialTokens() throws IOException {
    // Llama 3's config names only bos and eos; Qwen's eos, pad and 13 additional ones.
    assertArrayEquals(
        new int[] {
          addedTokenId("llama3", "<|begin_of_text|>"), addedTokenId("llama3", "<|eot_id|>")
        },
        LLAMA.allSpecialIds());
    int[] qwen = QWEN.allSpecialIds();
    assertEquals(
        14, qwen.length); // <|endoftext|> (pad) + <|im_start|>..<|video_pad|> (13, eos among them)
    assertEquals(addedTokenId("qwen2.5", "<|endoftext|>"), qwen[0]);
  }

  @Test
  void idsPastTheTokenizerDecodeToNothingAsInHuggingFace() throws IOException {
    // Qwen2.5 models have 151936 embedding rows but 151669 tokens; the Rust decoder skips the rest.
    int hello = vocabId("qwen2.5", "Hello");
    assertEquals("", QWEN.tokenText(151900));
    assertEquals("Hello", QWEN.decode(new int[] {hello, 151900}, false));
  }

  @Test
  void processorChatTemplateJsonIsTheLastResort(@TempDir Path dir) throws IOException {
    TokenizerFixtures.copyOf("gemma3", dir);
    Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<bos>\"}");
    Files.writeString(
        dir.resolve("chat_template.json"),
        "{\"chat_template\": \"{{ bos_token }}[{{ messages[0].content }}]\"}");
    assertEquals("<bos>[x]", Tokenizer.load(dir).renderChat(List.of(ChatMessage.user("x")), true));
  }
}
