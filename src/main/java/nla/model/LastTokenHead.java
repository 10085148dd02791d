package nla.model;

import java.util.List;
import nla.backend.Weight;

/**
 * A bias-free linear map read from one block's output at each sequence's last token (an AR's value
 * head), computed where the model runs: its weight is handed to the backend of that block once, at
 * {@link LanguageModel#lastTokenHead}, and only the [N, out] products come back to the host.
 */
public final class LastTokenHead {
  private final LanguageModel model;
  private final int block;
  private final Weight weight;

  LastTokenHead(LanguageModel model, int block, Weight weight) {
    this.model = model;
    this.block = block;
    this.weight = weight;
  }

  /** The block whose output the head reads (transformers' {@code hidden_states[block + 1]}). */
  public int block() {
    return block;
  }

  /**
   * Per sequence, W · (block output at its last token, before any final norm): [N][out]. Runs
   * blocks {@code 0..block} only.
   */
  public float[][] apply(List<SequenceInput> batch) {
    return model.applyHead(batch, block, weight);
  }
}
