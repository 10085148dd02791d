package nla.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One writer per output: a second process is refused by pid, and kill -9 frees the output. */
class OutputLockTest {
  @TempDir Path tmp;

  @Test
  void aSecondProcessIsRefusedNamingTheHoldersPidUntilTheHolderIsKilled() throws Exception {
    Path file = tmp.resolve("lock");
    try (LockHolder holder = LockHolder.start(file)) {
      UserError e =
          assertThrows(UserError.class, () -> OutputLock.acquire(file, "run directory x"));
      assertEquals(
          "run directory x is in use by another nla process (pid "
              + holder.pid()
              + "); wait for it to finish or stop it, then rerun",
          e.getMessage());
      holder.kill();
    }
    try (OutputLock lock = OutputLock.acquire(file, "run directory x")) {
      assertEquals(Long.toString(ProcessHandle.current().pid()), OutputLock.recordedPid(file));
    }
  }

  @Test
  void aSecondClaimInTheSameProcessIsRefusedAndAReleasedLockCanBeRetaken() {
    Path file = tmp.resolve("lock");
    try (OutputLock first = OutputLock.acquire(file, "x")) {
      UserError e = assertThrows(UserError.class, () -> OutputLock.acquire(file, "x"));
      assertTrue(e.getMessage().contains("pid " + ProcessHandle.current().pid()), e.getMessage());
    }
    OutputLock.acquire(file, "x").close();
  }
}
