package nla.text;

/**
 * Token ids, token strings (as in the vocabulary, e.g. {@code "Ġhi"}) and character offsets: for
 * each token {@code [start, end)} in Unicode code points of the encoded text, i.e. Python string
 * indices as Hugging Face reports them. Special tokens added by the tokenizer (BOS) get {@code [0,
 * 0]}.
 */
public record Encoding(int[] ids, String[] tokens, int[][] offsets) {
  public int size() {
    return ids.length;
  }
}
