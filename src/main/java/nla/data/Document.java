package nla.data;

/**
 * One document of a corpus at its absolute index. {@code unreadable} names why its text could not
 * be read (not valid UTF-8); such a document keeps its index, so later {@code doc_id}s do not
 * shift, and is counted as skipped.
 */
public record Document(long index, String text, String unreadable) {
  public static Document of(long index, String text) {
    return new Document(index, text, null);
  }

  public static Document unreadable(long index, String why) {
    return new Document(index, null, why);
  }

  /**
   * No text at all. Whitespace-only text is not empty: the reference tokenizes it like any other
   * document (a long run of blank lines can have positions past 50), and so do we.
   */
  public boolean isEmpty() {
    return unreadable == null && text.isEmpty();
  }
}
