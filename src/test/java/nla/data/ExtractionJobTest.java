package nla.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import nla.backend.DeviceMemoryError;
import nla.io.LockHolder;
import nla.io.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chunked runner's resume logic, in process: a run that fails part-way and is rerun ends with
 * the same bytes as an uninterrupted run. (The kill -9 test of a real CLI process is in
 * ExtractCorpusCommandTest.)
 */
class ExtractionJobTest {
  @TempDir Path dir;

  /** Rows derived from the text alone, so any run over the same documents gives the same rows. */
  static ChunkResult rowsOf(List<Document> docs) {
    List<ActivationRow> rows = new ArrayList<>();
    long skipped = 0;
    for (Document d : docs) {
      if (d.isEmpty()) {
        skipped++;
        continue;
      }
      float[] v = new float[6];
      for (int j = 0; j < 6; j++) v[j] = d.text().hashCode() * (j + 1) / 1e6f;
      rows.add(new ActivationRow(51, d.text(), v, 3, "demo:train:" + d.index()));
    }
    return new ChunkResult(
        Map.of("L3", rows),
        rows.stream().map(r -> "{\"doc_id\":\"" + r.docId() + "\"}").toList(),
        new ExtractionStats(docs.size(), rows.size(), 0, skipped, 0, 0));
  }

  ExtractionJob job(Path out, long start, long length) {
    DatasetSidecar sidecar =
        new DatasetSidecar(
            "id",
            "base",
            0,
            new DatasetSidecar.Extraction("m", 6, 3, "none", "demo", start, length, 1),
            List.of(),
            "",
            "nla extract-corpus");
    return new ExtractionJob(
        Path.of(out + ".partial"),
        Map.of("L3", new ExtractionJob.Output(out, 6, sidecar)),
        Path.of(out + ".report.jsonl"),
        Map.of("model", "m"),
        start,
        length,
        4);
  }

  @Test
  void aRunThatFailsMidwayResumesToTheSameBytesAsAnUninterruptedRun() throws Exception {
    Path demo = Path.of("src/main/resources/demo/corpus.jsonl");
    Path clean = dir.resolve("clean.parquet");
    try (Corpus c = Corpus.open(demo, "text")) {
      ExtractionStats stats = job(clean, 2, 30).run(c, ExtractionJobTest::rowsOf, Progress.NONE);
      assertEquals(30, stats.documents());
      assertEquals(29, stats.rows());
      assertEquals(1, stats.skippedEmpty());
    }
    Path resumed = dir.resolve("resumed.parquet");
    AtomicInteger calls = new AtomicInteger();
    Function<List<Document>, ChunkResult> failing =
        docs -> {
          if (calls.incrementAndGet() == 4) throw new IllegalStateException("simulated crash");
          return rowsOf(docs);
        };
    try (Corpus c = Corpus.open(demo, "text")) {
      assertThrows(
          IllegalStateException.class, () -> job(resumed, 2, 30).run(c, failing, Progress.NONE));
    }
    assertFalse(Files.exists(resumed));
    assertTrue(Files.exists(Path.of(resumed + ".partial/chunk-000002.done")));
    List<Long> seen = new ArrayList<>();
    try (Corpus c = Corpus.open(demo, "text")) {
      ExtractionStats stats =
          job(resumed, 2, 30)
              .run(
                  c,
                  docs -> {
                    seen.add(docs.get(0).index());
                    return rowsOf(docs);
                  },
                  Progress.NONE);
      assertEquals(29, stats.rows());
      assertEquals(30, stats.documents());
    }
    assertEquals(List.of(14L, 18L, 22L, 26L, 30L), seen, "resumes at the first missing chunk");
    assertArrayEquals(Files.readAllBytes(clean), Files.readAllBytes(resumed));
    assertEquals(
        Files.readString(Path.of(clean + ".report.jsonl")),
        Files.readString(Path.of(resumed + ".report.jsonl")));
    assertFalse(Files.exists(Path.of(resumed + ".partial")));
    assertEquals(29, ActivationParquet.read(resumed).size());
    assertEquals(29, DatasetSidecar.readFor(resumed).rowCount());
  }

  @Test
  void aDeviceOutOfMemorySaysWhatIsKeptAndARerunResumesToTheSameBytes() throws Exception {
    Path demo = Path.of("src/main/resources/demo/corpus.jsonl");
    Path clean = dir.resolve("clean.parquet");
    try (Corpus c = Corpus.open(demo, "text")) {
      job(clean, 0, 20).run(c, ExtractionJobTest::rowsOf, Progress.NONE);
    }
    Path out = dir.resolve("out.parquet");
    String driver =
        "GPU out of memory: the activation workspace needs 0.25 GiB, 0.10 of 80.00 GiB free";
    Function<List<Document>, ChunkResult> full =
        docs -> {
          if (docs.get(0).index() == 8) throw new DeviceMemoryError(driver);
          return rowsOf(docs);
        };
    try (Corpus c = Corpus.open(demo, "text")) {
      DeviceMemoryError e =
          assertThrows(DeviceMemoryError.class, () -> job(out, 0, 20).run(c, full, Progress.NONE));
      assertEquals(
          driver
              + "; the 2 chunks before it are kept: rerun the same command to resume (a smaller"
              + " --batch needs less memory)",
          e.getMessage());
      assertEquals(driver, e.getCause().getMessage());
    }
    Path work = Path.of(out + ".partial");
    assertFalse(Files.exists(out));
    assertTrue(Files.exists(work.resolve("chunk-000000.done")));
    assertTrue(Files.exists(work.resolve("chunk-000001.done")));
    assertFalse(Files.exists(work.resolve("chunk-000002.done")));
    List<Long> seen = new ArrayList<>();
    try (Corpus c = Corpus.open(demo, "text")) {
      ExtractionStats stats =
          job(out, 0, 20)
              .run(
                  c,
                  docs -> {
                    seen.add(docs.get(0).index());
                    return rowsOf(docs);
                  },
                  Progress.NONE);
      assertEquals(20, stats.documents());
    }
    assertEquals(List.of(8L, 12L, 16L), seen, "resumes at chunk 2");
    assertArrayEquals(Files.readAllBytes(clean), Files.readAllBytes(out));
    assertEquals(
        Files.readString(Path.of(clean + ".report.jsonl")),
        Files.readString(Path.of(out + ".report.jsonl")));
    assertFalse(Files.exists(work));
  }

  @Test
  void aSecondRunOnTheSameOutputIsRefusedWhileTheFirstHoldsIt() throws Exception {
    Path demo = Path.of("src/main/resources/demo/corpus.jsonl");
    Path out = dir.resolve("out.parquet");
    Path work = Path.of(out + ".partial");
    Files.createDirectories(work);
    try (LockHolder first = LockHolder.start(work.resolve(ExtractionJob.LOCK));
        Corpus c = Corpus.open(demo, "text")) {
      UserError e =
          assertThrows(
              UserError.class,
              () -> job(out, 0, 8).run(c, ExtractionJobTest::rowsOf, Progress.NONE));
      assertEquals(
          "output "
              + out
              + " is in use by another nla process (pid "
              + first.pid()
              + "); wait for it to finish or stop it, then rerun",
          e.getMessage());
    }
    try (Corpus c = Corpus.open(demo, "text")) {
      assertEquals(8, job(out, 0, 8).run(c, ExtractionJobTest::rowsOf, Progress.NONE).documents());
    }
    assertFalse(Files.exists(work), "the work folder, lock file included, is gone at the end");
  }

  @Test
  void aRerunWithOtherSettingsOrOverAFinishedOutputIsRefused() throws Exception {
    Path demo = Path.of("src/main/resources/demo/corpus.jsonl");
    Path out = dir.resolve("out.parquet");
    try (Corpus c = Corpus.open(demo, "text")) {
      AtomicInteger calls = new AtomicInteger();
      assertThrows(
          IllegalStateException.class,
          () ->
              job(out, 0, 12)
                  .run(
                      c,
                      docs -> {
                        if (calls.incrementAndGet() == 2) throw new IllegalStateException("crash");
                        return rowsOf(docs);
                      },
                      Progress.NONE));
      UserError e =
          assertThrows(
              UserError.class,
              () -> job(out, 0, 8).run(c, ExtractionJobTest::rowsOf, Progress.NONE));
      assertTrue(e.getMessage().contains("length was 12, now 8"), e.getMessage());
      job(out, 0, 12).run(c, ExtractionJobTest::rowsOf, Progress.NONE);
      e =
          assertThrows(
              UserError.class,
              () -> job(out, 0, 12).run(c, ExtractionJobTest::rowsOf, Progress.NONE));
      assertTrue(e.getMessage().contains("already exists"), e.getMessage());
    }
  }

  @Test
  void aStopSaysWhatItKeptInWords() {
    assertEquals("no chunk was done before it", ExtractionJob.kept(0));
    assertEquals("the chunk before it is kept", ExtractionJob.kept(1));
    assertEquals("the 7 chunks before it are kept", ExtractionJob.kept(7));
  }
}
