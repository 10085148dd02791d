package nla.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import nla.io.DType;
import nla.io.SafeTensorsWriter;
import nla.model.TinyModels;
import nla.text.ChatMessage;
import nla.text.Tokenizer;
import nla.text.TokenizerFixtures;

/**
 * A tiny random NLA pair on the real Qwen2.5 tokenizer, for plumbing tests of the AV and AR (not
 * parity: parity comes from the Hugging Face goldens). Hidden 32, 4 heads of 8 (2 kv), ff 64; the
 * vocabulary is the tokenizer's. The sidecar's neighbour and suffix ids are read off the tokenizer
 * like the reference's datagen does (they are inputs here, not expected values).
 */
public final class TinyNla {
  public static final int HIDDEN = 32;
  private static final TinyModels.Shape SHAPE = new TinyModels.Shape(HIDDEN, 4, 2, 8, 64);
  static final int K = 1;
  static final String CHAR = "㈎";
  static final String AV_TEMPLATE =
      "Describe the vector.\\n\\n<concept>{injection_char}</concept>\\n\\nPlease explain.";
  static final String AR_TEMPLATE =
      "Summary of the following text: <text>{explanation}</text> <summary>";

  private TinyNla() {}

  public static Path av(Path dir, String extraSidecarLines) throws IOException {
    Path tokDir = TokenizerFixtures.copyOf("qwen2.5", dir);
    Tokenizer tok = Tokenizer.load(tokDir);
    int vocab = tok.vocabSize();
    writeModel(dir, 3, vocab, 11);
    int injId = tok.encode(CHAR, false).ids()[0];
    String content = AV_TEMPLATE.replace("\\n", "\n").replace("{injection_char}", CHAR);
    int[] ids = tok.applyChatTemplate(List.of(new ChatMessage("user", content)), true);
    int p = -1;
    for (int i = 0; i < ids.length; i++) if (ids[i] == injId) p = i;
    Files.writeString(
        dir.resolve("nla_meta.yaml"),
        """
        kind: nla_model
        role: av
        d_model: %d
        extraction:
          layer_index: %d
          injection_scale: 7.5
        tokens:
          injection_char: "%s"
          injection_token_id: %d
          injection_left_neighbor_id: %d
          injection_right_neighbor_id: %d
        prompt_templates:
          av: "%s"
        %s"""
            .formatted(
                HIDDEN, K, CHAR, injId, ids[p - 1], ids[p + 1], AV_TEMPLATE, extraSidecarLines));
    return dir;
  }

  public static Path ar(Path dir) throws IOException {
    Path tokDir = TokenizerFixtures.copyOf("qwen2.5", dir);
    Tokenizer tok = Tokenizer.load(tokDir);
    writeModel(dir, K + 1, tok.vocabSize(), 12);
    // The reference's critic_suffix_ids: the template's suffix tokenized, first token dropped
    // (it can merge with the explanation's last character).
    int[] suffix = tok.encode("</text> <summary>", false).ids();
    String suffixIds =
        Arrays.stream(Arrays.copyOfRange(suffix, 1, suffix.length))
            .mapToObj(Integer::toString)
            .collect(Collectors.joining(", "));
    Files.writeString(
        dir.resolve("nla_meta.yaml"),
        """
        kind: nla_model
        role: ar
        d_model: %d
        extraction:
          layer_index: %d
          injection_scale: null
        ar:
          num_hidden_layers: %d
        tokens:
          critic_suffix_ids: [%s]
        prompt_templates:
          ar: "%s"
        """
            .formatted(HIDDEN, K, K, suffixIds, AR_TEMPLATE));
    Random r = new Random(13);
    float[] w = new float[HIDDEN * HIDDEN];
    for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
    new SafeTensorsWriter()
        .add("weight", DType.F32, new long[] {HIDDEN, HIDDEN}, w)
        .write(dir.resolve("value_head.safetensors"));
    return dir;
  }

  /** Written weights by (layers, vocab, seed): several test checkpoints share one random model. */
  private static final java.util.Map<String, byte[]> WEIGHTS =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static synchronized void writeModel(Path dir, int layers, int vocab, long seed)
      throws IOException {
    Files.write(
        dir.resolve("model.safetensors"),
        WEIGHTS.computeIfAbsent(
            layers + "/" + vocab + "/" + seed, key -> randomWeights(dir, layers, vocab, seed)));
    writeConfig(dir, layers, vocab);
  }

  private static byte[] randomWeights(Path dir, int layers, int vocab, long seed) {
    Path file = dir.resolve("model.safetensors");
    try {
      TinyModels.weights(SHAPE, TinyModels.Kind.QWEN2, layers, vocab, DType.F32, seed).write(file);
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void writeConfig(Path dir, int layers, int vocab) throws IOException {
    Files.writeString(
        dir.resolve("config.json"),
        ("{\"architectures\": [\"Qwen2ForCausalLM\"], \"model_type\": \"qwen2\", \"hidden_size\": %d,"
                + " \"intermediate_size\": %d, \"num_hidden_layers\": %d, \"num_attention_heads\": %d,"
                + " \"num_key_value_heads\": %d, \"vocab_size\": %d, \"rms_norm_eps\": 1e-6,"
                + " \"rope_theta\": 10000.0, \"tie_word_embeddings\": true, \"eos_token_id\": 151645}")
            .formatted(HIDDEN, SHAPE.ff(), layers, SHAPE.heads(), SHAPE.kvHeads(), vocab));
  }
}
