package nla.model.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import nla.io.UserError;

/**
 * Real model shapes for random-initialised benchmark models: the config.json numbers of the
 * published checkpoints, so a benchmark reads exactly as many weight bytes per token as the real
 * model would.
 */
public record BenchShape(
    String name,
    String modelType,
    int hidden,
    int intermediate,
    int layers,
    int heads,
    int kvHeads,
    int headDim,
    int vocab,
    boolean tied) {

  public static final List<BenchShape> ALL =
      List.of(
          new BenchShape("qwen2.5-0.5b", "qwen2", 896, 4864, 24, 14, 2, 64, 151936, true),
          new BenchShape("qwen2.5-1.5b", "qwen2", 1536, 8960, 28, 12, 2, 128, 151936, true),
          new BenchShape("qwen2.5-7b", "qwen2", 3584, 18944, 28, 28, 4, 128, 152064, false),
          new BenchShape("llama3.2-1b", "llama", 2048, 8192, 16, 32, 8, 64, 128256, true),
          new BenchShape("gemma3-1b", "gemma3_text", 1152, 6912, 26, 4, 1, 256, 262144, true),
          new BenchShape("gemma3-4b", "gemma3_text", 2560, 10240, 34, 8, 4, 256, 262208, true),
          new BenchShape("gemma3-12b", "gemma3_text", 3840, 15360, 48, 16, 8, 256, 262208, true),
          new BenchShape("gemma3-27b", "gemma3_text", 5376, 21504, 62, 32, 16, 128, 262208, true),
          new BenchShape("llama3.3-70b", "llama", 8192, 28672, 80, 64, 8, 128, 128256, false));

  /**
   * The shape of that name; also spelt as the model cards spell the family, with a hyphen before
   * its version ("gemma-3-27b", "llama-3.3-70b").
   */
  public static BenchShape named(String name) {
    String canonical = name.replaceFirst("^([a-z]+)-(\\d)", "$1$2");
    return ALL.stream()
        .filter(s -> s.name.equals(canonical))
        .findFirst()
        .orElseThrow(
            () ->
                new UserError(
                    "--shape "
                        + name
                        + ": unknown (known: "
                        + String.join(", ", ALL.stream().map(BenchShape::name).toList())
                        + ")"));
  }

  public boolean gemma() {
    return modelType.equals("gemma3_text");
  }

  /** Weights one decode step streams from memory: every matrix once (embedding rows excepted). */
  public long matmulParams() {
    long attn = (long) hidden * headDim * (heads + 2L * kvHeads) + (long) heads * headDim * hidden;
    long mlp = 3L * hidden * intermediate;
    return layers * (attn + mlp)
        + (long) vocab * hidden; // the last term is the lm_head (tied or not)
  }

  /** Every parameter stored in the file. */
  public long storedParams() {
    return matmulParams() + (tied ? 0 : (long) vocab * hidden);
  }

  /** A transformers-v5-style config.json for this shape. */
  public Map<String, Object> config() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("model_type", modelType);
    c.put(
        "architectures",
        List.of(
            switch (modelType) {
              case "qwen2" -> "Qwen2ForCausalLM";
              case "llama" -> "LlamaForCausalLM";
              default -> "Gemma3ForCausalLM";
            }));
    c.put("hidden_size", hidden);
    c.put("intermediate_size", intermediate);
    c.put("num_hidden_layers", layers);
    c.put("num_attention_heads", heads);
    c.put("num_key_value_heads", kvHeads);
    c.put("head_dim", headDim);
    c.put("vocab_size", vocab);
    c.put("tie_word_embeddings", tied);
    c.put("rms_norm_eps", 1e-6);
    c.put("max_position_embeddings", 32768);
    c.put("torch_dtype", "bfloat16");
    c.put("bos_token_id", 1);
    c.put("eos_token_id", 2);
    switch (modelType) {
      case "qwen2" -> {
        c.put("hidden_act", "silu");
        c.put("rope_theta", 1000000.0);
      }
      case "llama" -> {
        c.put("hidden_act", "silu");
        c.put("rope_theta", 500000.0);
        c.put(
            "rope_scaling",
            Map.of(
                "rope_type", "llama3",
                "factor", 32.0,
                "low_freq_factor", 1.0,
                "high_freq_factor", 4.0,
                "original_max_position_embeddings", 8192));
      }
      default -> {
        c.put("hidden_activation", "gelu_pytorch_tanh");
        c.put("query_pre_attn_scalar", headDim);
        c.put("sliding_window", 512);
        c.put("sliding_window_pattern", 6);
        c.put("rope_theta", 1000000.0);
        c.put("rope_local_base_freq", 10000.0);
      }
    }
    return c;
  }
}
