package nla.data;

/**
 * A chunk's documents counted by what became of them (the {@link ExtractionStats} counts), shared
 * by the one-model {@link Extractor} and the two-model {@link CrossModelAligner}.
 */
final class DocumentTally {
  private long unreadable;
  private long empty;
  private long noCandidates;
  private long shortSampled;

  /** Whether {@code doc} has text to sample; an unreadable or empty one is counted and skipped. */
  boolean hasText(Document doc) {
    if (doc.unreadable() != null) {
      unreadable++;
      return false;
    }
    if (doc.isEmpty()) {
      empty++;
      return false;
    }
    return true;
  }

  /**
   * Whether a document with {@code positions} sampled positions is kept: one without any is counted
   * and skipped, one with fewer than {@code wanted} is kept and counted as short.
   */
  boolean keeps(int positions, int wanted) {
    if (positions == 0) {
      noCandidates++;
      return false;
    }
    if (positions < wanted) shortSampled++;
    return true;
  }

  ExtractionStats stats(long documents, long rows) {
    return new ExtractionStats(documents, rows, unreadable, empty, noCandidates, shortSampled);
  }
}
