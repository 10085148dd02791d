package nla.core;

import java.util.List;
import java.util.Map;
import nla.model.ModelConfig;
import nla.text.ChatMessage;
import nla.text.Tokenizer;

/**
 * The sidecar checks of contract §3 run against the live tokenizer and config.json, and the prompts
 * they check. The rules themselves live in {@link Sidecar}; this class only produces the ids.
 */
public final class LiveChecks {
  /** An explanation used to check the AR prompt's tail at load; any text ends the same way. */
  static final String PROBE_EXPLANATION = "The text discusses a quiet harbour town.";

  private LiveChecks() {}

  /**
   * The canonical AV prompt: {@code av_template.format(injection_char=c)} as the one user message
   * through the checkpoint's chat template with the generation prompt, tokenized in one step (so
   * the template's BOS is the only one), after checking the char encodes to its one id.
   */
  public static AvPrompt canonicalAvPrompt(Sidecar sidecar, Tokenizer tokenizer) {
    sidecar.checkInjectionEncoding(tokenizer.encode(sidecar.injectionChar(), false).ids());
    int[] ids = chatIds(tokenizer, sidecar.injectionContent());
    return new AvPrompt(ids, sidecar.canonicalInjectionPosition(ids));
  }

  /** A custom AV prompt: {@code <INJECT>} replaced by the injection char, then as above. */
  public static AvPrompt customAvPrompt(Sidecar sidecar, Tokenizer tokenizer, String prompt) {
    int[] ids = chatIds(tokenizer, sidecar.customContent(prompt));
    try {
      return new AvPrompt(ids, sidecar.injectionPosition(ids, "--prompt"));
    } catch (nla.io.UserError e) {
      // The bare "found 0 sites" of the rule leaves a user guessing; say where <INJECT> must sit.
      Integer left = sidecar.leftNeighborId();
      Integer right = sidecar.rightNeighborId();
      if (left == null || right == null) throw e;
      throw new nla.io.UserError(
          "--prompt: "
              + Sidecar.INJECT_PLACEHOLDER
              + " must sit between the tokens "
              + "'"
              + tokenizer.tokenText(left)
              + "'"
              + " and "
              + "'"
              + tokenizer.tokenText(right)
              + "'"
              + ", as in the sidecar's AV template (e.g. <concept><INJECT></concept>)",
          e);
    }
  }

  /** The AR prompt's ids, with special tokens (Gemma/Llama get BOS), its tail checked. */
  public static int[] arPromptIds(
      Sidecar sidecar, Tokenizer tokenizer, String explanation, String what) {
    int[] ids = tokenizer.encode(sidecar.arPrompt(explanation), true).ids();
    sidecar.checkArSuffix(ids, what);
    return ids;
  }

  /** Every load-time check for an AV: encoding, the canonical prompt, the hidden size. */
  public static AvPrompt checkAv(Sidecar sidecar, Tokenizer tokenizer, ModelConfig config) {
    sidecar.checkHiddenSize(config.hiddenSize());
    return canonicalAvPrompt(sidecar, tokenizer);
  }

  /** Every load-time check for an AR: hidden size, K+1 layers, the prompt's tail. */
  public static void checkAr(Sidecar sidecar, Tokenizer tokenizer, ModelConfig config) {
    sidecar.checkHiddenSize(config.hiddenSize());
    sidecar.checkArLayerCount(config.numLayers());
    arPromptIds(sidecar, tokenizer, PROBE_EXPLANATION, "the AR prompt of a probe explanation");
  }

  /**
   * The NLA fields of {@code nla inspect}: {@code sidecar} (null without one), and for an AV {@code
   * av_prompt_ids} and {@code injection_position}, after every load-time check (the tokenizer is
   * loaded only when there is a sidecar).
   */
  public static Map<String, Object> inspectFields(java.nio.file.Path dir, ModelConfig config) {
    Map<String, Object> out = new java.util.LinkedHashMap<>();
    if (!Sidecar.present(dir)) {
      out.put("sidecar", null);
      return out;
    }
    Sidecar sidecar = Sidecar.load(dir);
    Tokenizer tokenizer = Tokenizer.load(dir);
    out.put("sidecar", sidecar.describe());
    if (sidecar.role() == Sidecar.Role.AV) {
      AvPrompt prompt = checkAv(sidecar, tokenizer, config);
      out.put("av_prompt_ids", prompt.ids());
      out.put("injection_position", prompt.injectionPosition());
    } else {
      checkAr(sidecar, tokenizer, config);
    }
    return out;
  }

  private static int[] chatIds(Tokenizer tokenizer, String userContent) {
    return tokenizer.applyChatTemplate(List.of(new ChatMessage("user", userContent)), true);
  }
}
