package nla.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import nla.backend.DeviceMemoryError;
import nla.core.Verbalization;
import nla.core.VerbalizeOptions;
import nla.core.Verbalizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run killed with SIGKILL at an arbitrary moment resumes without recomputing finished items and
 * without losing any, and ends with the same summary as an uninterrupted run.
 */
class KillResumeTest {
  static final int ROWS = 30;
  static final int D = 5;
  @TempDir Path tmp;

  /** The child: the eval study with a slow fake AV, one row per batch. */
  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    ActivationSet acts = Fakes.vectors("a", ROWS, D, 11);
    try (RunDir run = StudiesTest.open(dir, EvalStudy.NAME)) {
      EvalStudy.run(run, Fakes.nla("f", D, 40), acts, sampling(), Double.NaN, 3, 1);
    }
  }

  static VerbalizeOptions sampling() {
    return VerbalizeOptions.greedy().withSampling(0.7, 1, 0, 123);
  }

  /** The decode journal's name: fixed by the AV, the vectors and the options. */
  private String decodeFile() throws Exception {
    Path probe = tmp.resolve("probe");
    try (RunDir run = StudiesTest.open(probe, EvalStudy.NAME)) {
      EvalStudy.run(
          run, Fakes.nla("f", D, 0), Fakes.vectors("a", ROWS, D, 11), sampling(), Double.NaN, 3, 1);
    }
    try (var files = Files.list(probe.resolve("decodes"))) {
      String n =
          files
              .map(p -> p.getFileName().toString())
              .filter(x -> x.endsWith(".jsonl"))
              .findFirst()
              .orElseThrow();
      return n;
    }
  }

  private static long lines(Path f) throws Exception {
    if (!Files.exists(f)) return 0;
    return Files.readAllLines(f).size();
  }

  @Test
  void killMinus9MidRunThenResumeRecomputesOnlyMissingItems() throws Exception {
    Path killed = tmp.resolve("killed");
    String java = ProcessHandle.current().info().command().orElse("java");
    Process child =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                KillResumeTest.class.getName(),
                killed.toString())
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("child.log").toFile())
            .start();
    Path decodes = killed.resolve("decodes").resolve(decodeFile());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (lines(decodes) < 8 && child.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
    assertTrue(
        child.isAlive(),
        "the child finished or died before it could be killed: "
            + Files.readString(tmp.resolve("child.log")));
    child.destroyForcibly(); // SIGKILL on Unix: no shutdown hooks, no flushing
    child.waitFor();
    assertEquals(137, child.exitValue());

    long before;
    try (Journal j = Journal.open(decodes)) {
      before = j.size();
    }
    assertTrue(before >= 8 && before < ROWS, "decoded before the kill: " + before);

    ActivationSet acts = Fakes.vectors("a", ROWS, D, 11);
    Nla counting = Fakes.nla("f", D, 0);
    ObjectNode resumed;
    try (RunDir run = StudiesTest.open(killed, EvalStudy.NAME)) {
      assertTrue(run.resumed());
      resumed = EvalStudy.run(run, counting, acts, sampling(), Double.NaN, 3, 1);
    }
    assertEquals(ROWS - before, ((Fakes.Av) counting.av()).decodes.get());
    try (Journal j = Journal.open(decodes)) {
      assertEquals(ROWS, j.size());
      for (int r = 0; r < ROWS; r++) assertTrue(j.has(r + "/0"));
    }

    ObjectNode straight;
    try (RunDir run = StudiesTest.open(tmp.resolve("straight"), EvalStudy.NAME)) {
      straight = EvalStudy.run(run, Fakes.nla("f", D, 0), acts, sampling(), Double.NaN, 3, 7);
    }
    assertEquals(straight, resumed);
    assertEquals(
        2, RunDir.JSON.readTree(killed.resolve("manifest.json").toFile()).get("sessions").size());
  }

  @Test
  void aDeviceOutOfMemoryNamesTheJournalAndARerunResumes() throws Exception {
    ActivationSet acts = Fakes.vectors("a", ROWS, D, 11);
    Fakes.Av av = new Fakes.Av(D, 0);
    String driver =
        "GPU out of memory: the KV cache (4096 tokens) needs 0.50 GiB, 0.01 of 80.00 GiB free";
    // Out of memory in the middle of one call, after 8 decodes have finished and been handed over.
    Verbalizer failing =
        new Verbalizer() {
          @Override
          public List<Verbalization> verbalize(List<float[]> vectors, VerbalizeOptions o) {
            throw new UnsupportedOperationException("a study decodes through verbalizeEach");
          }

          @Override
          public void verbalizeEach(
              List<float[]> vectors, VerbalizeOptions o, Consumer<Verbalization> onEach) {
            av.verbalizeEach(
                vectors,
                o,
                v -> {
                  if (av.decodes.get() > 8) throw new DeviceMemoryError(driver);
                  onEach.accept(v);
                });
          }

          @Override
          public int dModel() {
            return D;
          }
        };
    Path dir = tmp.resolve("oom");
    Path decodes = dir.resolve("decodes").resolve(decodeFile());
    try (RunDir run = StudiesTest.open(dir, EvalStudy.NAME)) {
      Nla nla = new Nla("f", failing, new Fakes.Ar(D), "fake-f");
      DeviceMemoryError e =
          assertThrows(
              DeviceMemoryError.class,
              () -> EvalStudy.run(run, nla, acts, sampling(), Double.NaN, 3, 1));
      assertEquals(
          driver
              + "; the 8 items written before are kept in "
              + decodes
              + ": rerun the same command to resume",
          e.getMessage());
    }
    Nla counting = Fakes.nla("f", D, 0);
    ObjectNode resumed;
    try (RunDir run = StudiesTest.open(dir, EvalStudy.NAME)) {
      resumed = EvalStudy.run(run, counting, acts, sampling(), Double.NaN, 3, 1);
    }
    assertEquals(ROWS - 8, ((Fakes.Av) counting.av()).decodes.get());
    ObjectNode straight;
    try (RunDir run = StudiesTest.open(tmp.resolve("straight"), EvalStudy.NAME)) {
      straight = EvalStudy.run(run, Fakes.nla("f", D, 0), acts, sampling(), Double.NaN, 3, 7);
    }
    assertEquals(straight, resumed);
  }

  @Test
  void manyItemsAppendTogetherAndAKeyWrittenBeforeIsRefusedWithNothingWritten() throws Exception {
    Path f = tmp.resolve("grouped.jsonl");
    try (Journal j = Journal.open(f)) {
      j.appendAll(List.of(j.newRecord("b").put("x", 2), j.newRecord("a").put("x", 1)));
      assertThrows(
          IllegalStateException.class,
          () -> j.appendAll(List.of(j.newRecord("c").put("x", 3), j.newRecord("a").put("x", 4))));
      assertEquals(2, j.size());
    }
    assertEquals(
        List.of("{\"key\":\"b\",\"x\":2}", "{\"key\":\"a\",\"x\":1}"), Files.readAllLines(f));
    try (Journal j = Journal.open(f)) {
      assertEquals(1, j.get("a").get("x").asInt());
      assertEquals(2, j.get("b").get("x").asInt());
    }
  }

  @Test
  void aTornLastLineIsDroppedAndOverwritten() throws Exception {
    Path f = tmp.resolve("j.jsonl");
    Files.writeString(f, "{\"key\":\"a\",\"x\":1}\n{\"key\":\"b\",\"x\":2}\n{\"key\":\"c\",\"x");
    try (Journal j = Journal.open(f)) {
      assertEquals(2, j.size());
      j.append(j.newRecord("c").put("x", 3));
    }
    assertEquals(
        List.of("{\"key\":\"a\",\"x\":1}", "{\"key\":\"b\",\"x\":2}", "{\"key\":\"c\",\"x\":3}"),
        Files.readAllLines(f));
  }
}
