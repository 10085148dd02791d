package nla.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import nla.io.DType;
import nla.io.SafeTensorsWriter;
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
      Random rnd = new Random(family.hashCode());
      int heads = 2;
      int headDim = 8;
      int kv = headDim;
      int q = heads * headDim;
      int ff = 32;
      SafeTensorsWriter w = new SafeTensorsWriter();
      w.add(
          "model.embed_tokens.weight",
          DType.BF16,
          new long[] {vocab, HIDDEN},
          rand(rnd, vocab * HIDDEN, 1f));
      w.add("model.norm.weight", DType.BF16, new long[] {HIDDEN}, norm(rnd, HIDDEN, gemma));
      for (int l = 0; l < layers; l++) {
        String p = "model.layers." + l + ".";
        w.add(
            p + "input_layernorm.weight",
            DType.BF16,
            new long[] {HIDDEN},
            norm(rnd, HIDDEN, gemma));
        w.add(
            p + "post_attention_layernorm.weight",
            DType.BF16,
            new long[] {HIDDEN},
            norm(rnd, HIDDEN, gemma));
        w.add(
            p + "self_attn.q_proj.weight",
            DType.BF16,
            new long[] {q, HIDDEN},
            rand(rnd, q * HIDDEN, 0.3f));
        w.add(
            p + "self_attn.k_proj.weight",
            DType.BF16,
            new long[] {kv, HIDDEN},
            rand(rnd, kv * HIDDEN, 0.3f));
        w.add(
            p + "self_attn.v_proj.weight",
            DType.BF16,
            new long[] {kv, HIDDEN},
            rand(rnd, kv * HIDDEN, 0.3f));
        w.add(
            p + "self_attn.o_proj.weight",
            DType.BF16,
            new long[] {HIDDEN, q},
            rand(rnd, q * HIDDEN, 0.3f));
        if (!gemma) {
          w.add(p + "self_attn.q_proj.bias", DType.BF16, new long[] {q}, rand(rnd, q, 0.5f));
          w.add(p + "self_attn.k_proj.bias", DType.BF16, new long[] {kv}, rand(rnd, kv, 0.5f));
          w.add(p + "self_attn.v_proj.bias", DType.BF16, new long[] {kv}, rand(rnd, kv, 0.5f));
        } else {
          w.add(
              p + "self_attn.q_norm.weight",
              DType.BF16,
              new long[] {headDim},
              norm(rnd, headDim, true));
          w.add(
              p + "self_attn.k_norm.weight",
              DType.BF16,
              new long[] {headDim},
              norm(rnd, headDim, true));
          w.add(
              p + "pre_feedforward_layernorm.weight",
              DType.BF16,
              new long[] {HIDDEN},
              norm(rnd, HIDDEN, true));
          w.add(
              p + "post_feedforward_layernorm.weight",
              DType.BF16,
              new long[] {HIDDEN},
              norm(rnd, HIDDEN, true));
        }
        w.add(
            p + "mlp.gate_proj.weight",
            DType.BF16,
            new long[] {ff, HIDDEN},
            rand(rnd, ff * HIDDEN, 0.3f));
        w.add(
            p + "mlp.up_proj.weight",
            DType.BF16,
            new long[] {ff, HIDDEN},
            rand(rnd, ff * HIDDEN, 0.3f));
        w.add(
            p + "mlp.down_proj.weight",
            DType.BF16,
            new long[] {HIDDEN, ff},
            rand(rnd, ff * HIDDEN, 0.3f));
      }
      w.write(dir.resolve("model.safetensors"));
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

  private static float[] rand(Random r, int n, float scale) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
    return a;
  }

  private static float[] norm(Random r, int n, boolean gemma) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) ((gemma ? 0 : 1) + 0.2 * r.nextGaussian());
    return a;
  }
}
