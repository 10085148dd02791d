package nla.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A second process that holds an {@link OutputLock}: OS file locks are per process, so only another
 * JVM shows what a second nla run sees. The child prints "locked" once it holds the lock and then
 * waits to be killed.
 */
public final class LockHolder implements AutoCloseable {
  private final Process child;

  private LockHolder(Process child) {
    this.child = child;
  }

  public static void main(String[] args) throws Exception {
    try (OutputLock lock = OutputLock.acquire(Path.of(args[0]), "test output")) {
      System.out.println("locked");
      System.out.flush();
      Thread.sleep(TimeUnit.MINUTES.toMillis(2));
    }
  }

  /** Starts a child JVM holding the lock on {@code lockFile}; returns once it holds it. */
  public static LockHolder start(Path lockFile) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                LockHolder.class.getName(),
                lockFile.toString())
            .redirectErrorStream(true)
            .start();
    String line =
        new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream())).readLine();
    if (!"locked".equals(line)) {
      p.destroyForcibly();
      throw new IllegalStateException("lock holder did not start: " + line);
    }
    return new LockHolder(p);
  }

  public long pid() {
    return child.pid();
  }

  /** kill -9: no shutdown hook runs, the OS alone drops the lock. */
  public void kill() throws InterruptedException {
    child.destroyForcibly();
    child.waitFor();
  }

  @Override
  public void close() throws InterruptedException {
    kill();
  }
}
