package nla.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import nla.io.UserError;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * An NLA checkpoint's sidecar {@code nla_meta.yaml} (contract §3), parsed, plus the contract's
 * checks of it against the live tokenizer and config. This is the one place the sidecar's field
 * names, defaults and checks live (the reference's {@code nla/schema.py} and {@code
 * load_nla_config}).
 *
 * <p>The checks take token ids, not a tokenizer, so they state exactly what is compared; {@link
 * NlaCheckpoint} feeds them the live tokenizer's ids.
 */
public final class Sidecar {
  public static final String FILE_NAME = "nla_meta.yaml";
  public static final String VALUE_HEAD_FILE = "value_head.safetensors";

  /** Which half of the pair a checkpoint is. */
  public enum Role {
    AV,
    AR;

    public String spelling() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final Path source;
  private final String kind;
  private final Role role;
  private final boolean roleInferred;
  private final int dModel;
  private final Integer layerIndex;
  private final Integer arLayerIndex;
  private final Scale injectionScale;
  private final Scale mseScale;
  private final String injectionChar;
  private final Integer injectionTokenId;
  private final Integer leftNeighborId;
  private final Integer rightNeighborId;
  private final int[] criticSuffixIds;
  private final String avTemplate;
  private final String arTemplate;
  private final Map<String, Object> raw;

  private Sidecar(Path source, Map<String, Object> raw, boolean hasValueHead) {
    this.source = source;
    this.raw = raw;
    this.kind = string(raw, "kind", true);
    if (!kind.equals("nla_model")) {
      throw error(
          "kind",
          "expected nla_model, got "
              + kind
              + (kind.equals("nla_dataset") ? " (a dataset sidecar, not a model's)" : ""));
    }
    String roleText = string(raw, "role", false);
    if (roleText == null) {
      role = hasValueHead ? Role.AR : Role.AV;
      roleInferred = true;
    } else {
      role =
          switch (roleText) {
            case "av", "actor" -> Role.AV;
            case "ar", "critic" -> Role.AR;
            default -> throw error("role", "expected av or ar (or actor/critic), got " + roleText);
          };
      roleInferred = false;
    }
    this.dModel = positiveInt(raw, "d_model", true);

    Map<String, Object> extraction = section(raw, "extraction");
    this.layerIndex = nonNegativeInt(extraction, "extraction.layer_index");
    // The reference resolves an absent injection_scale to "none" and then refuses to run an AV
    // without one: it is a training hyper-parameter and must be stated (null = inject raw).
    if (extraction.containsKey("injection_scale")) {
      this.injectionScale =
          Scale.parse(extraction.get("injection_scale"), qualified("extraction.injection_scale"));
    } else if (role == Role.AV) {
      throw error(
          "extraction.injection_scale",
          "missing; an AV needs the norm it was trained with (null = inject raw)");
    } else {
      this.injectionScale = null;
    }
    // mse_scale ABSENT means sqrt_d_model; only an explicit null means raw (reference schema.py).
    this.mseScale =
        extraction.containsKey("mse_scale")
            ? Scale.parse(extraction.get("mse_scale"), qualified("extraction.mse_scale"))
            : Scale.SQRT_D;

    // The AR's K: "ar:" in current files, "critic:" in older ones; "num_hidden_layers" (schema v1)
    // or "extraction_layer_index" (v2).
    Integer arK = null;
    for (String sec : new String[] {"ar", "critic"}) {
      Map<String, Object> m = section(raw, sec);
      for (String key : new String[] {"num_hidden_layers", "extraction_layer_index"}) {
        Integer k = nonNegativeInt(m, sec + "." + key);
        if (k == null) continue;
        if (arK != null && !arK.equals(k)) {
          throw error(
              sec + "." + key,
              k + " disagrees with the AR layer index " + arK + " given elsewhere");
        }
        arK = k;
      }
    }
    if (arK != null && layerIndex != null && !arK.equals(layerIndex)) {
      throw error(
          "ar.num_hidden_layers", arK + " disagrees with extraction.layer_index " + layerIndex);
    }
    this.arLayerIndex = arK;

    Map<String, Object> tokens = section(raw, "tokens");
    boolean av = role == Role.AV;
    this.injectionChar = string(tokens, "tokens.injection_char", av);
    this.injectionTokenId = nonNegativeInt(tokens, "tokens.injection_token_id", av);
    this.leftNeighborId = nonNegativeInt(tokens, "tokens.injection_left_neighbor_id", av);
    this.rightNeighborId = nonNegativeInt(tokens, "tokens.injection_right_neighbor_id", av);
    this.criticSuffixIds = intList(tokens, "tokens.critic_suffix_ids", !av);

    Map<String, Object> templates = section(raw, "prompt_templates");
    this.avTemplate = template(templates, "av", "actor", av);
    this.arTemplate = template(templates, "ar", "critic", !av);
    if (av) {
      injectionContent(); // a template Python could not format is refused at load
    } else {
      arPrompt("");
      if (layerK() == null) {
        throw error("ar.num_hidden_layers", "missing; an AR needs its layer index K");
      }
    }
  }

  /** Reads {@code DIR/nla_meta.yaml}; the role defaults to AR iff {@code DIR} has a value head. */
  public static Sidecar load(Path modelDir) {
    Path file = modelDir.resolve(FILE_NAME);
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new UserError(
          file + ": missing; not an NLA checkpoint (the sidecar ships beside config.json)");
    } catch (IOException e) {
      throw new UserError(file + ": cannot read: " + e.getMessage(), e);
    }
    return parse(text, file, Files.isRegularFile(modelDir.resolve(VALUE_HEAD_FILE)));
  }

  /** Whether {@code modelDir} holds a sidecar at all. */
  public static boolean present(Path modelDir) {
    return Files.isRegularFile(modelDir.resolve(FILE_NAME));
  }

  /** Parses sidecar text; {@code source} names it in errors. */
  public static Sidecar parse(String yamlText, Path source, boolean hasValueHead) {
    Object doc;
    try {
      doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(yamlText);
    } catch (YAMLException e) {
      throw new UserError(source + ": not valid YAML: " + firstLine(e.getMessage()));
    }
    if (!(doc instanceof Map<?, ?> map)) {
      throw new UserError(source + ": expected a YAML mapping at the top level");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) map;
    return new Sidecar(source, m, hasValueHead);
  }

  // ---- the contract's checks (§3), each a one-line UserError naming the field ----

  /** The injection char must encode (no special tokens) to exactly the sidecar's one id. */
  public void checkInjectionEncoding(int[] idsOfInjectionChar) {
    requireAv();
    if (idsOfInjectionChar.length != 1 || idsOfInjectionChar[0] != injectionTokenId) {
      throw error(
          "tokens.injection_token_id",
          injectionTokenId
              + ", but the tokenizer encodes "
              + quote(injectionChar)
              + " as "
              + Arrays.toString(idsOfInjectionChar)
              + " (tokenizer drift or the wrong tokenizer)");
    }
  }

  /**
   * The injection position in the canonical AV prompt: the injection id must appear exactly once,
   * not at either end, with the sidecar's neighbours on both sides.
   */
  public int canonicalInjectionPosition(int[] canonicalPromptIds) {
    requireAv();
    List<Integer> hits = new ArrayList<>();
    for (int i = 0; i < canonicalPromptIds.length; i++) {
      if (canonicalPromptIds[i] == injectionTokenId) hits.add(i);
    }
    if (hits.size() != 1) {
      throw error(
          "tokens.injection_token_id",
          injectionTokenId
              + " appears "
              + hits.size()
              + " times in the canonical AV prompt (expected exactly once)");
    }
    int p = hits.get(0);
    if (p == 0 || p == canonicalPromptIds.length - 1) {
      throw error(
          "tokens.injection_token_id",
          "at the edge (position " + p + ") of the canonical AV prompt, so it has no neighbours");
    }
    checkNeighbours(canonicalPromptIds, p);
    return p;
  }

  /**
   * The injection position in any AV prompt (e.g. a custom one): the one index whose id is the
   * injection id and whose neighbours match the sidecar, as the reference's {@code
   * inject_at_marked_positions} finds it. An occurrence with other neighbours (pasted text) is
   * ignored.
   */
  public int injectionPosition(int[] promptIds, String what) {
    requireAv();
    List<Integer> hits = new ArrayList<>();
    for (int i = 1; i + 1 < promptIds.length; i++) {
      if (promptIds[i] == injectionTokenId
          && promptIds[i - 1] == leftNeighborId
          && promptIds[i + 1] == rightNeighborId) {
        hits.add(i);
      }
    }
    if (hits.size() != 1) {
      throw new UserError(
          what
              + ": found "
              + hits.size()
              + " injection sites (token "
              + injectionTokenId
              + " between "
              + leftNeighborId
              + " and "
              + rightNeighborId
              + "), expected exactly 1");
    }
    return hits.get(0);
  }

  private void checkNeighbours(int[] ids, int p) {
    if (ids[p - 1] != leftNeighborId) {
      throw error(
          "tokens.injection_left_neighbor_id",
          leftNeighborId
              + ", but the canonical AV prompt has "
              + ids[p - 1]
              + " before the injection token");
    }
    if (ids[p + 1] != rightNeighborId) {
      throw error(
          "tokens.injection_right_neighbor_id",
          rightNeighborId
              + ", but the canonical AV prompt has "
              + ids[p + 1]
              + " after the injection token");
    }
  }

  /** An AR prompt's ids (with special tokens) must end with {@code critic_suffix_ids}. */
  public void checkArSuffix(int[] arPromptIds, String what) {
    requireAr();
    int n = criticSuffixIds.length;
    int[] tail =
        Arrays.copyOfRange(arPromptIds, Math.max(0, arPromptIds.length - n), arPromptIds.length);
    if (!Arrays.equals(tail, criticSuffixIds)) {
      throw error(
          "tokens.critic_suffix_ids",
          Arrays.toString(criticSuffixIds)
              + ", but "
              + what
              + " ends with "
              + Arrays.toString(tail)
              + " (template or tokenizer drift)");
    }
  }

  /** The model config's hidden size must equal {@code d_model}. */
  public void checkHiddenSize(int configHiddenSize) {
    if (configHiddenSize != dModel) {
      throw error("d_model", dModel + ", but config.json has hidden_size " + configHiddenSize);
    }
  }

  /** An AR's config holds the truncated stack: K+1 decoder blocks. */
  public void checkArLayerCount(int configNumLayers) {
    requireAr();
    int k = layerK();
    if (configNumLayers != k + 1) {
      throw error(
          "ar.num_hidden_layers",
          k
              + " (K), so config.json should have K+1 = "
              + (k + 1)
              + " layers, but it has "
              + configNumLayers);
    }
  }

  // ---- prompts ----

  /** The canonical AV user-message content: {@code av_template.format(injection_char=c)}. */
  public String injectionContent() {
    requireAv();
    return PyFormat.format(
        avTemplate, Map.of("injection_char", injectionChar), qualified(avTemplateField()));
  }

  /** A custom AV user message: {@code <INJECT>} replaced by the injection char (reference). */
  public String customContent(String promptWithPlaceholder) {
    requireAv();
    if (!promptWithPlaceholder.contains(INJECT_PLACEHOLDER)) {
      throw new UserError("--prompt: a custom prompt must contain " + INJECT_PLACEHOLDER);
    }
    int count =
        promptWithPlaceholder.split(java.util.regex.Pattern.quote(INJECT_PLACEHOLDER), -1).length
            - 1;
    if (count > 1) {
      throw new UserError(
          "--prompt: "
              + INJECT_PLACEHOLDER
              + " appears "
              + count
              + " times; the vector goes in exactly one place");
    }
    return promptWithPlaceholder.replace(INJECT_PLACEHOLDER, injectionChar);
  }

  /** Where a custom prompt puts the vector. */
  public static final String INJECT_PLACEHOLDER = "<INJECT>";

  /** The AR prompt for one explanation: {@code ar_template.format(explanation=e)}. */
  public String arPrompt(String explanation) {
    requireAr();
    return PyFormat.format(
        arTemplate, Map.of("explanation", explanation), qualified(arTemplateField()));
  }

  // ---- accessors ----

  public Path source() {
    return source;
  }

  public Role role() {
    return role;
  }

  public boolean roleInferred() {
    return roleInferred;
  }

  public int dModel() {
    return dModel;
  }

  /** K: {@code ar.num_hidden_layers} (or its older names), else {@code extraction.layer_index}. */
  public Integer layerK() {
    return arLayerIndex != null ? arLayerIndex : layerIndex;
  }

  public Scale injectionScale() {
    return injectionScale;
  }

  public Scale mseScale() {
    return mseScale;
  }

  /** The norm a vector is scaled to before injection; null = inject raw. */
  public Double injectionNorm() {
    requireAv();
    return injectionScale.resolve(dModel);
  }

  /** The norm pred and gold are scaled to before the MSE; null = raw. */
  public Double mseNorm() {
    return mseScale.resolve(dModel);
  }

  public String injectionChar() {
    return injectionChar;
  }

  public Integer injectionTokenId() {
    return injectionTokenId;
  }

  public Integer leftNeighborId() {
    return leftNeighborId;
  }

  public Integer rightNeighborId() {
    return rightNeighborId;
  }

  public int[] criticSuffixIds() {
    return criticSuffixIds == null ? null : criticSuffixIds.clone();
  }

  public String avTemplate() {
    return avTemplate;
  }

  public String arTemplate() {
    return arTemplate;
  }

  /** The sidecar for {@code nla inspect}: every field as parsed, scales resolved beside. */
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", kind);
    m.put("role", role.spelling());
    m.put("role_inferred", roleInferred);
    m.put("d_model", dModel);
    m.put("layer_index", layerK());
    m.put("injection_scale", injectionScale == null ? null : injectionScale.yamlValue());
    m.put("injection_norm", injectionScale == null ? null : injectionScale.resolve(dModel));
    m.put("mse_scale", mseScale.yamlValue());
    m.put("mse_norm", mseScale.resolve(dModel));
    m.put("injection_char", injectionChar);
    m.put("injection_token_id", injectionTokenId);
    m.put("injection_left_neighbor_id", leftNeighborId);
    m.put("injection_right_neighbor_id", rightNeighborId);
    m.put("critic_suffix_ids", criticSuffixIds);
    m.put("av_template", avTemplate);
    m.put("ar_template", arTemplate);
    return m;
  }

  /** The YAML as read, for fields this class does not interpret. */
  public Map<String, Object> raw() {
    return raw;
  }

  // ---- parsing helpers ----

  private String avTemplateField() {
    return section(raw, "prompt_templates").containsKey("av")
        ? "prompt_templates.av"
        : "prompt_templates.actor";
  }

  private String arTemplateField() {
    return section(raw, "prompt_templates").containsKey("ar")
        ? "prompt_templates.ar"
        : "prompt_templates.critic";
  }

  private void requireAv() {
    if (role != Role.AV) {
      throw error("role", "this is an " + role.spelling() + " sidecar; an AV is needed here");
    }
  }

  private void requireAr() {
    if (role != Role.AR) {
      throw error("role", "this is an " + role.spelling() + " sidecar; an AR is needed here");
    }
  }

  private String qualified(String field) {
    return source + ": " + field;
  }

  private UserError error(String field, String what) {
    return new UserError(source + ": " + field + ": " + what);
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> section(Map<String, Object> m, String key) {
    Object v = m.get(key);
    if (v == null) return Map.of();
    if (!(v instanceof Map<?, ?>)) throw error(key, "expected a mapping, got " + v);
    return (Map<String, Object>) v;
  }

  private String template(
      Map<String, Object> templates, String key, String oldKey, boolean required) {
    Object v = templates.get(key);
    String field = "prompt_templates." + key;
    if (v == null) {
      v = templates.get(oldKey);
      field = "prompt_templates." + oldKey;
    }
    if (v == null) {
      if (required) {
        throw error("prompt_templates." + key, "missing (older files call it " + oldKey + ")");
      }
      return null;
    }
    if (!(v instanceof String s)) throw error(field, "expected a string");
    return s;
  }

  private String string(Map<String, Object> m, String field, boolean required) {
    Object v = m.get(leaf(field));
    if (v == null) {
      if (required) throw error(field, "missing");
      return null;
    }
    if (!(v instanceof String s)) throw error(field, "expected a string, got " + v);
    return s;
  }

  private int positiveInt(Map<String, Object> m, String field, boolean required) {
    Integer v = nonNegativeInt(m, field, required);
    if (v != null && v == 0) throw error(field, "must be positive");
    return v == null ? 0 : v;
  }

  private Integer nonNegativeInt(Map<String, Object> m, String field) {
    return nonNegativeInt(m, field, false);
  }

  private Integer nonNegativeInt(Map<String, Object> m, String field, boolean required) {
    Object v = m.get(leaf(field));
    if (v == null) {
      if (required) throw error(field, "missing");
      return null;
    }
    if (!(v instanceof Integer i) || i < 0) {
      throw error(field, "expected a non-negative integer, got " + v);
    }
    return i;
  }

  private int[] intList(Map<String, Object> m, String field, boolean required) {
    Object v = m.get(leaf(field));
    if (v == null) {
      if (required) throw error(field, "missing");
      return null;
    }
    if (!(v instanceof List<?> list) || list.isEmpty()) {
      throw error(field, "expected a non-empty list of token ids, got " + v);
    }
    int[] out = new int[list.size()];
    for (int i = 0; i < out.length; i++) {
      if (!(list.get(i) instanceof Integer x) || x < 0) {
        throw error(field, "element " + i + " is not a token id: " + list.get(i));
      }
      out[i] = x;
    }
    return out;
  }

  private static String leaf(String field) {
    return field.substring(field.lastIndexOf('.') + 1);
  }

  private static String quote(String s) {
    return "\"" + s + "\"";
  }

  private static String firstLine(String s) {
    if (s == null) return "parse error";
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
