package nla.io;

import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.Locale;

/**
 * The one self-redrawing progress line of every long job (corpus extraction, studies, downloads): a
 * label, a bar, the percentage, done/total in counts or bytes, the rate over the last few seconds
 * and the time left at that rate. It draws only when given a stream, which {@link #terminal()}
 * gives only when stderr is a terminal, so logs, pipes and CI stay clean. Work finished by an
 * earlier, interrupted run counts as done but not in the rate.
 */
public final class ProgressBar implements AutoCloseable {
  private static final long REDRAW_NANOS = 200_000_000L;
  private static final long RATE_WINDOW_NANOS = 5_000_000_000L;
  private static final int WIDTH = 24;

  private final PrintStream out;
  private final String noun; // null = bytes
  private final ArrayDeque<long[]> samples = new ArrayDeque<>(); // {nanoTime, done}
  private String label;
  private long total;
  private long done;
  private boolean started;
  private long lastDraw;
  private int lastWidth;

  private ProgressBar(String label, String noun, PrintStream out) {
    this.label = label;
    this.noun = noun;
    this.out = out;
  }

  /** A bar counting items named {@code noun} ("docs", "it"); {@code out} null = quiet. */
  public static ProgressBar counting(String label, String noun, PrintStream out) {
    return new ProgressBar(label, noun, out);
  }

  /** A bar counting bytes, shown in kB/MB/GB; {@code out} null = quiet. */
  public static ProgressBar bytes(String label, PrintStream out) {
    return new ProgressBar(label, null, out);
  }

  /** A counting bar drawn on stderr when it is a terminal, else quiet. */
  public static ProgressBar onTerminal(String label, String noun) {
    return counting(label, noun, terminal());
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
    samples.clear();
    samples.addLast(new long[] {System.nanoTime(), alreadyDone});
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
    return render(label, done, total, rate(System.nanoTime()), noun);
  }

  private double rate(long now) {
    long[] oldest = samples.peekFirst();
    if (oldest == null) return 0;
    double seconds = (now - oldest[0]) / 1e9;
    return seconds > 0 ? (done - oldest[1]) / seconds : 0;
  }

  private void draw(boolean force) {
    if (out == null) return;
    long now = System.nanoTime();
    if (!force && now - lastDraw < REDRAW_NANOS) return;
    lastDraw = now;
    String line = line();
    samples.addLast(new long[] {now, done});
    while (samples.size() > 2 && now - samples.peekFirst()[0] > RATE_WINDOW_NANOS)
      samples.removeFirst();
    int pad = Math.max(0, lastWidth - line.length()); // wipe the tail of a longer earlier line
    lastWidth = line.length();
    out.print("\r" + line + " ".repeat(pad));
    out.flush();
  }

  /** Draws the final state and ends the line. */
  @Override
  public synchronized void close() {
    if (out == null) return;
    draw(true);
    out.println();
    out.flush();
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
