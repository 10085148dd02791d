package nla.data;

/** Where a long job reports how far it is; the CLI draws a bar on a terminal. */
public interface Progress {
  Progress NONE = (done, total) -> {};

  /** {@code done} of {@code total} documents processed (including those done by earlier runs). */
  void update(long done, long total);

  default void finish() {}
}
