package nla.data;

import nla.io.ProgressBar;

/** Where a long job reports how far it is; the CLI draws a bar on a terminal. */
public interface Progress {
  Progress NONE = (done, total) -> {};

  /** {@code done} of {@code total} documents processed (including those done by earlier runs). */
  void update(long done, long total);

  default void finish() {}

  /**
   * Documents drawn as a {@link ProgressBar} on stderr when it is a terminal, else {@link #NONE}.
   */
  static Progress onTerminal(String label) {
    ProgressBar bar = ProgressBar.onTerminal(label, "docs");
    return bar.isQuiet() ? NONE : drawnOn(bar);
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
