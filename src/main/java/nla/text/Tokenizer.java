package nla.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import nla.io.UserError;
import nla.text.jinja.Template;
import nla.text.jinja.TemplateError;

/**
 * A model's tokenizer with Hugging Face semantics: {@code tokenizer.json} runs in the real Rust
 * {@code tokenizers} library (through DJL's JNI binding, whose jar carries the native code), and
 * {@code tokenizer_config.json} supplies the chat template and the special tokens the template
 * sees.
 *
 * <p>What matches transformers' {@code PreTrainedTokenizerFast}: {@code encode(text,
 * addSpecialTokens)} runs the tokenizer's post-processor only when asked (so BOS appears for Gemma
 * and Llama, nothing for Qwen); offsets are code-point indices (Python's); {@code decode} skips
 * special added tokens on request and applies {@code clean_up_tokenization_spaces} when the config
 * sets it; {@link #applyChatTemplate} renders the template and encodes the result <em>without</em>
 * adding special tokens again (the template already wrote {@code <bos>}: contract trap "double
 * BOS").
 */
public final class Tokenizer {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Special tokens that transformers' tokenizer classes set when the config does not. */
  private static final Map<String, Map<String, String>> CLASS_DEFAULTS =
      Map.of(
          "GemmaTokenizer", gemmaDefaults(),
          "GemmaTokenizerFast", gemmaDefaults());

  private static Map<String, String> gemmaDefaults() {
    return Map.of(
        "unk_token", "<unk>",
        "bos_token", "<bos>",
        "eos_token", "<eos>",
        "pad_token", "<pad>",
        "mask_token", "<mask>");
  }

  private final Path dir;
  private final HuggingFaceTokenizer hf;
  private final int vocabSize;
  private final BitSet special;
  private final Map<Integer, String> addedTokens;
  private final Map<String, Object> specialTokensMap;
  private final List<String> extraSpecialTokens;
  private final boolean cleanUpTokenizationSpaces;
  private final String chatTemplateSource; // null: the model has none
  private final Path chatTemplateOrigin;
  private final Map<String, Object> templateVariables;
  private final Supplier<ZonedDateTime> clock;
  private volatile Template chatTemplate;
  private final java.util.concurrent.atomic.AtomicReference<String[]> tokenTexts;

  private Tokenizer(
      Path dir,
      HuggingFaceTokenizer hf,
      int vocabSize,
      BitSet special,
      Map<Integer, String> addedTokens,
      Map<String, Object> specialTokensMap,
      List<String> extraSpecialTokens,
      boolean cleanUpTokenizationSpaces,
      String chatTemplateSource,
      Path chatTemplateOrigin,
      Map<String, Object> templateVariables,
      Supplier<ZonedDateTime> clock,
      Template chatTemplate,
      java.util.concurrent.atomic.AtomicReference<String[]> tokenTexts) {
    this.dir = dir;
    this.hf = hf;
    this.vocabSize = vocabSize;
    this.special = special;
    this.addedTokens = addedTokens;
    this.specialTokensMap = specialTokensMap;
    this.extraSpecialTokens = extraSpecialTokens;
    this.cleanUpTokenizationSpaces = cleanUpTokenizationSpaces;
    this.chatTemplateSource = chatTemplateSource;
    this.chatTemplateOrigin = chatTemplateOrigin;
    this.templateVariables = templateVariables;
    this.clock = clock;
    this.chatTemplate = chatTemplate;
    this.tokenTexts = tokenTexts;
  }

  /**
   * The tokenizers library runs its CPU build: on a machine with an NVIDIA GPU it would otherwise
   * pick a CUDA build, which its jar lacks, and download it (failing offline). Tokenizing is host
   * work either way. DJL's LibUtils reads {@code RUST_FLAVOR} from the environment or the system
   * properties; a user's own wins.
   */
  static final String FLAVOR_PROPERTY = "RUST_FLAVOR";

  static {
    if (System.getenv(FLAVOR_PROPERTY) == null && System.getProperty(FLAVOR_PROPERTY) == null) {
      System.setProperty(FLAVOR_PROPERTY, "cpu");
    }
  }

  /**
   * Loads {@code tokenizer.json} and, when present, {@code tokenizer_config.json} from a model
   * directory. The chat template comes from {@code chat_template.jinja} (recent transformers write
   * it beside the config and prefer it), else the config's {@code chat_template}, else a
   * processor's {@code chat_template.json}.
   */
  public static Tokenizer load(Path modelDir) {
    Path tokenizerJson = modelDir.resolve("tokenizer.json");
    if (!Files.isRegularFile(tokenizerJson)) {
      throw new UserError(tokenizerJson + ": missing (every model directory needs tokenizer.json)");
    }
    byte[] bytes = read(tokenizerJson);
    TokenizerJsonSummary summary = TokenizerJsonSummary.read(tokenizerJson, bytes);
    int maxId = summary.maxVocabId();
    BitSet special = new BitSet();
    Map<Integer, String> added = new LinkedHashMap<>();
    for (JsonNode t : summary.addedTokens()) {
      int id = t.path("id").asInt();
      added.put(id, t.path("content").asText());
      if (t.path("special").asBoolean(false)) special.set(id);
      maxId = Math.max(maxId, id);
    }

    Path configPath = modelDir.resolve("tokenizer_config.json");
    JsonNode config = JSON.createObjectNode();
    if (Files.isRegularFile(configPath)) config = parseJson(configPath, read(configPath));

    Map<String, Object> specialTokensMap = new LinkedHashMap<>();
    for (String key :
        List.of(
            "bos_token",
            "eos_token",
            "unk_token",
            "sep_token",
            "pad_token",
            "cls_token",
            "mask_token")) {
      JsonNode node = config.path(key);
      // A key the config leaves out takes the tokenizer class's default (HF: GemmaTokenizer's
      // mask_token "<mask>"); an explicit null stays null.
      String value =
          node.isMissingNode()
              ? CLASS_DEFAULTS
                  .getOrDefault(config.path("tokenizer_class").asText(), Map.of())
                  .get(key)
              : tokenContent(node);
      if (value != null) specialTokensMap.put(key, value);
    }
    // transformers 5 counts extra_special_tokens (Gemma 3's image markers) among all_special_ids.
    List<String> extraSpecial = new ArrayList<>();
    for (JsonNode t : config.path("extra_special_tokens")) {
      String value = tokenContent(t);
      if (value != null) extraSpecial.add(value);
    }
    List<String> additional = new ArrayList<>();
    for (JsonNode t : config.path("additional_special_tokens")) {
      String value = tokenContent(t);
      if (value != null) additional.add(value);
    }
    if (!additional.isEmpty()) specialTokensMap.put("additional_special_tokens", additional);

    String templateSource = null;
    Path templateOrigin = configPath;
    Path templateFile = modelDir.resolve("chat_template.jinja");
    if (Files.isRegularFile(templateFile)) {
      templateSource = new String(read(templateFile), java.nio.charset.StandardCharsets.UTF_8);
      templateOrigin = templateFile;
    } else {
      templateSource = chatTemplateFromConfig(configPath, config.path("chat_template"));
    }
    Path processorTemplate = modelDir.resolve("chat_template.json");
    if (templateSource == null && Files.isRegularFile(processorTemplate)) {
      // Multimodal checkpoints (Gemma 3) saved by a processor keep the template only there.
      JsonNode processor = parseJson(processorTemplate, read(processorTemplate));
      templateSource = chatTemplateFromConfig(processorTemplate, processor.path("chat_template"));
      templateOrigin = processorTemplate;
    }

    HuggingFaceTokenizer hf;
    try {
      hf =
          HuggingFaceTokenizer.newInstance(
              new ByteArrayInputStream(bytes),
              Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
    } catch (IOException | RuntimeException e) {
      throw new UserError(
          tokenizerJson + ": the tokenizers library rejects it: " + e.getMessage(), e);
    }
    return new Tokenizer(
        modelDir,
        hf,
        maxId + 1,
        special,
        added,
        specialTokensMap,
        List.copyOf(extraSpecial),
        // transformers 5 skips the clean-up for BPE models (it would strip real spaces before
        // punctuation) unless the config insists; golden/tokenizers/llama3 pins this down.
        config.path("clean_up_tokenization_spaces").asBoolean(false)
            && (!isBpeModel(bytes)
                || config
                    .path("clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output")
                    .asBoolean(false)),
        templateSource,
        templateOrigin,
        Map.of(),
        ZonedDateTime::now,
        null,
        new java.util.concurrent.atomic.AtomicReference<>());
  }

  private static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UserError(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  /**
   * What we need from tokenizer.json besides the library's own parse: the largest vocabulary id and
   * the added-token table. Read by streaming, since the vocabulary and merges are tens of MB.
   */
  private record TokenizerJsonSummary(int maxVocabId, JsonNode addedTokens) {
    static TokenizerJsonSummary read(Path file, byte[] bytes) {
      try (com.fasterxml.jackson.core.JsonParser p = JSON.getFactory().createParser(bytes)) {
        if (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
          throw new UserError(file + ": not a JSON object");
        }
        Integer maxId = null;
        JsonNode added = JSON.createArrayNode();
        while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
          String field = p.currentName();
          p.nextToken();
          if (field.equals("added_tokens")) {
            added = JSON.readTree(p);
          } else if (field.equals("model") && p.currentToken().isStructStart()) {
            maxId = maxVocabId(p);
          } else {
            p.skipChildren();
          }
        }
        if (maxId == null) {
          throw new UserError(file + ": not a Hugging Face tokenizer (no model.vocab)");
        }
        return new TokenizerJsonSummary(maxId, added);
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new UserError(file + ": not valid JSON: " + e.getOriginalMessage(), e);
      } catch (IOException e) {
        throw new UserError(file + ": cannot read: " + e.getMessage(), e);
      }
    }

    /**
     * Inside "model": the largest id of "vocab" ({token: id} for BPE/WordPiece, a list for
     * Unigram).
     */
    private static Integer maxVocabId(com.fasterxml.jackson.core.JsonParser p) throws IOException {
      Integer maxId = null;
      while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
        String field = p.currentName();
        com.fasterxml.jackson.core.JsonToken value = p.nextToken();
        if (!field.equals("vocab")) {
          p.skipChildren();
        } else if (value == com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
          int max = -1;
          while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
            p.nextToken();
            max = Math.max(max, p.getValueAsInt(-1));
          }
          maxId = max;
        } else if (value == com.fasterxml.jackson.core.JsonToken.START_ARRAY) {
          int n = 0;
          while (p.nextToken() != com.fasterxml.jackson.core.JsonToken.END_ARRAY) {
            p.skipChildren();
            n++;
          }
          maxId = n - 1;
        } else {
          p.skipChildren();
        }
      }
      return maxId;
    }
  }

  private static JsonNode parseJson(Path file, byte[] bytes) {
    try {
      JsonNode node = JSON.readTree(bytes);
      if (node == null || !node.isObject()) throw new UserError(file + ": not a JSON object");
      return node;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new UserError(file + ": not valid JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new UserError(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** A special token in a config: a string, or an AddedToken object with "content". */
  private static String tokenContent(JsonNode node) {
    if (node.isTextual()) return node.asText();
    if (node.isObject() && node.path("content").isTextual()) return node.path("content").asText();
    return null;
  }

  /** {@code chat_template} is a string, or a list of {name, template} where "default" is used. */
  private static String chatTemplateFromConfig(Path configPath, JsonNode node) {
    if (node.isTextual()) return node.asText();
    if (node.isArray()) {
      for (JsonNode named : node) {
        if (named.path("name").asText().equals("default")) return named.path("template").asText();
      }
      throw new UserError(configPath + ": chat_template lists no template named \"default\"");
    }
    if (node.isMissingNode() || node.isNull()) return null;
    throw new UserError(configPath + ": chat_template is neither a string nor a list");
  }

  // ---- variants ----

  /**
   * This tokenizer with extra variables for the chat template, as Hugging Face's {@code
   * apply_chat_template(..., **kwargs)}: e.g. {@code date_string} pins the Llama 3.x "Today Date".
   */
  public Tokenizer withTemplateVariables(Map<String, ?> variables) {
    Map<String, Object> merged = new LinkedHashMap<>(templateVariables);
    merged.putAll(variables);
    return new Tokenizer(
        dir,
        hf,
        vocabSize,
        special,
        addedTokens,
        specialTokensMap,
        extraSpecialTokens,
        cleanUpTokenizationSpaces,
        chatTemplateSource,
        chatTemplateOrigin,
        Map.copyOf(merged),
        clock,
        chatTemplate,
        tokenTexts);
  }

  /** This tokenizer with {@code now} behind the template's {@code strftime_now}. */
  public Tokenizer withClock(Supplier<ZonedDateTime> now) {
    return new Tokenizer(
        dir,
        hf,
        vocabSize,
        special,
        addedTokens,
        specialTokensMap,
        extraSpecialTokens,
        cleanUpTokenizationSpaces,
        chatTemplateSource,
        chatTemplateOrigin,
        templateVariables,
        now,
        chatTemplate,
        tokenTexts);
  }

  // ---- encoding and decoding ----

  public Encoding encode(String text, boolean addSpecialTokens) {
    ai.djl.huggingface.tokenizers.Encoding e = hf.encode(text, addSpecialTokens, false);
    long[] longIds = e.getIds();
    int[] ids = new int[longIds.length];
    for (int i = 0; i < ids.length; i++) ids[i] = Math.toIntExact(longIds[i]);
    CharSpan[] spans = e.getCharTokenSpans();
    int[][] offsets = new int[ids.length][];
    for (int i = 0; i < ids.length; i++) {
      // The library reports no span for tokens its post-processor added; HF shows (0, 0).
      CharSpan s = spans[i];
      offsets[i] = s == null ? new int[] {0, 0} : new int[] {s.getStart(), s.getEnd()};
    }
    return new Encoding(ids, e.getTokens(), offsets);
  }

  public String decode(int[] ids, boolean skipSpecialTokens) {
    long[] longIds = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      // Ids past the tokenizer (a model's padded embedding rows) decode to nothing, as in HF.
      if (ids[i] < 0) throw new IllegalArgumentException("negative token id " + ids[i]);
      longIds[i] = ids[i];
    }
    String text = hf.decode(longIds, skipSpecialTokens);
    return cleanUpTokenizationSpaces ? cleanUpTokenization(text) : text;
  }

  /**
   * Whether tokenizer.json's {@code model.type} is BPE (read by streaming: the file is tens of MB).
   */
  static boolean isBpeModel(byte[] tokenizerJson) {
    try (com.fasterxml.jackson.core.JsonParser p =
        new com.fasterxml.jackson.core.JsonFactory().createParser(tokenizerJson)) {
      if (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) return false;
      while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        if (field.equals("model")
            && p.currentToken() == com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
          while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
            String key = p.currentName();
            p.nextToken();
            if (key.equals("type")) return "BPE".equals(p.getText());
            p.skipChildren();
          }
          return false;
        }
        p.skipChildren();
      }
      return false;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * transformers' {@code clean_up_tokenization}: removes the space before punctuation and English
   * contractions that old word-level tokenizers produced (Llama 3's config turns it on).
   */
  static String cleanUpTokenization(String s) {
    return s.replace(" .", ".")
        .replace(" ?", "?")
        .replace(" !", "!")
        .replace(" ,", ",")
        .replace(" ' ", "'")
        .replace(" n't", "n't")
        .replace(" 'm", "'m")
        .replace(" 's", "'s")
        .replace(" 've", "'ve")
        .replace(" 're", "'re");
  }

  /**
   * The text of one token as {@code decode([id], skip_special_tokens=False)}: special tokens as
   * their text, a lone byte of a multi-byte character as U+FFFD, an id past {@link #vocabSize} (a
   * padded embedding row of the model) as "". The generation-time ban rule of contract §4 tests
   * these strings.
   */
  public String tokenText(int id) {
    return decode(new int[] {id}, false);
  }

  /**
   * {@link #tokenText} of every id at once (one call into the library), index = id; computed once
   * and shared by every variant of this tokenizer.
   */
  public String[] tokenTexts() {
    String[] texts = tokenTexts.get();
    if (texts != null) return texts;
    long[][] single = new long[vocabSize][];
    for (int id = 0; id < vocabSize; id++) single[id] = new long[] {id};
    texts = hf.batchDecode(single, false);
    if (cleanUpTokenizationSpaces) {
      for (int id = 0; id < texts.length; id++) texts[id] = cleanUpTokenization(texts[id]);
    }
    tokenTexts.compareAndSet(null, texts);
    return tokenTexts.get();
  }

  /**
   * HF's {@code all_special_ids}: the ids of the named special tokens (bos, eos, unk, sep, pad,
   * cls, mask; from the config or the tokenizer class's defaults), {@code
   * additional_special_tokens} and {@code extra_special_tokens}. Extraction skips these positions
   * (contract §5).
   */
  public int[] allSpecialIds() {
    java.util.TreeSet<Integer> ids = new java.util.TreeSet<>();
    List<Object> all = new ArrayList<>(specialTokensMap.values());
    all.add(extraSpecialTokens);
    for (Object value : all) {
      List<?> tokens = value instanceof List<?> l ? l : List.of(value);
      for (Object t : tokens) {
        int id = tokenId((String) t);
        if (id >= 0) ids.add(id);
      }
    }
    return ids.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * Whether {@code id} is an added token marked special (what {@code skip_special_tokens} drops).
   */
  public boolean isSpecial(int id) {
    return special.get(id);
  }

  /** Number of token ids: the model vocabulary plus added tokens (HF's {@code len(tokenizer)}). */
  public int vocabSize() {
    return vocabSize;
  }

  /** The id of a token given by its exact vocabulary string or added-token content, or -1. */
  public int tokenId(String token) {
    for (var e : addedTokens.entrySet()) if (e.getValue().equals(token)) return e.getKey();
    ai.djl.huggingface.tokenizers.Encoding e = hf.encode(token, false, false);
    if (e.getIds().length == 1 && e.getTokens()[0].equals(token)) return (int) e.getIds()[0];
    return -1;
  }

  /** The special tokens the chat template sees ({@code bos_token}, {@code eos_token}, ...). */
  public Map<String, Object> specialTokens() {
    return specialTokensMap;
  }

  // ---- chat template ----

  public boolean hasChatTemplate() {
    return chatTemplateSource != null;
  }

  /** = HF {@code apply_chat_template(messages, tokenize=False, add_generation_prompt=...)}. */
  public String renderChat(List<ChatMessage> messages, boolean addGenerationPrompt) {
    Template template = chatTemplate();
    List<Map<String, Object>> chat = new ArrayList<>();
    for (ChatMessage m : messages) {
      Map<String, Object> message = new LinkedHashMap<>();
      message.put("role", m.role());
      message.put("content", m.content());
      chat.add(message);
    }
    // What transformers passes to the template: the special tokens, then the call's own values.
    Map<String, Object> variables = new LinkedHashMap<>(specialTokensMap);
    variables.put("messages", chat);
    variables.put("tools", null);
    variables.put("documents", null);
    variables.put("add_generation_prompt", addGenerationPrompt);
    variables.putAll(templateVariables);
    try {
      return template.render(variables, clock);
    } catch (TemplateError.Raised e) {
      throw new UserError(chatTemplateOrigin + ": the chat template refuses: " + e.getMessage(), e);
    } catch (TemplateError e) {
      throw new UserError(chatTemplateOrigin + ": chat_template fails: " + e.getMessage(), e);
    }
  }

  /**
   * = HF {@code apply_chat_template(messages, tokenize=True, add_generation_prompt=...)}: the
   * rendered text encoded without adding special tokens, since the template wrote them.
   */
  public int[] applyChatTemplate(List<ChatMessage> messages, boolean addGenerationPrompt) {
    return encode(renderChat(messages, addGenerationPrompt), false).ids();
  }

  private Template chatTemplate() {
    Template t = chatTemplate;
    if (t != null) return t;
    if (chatTemplateSource == null) {
      throw new UserError(
          dir.resolve("tokenizer_config.json")
              + ": no chat_template (nor chat_template.jinja or chat_template.json beside it)");
    }
    try {
      t = Template.parse(chatTemplateSource);
    } catch (TemplateError e) {
      throw new UserError(chatTemplateOrigin + ": chat_template: " + e.getMessage(), e);
    }
    chatTemplate = t;
    return t;
  }
}
