package nla.data;

/**
 * One row of an activation dataset (contract §6): the activation of block {@code activationLayer}
 * at token position {@code nRawTokens - 1} of document {@code docId}, raw (never normalised), and
 * the document's text up to and including that token, decoded without special tokens.
 */
public record ActivationRow(
    long nRawTokens,
    String detokenizedTextTruncated,
    float[] activationVector,
    long activationLayer,
    String docId) {

  /** The token position the vector was read at (0-based). */
  public int position() {
    return Math.toIntExact(nRawTokens - 1);
  }
}
