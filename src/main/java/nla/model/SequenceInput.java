package nla.model;

/**
 * One sequence fed to the model: token ids, or input embeddings (rows already scaled as the model
 * expects, e.g. an AV prompt with an injected vector). Exactly one is non-null.
 */
public record SequenceInput(int[] ids, float[][] embeddings) {
  public SequenceInput {
    if ((ids == null) == (embeddings == null)) {
      throw new IllegalArgumentException("exactly one of ids and embeddings must be given");
    }
  }

  public static SequenceInput ofIds(int... ids) {
    return new SequenceInput(ids, null);
  }

  public static SequenceInput ofEmbeddings(float[][] embeddings) {
    return new SequenceInput(null, embeddings);
  }

  public int length() {
    return ids != null ? ids.length : embeddings.length;
  }
}
