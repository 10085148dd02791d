package nla.study;

import java.util.List;

/**
 * Activation vectors with their contexts, in row order.
 *
 * @param contexts each row's {@code detokenized_text_truncated} (the text up to and including the
 *     position), for §3
 * @param hash the input file's SHA-256, for the manifest
 * @param positions each row's token position in its document ({@code n_raw_tokens − 1}), which with
 *     the doc id identifies the row in an alignment report (§7); null when unknown (.npy)
 */
public record ActivationSet(
    String name,
    List<float[]> vectors,
    List<String> contexts,
    List<String> docIds,
    String hash,
    List<Integer> positions) {
  public ActivationSet {
    if (contexts != null && contexts.size() != vectors.size())
      throw new IllegalArgumentException(name + ": contexts and vectors differ in count");
    if (positions != null && positions.size() != vectors.size())
      throw new IllegalArgumentException(name + ": positions and vectors differ in count");
  }

  /** A set without token positions. */
  public ActivationSet(
      String name, List<float[]> vectors, List<String> contexts, List<String> docIds, String hash) {
    this(name, vectors, contexts, docIds, hash, null);
  }

  public int size() {
    return vectors.size();
  }

  /** The first {@code n} rows. */
  public ActivationSet head(int n) {
    if (n >= size()) return this;
    return new ActivationSet(
        name,
        vectors.subList(0, n),
        contexts == null ? null : contexts.subList(0, n),
        docIds == null ? null : docIds.subList(0, n),
        hash + "[:" + n + "]",
        positions == null ? null : positions.subList(0, n));
  }
}
