package nla.core;

/**
 * One AV decode.
 *
 * @param row the vector's row (its label from {@link VerbalizeOptions#rowLabels()} when given)
 * @param sample 0-based sample index for that row
 * @param promptIds the prompt's token ids (the injection position holds the injection id)
 * @param injectionPosition where the vector was injected
 * @param outputIds the generated ids, including the EOS that ended the decode (as HF generate)
 * @param text the decoded text without that EOS, special tokens kept (SGLang trims the stop token)
 * @param explanation the stripped text between the explanation tags; null = missing-tag decode
 */
public record Verbalization(
    int row,
    int sample,
    int[] promptIds,
    int injectionPosition,
    int[] outputIds,
    String text,
    String explanation) {

  /** Whether the decode lacked {@code <explanation>…</explanation>}. */
  public boolean missingTag() {
    return explanation == null;
  }
}
