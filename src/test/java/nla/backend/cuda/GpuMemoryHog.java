package nla.backend.cuda;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import nla.backend.DeviceMemoryError;

/**
 * Takes device memory of GPU 0 until only about a given amount is free, so a test can make the
 * engine run out of memory at a point of its choosing; {@link #close} gives it all back. It holds
 * the device's primary context (the one the backend uses) for as long as it is open.
 */
public final class GpuMemoryHog implements AutoCloseable {
  /** Stop when free memory is within this of the target (the driver hands out 2 MiB pages). */
  private static final long SLACK = 4L << 20;

  private final CudaDriver driver;
  private final int device;
  private final MemorySegment context;
  private final List<Long> pieces = new ArrayList<>();
  private final long freeBefore;
  private long taken;
  private boolean closed;

  private GpuMemoryHog(long leave) {
    driver = CudaDriver.get();
    device = driver.device(0);
    context = driver.retainPrimaryContext(device);
    driver.setCurrent(context);
    freeBefore = driver.memoryInfo()[0];
    try {
      long piece = 1L << 30;
      while (true) {
        long excess = driver.memoryInfo()[0] - leave;
        if (excess <= SLACK) break;
        long bytes = Math.min(piece, excess);
        try {
          pieces.add(driver.malloc(bytes, "the test's memory hog"));
          taken += bytes;
        } catch (DeviceMemoryError e) {
          // Free memory the driver will not hand out in one piece of this size: smaller ones.
          if (piece <= SLACK) break;
          piece /= 2;
        }
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Takes GPU 0's memory until about {@code bytes} are free. */
  public static GpuMemoryHog leaving(long bytes) {
    return new GpuMemoryHog(bytes);
  }

  /** Free device memory before the hog took any. */
  public long freeBefore() {
    return freeBefore;
  }

  /** Device memory the hog holds. */
  public long taken() {
    return taken;
  }

  /** Free device memory now. */
  public long freeNow() {
    driver.setCurrent(context);
    return driver.memoryInfo()[0];
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    driver.setCurrent(context);
    for (long p : pieces) driver.free(p);
    pieces.clear();
    taken = 0;
    driver.releasePrimaryContext(device);
  }
}
