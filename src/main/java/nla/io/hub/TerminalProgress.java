package nla.io.hub;

import java.io.PrintStream;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import nla.io.ProgressBar;

/**
 * A download drawn as a {@link ProgressBar} in bytes, labelled with the files done; a ticker
 * redraws it while a slow server sends nothing, so that the rate and ETA stay honest. On a terminal
 * the bar redraws in place; into a log it is plain lines at the bar's calm rate.
 */
public final class TerminalProgress implements DownloadProgress {
  private final ProgressBar bar;
  private final AtomicInteger filesDone = new AtomicInteger();
  private volatile int files;
  private ScheduledExecutorService ticker;

  /** On {@code out}: redrawn in place when it is a {@code terminal}, else plain lines. */
  public TerminalProgress(PrintStream out, boolean terminal) {
    this(
        terminal
            ? ProgressBar.bytes(label(0, 0), out)
            : ProgressBar.plainLines(label(0, 0), null, out, System::nanoTime));
  }

  TerminalProgress(ProgressBar bar) {
    this.bar = bar;
  }

  @Override
  public synchronized void start(long totalBytes, long alreadyBytes, int fileCount) {
    files = fileCount;
    bar.setLabel(label(0, fileCount));
    bar.start(totalBytes, alreadyBytes);
    ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "nla-download-progress");
              t.setDaemon(true);
              return t;
            });
    ticker.scheduleAtFixedRate(bar::redraw, 200, 200, TimeUnit.MILLISECONDS);
  }

  @Override
  public void advance(long bytes) {
    bar.advance(bytes);
  }

  @Override
  public void fileDone(String path) {
    bar.setLabel(label(filesDone.incrementAndGet(), files));
  }

  @Override
  public synchronized void finish() {
    if (ticker != null) {
      ticker.shutdownNow();
      ticker = null;
    }
    bar.close();
  }

  private static String label(int filesDone, int files) {
    return filesDone + "/" + files + " files";
  }
}
