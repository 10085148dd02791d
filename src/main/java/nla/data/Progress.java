package nla.data;

import nla.io.ProgressBar;

/** Where a long job reports how far it is; the CLI shows it on stderr (see ProgressBar). */
public interface Progress {
  Progress NONE = (done, total) -> {};

  /** {@code done} of {@code total} documents processed (including those done by earlier runs). */
  void update(long done, long total);

  default void finish() {}

  /**
   * Documents as a {@link ProgressBar} on stderr: redrawn on a terminal, else plain lines at a calm
   * rate for a long job.
   */
  static Progress onTerminal(String label) {
    return drawnOn(ProgressBar.onTerminal(label, "docs"));
  }

  static Progress drawnOn(ProgressBar bar) {
    return new Progress() {
      @Override
      public void update(long done, long total) {
        bar.update(done, total);
      }

      @Override
      public void finish() {
        bar.close();
      }
    };
  }
}
