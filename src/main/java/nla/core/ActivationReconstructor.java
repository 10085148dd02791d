package nla.core;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import nla.io.UserError;
import nla.model.LanguageModel;
import nla.model.LastTokenHead;
import nla.model.SequenceInput;
import nla.text.Tokenizer;

/**
 * The AR (contract §5): {@code ar_template.format(explanation=e)} tokenized with special tokens,
 * the K+1 decoder blocks, the residual stream at the last token (no final norm), then the value
 * head. Texts are run in batches through the model with the value head on its backend ({@link
 * LastTokenHead}): only the predictions come back to the host.
 */
public final class ActivationReconstructor implements Reconstructor, AutoCloseable {
  private final Sidecar sidecar;
  private final Tokenizer tokenizer;
  private final LanguageModel model;
  private final ValueHead valueHead;
  private final LastTokenHead head; // the value head's weight on the model's backend
  private final Double mseNorm;
  private final boolean ownsModel;
  // Until withBatchSize: the default for the device the model is on (LanguageModel.defaultBatch).
  private int batchSize;

  /** Wraps loaded parts after every load-time check of the sidecar against them. */
  public ActivationReconstructor(
      Sidecar sidecar, Tokenizer tokenizer, LanguageModel model, ValueHead valueHead) {
    this(sidecar, tokenizer, model, valueHead, false);
  }

  private ActivationReconstructor(
      Sidecar sidecar,
      Tokenizer tokenizer,
      LanguageModel model,
      ValueHead valueHead,
      boolean owns) {
    if (sidecar.role() != Sidecar.Role.AR) {
      throw new UserError(
          sidecar.source()
              + ": role: this is an "
              + sidecar.role().spelling()
              + " checkpoint; --ar needs an AR");
    }
    LiveChecks.checkAr(sidecar, tokenizer, model.config());
    if (valueHead.dModel() != sidecar.dModel()) {
      throw new UserError(
          "value head width " + valueHead.dModel() + " differs from d_model " + sidecar.dModel());
    }
    this.sidecar = sidecar;
    this.tokenizer = tokenizer;
    this.model = model;
    this.batchSize = LanguageModel.defaultBatch(model.onGpu());
    this.valueHead = valueHead;
    this.head = model.lastTokenHead(sidecar.layerK(), valueHead.weight());
    this.mseNorm = sidecar.mseNorm();
    this.ownsModel = owns;
  }

  /**
   * Opens an AR checkpoint directory: sidecar, tokenizer, truncated weights, value head, checks.
   */
  public static ActivationReconstructor open(Path dir) {
    Sidecar sidecar = Sidecar.load(dir);
    if (sidecar.role() != Sidecar.Role.AR) {
      throw new UserError(
          sidecar.source()
              + ": role: this is an "
              + sidecar.role().spelling()
              + " checkpoint; --ar needs an AR");
    }
    Tokenizer tokenizer = Tokenizer.load(dir);
    LanguageModel model = LanguageModel.load(dir);
    ValueHead head = null;
    try {
      head = ValueHead.load(dir, sidecar.dModel());
      return new ActivationReconstructor(sidecar, tokenizer, model, head, true);
    } catch (RuntimeException e) {
      if (head != null) head.close();
      model.close();
      throw e;
    }
  }

  public Sidecar sidecar() {
    return sidecar;
  }

  /** The sidecar's mse_scale, resolved once at load. */
  @Override
  public Double mseNorm() {
    return mseNorm;
  }

  /** Texts run together through the AR. */
  public int batchSize() {
    return batchSize;
  }

  /** Texts run together through the AR (each a row of one pass). */
  public ActivationReconstructor withBatchSize(int batchSize) {
    if (batchSize < 1) throw new UserError("--batch-size: must be >= 1, got " + batchSize);
    this.batchSize = batchSize;
    return this;
  }

  /**
   * Prompt tokens whose keys and values were reused from the prefix the prompts share (computed
   * once per batch instead of once per prompt), over this instance's life.
   */
  public long prefillTokensSaved() {
    return model.prefillTokensSaved();
  }

  @Override
  public int dModel() {
    return sidecar.dModel();
  }

  /** The AR prompt's ids for one explanation (with special tokens; tail checked). */
  public int[] promptIds(String explanation) {
    return LiveChecks.arPromptIds(sidecar, tokenizer, explanation, "the AR prompt");
  }

  @Override
  public float[][] reconstruct(List<String> explanations) {
    // Every prompt is built and checked before any forward, so a bad text costs no compute.
    List<int[]> prompts = new ArrayList<>(explanations.size());
    for (int i = 0; i < explanations.size(); i++) {
      prompts.add(
          LiveChecks.arPromptIds(
              sidecar, tokenizer, explanations.get(i), "the AR prompt of text " + i));
    }
    float[][] out = new float[explanations.size()][];
    for (int from = 0; from < prompts.size(); from += batchSize) {
      int to = Math.min(prompts.size(), from + batchSize);
      List<SequenceInput> batch = new ArrayList<>(to - from);
      for (int i = from; i < to; i++) batch.add(SequenceInput.ofIds(prompts.get(i)));
      float[][] preds = head.apply(batch);
      System.arraycopy(preds, 0, out, from, preds.length);
    }
    return out;
  }

  @Override
  public void close() {
    if (ownsModel) {
      valueHead.close();
      model.close();
    }
  }
}
