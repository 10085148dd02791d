package nla.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import nla.io.LockHolder;
import nla.io.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two studies on one run folder at once (say {@code study eval} beside {@code study best-of-n})
 * used to both rewrite the manifest, one study's entry lost and with it the seed check on resume.
 * The second process is now refused before it reads or writes anything.
 */
class RunDirLockTest {
  @TempDir Path tmp;

  @Test
  void aRunFolderHeldByAnotherProcessIsRefusedAndTheManifestKeepsEveryStudy() throws Exception {
    Path dir = tmp.resolve("run");
    StudiesTest.open(dir, EvalStudy.NAME).close();
    String before = Files.readString(dir.resolve(RunDir.MANIFEST));
    try (LockHolder other = LockHolder.start(dir.resolve(RunDir.LOCK))) {
      UserError e = assertThrows(UserError.class, () -> StudiesTest.open(dir, BestOfNStudy.NAME));
      assertTrue(e.getMessage().contains("(pid " + other.pid() + ")"), e.getMessage());
      assertTrue(e.getMessage().startsWith("run directory " + dir), e.getMessage());
      assertEquals(before, Files.readString(dir.resolve(RunDir.MANIFEST)));
    }
    // The holder was killed with -9: the folder is free again, and both studies are recorded.
    StudiesTest.open(dir, BestOfNStudy.NAME).close();
    var studies = RunDir.JSON.readTree(dir.resolve(RunDir.MANIFEST).toFile()).get("studies");
    assertTrue(studies.has(EvalStudy.NAME) && studies.has(BestOfNStudy.NAME), studies.toString());
  }

  @Test
  void aResumeThatFailsItsIdentityCheckReleasesTheFolder() {
    Path dir = tmp.resolve("run");
    StudiesTest.open(dir, EvalStudy.NAME).close();
    assertThrows(
        UserError.class,
        () ->
            RunDir.open(
                dir,
                new RunDir.Identity(
                    EvalStudy.NAME,
                    7,
                    "fake",
                    java.util.Map.of("n", 20),
                    java.util.Map.of("acts", "h"))));
    StudiesTest.open(dir, EvalStudy.NAME).close();
  }
}
