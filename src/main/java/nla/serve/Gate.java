package nla.serve;

import java.util.concurrent.Semaphore;

/**
 * One endpoint's admission: up to {@code maxConcurrent} requests run, up to {@code maxQueue} more
 * wait (first come, first served), and a request beyond both is refused at once (HTTP 429) rather
 * than left to pile up, as Neuronpedia's gates refuse the (N+1)th request.
 */
final class Gate {
  final String name;
  final int maxConcurrent;
  final int maxQueue;
  private final Semaphore slots;
  private int admitted; // running + waiting

  Gate(String name, int maxConcurrent, int maxQueue) {
    if (maxConcurrent < 1) throw new IllegalArgumentException("maxConcurrent must be >= 1");
    if (maxQueue < 0) throw new IllegalArgumentException("maxQueue must be >= 0");
    this.name = name;
    this.maxConcurrent = maxConcurrent;
    this.maxQueue = maxQueue;
    this.slots = new Semaphore(maxConcurrent, true);
  }

  /** A held slot; closing it lets the next request run. */
  interface Slot extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Waits for a slot, or refuses at once (429) when {@code maxConcurrent} run and {@code maxQueue}
   * wait already.
   */
  Slot enter() throws InterruptedException {
    synchronized (this) {
      if (admitted >= maxConcurrent + maxQueue) {
        throw new ApiError(
            429,
            com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.textNode(
                "All "
                    + maxConcurrent
                    + " "
                    + name
                    + " slot(s) in use and "
                    + maxQueue
                    + " request(s) queued. Try again shortly (--max-concurrent, --max-queue)."),
            "1");
      }
      admitted++;
    }
    try {
      slots.acquire();
    } catch (InterruptedException e) {
      synchronized (this) {
        admitted--;
      }
      throw e;
    }
    return new Slot() {
      private boolean closed;

      @Override
      public void close() {
        synchronized (Gate.this) {
          if (closed) return;
          closed = true;
          admitted--;
        }
        slots.release();
      }
    };
  }

  /** Requests waiting for a slot. */
  synchronized int queued() {
    return Math.max(0, admitted - (maxConcurrent - slots.availablePermits()));
  }

  /** Requests holding a slot. */
  int running() {
    return maxConcurrent - slots.availablePermits();
  }
}
