package nla.model;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * Continuous batching for requests that arrive over time, from any thread: one thread steps a
 * {@link ContinuousBatch} of at most {@code maxActive} decoding requests, the same step loop {@link
 * LanguageModel#generate(List, int)} runs for a fixed batch; a request submitted while others
 * decode joins at the next step, and a cancelled one leaves at the next step with its cache given
 * back. Each request's tokens are what {@code generate} gives it alone (its own generator; on the
 * CPU its rows' arithmetic does not depend on the rest of the step).
 */
public final class GenerationScheduler implements AutoCloseable {
  /** A submitted request: its result, and a way to stop it. */
  public static final class Ticket {
    private final ContinuousBatch.Entry entry;
    private final CompletableFuture<Generation> result = new CompletableFuture<>();
    private final GenerationScheduler owner;

    private Ticket(GenerationScheduler owner, GenerationRequest request, IntConsumer onToken) {
      this.owner = owner;
      this.entry = new ContinuousBatch.Entry(request, onToken, this::finished);
    }

    private void finished(ContinuousBatch.Entry e) {
      Generation g = e.generation();
      if (e.failure() != null) {
        result.completeExceptionally(e.failure());
        return;
      }
      if (ContinuousBatch.CANCELLED.equals(g.finishReason())) owner.cancelled.incrementAndGet();
      else owner.completed.incrementAndGet();
      result.complete(g);
    }

    /**
     * The request's tokens and finish reason once it ends; a cancelled request (or one the
     * scheduler stopped with) ends with the tokens it had and the reason {@code "cancelled"}; a
     * failed step fails the requests in it with its exception.
     */
    public CompletableFuture<Generation> result() {
      return result;
    }

    /** Stops the request at the next step; the scheduler spends no more compute on it. */
    public void cancel() {
      entry.cancel();
      owner.wake();
    }
  }

  private final LanguageModel model;
  private final ContinuousBatch batch;
  private final ConcurrentLinkedQueue<Ticket> arrivals = new ConcurrentLinkedQueue<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition work = lock.newCondition();
  private final Thread thread;
  private final AtomicLong completed = new AtomicLong();
  private final AtomicLong cancelled = new AtomicLong();
  private volatile boolean closed;
  private volatile int active;
  private volatile int peakActive;
  private volatile int waiting;

  GenerationScheduler(LanguageModel model, int maxActive, String name) {
    this.model = model;
    this.batch = ContinuousBatch.adaptive(model, maxActive);
    this.thread = Thread.ofPlatform().name(name).daemon().unstarted(this::run);
    thread.start();
  }

  /**
   * Queues a request to join the running batch. {@code onToken} (may be null) is told of each new
   * token, on the scheduler's thread: it must be quick and must not block. A bad prompt or bias is
   * refused here, on the caller's thread.
   */
  public Ticket submit(GenerationRequest request, IntConsumer onToken) {
    model.check(request);
    Ticket t = new Ticket(this, request, onToken);
    if (closed) throw new IllegalStateException("the generation scheduler is closed");
    arrivals.add(t);
    wake();
    if (closed) drainCancelled(); // raced with close: nobody will step it
    return t;
  }

  /** Requests decoding in the running batch (as of the last step: a gauge for metrics). */
  public int active() {
    return active;
  }

  /** The most requests that decoded in one step so far. */
  public int peakActive() {
    return peakActive;
  }

  /** Requests submitted and not yet admitted to the batch. */
  public int waiting() {
    return waiting + arrivals.size();
  }

  /** Tokens generated since the start. */
  public long tokens() {
    return batch.tokens();
  }

  /** Requests that ran to EOS or their budget. */
  public long completed() {
    return completed.get();
  }

  /** Requests that were cancelled before they finished. */
  public long cancelled() {
    return cancelled.get();
  }

  private void wake() {
    lock.lock();
    try {
      work.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void run() {
    while (!closed) {
      for (Ticket t; (t = arrivals.poll()) != null; ) batch.add(t.entry);
      if (batch.idle()) {
        lock.lock();
        try {
          if (arrivals.isEmpty() && !closed) work.await(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          break;
        } finally {
          lock.unlock();
        }
        continue;
      }
      try {
        batch.step();
      } catch (RuntimeException | OutOfMemoryError t) {
        // A failed step (memory, a device error) fails the requests in it, not the scheduler: the
        // next requests are served.
        batch.cancelAll(t);
      }
      active = batch.activeCount();
      peakActive = Math.max(peakActive, active);
      waiting = batch.waitingCount();
    }
    batch.close();
    active = 0;
    waiting = 0;
    drainCancelled();
  }

  private void drainCancelled() {
    for (Ticket t; (t = arrivals.poll()) != null; ) ContinuousBatch.cancelUnstarted(t.entry);
  }

  /**
   * Stops the scheduler: requests still waiting or decoding end cancelled, their caches given back;
   * returns once its thread has stopped (so the model may be closed after).
   */
  @Override
  public void close() {
    closed = true;
    wake();
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
