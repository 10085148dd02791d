package nla.backend.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * Device memory for a step's activations: chunks taken once and handed out by bumping an offset,
 * given back in stack order when a scope closes (the model opens one per step and one per layer),
 * so steady-state decoding allocates nothing from the driver.
 */
final class DeviceArena implements AutoCloseable {
  private static final long CHUNK_BYTES = 256L << 20;
  private static final long ALIGN = 256;

  /** A position in the arena to return to. */
  record Mark(int chunk, long offset) {}

  private final CudaDriver driver;
  private final List<long[]> chunks = new ArrayList<>(); // {pointer, bytes}
  private int chunk;
  private long offset;
  private long trace;

  DeviceArena(CudaDriver driver) {
    this.driver = driver;
  }

  long allocate(long bytes) {
    long size = Math.max(ALIGN, (bytes + ALIGN - 1) / ALIGN * ALIGN);
    trace = trace * 31 + size;
    while (true) {
      if (chunk == chunks.size()) {
        long chunkBytes = Math.max(CHUNK_BYTES, size);
        chunks.add(new long[] {driver.malloc(chunkBytes, "the activation workspace"), chunkBytes});
      }
      long[] c = chunks.get(chunk);
      if (offset + size <= c[1]) {
        long p = c[0] + offset;
        offset += size;
        return p;
      }
      chunk++;
      offset = 0;
    }
  }

  Mark mark() {
    return new Mark(chunk, offset);
  }

  /**
   * A digest of the allocations since {@link #restartTrace}: the same mark at the restart and the
   * same digest mean every block handed out since is where it was then.
   */
  long trace() {
    return trace;
  }

  void restartTrace() {
    trace = 0;
  }

  void reset(Mark m) {
    chunk = m.chunk();
    offset = m.offset();
  }

  /** Device bytes held (for --verbose and the benchmarks). */
  long reservedBytes() {
    long n = 0;
    for (long[] c : chunks) n += c[1];
    return n;
  }

  @Override
  public void close() {
    for (long[] c : chunks) driver.free(c[0]);
    chunks.clear();
    chunk = 0;
    offset = 0;
  }
}
