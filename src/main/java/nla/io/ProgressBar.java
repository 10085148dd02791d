package nla.io;

import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The one self-redrawing progress line of every long job (corpus extraction, studies, downloads): a
 * label, a bar, the percentage, done/total in counts or bytes, the rate over the last few seconds
 * and the time left at that rate. Work finished by an earlier, interrupted run counts as done but
 * not in the rate.
 *
 * <p>On a terminal the line redraws in place. Into a log or a pipe (stderr not a terminal) the same
 * line is printed as plain text, without control characters, at a calm rate: nothing for a job
 * shorter than {@value #PLAIN_FIRST_SECONDS} s, then one line every {@value #PLAIN_EVERY_SECONDS} s
 * and the final state at the end, so a long step in CI says what it is doing without flooding the
 * log.
 */
public final class ProgressBar implements AutoCloseable {
  private static final long REDRAW_NANOS = 200_000_000L;
  private static final long RATE_WINDOW_NANOS = 5_000_000_000L;
  private static final int WIDTH = 24;
  static final int PLAIN_FIRST_SECONDS = 5;
  static final int PLAIN_EVERY_SECONDS = 10;

  private final PrintStream out;
  private final String noun; // null = bytes
  private final ArrayDeque<long[]> samples = new ArrayDeque<>(); // {nanoTime, done}
  private String label;
  private long total;
  private long done;
  private boolean started;
  private long lastDraw;
  private int lastWidth;
  private final boolean plain;
  private final LongSupplier clock;
  private long startedAt;
  private long printedAt = -1; // plain mode: when the last line was printed, -1 = never
  private String printed = "";

  private ProgressBar(
      String label, String noun, PrintStream out, boolean plain, LongSupplier clock) {
    this.label = label;
    this.noun = noun;
    this.out = out;
    this.plain = plain;
    this.clock = clock;
    this.startedAt = clock.getAsLong();
  }

  private ProgressBar(String label, String noun, PrintStream out) {
    this(label, noun, out, false, System::nanoTime);
  }

  /**
   * Plain lines at a calm rate on {@code out} (a log), timed by {@code clock} (nanoseconds): what
   * {@link #onTerminal} gives off a terminal, here with the log and the clock chosen by the caller.
   */
  public static ProgressBar plainLines(
      String label, String noun, PrintStream out, LongSupplier clock) {
    return new ProgressBar(label, noun, out, true, clock);
  }

  /** A bar counting items named {@code noun} ("docs", "it"); {@code out} null = quiet. */
  public static ProgressBar counting(String label, String noun, PrintStream out) {
    return new ProgressBar(label, noun, out);
  }

  /** A bar counting bytes, shown in kB/MB/GB; {@code out} null = quiet. */
  public static ProgressBar bytes(String label, PrintStream out) {
    return new ProgressBar(label, null, out);
  }

  /**
   * A counting bar on stderr: redrawn in place on a terminal, else plain lines at a calm rate (see
   * the class comment).
   */
  public static ProgressBar onTerminal(String label, String noun) {
    PrintStream t = terminal();
    return t != null
        ? counting(label, noun, t)
        : plainLines(label, noun, System.err, System::nanoTime);
  }

  /** stderr when it is a terminal, else null (quiet). */
  public static PrintStream terminal() {
    var console = System.console();
    return console != null && console.isTerminal() ? System.err : null;
  }

  /** Sets the work: {@code alreadyDone} of {@code total} were finished before this run. */
  public synchronized ProgressBar start(long total, long alreadyDone) {
    this.total = total;
    this.done = alreadyDone;
    started = true;
    startedAt = clock.getAsLong();
    samples.clear();
    samples.addLast(new long[] {startedAt, alreadyDone});
    draw(true);
    return this;
  }

  /** {@code done} of {@code total}; the first call's {@code done} is the resumed part. */
  public synchronized void update(long done, long total) {
    if (!started) {
      start(total, done);
      return;
    }
    this.total = total;
    this.done = done;
    draw(done >= total);
  }

  /** {@code n} more done (negative when work starts over, e.g. a server ignored a resume). */
  public synchronized void advance(long n) {
    done += n;
    draw(done >= total);
  }

  public synchronized void setLabel(String label) {
    this.label = label;
  }

  /** Draws now, e.g. from a ticker while no work arrives so that the rate decays. */
  public synchronized void redraw() {
    draw(true);
  }

  public boolean isQuiet() {
    return out == null;
  }

  /** The line as it is drawn now. */
  synchronized String line() {
    return render(label, done, total, rate(clock.getAsLong()), noun);
  }

  private double rate(long now) {
    long[] oldest = samples.peekFirst();
    if (oldest == null) return 0;
    double seconds = (now - oldest[0]) / 1e9;
    return seconds > 0 ? (done - oldest[1]) / seconds : 0;
  }

  private void draw(boolean force) {
    if (out == null) return;
    long now = clock.getAsLong();
    if (!force && now - lastDraw < REDRAW_NANOS) return;
    lastDraw = now;
    String line = line();
    samples.addLast(new long[] {now, done});
    while (samples.size() > 2 && now - samples.peekFirst()[0] > RATE_WINDOW_NANOS)
      samples.removeFirst();
    if (plain) {
      boolean due =
          printedAt < 0
              ? now - startedAt >= PLAIN_FIRST_SECONDS * 1_000_000_000L
              : now - printedAt >= PLAIN_EVERY_SECONDS * 1_000_000_000L;
      if (due) printLine(now, line);
      return;
    }
    int pad = Math.max(0, lastWidth - line.length()); // wipe the tail of a longer earlier line
    lastWidth = line.length();
    out.print("\r" + line + " ".repeat(pad));
    out.flush();
  }

  /** Draws the final state and ends the line. */
  @Override
  public synchronized void close() {
    if (out == null) return;
    if (plain) {
      // The final state, once, for a job that was long enough to print anything at all.
      long now = clock.getAsLong();
      String line = line();
      boolean wasLong = printedAt >= 0 || now - startedAt >= PLAIN_FIRST_SECONDS * 1_000_000_000L;
      if (wasLong && !line.equals(printed)) printLine(now, line);
      return;
    }
    draw(true);
    out.println();
    out.flush();
  }

  private void printLine(long now, String line) {
    out.println(line);
    out.flush();
    printedAt = now;
    printed = line;
  }

  /**
   * The progress line, e.g. {@code 1/3 files [######------] 50% 500 MB/1.00 GB 50.0 MB/s ETA 0:10};
   * {@code noun} null = bytes.
   */
  static String render(String label, long done, long total, double perSecond, String noun) {
    double fraction = total > 0 ? Math.min(1, Math.max(0, (double) done / total)) : 1;
    int filled = (int) Math.round(fraction * WIDTH);
    String bar = "#".repeat(filled) + "-".repeat(WIDTH - filled);
    String eta;
    if (done >= total) eta = "done";
    else if (perSecond <= 0) eta = "ETA --:--";
    else eta = "ETA " + duration((long) ((total - done) / perSecond));
    String amount =
        noun == null ? bytes(done) + "/" + bytes(total) : done + "/" + total + " " + noun;
    String rate =
        noun == null
            ? bytes((long) perSecond) + "/s"
            : String.format(Locale.ROOT, "%.1f %s/s", perSecond, noun);
    return String.format(
        Locale.ROOT,
        "%s [%s] %3d%% %s %s %s",
        label,
        bar,
        (int) Math.floor(fraction * 100),
        amount,
        rate,
        eta);
  }

  /** A byte count in decimal units with three significant digits: {@code 15.2 GB}. */
  public static String bytes(long n) {
    if (n < 1000) return n + " B";
    String[] units = {"kB", "MB", "GB", "TB", "PB"};
    double v = n;
    int u = -1;
    while (v >= 1000 && u < units.length - 1) {
      v /= 1000;
      u++;
    }
    return String.format(
        Locale.ROOT, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, units[u]);
  }

  /** {@code m:ss}, or {@code h:mm:ss} from an hour on. */
  public static String duration(long seconds) {
    long h = seconds / 3600;
    long m = (seconds % 3600) / 60;
    long s = seconds % 60;
    return h > 0
        ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s)
        : String.format(Locale.ROOT, "%d:%02d", m, s);
  }
}
