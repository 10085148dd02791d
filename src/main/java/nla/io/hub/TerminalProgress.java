package nla.io.hub;

import java.io.PrintStream;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import nla.io.ProgressBar;

/**
 * A download drawn as a {@link ProgressBar} in bytes, labelled with the files done; a ticker
 * redraws it while a slow server sends nothing, so that the rate and ETA stay honest.
 */
public final class TerminalProgress implements DownloadProgress {
  private final ProgressBar bar;
  private final AtomicInteger filesDone = new AtomicInteger();
  private volatile int files;
  private ScheduledExecutorService ticker;

  public TerminalProgress(PrintStream out) {
    this.bar = ProgressBar.bytes(label(0, 0), out);
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
