package nla.study;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress bar with items/s and ETA, drawn on stderr only when it is a terminal (quiet in logs,
 * pipes and CI). Items already finished by an earlier session count as done but not in the rate.
 */
public final class Progress implements AutoCloseable {
  private final String label;
  private final long total;
  private final PrintStream out;
  private final long startNanos = System.nanoTime();
  private final long resumedFrom;
  private long done;
  private long lastDraw;

  public Progress(String label, long total, long alreadyDone) {
    this(label, total, alreadyDone, isTerminal() ? System.err : null);
  }

  /** {@code out} null = quiet. */
  public Progress(String label, long total, long alreadyDone, PrintStream out) {
    this.label = label;
    this.total = total;
    this.done = alreadyDone;
    this.resumedFrom = alreadyDone;
    this.out = out;
    draw(true);
  }

  static boolean isTerminal() {
    var console = System.console();
    return console != null && console.isTerminal();
  }

  public synchronized void step(long n) {
    done += n;
    draw(done >= total);
  }

  /** The line as drawn, e.g. {@code eval 40/100 40% 2.5 it/s ETA 24s}. */
  String line() {
    double secs = (System.nanoTime() - startNanos) / 1e9;
    long fresh = done - resumedFrom;
    double rate = secs > 0 ? fresh / secs : 0;
    String eta = rate > 0 ? duration((total - done) / rate) : "?";
    return String.format(
        Locale.ROOT,
        "%s  %d/%d  %3.0f%%  %.2f it/s  ETA %s",
        label,
        done,
        total,
        total == 0 ? 100.0 : 100.0 * done / total,
        rate,
        eta);
  }

  static String duration(double seconds) {
    long s = Math.round(seconds);
    if (s < 60) return s + "s";
    if (s < 3600) return (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s";
    return (s / 3600) + "h" + String.format(Locale.ROOT, "%02d", (s % 3600) / 60) + "m";
  }

  private void draw(boolean force) {
    if (out == null) return;
    long now = System.nanoTime();
    if (!force && now - lastDraw < 200_000_000L) return;
    lastDraw = now;
    out.print("\r" + line() + "   ");
    out.flush();
  }

  @Override
  public void close() {
    if (out != null) {
      draw(true);
      out.println();
    }
  }
}
