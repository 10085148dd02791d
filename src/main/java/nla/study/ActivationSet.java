package nla.study;

import java.util.List;

/**
 * Activation vectors with their contexts, in row order.
 *
 * @param contexts each row's {@code detokenized_text_truncated} (the text up to and including the
 *     position), for §3
 * @param hash the input file's SHA-256, for the manifest
 */
public record ActivationSet(
    String name, List<float[]> vectors, List<String> contexts, List<String> docIds, String hash) {
  public ActivationSet {
    if (contexts != null && contexts.size() != vectors.size())
      throw new IllegalArgumentException(name + ": contexts and vectors differ in count");
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
        hash + "[:" + n + "]");
  }
}
