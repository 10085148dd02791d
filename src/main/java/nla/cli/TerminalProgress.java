package nla.cli;

import java.io.PrintStream;
import nla.data.Progress;

/**
 * A one-line progress bar with documents per second and ETA, drawn on stderr only when it is a
 * terminal (a log file or pipe gets nothing).
 */
final class TerminalProgress implements Progress {
  private final PrintStream err;
  private final String label;
  private final long startNanos = System.nanoTime();
  private long firstDone = -1;
  private long lastDraw;

  TerminalProgress(PrintStream err, String label) {
    this.err = err;
    this.label = label;
  }

  static Progress forTerminal(String label) {
    java.io.Console console = System.console();
    return console != null && console.isTerminal()
        ? new TerminalProgress(System.err, label)
        : Progress.NONE;
  }

  @Override
  public void update(long done, long total) {
    if (firstDone < 0) firstDone = done; // documents done by an earlier run don't count in the rate
    long now = System.nanoTime();
    if (done < total && now - lastDraw < 200_000_000L) return;
    lastDraw = now;
    double seconds = (now - startNanos) / 1e9;
    double rate = seconds > 0 ? (done - firstDone) / seconds : 0;
    int width = 30;
    int filled = total == 0 ? width : (int) (width * done / total);
    String eta = rate > 0 ? clock((total - done) / rate) : "--:--";
    err.printf(
        "\r%s [%s%s] %d/%d docs  %.1f docs/s  ETA %s ",
        label, "#".repeat(filled), ".".repeat(width - filled), done, total, rate, eta);
    err.flush();
  }

  @Override
  public void finish() {
    err.println();
  }

  static String clock(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600
        ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
        : String.format("%d:%02d", s / 60, s % 60);
  }
}
