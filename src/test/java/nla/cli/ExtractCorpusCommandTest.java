package nla.cli;

import static nla.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import nla.data.ActivationParquet;
import nla.data.ActivationRow;
import nla.data.DatasetSidecar;
import nla.data.TinyBaseModelsAccess;
import nla.io.ModelWeights;
import nla.io.SafeTensorsWriter;
import nla.io.StoredTensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code nla extract-corpus} and {@code nla align} end to end, including kill -9 and resume. */
class ExtractCorpusCommandTest {
  @TempDir static Path dir;
  public static Path qwen;
  static Path gemma;
  public static final String DEMO = Path.of("src/main/resources/demo/corpus.jsonl").toString();

  @BeforeAll
  static void models() {
    qwen = TinyBaseModelsAccess.qwen(3);
    gemma = TinyBaseModelsAccess.gemma(2);
  }

  public static List<String> extractArgs(Path out, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "extract-corpus",
                "--model",
                qwen.toString(),
                "--corpus",
                DEMO,
                "--corpus-name",
                "demo",
                "--split",
                "train",
                "--layer",
                "1",
                "--positions-per-doc",
                "4",
                "--chunk-docs",
                "1",
                "--out",
                out.toString()));
    args.addAll(List.of(more));
    return args;
  }

  @Test
  void extractionWritesSchemaSidecarAndCounts() {
    Path out = dir.resolve("demo.parquet");
    CliRun r = run(extractArgs(out, "--start", "2", "--length", "30").toArray(String[]::new));
    assertEquals(0, r.code(), r.err());
    assertTrue(
        r.out()
            .contains(
                "30 documents, 112 rows; skipped 2 (unreadable 0, empty 1, no position >= 50 1), short-sampled 0"),
        r.out());
    List<ActivationRow> rows = ActivationParquet.read(out);
    assertEquals(112, rows.size());
    assertEquals("demo:train:2", rows.get(0).docId());
    DatasetSidecar s = DatasetSidecar.readFor(out);
    assertEquals(112, s.rowCount());
    assertEquals(16, s.extraction().dModel());
    assertEquals(1, s.extraction().layerIndex());
    assertEquals(2, s.extraction().sliceStart());
    assertEquals(30, s.extraction().sliceLength());
    assertEquals("none", s.extraction().norm());
    assertEquals(
        DatasetSidecar.datasetId(qwen.getFileName().toString(), 1, "demo", 2, 30), s.datasetId());
    assertFalse(Files.exists(Path.of(out + ".partial")));
  }

  @Test
  void severalLayersGoToOneFilePerLayerAtTheSamePositions() {
    Path out = dir.resolve("layers");
    CliRun r =
        run(
            "extract-corpus",
            "--model",
            qwen.toString(),
            "--corpus",
            DEMO,
            "--corpus-name",
            "demo",
            "--layer",
            "0",
            "--layer",
            "1",
            "--layer",
            "2",
            "--length",
            "6",
            "--out",
            out.toString());
    assertEquals(0, r.code(), r.err());
    List<List<ActivationRow>> perLayer = new ArrayList<>();
    for (int k = 0; k < 3; k++)
      perLayer.add(ActivationParquet.read(out.resolve("L" + k + ".parquet")));
    assertEquals(60, perLayer.get(0).size());
    for (int k = 0; k < 3; k++) {
      for (int i = 0; i < 60; i++) {
        assertEquals(perLayer.get(0).get(i).docId(), perLayer.get(k).get(i).docId());
        assertEquals(perLayer.get(0).get(i).nRawTokens(), perLayer.get(k).get(i).nRawTokens());
        assertEquals(k, perLayer.get(k).get(i).activationLayer());
      }
    }
  }

  @Test
  void badInputIsExitCode2WithNothingLeftBehind() throws Exception {
    Path out = dir.resolve("bad.parquet");
    CliRun past = run(extractArgs(out, "--start", "30", "--length", "5").toArray(String[]::new));
    assertEquals(Main.EXIT_USER_ERROR, past.code());
    assertTrue(past.err().contains("runs past the end"), past.err());
    CliRun field = run(extractArgs(out, "--text-field", "body").toArray(String[]::new));
    assertEquals(Main.EXIT_USER_ERROR, field.code());
    assertTrue(field.err().contains("has no field \"body\""), field.err());
    CliRun layer = run(extractArgs(out, "--layer", "9").toArray(String[]::new));
    assertEquals(Main.EXIT_USER_ERROR, layer.code());
    assertFalse(Files.exists(out));
  }

  @Test
  void aParquetCorpusWithAContentColumnGivesTheSameRowsAsTheJsonl() throws Exception {
    Path shard = dir.resolve("ufw-shard.parquet");
    try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:duckdb:");
        java.sql.Statement s = c.createStatement()) {
      s.execute(
          "COPY (SELECT id, text AS content FROM read_json('"
              + Path.of(DEMO).toAbsolutePath()
              + "')) TO '"
              + shard
              + "' (FORMAT parquet)");
    }
    Path fromJsonl = dir.resolve("from-jsonl.parquet");
    Path fromParquet = dir.resolve("from-parquet.parquet");
    assertEquals(
        0,
        run(extractArgs(fromJsonl, "--start", "5", "--length", "6").toArray(String[]::new)).code());
    List<String> args = extractArgs(fromParquet, "--start", "5", "--length", "6");
    args.set(args.indexOf(DEMO), shard.toString());
    args.addAll(List.of("--text-field", "content"));
    CliRun r = run(args.toArray(String[]::new));
    assertEquals(0, r.code(), r.err());
    List<ActivationRow> a = ActivationParquet.read(fromJsonl);
    List<ActivationRow> b = ActivationParquet.read(fromParquet);
    assertEquals(24, a.size());
    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); i++) {
      assertEquals(a.get(i).docId(), b.get(i).docId());
      assertEquals(a.get(i).nRawTokens(), b.get(i).nRawTokens());
      assertEquals(a.get(i).detokenizedTextTruncated(), b.get(i).detokenizedTextTruncated());
      assertArrayEquals(a.get(i).activationVector(), b.get(i).activationVector());
    }
  }

  @Test
  void aNonUtf8LineIsACountedSkipThatKeepsLaterDocIds() throws Exception {
    Path corpus = dir.resolve("mixed.jsonl");
    List<String> lines = Files.readAllLines(Path.of(DEMO));
    try (var out = Files.newOutputStream(corpus)) {
      out.write((lines.get(0) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
      out.write(
          new byte[] {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xc3, '"', '}', '\n'});
      out.write((lines.get(2) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    Path out = dir.resolve("mixed.parquet");
    List<String> args = extractArgs(out);
    args.set(args.indexOf(DEMO), corpus.toString());
    CliRun r = run(args.toArray(String[]::new));
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("3 documents, 8 rows; skipped 1 (unreadable 1, empty 0"), r.out());
    List<String> ids =
        ActivationParquet.read(out).stream().map(ActivationRow::docId).distinct().toList();
    assertEquals(List.of("demo:train:0", "demo:train:2"), ids);
  }

  /** Starts the CLI in a child JVM. */
  static Process start(List<String> args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--add-modules=jdk.incubator.vector");
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("nla.cli.Main");
    cmd.addAll(args);
    return new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("child.log").toFile())
        .start();
  }

  /** Waits until the chunk's done record exists, then kills the process with SIGKILL. */
  static void killAfterChunk(Process p, Path partial, int chunk) throws Exception {
    Path done = partial.resolve(String.format("chunk-%06d.done", chunk));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!Files.exists(done) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(2);
    assertTrue(
        p.isAlive(),
        "the child finished before it could be killed: "
            + Files.readString(dir.resolve("child.log")));
    p.destroyForcibly();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(137, p.exitValue(), "killed by SIGKILL");
  }

  @Test
  void aRunKilledTwiceWithSigkillResumesToAByteIdenticalFile() throws Exception {
    Path clean = dir.resolve("clean.parquet");
    assertEquals(0, run(extractArgs(clean).toArray(String[]::new)).code());

    Path killed = dir.resolve("killed.parquet");
    Path partial = Path.of(killed + ".partial");
    killAfterChunk(start(extractArgs(killed)), partial, 3);
    assertFalse(Files.exists(killed), "no output under its final name after a kill");
    killAfterChunk(start(extractArgs(killed)), partial, 17);
    assertFalse(Files.exists(killed));
    CliRun resumed = run(extractArgs(killed).toArray(String[]::new));
    assertEquals(0, resumed.code(), resumed.err());
    // The CPU engine sums in a fixed order (Kernels: lanes in lane order), so the resumed file is
    // byte-for-byte the uninterrupted one.
    assertArrayEquals(Files.readAllBytes(clean), Files.readAllBytes(killed));
    assertEquals(
        Files.readString(DatasetSidecar.pathFor(clean)).replaceAll("created_at: .*", ""),
        Files.readString(DatasetSidecar.pathFor(killed)).replaceAll("created_at: .*", ""));
    assertFalse(Files.exists(partial));
  }

  @Test
  void aResumeAfterTheModelsWeightsChangedIsRefused() throws Exception {
    Path model = dir.resolve("retrained");
    Files.createDirectories(model);
    try (var files = Files.list(qwen)) {
      for (Path f : files.toList()) Files.copy(f, model.resolve(f.getFileName()));
    }
    Path out = dir.resolve("retrained.parquet");
    List<String> args = extractArgs(out);
    args.set(args.indexOf(qwen.toString()), model.toString());
    killAfterChunk(start(args), Path.of(out + ".partial"), 2);
    // Same names, dtypes and shapes, other values: what retraining in place leaves.
    Path weights = model.resolve(ModelWeights.SINGLE);
    SafeTensorsWriter w = new SafeTensorsWriter();
    try (ModelWeights old = ModelWeights.open(model)) {
      for (StoredTensor t : old.tensors().values()) {
        float[] v = t.toFloatArray();
        for (int i = 0; i < v.length; i++) v[i] *= 1.5f;
        w.add(t.name(), t.dtype(), t.shape(), v);
      }
    }
    w.write(weights);
    CliRun r = run(args.toArray(String[]::new));
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err()
            .startsWith("nla: " + out + ".partial holds an interrupted run extracted with other"),
        r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void alignMapsModelAPositionsToNearestModelBTokenEnds() throws Exception {
    Path out = dir.resolve("aligned");
    CliRun r =
        run(
            "align",
            "--model-a",
            qwen.toString(),
            "--model-b",
            gemma.toString(),
            "--layer-a",
            "2",
            "--layer-b",
            "1",
            "--corpus",
            DEMO,
            "--corpus-name",
            "demo",
            "--length",
            "8",
            "--positions-per-doc",
            "3",
            "--out",
            out.toString());
    assertEquals(0, r.code(), r.err());
    List<ActivationRow> a = ActivationParquet.read(out.resolve("A-L2.parquet"));
    List<ActivationRow> b = ActivationParquet.read(out.resolve("B-L1.parquet"));
    assertEquals(24, a.size());
    assertEquals(24, b.size());
    List<String> report = Files.readAllLines(out.resolve("alignment.jsonl"));
    assertEquals(24, report.size());
    for (int i = 0; i < 24; i++) {
      assertEquals(a.get(i).docId(), b.get(i).docId());
      // Both texts are prefixes of the same document ending near the same character.
      String ta = a.get(i).detokenizedTextTruncated();
      String tb = b.get(i).detokenizedTextTruncated();
      int error =
          new com.fasterxml.jackson.databind.ObjectMapper()
              .readTree(report.get(i))
              .get("error_chars")
              .asInt();
      assertTrue(
          Math.abs(ta.codePointCount(0, ta.length()) - tb.codePointCount(0, tb.length()))
              <= error + 1,
          ta + " | " + tb);
    }
    assertTrue(r.out().contains("mean error"), r.out());
  }
}
