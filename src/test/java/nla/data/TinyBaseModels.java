package nla.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import nla.io.DType;
import nla.model.TinyModels;
import nla.text.TokenizerFixtures;

/**
 * Small random base models with the real Qwen2.5 or Gemma 3 tokenizer and a vocabulary that covers
 * it, for extraction tests (plumbing, not parity: the engine's parity is tested against Hugging
 * Face). Hidden 16, 2 heads of 8, 1 kv head, ff 32; written in bf16 at test time, not committed.
 */
final class TinyBaseModels {
  static final int HIDDEN = 16;

  private TinyBaseModels() {}

  static Path qwen(int layers) {
    return cached("qwen2.5", layers, 151936);
  }

  static Path gemma(int layers) {
    return cached("gemma3", layers, 262208);
  }

  static Path qwen(Path dir, int layers) {
    return write(dir, "qwen2.5", layers, 151936);
  }

  static Path gemma(Path dir, int layers) {
    return write(dir, "gemma3", layers, 262208);
  }

  /**
   * One copy per family and depth under {@code target/}, shared by the test classes (and the child
   * processes some of them start): written under a temporary name, then renamed into place.
   */
  private static synchronized Path cached(String family, int layers, int vocab) {
    Path dir = Path.of("target", "tiny-base-models", family + "-L" + layers).toAbsolutePath();
    if (Files.isRegularFile(dir.resolve("config.json"))) return dir;
    try {
      Files.createDirectories(dir.getParent());
      Path tmp = Files.createTempDirectory(dir.getParent(), family + ".part");
      write(tmp, family, layers, vocab);
      try {
        Files.move(tmp, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException raced) {
        if (!Files.isRegularFile(dir.resolve("config.json"))) throw raced;
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path write(Path dir, String family, int layers, int vocab) {
    try {
      if (Files.isRegularFile(dir.resolve("config.json"))) return dir;
      TokenizerFixtures.copyOf(family, dir);
      boolean gemma = family.equals("gemma3");
      int heads = 2;
      int headDim = 8;
      int ff = 32;
      TinyModels.weights(
              new TinyModels.Shape(HIDDEN, heads, 1, headDim, ff),
              gemma ? TinyModels.Kind.GEMMA3_TEXT : TinyModels.Kind.QWEN2,
              layers,
              vocab,
              DType.BF16,
              family.hashCode())
          .write(dir.resolve("model.safetensors"));
      String common =
          ("\"hidden_size\": %d, \"intermediate_size\": %d, \"num_hidden_layers\": %d,"
                  + " \"num_attention_heads\": %d, \"num_key_value_heads\": 1, \"head_dim\": %d,"
                  + " \"vocab_size\": %d, \"rms_norm_eps\": 1e-6")
              .formatted(HIDDEN, ff, layers, heads, headDim, vocab);
      String config =
          gemma
              ? ("{\"architectures\": [\"Gemma3ForCausalLM\"], \"model_type\": \"gemma3_text\", %s,"
                      + " \"rope_theta\": 1000000.0, \"rope_local_base_freq\": 10000.0,"
                      + " \"sliding_window\": 16, \"sliding_window_pattern\": 2,"
                      + " \"query_pre_attn_scalar\": 8, \"hidden_activation\": \"gelu_pytorch_tanh\","
                      + " \"eos_token_id\": 1}")
                  .formatted(common)
              : ("{\"architectures\": [\"Qwen2ForCausalLM\"], \"model_type\": \"qwen2\", %s,"
                      + " \"rope_theta\": 10000.0, \"tie_word_embeddings\": true,"
                      + " \"eos_token_id\": 151643}")
                  .formatted(common);
      Files.writeString(dir.resolve("config.json"), config);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
