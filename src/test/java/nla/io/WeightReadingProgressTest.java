package nla.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading a large checkpoint reads every weight byte once (the NaN/Inf check), minutes when the
 * files come from disk: into a log (stderr not a terminal) it says which file it reads and how many
 * bytes are done, in plain lines without control characters.
 */
class WeightReadingProgressTest {
  @TempDir Path dir;

  @Test
  void readingTheWeightsOfAShardedCheckpointSaysWhichFileAndHowManyBytesInPlainLines()
      throws Exception {
    float[] v = new float[1000];
    new SafeTensorsWriter()
        .add("a", DType.F32, new long[] {1000}, v)
        .write(dir.resolve("model-00001-of-00002.safetensors"));
    new SafeTensorsWriter()
        .add("b", DType.BF16, new long[] {1000}, v)
        .add("c", DType.BF16, new long[] {1000}, v)
        .write(dir.resolve("model-00002-of-00002.safetensors"));
    Files.writeString(
        dir.resolve(ModelWeights.INDEX),
        "{\"weight_map\": {\"a\": \"model-00001-of-00002.safetensors\","
            + " \"b\": \"model-00002-of-00002.safetensors\","
            + " \"c\": \"model-00002-of-00002.safetensors\"}}");

    ByteArrayOutputStream log = new ByteArrayOutputStream();
    long[] now = {0};
    // Each look at the clock is 11 s later: every step is long enough to be reported.
    try (ModelWeights w = ModelWeights.open(dir);
        ProgressBar bar =
            ProgressBar.plainLines(
                "weights",
                null,
                new PrintStream(log, true, StandardCharsets.UTF_8),
                () -> now[0] += 11_000_000_000L)) {
      w.requireFinite(bar);
    }
    String text = log.toString(StandardCharsets.UTF_8);
    List<String> lines = text.lines().toList();
    assertTrue(lines.get(0).startsWith("reading weights 1/2 files ["), text);
    assertTrue(lines.get(0).contains(" 0 B/8.00 kB "), text); // 4000 + 2 × 2000 bytes
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("reading weights 2/2 files [")), text);
    String last = lines.get(lines.size() - 1);
    assertTrue(last.contains("100% 8.00 kB/8.00 kB") && last.endsWith("done"), text);
    for (char c : text.toCharArray())
      assertTrue(c == '\n' || c >= ' ', "a control character in the log: " + (int) c);
    assertEquals(lines.size(), text.split("\n").length, "whole lines only");
  }
}
