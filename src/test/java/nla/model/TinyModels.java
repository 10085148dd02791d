package nla.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import nla.io.DType;
import nla.io.SafeTensorsWriter;

/**
 * Writes small random models of each family for plumbing tests (not parity: parity comes from
 * Hugging Face goldens). Dimensions: hidden 32, 4 heads of 8 (2 kv heads), ff 64, vocab 97.
 */
public final class TinyModels {
  static final int HIDDEN = 32;
  static final int HEADS = 4;
  static final int KV_HEADS = 2;
  static final int HEAD_DIM = 8;
  static final int FF = 64;
  static final int VOCAB = 97;

  private TinyModels() {}

  public enum Kind {
    QWEN2,
    LLAMA,
    GEMMA3_TEXT,
    GEMMA3_WRAPPER
  }

  static Path write(Path dir, Kind kind, int layers, DType dtype, long seed) throws IOException {
    return write(dir, kind, layers, dtype, seed, VOCAB);
  }

  /** With a vocabulary of {@code vocab} ids (to pair the model with a real tokenizer). */
  static Path write(Path dir, Kind kind, int layers, DType dtype, long seed, int vocab)
      throws IOException {
    Files.createDirectories(dir);
    weights(SHAPE, kind, layers, vocab, dtype, seed).write(dir.resolve("model.safetensors"));
    Files.writeString(
        dir.resolve("config.json"),
        config(kind, layers).replace("\"vocab_size\": " + VOCAB, "\"vocab_size\": " + vocab));
    return dir;
  }

  /** The dimensions of a tiny model. */
  public record Shape(int hidden, int heads, int kvHeads, int headDim, int ff) {}

  static final Shape SHAPE = new Shape(HIDDEN, HEADS, KV_HEADS, HEAD_DIM, FF);

  /**
   * Random weights of a {@code kind} model, drawn from {@code seed} in a fixed order: Gaussian
   * projections, norm weights around 1 (or around 0 for Gemma's 1 + w), q/k/v biases for Qwen2, q/k
   * and feed-forward norms for Gemma 3, an untied head for Llama.
   */
  public static SafeTensorsWriter weights(
      Shape s, Kind kind, int layers, int vocab, DType dtype, long seed) {
    Random rnd = new Random(seed);
    SafeTensorsWriter w = new SafeTensorsWriter();
    String prefix =
        switch (kind) {
          case GEMMA3_WRAPPER -> "model.language_model.";
          default -> "model.";
        };
    boolean gemma = kind == Kind.GEMMA3_TEXT || kind == Kind.GEMMA3_WRAPPER;
    int d = s.hidden();
    int q = s.heads() * s.headDim();
    int kv = s.kvHeads() * s.headDim();
    int ff = s.ff();
    w.add(prefix + "embed_tokens.weight", dtype, new long[] {vocab, d}, rand(rnd, vocab * d, 1f));
    w.add(prefix + "norm.weight", dtype, new long[] {d}, norm(rnd, d, gemma));
    for (int l = 0; l < layers; l++) {
      String p = prefix + "layers." + l + ".";
      w.add(p + "input_layernorm.weight", dtype, new long[] {d}, norm(rnd, d, gemma));
      w.add(p + "post_attention_layernorm.weight", dtype, new long[] {d}, norm(rnd, d, gemma));
      w.add(p + "self_attn.q_proj.weight", dtype, new long[] {q, d}, rand(rnd, q * d, 0.3f));
      w.add(p + "self_attn.k_proj.weight", dtype, new long[] {kv, d}, rand(rnd, kv * d, 0.3f));
      w.add(p + "self_attn.v_proj.weight", dtype, new long[] {kv, d}, rand(rnd, kv * d, 0.3f));
      w.add(p + "self_attn.o_proj.weight", dtype, new long[] {d, q}, rand(rnd, q * d, 0.3f));
      if (kind == Kind.QWEN2) {
        w.add(p + "self_attn.q_proj.bias", dtype, new long[] {q}, rand(rnd, q, 0.5f));
        w.add(p + "self_attn.k_proj.bias", dtype, new long[] {kv}, rand(rnd, kv, 0.5f));
        w.add(p + "self_attn.v_proj.bias", dtype, new long[] {kv}, rand(rnd, kv, 0.5f));
      }
      if (gemma) {
        int hd = s.headDim();
        w.add(p + "self_attn.q_norm.weight", dtype, new long[] {hd}, norm(rnd, hd, true));
        w.add(p + "self_attn.k_norm.weight", dtype, new long[] {hd}, norm(rnd, hd, true));
        w.add(p + "pre_feedforward_layernorm.weight", dtype, new long[] {d}, norm(rnd, d, true));
        w.add(p + "post_feedforward_layernorm.weight", dtype, new long[] {d}, norm(rnd, d, true));
      }
      w.add(p + "mlp.gate_proj.weight", dtype, new long[] {ff, d}, rand(rnd, ff * d, 0.3f));
      w.add(p + "mlp.up_proj.weight", dtype, new long[] {ff, d}, rand(rnd, ff * d, 0.3f));
      w.add(p + "mlp.down_proj.weight", dtype, new long[] {d, ff}, rand(rnd, ff * d, 0.3f));
    }
    if (kind == Kind.LLAMA) {
      w.add("lm_head.weight", dtype, new long[] {vocab, d}, rand(rnd, vocab * d, 1f));
    }
    if (kind == Kind.GEMMA3_WRAPPER) {
      w.add(
          "model.vision_tower.vision_model.embeddings.patch_embedding.weight",
          dtype,
          new long[] {4, 3},
          rand(rnd, 12, 1f));
    }
    return w;
  }

  static String config(Kind kind, int layers) {
    String common =
        "\"hidden_size\": %d, \"intermediate_size\": %d, \"num_hidden_layers\": %d, \"num_attention_heads\": %d, \"num_key_value_heads\": %d, \"head_dim\": %d, \"vocab_size\": %d, \"rms_norm_eps\": 1e-6"
            .formatted(HIDDEN, FF, layers, HEADS, KV_HEADS, HEAD_DIM, VOCAB);
    return switch (kind) {
      case QWEN2 ->
          "{\"architectures\": [\"Qwen2ForCausalLM\"], \"model_type\": \"qwen2\", %s, \"rope_theta\": 10000.0, \"tie_word_embeddings\": true, \"eos_token_id\": 5}"
              .formatted(common);
      case LLAMA ->
          "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\", %s, \"rope_theta\": 500000.0, \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 16}, \"eos_token_id\": [5, 6]}"
              .formatted(common);
      case GEMMA3_TEXT ->
          "{\"architectures\": [\"Gemma3ForCausalLM\"], \"model_type\": \"gemma3_text\", %s, \"rope_theta\": 1000000.0, \"rope_local_base_freq\": 10000.0, \"rope_scaling\": {\"rope_type\": \"linear\", \"factor\": 8.0}, \"sliding_window\": 4, \"sliding_window_pattern\": 2, \"query_pre_attn_scalar\": 16, \"final_logit_softcapping\": 30.0, \"hidden_activation\": \"gelu_pytorch_tanh\", \"eos_token_id\": 1}"
              .formatted(common);
      case GEMMA3_WRAPPER ->
          "{\"architectures\": [\"Gemma3ForConditionalGeneration\"], \"model_type\": \"gemma3\", \"eos_token_id\": [1, 106], \"text_config\": {\"model_type\": \"gemma3_text\", %s, \"rope_parameters\": {\"full_attention\": {\"rope_type\": \"linear\", \"factor\": 8.0, \"rope_theta\": 1000000.0}, \"sliding_attention\": {\"rope_type\": \"default\", \"rope_theta\": 10000.0}}, \"layer_types\": %s, \"sliding_window\": 4, \"query_pre_attn_scalar\": 16, \"hidden_activation\": \"gelu_pytorch_tanh\"}, \"vision_config\": {\"model_type\": \"siglip_vision_model\"}}"
              .formatted(common, layerTypes(layers));
    };
  }

  private static String layerTypes(int layers) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < layers; i++) {
      if (i > 0) sb.append(", ");
      sb.append((i + 1) % 2 != 0 ? "\"sliding_attention\"" : "\"full_attention\"");
    }
    return sb.append("]").toString();
  }

  private static float[] rand(Random r, int n, float scale) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
    return a;
  }

  // Non-trivial norm weights: around 1 (w) or around 0 (Gemma's 1 + w).
  private static float[] norm(Random r, int n, boolean gemma) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) ((gemma ? 0 : 1) + 0.2 * r.nextGaussian());
    return a;
  }
}
