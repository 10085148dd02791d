package nla.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive claim on an output (a run folder, an extraction's work folder) by one process: two
 * writers on the same manifest or journal would each rewrite it from their own copy and lose the
 * other's entries. The claim is an OS lock on a small file holding the holder's pid, so it ends
 * with the process however the process ends (kill -9 included: the OS drops the lock); a stale file
 * left behind by a killed holder is just reused.
 */
public final class OutputLock implements AutoCloseable {
  private final FileChannel channel;
  private final FileLock lock;

  private OutputLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Takes the lock on {@code lockFile} (created if missing) or refuses with a user error naming the
   * holder's pid.
   *
   * @param what the output being claimed, as the message should name it
   */
  public static OutputLock acquire(Path lockFile, String what) {
    FileChannel ch;
    try {
      ch =
          FileChannel.open(
              lockFile,
              StandardOpenOption.CREATE,
              StandardOpenOption.READ,
              StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UserError("cannot lock " + what + " (" + lockFile + "): " + e.getMessage());
    }
    FileLock lock;
    try {
      lock = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null; // held by this same process (locks are per process, not per channel)
    } catch (IOException e) {
      closeQuietly(ch);
      throw new UserError("cannot lock " + what + " (" + lockFile + "): " + e.getMessage());
    }
    if (lock == null) {
      String holder = holder(ch);
      closeQuietly(ch);
      throw new UserError(
          what
              + " is in use by another nla process (pid "
              + holder
              + "); wait for it to finish or stop it, then rerun");
    }
    try {
      byte[] pid = Long.toString(ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8);
      ch.truncate(0);
      ch.write(ByteBuffer.wrap(pid), 0);
      ch.force(false);
    } catch (IOException e) {
      // The lock holds without the pid; only the message of a refused second writer is poorer.
    }
    return new OutputLock(ch, lock);
  }

  private static String holder(FileChannel ch) {
    try {
      ByteBuffer buf = ByteBuffer.allocate(32);
      ch.read(buf, 0);
      String s = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).trim();
      return s.matches("\\d+") ? s : "unknown";
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** The pid recorded in a lock file, or null (for messages and tests). */
  public static String recordedPid(Path lockFile) {
    try {
      String s = Files.readString(lockFile).trim();
      return s.isEmpty() ? null : s;
    } catch (IOException e) {
      return null;
    }
  }

  private static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // Closing a channel we only read from: nothing to lose.
    }
  }

  /** Releases the lock; the file stays (deleting it would race with a writer that opened it). */
  @Override
  public void close() {
    try {
      lock.release();
    } catch (IOException ignored) {
      // Closing the channel below releases it as well.
    }
    closeQuietly(channel);
  }
}
