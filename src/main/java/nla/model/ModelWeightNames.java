package nla.model;

import nla.io.ModelWeights;
import nla.io.UserError;

/**
 * Where a checkpoint keeps the text model's tensors (contract §2): {@code model.*} (Qwen2, Llama,
 * Gemma 3 text), {@code model.language_model.*} (newer Gemma 3 multimodal writers) or {@code
 * language_model.model.*} (older ones). Vision tower and projector tensors are never looked up.
 */
record ModelWeightNames(String prefix, String lmHead) {
  private static final String[] PREFIXES = {
    "model.language_model.", "language_model.model.", "model."
  };
  private static final String[] LM_HEADS = {"lm_head.weight", "language_model.lm_head.weight"};

  static ModelWeightNames detect(ModelWeights w, String dir) {
    String prefix = null;
    for (String p : PREFIXES) {
      if (w.has(p + "embed_tokens.weight")) {
        prefix = p;
        break;
      }
    }
    if (prefix == null) {
      throw new UserError(
          dir + ": no embedding table (model.embed_tokens.weight or a multimodal variant)");
    }
    String head = null;
    for (String h : LM_HEADS) if (w.has(h)) head = h;
    return new ModelWeightNames(prefix, head);
  }

  String embed() {
    return prefix + "embed_tokens.weight";
  }

  String finalNorm() {
    return prefix + "norm.weight";
  }

  String layer(int i, String rest) {
    return prefix + "layers." + i + "." + rest;
  }

  /** Null when the lm_head is tied to the embedding table. */
  String lmHeadOrNull() {
    return lmHead;
  }
}
