package nla.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import nla.io.UserError;

/**
 * The hyper-parameters of a decoder-only model, read from {@code config.json} (and the EOS ids from
 * {@code generation_config.json}). Transformers v4 spellings ({@code rope_theta}, {@code
 * rope_scaling}, {@code rope_local_base_freq}, {@code sliding_window_pattern}) and v5 spellings
 * ({@code rope_parameters} per layer type, {@code layer_types}) give the same numbers. Keys a
 * family's transformers config class defaults are filled with that default; the structural sizes
 * must be present. {@code maxPositionEmbeddings}, the context the model was trained for, is 0 where
 * the config does not state it.
 */
public record ModelConfig(
    Family family,
    String modelType,
    String architecture,
    int hiddenSize,
    int intermediateSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    int headDim,
    int vocabSize,
    double rmsNormEps,
    String hiddenActivation,
    List<AttentionType> layerTypes,
    int slidingWindow,
    RopeSpec fullRope,
    RopeSpec slidingRope,
    double attentionScale,
    Double attnLogitSoftcapping,
    Double finalLogitSoftcapping,
    int[] eosTokenIds,
    Integer bosTokenId,
    int maxPositionEmbeddings) {

  /** The three families; their differences are data here and small named methods in the model. */
  public enum Family {
    QWEN2,
    LLAMA,
    GEMMA3;

    /** Gemma's RMSNorm multiplies by (1 + w), the others by w. */
    public boolean normAddsOne() {
      return this == GEMMA3;
    }

    /** Gemma 3 wraps both attention and MLP in pre- and post-norms and norms q and k per head. */
    public boolean sandwichNorms() {
      return this == GEMMA3;
    }
  }

  public enum AttentionType {
    FULL,
    SLIDING
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  public int numKvGroups() {
    return numHeads / numKvHeads;
  }

  /**
   * Gemma 3 scales embedding rows by sqrt(hidden_size) inside the embedding module; our fp32 engine
   * follows an fp32 run, which uses the exact fp32 root (a bf16 run would round it).
   */
  public float embedScale() {
    return family == Family.GEMMA3 ? (float) Math.sqrt(hiddenSize) : 1f;
  }

  public RopeSpec ropeFor(int layer) {
    return layerTypes.get(layer) == AttentionType.SLIDING ? slidingRope : fullRope;
  }

  /** Window of keys a query at a sliding layer sees, itself included; 0 for a full layer. */
  public int windowFor(int layer) {
    return layerTypes.get(layer) == AttentionType.SLIDING ? slidingWindow : 0;
  }

  public static ModelConfig load(Path dir) {
    Path file = dir.resolve("config.json");
    if (!Files.isRegularFile(file)) throw new UserError(dir + ": no config.json");
    JsonNode root = readJson(file);
    int[] eos = null;
    Path gen = dir.resolve("generation_config.json");
    if (Files.isRegularFile(gen)) eos = ids(readJson(gen).get("eos_token_id"));
    return parse(root, file.toString(), eos);
  }

  /** Parses a config.json tree; {@code generationEos} (may be null) overrides the config's EOS. */
  public static ModelConfig parse(JsonNode root, String source, int[] generationEos) {
    if (root == null || !root.isObject()) throw new UserError(source + ": not a JSON object");
    String architecture =
        root.has("architectures") && root.get("architectures").size() > 0
            ? root.get("architectures").get(0).asText()
            : null;
    String topType = text(root, "model_type", null);
    if (topType == null) throw new UserError(source + ": missing model_type");
    JsonNode c = root;
    String modelType = topType;
    if (topType.equals("gemma3")) {
      c = root.get("text_config");
      if (c == null || !c.isObject()) throw new UserError(source + ": missing text_config");
      modelType = "gemma3_text";
    }
    Family family =
        switch (modelType) {
          case "qwen2" -> Family.QWEN2;
          case "llama" -> Family.LLAMA;
          case "gemma3_text" -> Family.GEMMA3;
          default ->
              throw new UserError(
                  source
                      + ": unknown architecture model_type="
                      + modelType
                      + " (supported: qwen2, llama, gemma3_text, gemma3)");
        };
    Reader r = new Reader(c, source, family == Family.GEMMA3 && c != root);
    boolean gemma = family == Family.GEMMA3;

    int hidden = r.requiredInt("hidden_size", 2304);
    int layers = r.requiredInt("num_hidden_layers", 26);
    int heads = r.requiredInt("num_attention_heads", 8);
    int inter = r.requiredInt("intermediate_size", 9216);
    int vocab = r.requiredInt("vocab_size", 262208);
    int kvHeads = r.optInt("num_key_value_heads", gemma ? 4 : heads);
    int headDim = r.optInt("head_dim", gemma ? 256 : hidden / heads);
    if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
      throw new UserError(
          source + ": num_attention_heads " + heads + " is not a multiple of " + kvHeads);
    }
    double eps = r.optDouble("rms_norm_eps", 1e-6);
    String act = r.optText("hidden_activation", null);
    if (act == null) act = r.optText("hidden_act", gemma ? "gelu_pytorch_tanh" : "silu");
    if (!act.equals("silu") && !act.equals("gelu_pytorch_tanh")) {
      throw new UserError(source + ": unsupported activation " + act);
    }

    List<AttentionType> types = layerTypes(r, family, layers, source);
    int window =
        types.contains(AttentionType.SLIDING) ? r.optInt("sliding_window", gemma ? 4096 : 4096) : 0;
    if (types.contains(AttentionType.SLIDING) && window <= 0) {
      throw new UserError(source + ": sliding_window must be positive");
    }

    RopeSpec full;
    RopeSpec sliding;
    JsonNode params = c.get("rope_parameters");
    if (params != null && params.isObject()) {
      // v5: one set per layer type, or one flat set for all layers.
      if (params.has("full_attention") || params.has("sliding_attention")) {
        full = rope(params.get("full_attention"), source, 1e6);
        sliding =
            params.has("sliding_attention")
                ? rope(params.get("sliding_attention"), source, 1e4)
                : full;
      } else {
        full = rope(params, source, 10000);
        sliding = full;
      }
    } else {
      // v4: rope_theta + rope_scaling for global layers; Gemma's local layers use
      // rope_local_base_freq unscaled.
      double theta = r.optDouble("rope_theta", gemma ? 1_000_000.0 : 10000.0);
      JsonNode scaling = c.get("rope_scaling");
      full =
          scaling == null || scaling.isNull()
              ? RopeSpec.plain(theta)
              : scaled(scaling, theta, source);
      sliding = gemma ? RopeSpec.plain(r.optDouble("rope_local_base_freq", 10000.0)) : full;
    }

    double scale =
        gemma ? Math.pow(r.optDouble("query_pre_attn_scalar", 256), -0.5) : Math.pow(headDim, -0.5);
    // transformers 5.17's Gemma3Attention stores attn_logit_softcapping but never passes it to the
    // attention kernel, so the cap has no effect there; we match (tools/golden/README.md).
    Double attnCap = null;
    Double finalCap = gemma ? r.optNullableDouble("final_logit_softcapping") : null;

    int[] eos = generationEos;
    if (eos == null) eos = ids(c.get("eos_token_id"));
    if (eos == null && c != root) eos = ids(root.get("eos_token_id"));
    if (eos == null) eos = new int[0];
    JsonNode bos = c.has("bos_token_id") ? c.get("bos_token_id") : root.get("bos_token_id");
    Integer bosId = bos != null && bos.canConvertToInt() ? bos.asInt() : null;

    return new ModelConfig(
        family,
        modelType,
        architecture,
        hidden,
        inter,
        layers,
        heads,
        kvHeads,
        headDim,
        vocab,
        eps,
        act,
        List.copyOf(types),
        window,
        full,
        sliding,
        scale,
        attnCap,
        finalCap,
        eos,
        bosId,
        r.optInt("max_position_embeddings", 0));
  }

  private static List<AttentionType> layerTypes(
      Reader r, Family family, int layers, String source) {
    List<AttentionType> types = new ArrayList<>();
    JsonNode lt = r.node.get("layer_types");
    if (lt != null && lt.isArray()) {
      if (lt.size() != layers) {
        throw new UserError(
            source + ": layer_types has " + lt.size() + " entries for " + layers + " layers");
      }
      for (JsonNode t : lt) {
        types.add(
            switch (t.asText()) {
              case "full_attention" -> AttentionType.FULL;
              case "sliding_attention" -> AttentionType.SLIDING;
              default -> throw new UserError(source + ": unknown layer type " + t.asText());
            });
      }
      // Qwen2 v5 keeps use_sliding_window: without it the sliding layers attend fully.
      if (family == Family.QWEN2 && !r.optBool("use_sliding_window", false)) {
        types.replaceAll(t -> AttentionType.FULL);
      }
      return types;
    }
    for (int i = 0; i < layers; i++) {
      boolean sliding =
          switch (family) {
            // transformers: sliding unless (i + 1) is a multiple of the pattern.
            case GEMMA3 -> (i + 1) % r.optInt("sliding_window_pattern", 6) != 0;
            case QWEN2 ->
                r.optBool("use_sliding_window", false) && i >= r.optInt("max_window_layers", 28);
            case LLAMA -> false;
          };
      types.add(sliding ? AttentionType.SLIDING : AttentionType.FULL);
    }
    return types;
  }

  private static RopeSpec rope(JsonNode p, String source, double defaultTheta) {
    if (p == null || !p.isObject()) throw new UserError(source + ": bad rope_parameters");
    double theta = p.has("rope_theta") ? p.get("rope_theta").asDouble() : defaultTheta;
    return scaled(p, theta, source);
  }

  private static RopeSpec scaled(JsonNode s, double theta, String source) {
    String type =
        s.has("rope_type")
            ? s.get("rope_type").asText()
            : s.has("type") ? s.get("type").asText() : "default";
    return switch (type) {
      case "default" -> RopeSpec.plain(theta);
      case "linear" -> new RopeSpec(theta, "linear", need(s, "factor", source), 0, 0, 0);
      case "llama3" ->
          new RopeSpec(
              theta,
              "llama3",
              need(s, "factor", source),
              need(s, "low_freq_factor", source),
              need(s, "high_freq_factor", source),
              need(s, "original_max_position_embeddings", source));
      default -> throw new UserError(source + ": unsupported rope type " + type);
    };
  }

  private static double need(JsonNode s, String key, String source) {
    JsonNode v = s.get(key);
    if (v == null || !v.isNumber()) throw new UserError(source + ": rope scaling needs " + key);
    return v.asDouble();
  }

  static int[] ids(JsonNode n) {
    if (n == null || n.isNull()) return null;
    if (n.isArray()) {
      Set<Integer> s = new LinkedHashSet<>();
      for (JsonNode x : n) s.add(x.asInt());
      return s.stream().mapToInt(Integer::intValue).toArray();
    }
    return new int[] {n.asInt()};
  }

  private static JsonNode readJson(Path file) {
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new UserError(
          file
              + ": not valid JSON: "
              + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
    }
  }

  private static String text(JsonNode n, String key, String def) {
    JsonNode v = n.get(key);
    return v == null || v.isNull() ? def : v.asText();
  }

  /** Typed access to one config object; {@code defaultsAllowed}: Gemma 3's text_config. */
  private record Reader(JsonNode node, String source, boolean defaultsAllowed) {
    int requiredInt(String key, int gemmaDefault) {
      JsonNode v = node.get(key);
      if (v == null || v.isNull()) {
        // The multimodal wrapper's text_config omits keys equal to Gemma3TextConfig's defaults.
        if (defaultsAllowed) return gemmaDefault;
        throw new UserError(source + ": missing key " + key);
      }
      if (!v.canConvertToInt() || v.asInt() <= 0)
        throw new UserError(source + ": " + key + " must be a positive integer, got " + v);
      return v.asInt();
    }

    int optInt(String key, int def) {
      JsonNode v = node.get(key);
      if (v == null || v.isNull()) return def;
      if (!v.canConvertToInt()) throw new UserError(source + ": " + key + " must be an integer");
      return v.asInt();
    }

    double optDouble(String key, double def) {
      JsonNode v = node.get(key);
      if (v == null || v.isNull()) return def;
      if (!v.isNumber()) throw new UserError(source + ": " + key + " must be a number");
      return v.asDouble();
    }

    Double optNullableDouble(String key) {
      JsonNode v = node.get(key);
      return v == null || v.isNull() ? null : v.asDouble();
    }

    boolean optBool(String key, boolean def) {
      JsonNode v = node.get(key);
      return v == null || v.isNull() ? def : v.asBoolean();
    }

    String optText(String key, String def) {
      JsonNode v = node.get(key);
      return v == null || v.isNull() ? def : v.asText();
    }
  }
}
