package nla.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fork-join of numbered tasks over a fixed set of threads, the caller included. A decode step is
 * hundreds of short parallel operations (24 layers × a handful of kernels), so a dispatch must cost
 * microseconds, not the tens of microseconds an executor's queue and future wake-ups cost: idle
 * workers spin briefly on the next job before parking, and tasks are claimed from one atomic
 * counter.
 */
final class WorkerPool implements AutoCloseable {
  interface Task {
    void run(int index);
  }

  // How long an idle worker polls for the next job before parking: longer than the serial gaps
  // between the kernels of one step, far shorter than a human notices as burnt CPU.
  private static final long SPIN_NANOS = 200_000;

  private static final class Job {
    final Task task;
    final int count;
    final AtomicInteger next = new AtomicInteger();
    final AtomicInteger finished = new AtomicInteger();
    volatile Throwable failure;

    Job(Task task, int count) {
      this.task = task;
      this.count = count;
    }
  }

  private final Thread[] workers;
  private volatile Job job;
  private volatile boolean closed;

  WorkerPool(int threads) {
    workers = new Thread[Math.max(0, threads - 1)];
    for (int i = 0; i < workers.length; i++) {
      Thread t = new Thread(this::workLoop, "nla-cpu-" + i);
      t.setDaemon(true);
      workers[i] = t;
      t.start();
    }
  }

  int threads() {
    return workers.length + 1;
  }

  /** Runs {@code task(0 .. count-1)}, each exactly once, and returns when all have finished. */
  synchronized void run(int count, Task task) {
    if (count <= 0) return;
    if (count == 1 || workers.length == 0 || isWorker()) {
      for (int i = 0; i < count; i++) task.run(i);
      return;
    }
    Job j = new Job(task, count);
    job = j;
    for (Thread w : workers) LockSupport.unpark(w);
    work(j);
    int spins = 0;
    while (j.finished.get() < count) {
      // A worker may have been descheduled mid-task on a loaded machine: stop burning its core.
      if (++spins < 10_000) Thread.onSpinWait();
      else Thread.yield();
    }
    Throwable failure = j.failure;
    if (failure instanceof RuntimeException re) throw re;
    if (failure instanceof Error err) throw err;
    if (failure != null) throw new IllegalStateException(failure);
  }

  private boolean isWorker() {
    Thread me = Thread.currentThread();
    for (Thread w : workers) if (w == me) return true;
    return false;
  }

  private static void work(Job j) {
    int done = 0;
    for (int i; (i = j.next.getAndIncrement()) < j.count; ) {
      try {
        j.task.run(i);
      } catch (Throwable t) {
        j.failure = t;
      }
      done++;
    }
    if (done > 0) j.finished.addAndGet(done);
  }

  private void workLoop() {
    Job seen = null;
    while (true) {
      long idleSince = System.nanoTime();
      int spins = 0;
      Job j;
      while ((j = job) == seen) {
        if (closed) return;
        if ((++spins & 63) == 0 && System.nanoTime() - idleSince > SPIN_NANOS) {
          LockSupport.park(this);
        } else {
          Thread.onSpinWait();
        }
      }
      seen = j;
      work(j);
    }
  }

  @Override
  public void close() {
    closed = true;
    for (Thread w : workers) LockSupport.unpark(w);
  }
}
