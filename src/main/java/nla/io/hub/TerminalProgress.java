package nla.io.hub;

import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One self-redrawing line on a terminal: files done, a bar, bytes, the rate over the last few
 * seconds, and the time left at that rate.
 */
public final class TerminalProgress implements DownloadProgress {
  private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final PrintStream out;
  private final AtomicLong done = new AtomicLong();
  private final AtomicInteger filesDone = new AtomicInteger();
  private final ArrayDeque<long[]> samples = new ArrayDeque<>(); // {nanoTime, done}
  private volatile long total;
  private volatile int files;
  private ScheduledExecutorService ticker;
  private int lastWidth;

  public TerminalProgress(PrintStream out) {
    this.out = out;
  }

  @Override
  public synchronized void start(long totalBytes, long alreadyBytes, int fileCount) {
    total = totalBytes;
    files = fileCount;
    done.set(alreadyBytes);
    samples.addLast(new long[] {System.nanoTime(), alreadyBytes});
    ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "nla-download-progress");
              t.setDaemon(true);
              return t;
            });
    ticker.scheduleAtFixedRate(this::draw, 0, 200, TimeUnit.MILLISECONDS);
  }

  @Override
  public void advance(long bytes) {
    done.addAndGet(bytes);
  }

  @Override
  public void fileDone(String path) {
    filesDone.incrementAndGet();
  }

  @Override
  public synchronized void finish() {
    if (ticker != null) {
      ticker.shutdownNow();
      ticker = null;
    }
    draw();
    out.println();
    out.flush();
  }

  private synchronized void draw() {
    long now = System.nanoTime();
    long d = done.get();
    samples.addLast(new long[] {now, d});
    while (samples.size() > 2 && now - samples.peekFirst()[0] > WINDOW_NANOS) samples.removeFirst();
    long[] oldest = samples.peekFirst();
    double seconds = (now - oldest[0]) / 1e9;
    double rate = seconds > 0.2 ? (d - oldest[1]) / seconds : 0;
    String line = render(d, total, filesDone.get(), files, rate);
    int pad = Math.max(0, lastWidth - line.length());
    lastWidth = line.length();
    out.print("\r" + line + " ".repeat(pad));
    out.flush();
  }

  /** The progress line; a pure function so that its layout can be tested. */
  static String render(long done, long total, int filesDone, int files, double bytesPerSecond) {
    double fraction = total > 0 ? Math.min(1, Math.max(0, (double) done / total)) : 1;
    int width = 24;
    int filled = (int) Math.round(fraction * width);
    String bar = "#".repeat(filled) + "-".repeat(width - filled);
    String eta;
    if (done >= total) eta = "done";
    else if (bytesPerSecond <= 0) eta = "ETA --:--";
    else eta = "ETA " + duration((long) ((total - done) / bytesPerSecond));
    return String.format(
        Locale.ROOT,
        "%d/%d files [%s] %3d%% %s/%s %s/s %s",
        filesDone,
        files,
        bar,
        (int) Math.floor(fraction * 100),
        bytes(done),
        bytes(total),
        bytes((long) bytesPerSecond),
        eta);
  }

  static String bytes(long n) {
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

  static String duration(long seconds) {
    long h = seconds / 3600;
    long m = (seconds % 3600) / 60;
    long s = seconds % 60;
    return h > 0
        ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s)
        : String.format(Locale.ROOT, "%d:%02d", m, s);
  }
}
