package nla.data;

/**
 * Document and row counts of an extraction. A document is skipped when it yields no row: its text
 * is unreadable (not UTF-8), empty, or has no candidate position (too short, or all special past
 * position 50). It is short-sampled when it has fewer candidates than positions asked for.
 */
public record ExtractionStats(
    long documents,
    long rows,
    long skippedUnreadable,
    long skippedEmpty,
    long skippedNoCandidates,
    long shortSampled) {
  public static final ExtractionStats ZERO = new ExtractionStats(0, 0, 0, 0, 0, 0);

  public ExtractionStats plus(ExtractionStats o) {
    return new ExtractionStats(
        documents + o.documents,
        rows + o.rows,
        skippedUnreadable + o.skippedUnreadable,
        skippedEmpty + o.skippedEmpty,
        skippedNoCandidates + o.skippedNoCandidates,
        shortSampled + o.shortSampled);
  }

  public long skipped() {
    return skippedUnreadable + skippedEmpty + skippedNoCandidates;
  }

  public String summary() {
    return documents
        + " documents, "
        + rows
        + " rows; skipped "
        + skipped()
        + " (unreadable "
        + skippedUnreadable
        + ", empty "
        + skippedEmpty
        + ", no position >= "
        + PositionSampler.MIN_POSITION
        + " "
        + skippedNoCandidates
        + "), short-sampled "
        + shortSampled;
  }
}
