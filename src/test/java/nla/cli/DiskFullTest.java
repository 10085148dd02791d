package nla.cli;

import static nla.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import nla.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults of the file system and of the input that used to end in a stack trace: a full disk while a
 * study appends to its journal or an extraction writes a chunk, and a truncated {@code .jsonl.gz}
 * corpus. Each is now one {@code nla: ...} line and exit code 2.
 *
 * <p>The full disk is real: the CLI runs in a child JVM inside its own mount namespace ({@code
 * unshare}, as root or as an unprivileged user) with a few-kilobyte tmpfs mounted where it writes.
 */
class DiskFullTest {
  @TempDir Path tmp;

  record Child(int code, String output) {}

  /**
   * Runs the CLI with a tmpfs of {@code size} (and a file of {@code pad} bytes) at {@code disk}.
   */
  private Child onSmallDisk(Path disk, String size, int pad, List<String> args) throws Exception {
    Files.createDirectories(disk);
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "unshare",
                "--user",
                "--map-root-user",
                "--mount",
                "sh",
                "-c",
                "mount -t tmpfs -o size="
                    + size
                    + " tmpfs \"$0\" && head -c "
                    + pad
                    + " /dev/zero > \"$0/pad\"; exec \"$@\"",
                disk.toString(),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                "nla.cli.Main"));
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    return new Child(p.exitValue(), new String(out).replaceAll("(?m)^WARNING: .*\\n", ""));
  }

  private static void assertOneLine(Child c, String... parts) {
    assertEquals(2, c.code(), c.output());
    String err = c.output().strip();
    assertEquals(1, err.lines().count(), err);
    assertTrue(err.startsWith("nla: "), err);
    for (String p : parts) assertTrue(err.contains(p), err);
  }

  @Test
  void aFullDiskWhileAStudyAppendsToItsJournalIsOneLine() throws Exception {
    Random r = new Random(1);
    for (String f : new String[] {"ta", "tb", "ea", "eb"}) {
      float[][] m = new float[f.startsWith("t") ? 60 : 20][4];
      for (float[] row : m) for (int k = 0; k < 4; k++) row[k] = (float) r.nextGaussian();
      Npy.write(tmp.resolve(f + ".npy"), m);
    }
    Path run = tmp.resolve("run");
    Child c =
        onSmallDisk(
            run.resolve("ridge"),
            "4k",
            4096,
            List.of(
                "study",
                "ridge",
                "--out",
                run.toString(),
                "--a",
                "x=" + tmp.resolve("ta.npy") + "," + tmp.resolve("ea.npy"),
                "--b",
                "y=" + tmp.resolve("tb.npy") + "," + tmp.resolve("eb.npy"),
                "--ns",
                "30,60",
                "--kernels",
                "linear",
                "--folds",
                "3"));
    assertOneLine(
        c,
        "ridge/points.jsonl: cannot append (No space left on device)",
        "free space and rerun the same command to resume");
    // The manifest (on the roomy disk) was closed properly: the session has its end time.
    assertTrue(
        Files.readString(run.resolve("manifest.json")).contains("\"ended\" : \"20"),
        Files.readString(run.resolve("manifest.json")));
  }

  @Test
  void aFullDiskWhileExtractCorpusWritesAChunkIsOneLine() throws Exception {
    ExtractCorpusCommandTest.models();
    Path disk = tmp.resolve("disk");
    Path out = disk.resolve("acts.parquet");
    Child c = onSmallDisk(disk, "12k", 0, ExtractCorpusCommandTest.extractArgs(out));
    assertOneLine(c, "cannot write chunk 0 (No space left on device)", "rerun the same command");
  }

  @Test
  void aTruncatedGzipCorpusIsOneLine() throws Exception {
    ExtractCorpusCommandTest.models();
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
      z.write(Files.readAllBytes(Path.of(ExtractCorpusCommandTest.DEMO)));
    }
    byte[] whole = gz.toByteArray();
    Path corpus = tmp.resolve("corpus.jsonl.gz");
    Files.write(corpus, java.util.Arrays.copyOf(whole, whole.length / 2));
    Path out = tmp.resolve("acts.parquet");
    List<String> args = ExtractCorpusCommandTest.extractArgs(out);
    args.set(args.indexOf(ExtractCorpusCommandTest.DEMO), corpus.toString());
    CliRun r = run(args.toArray(String[]::new));
    assertEquals(2, r.code(), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(
        r.err().startsWith("nla: " + corpus + ": cannot read past line ")
            && r.err().contains("Unexpected end of ZLIB input stream"),
        r.err());
    assertFalse(Files.exists(out));
  }
}
