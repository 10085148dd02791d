package nla.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import nla.GoldenFixtures;
import nla.io.Npy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code extract} of a text longer than the model's context (max_position_embeddings) is refused
 * before the model runs, naming both lengths; {@code --max-length N} keeps the first N tokens on
 * purpose. On the tiny golden Qwen2.5 AV (a context of 32,768) and a copy of it whose config says
 * 8.
 */
class ExtractContextTest {
  @TempDir static Path tmp;
  static Path model;
  static Path shortContext;
  static final String TEXT =
      "The lighthouse keeper climbed the spiral stairs each evening at dusk.";

  @BeforeAll
  static void build() throws Exception {
    model = GoldenFixtures.nlaDir("qwen2.5-av");
    shortContext = Files.createDirectories(tmp.resolve("av-context-8"));
    try (var files = Files.list(model)) {
      for (Path f : files.toList()) Files.copy(f, shortContext.resolve(f.getFileName()));
    }
    Path config = shortContext.resolve("config.json");
    String json = Files.readString(config);
    String edited =
        json.replace("\"max_position_embeddings\": 32768", "\"max_position_embeddings\": 8");
    if (edited.equals(json)) throw new IllegalStateException("no max_position_embeddings to edit");
    Files.writeString(config, edited);
  }

  @Test
  void aTokenListLongerThanTheContextIsRefusedWithBothLengths() {
    String ids = IntStream.range(0, 32_769).mapToObj(i -> "17").collect(Collectors.joining(","));
    Path out = tmp.resolve("long.npy");
    BadInputTest.assertUserError(
        List.of("--token-ids: 32769 tokens", "context of 32768", "--max-length"),
        "extract",
        "--model",
        model.toString(),
        "--layer",
        "0",
        "--token-ids",
        ids,
        "--out",
        out.toString());
    assertEquals(false, Files.exists(out));
  }

  @Test
  void aTextLongerThanTheContextIsRefusedAndMaxLengthKeepsItsFirstTokens() throws Exception {
    String[] extract = {
      "extract", "--model", shortContext.toString(), "--layer", "1", "--text", TEXT, "--out"
    };
    Path refused = tmp.resolve("refused.npy");
    BadInputTest.assertUserError(
        List.of("--text: ", " tokens, longer than the model's context of 8"),
        concat(extract, refused.toString()));

    Path truncated = tmp.resolve("truncated.npy");
    CliRun r = CliRun.run(concat(extract, truncated.toString(), "--max-length", "8"));
    assertEquals(0, r.code(), r.err());
    float[][] got = Npy.read(truncated);
    assertEquals(8, got.length);

    // The same weights with their full context: a causal model's first 8 positions are the same.
    Path whole = tmp.resolve("whole.npy");
    CliRun full =
        CliRun.run(
            "extract",
            "--model",
            model.toString(),
            "--layer",
            "1",
            "--text",
            TEXT,
            "--out",
            whole.toString());
    assertEquals(0, full.code(), full.err());
    float[][] all = Npy.read(whole);
    for (int t = 0; t < 8; t++) assertArrayEquals(all[t], got[t], 1e-6f, "position " + t);
  }

  @Test
  void aMaxLengthBelowOneIsAFlagError() {
    BadInputTest.assertUserError(
        List.of("--max-length must be >= 1"),
        "extract",
        "--model",
        model.toString(),
        "--layer",
        "0",
        "--text",
        TEXT,
        "--max-length",
        "0",
        "--out",
        tmp.resolve("zero.npy").toString());
  }

  static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
