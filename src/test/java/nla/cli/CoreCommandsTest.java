package nla.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import nla.core.TinyNla;
import nla.io.Npy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** verbalize, reconstruct and roundtrip on a tiny random pair: flags, JSON shape, files, errors. */
class CoreCommandsTest {
  @TempDir static Path tmp;
  static Path av;
  static Path ar;
  static Path vectors;
  static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void build() throws Exception {
    av = TinyNla.av(tmp.resolve("av"), "");
    ar = TinyNla.ar(tmp.resolve("ar"));
    float[][] v = new float[4][TinyNla.HIDDEN];
    Random r = new Random(3);
    for (float[] row : v) for (int i = 0; i < row.length; i++) row[i] = (float) r.nextGaussian();
    v[2] = new float[TinyNla.HIDDEN]; // a zero row: reported, the others go on
    vectors = tmp.resolve("v.npy");
    Npy.write(vectors, v);
  }

  @Test
  void verbalizePrintsOneJsonLinePerRowAndSampleAndReportsBadRows() throws Exception {
    String[] r =
        BaselineCommandTest.run(
            "verbalize",
            "--av",
            av.toString(),
            "--vectors",
            vectors.toString(),
            "--rows",
            "1,2,3",
            "--samples",
            "2",
            "--temperature",
            "1",
            "--seed",
            "5",
            "--max-new-tokens",
            "3",
            "--ignore-eos",
            "--json");
    assertEquals("2", r[0], r[2]); // row 2 is unusable
    assertTrue(r[2].contains("nla: --vectors: row 2: the vector is all zeros"), r[2]);
    List<String> lines = r[1].lines().toList();
    assertEquals(4, lines.size(), r[1]);
    JsonNode first = JSON.readTree(lines.get(0));
    assertEquals(
        List.of(
            "row",
            "sample",
            "prompt_ids",
            "injection_position",
            "output_ids",
            "text",
            "explanation"),
        iterableToList(first.fieldNames()));
    assertEquals(1, first.get("row").asInt());
    assertEquals(3, first.get("output_ids").size());
    assertTrue(first.get("explanation").isNull());
    assertEquals(3, JSON.readTree(lines.get(3)).get("row").asInt());
    assertEquals(1, JSON.readTree(lines.get(3)).get("sample").asInt());
  }

  @Test
  void reconstructWritesPredictionsAndScoresAgainstGold() throws Exception {
    Path texts = tmp.resolve("t.jsonl");
    Files.writeString(texts, "{\"text\": \"a cat\"}\n{\"text\": \"the \\\"quoted\\\" harbour\"}\n");
    Path gold = tmp.resolve("gold.npy");
    Npy.write(gold, new float[][] {Npy.read(vectors)[0], Npy.read(vectors)[1]});
    Path out = tmp.resolve("pred.npy");
    String[] r =
        BaselineCommandTest.run(
            "reconstruct",
            "--ar",
            ar.toString(),
            "--texts",
            texts.toString(),
            "--out",
            out.toString(),
            "--gold",
            gold.toString(),
            "--json");
    assertEquals("0", r[0], r[2]);
    float[][] preds = Npy.read(out);
    assertEquals(2, preds.length);
    List<String> lines = r[1].lines().toList();
    JsonNode j = JSON.readTree(lines.get(1));
    assertEquals(List.of("index", "prompt_ids", "mse_nrm", "cos"), iterableToList(j.fieldNames()));
    assertEquals(nla.core.Metrics.cos(preds[1], Npy.read(gold)[1]), j.get("cos").asDouble(), 1e-12);

    Path bad = tmp.resolve("bad.jsonl");
    Files.writeString(bad, "{\"txt\": 1}\n");
    r =
        BaselineCommandTest.run(
            "reconstruct",
            "--ar",
            ar.toString(),
            "--texts",
            bad.toString(),
            "--out",
            out.toString());
    assertEquals("2", r[0]);
    assertTrue(r[2].contains("line 1 has no string field \"text\""), r[2]);
  }

  @Test
  void roundtripWritesItemsAndPrintsTheSummaryWithTheDenominatorsOrigin() throws Exception {
    Path run = tmp.resolve("run");
    String[] r =
        BaselineCommandTest.run(
            "roundtrip",
            "--av",
            av.toString(),
            "--ar",
            ar.toString(),
            "--vectors",
            vectors.toString(),
            "--rows",
            "0,1,3",
            "--baseline",
            "0.0579",
            "--out",
            run.toString(),
            "--max-new-tokens",
            "4");
    assertEquals("0", r[0], r[2]);
    assertTrue(r[1].contains("mean FVE"), r[1]);
    assertTrue(r[1].contains("given number 0.0579"), r[1]);
    List<String> items = Files.readAllLines(run.resolve("items.jsonl"));
    assertEquals(3, items.size());
    JsonNode item = JSON.readTree(items.get(0));
    assertTrue(item.get("missing_tag").asBoolean());
    double mse = item.get("mse_nrm").asDouble();
    assertEquals(1 - mse / 0.0579, item.get("fve_nrm").asDouble(), 1e-9);
    JsonNode summary = JSON.readTree(Files.readString(run.resolve("summary.json")));
    assertEquals(3, summary.get("missing_tags").asInt());
    assertEquals(3, Npy.read(run.resolve("predictions.npy")).length);
    assertEquals(3, Files.readAllLines(run.resolve("verbalizations.jsonl")).size());
    // The three AV prompts share every row before the injected one: computed once, reused twice.
    int p;
    try (var verbalizer = nla.core.ActivationVerbalizer.open(av)) {
      p = verbalizer.canonicalPrompt().injectionPosition();
    }
    assertTrue(r[1].contains("prefill reused         " + (2 * p) + " AV + "), r[1]);

    // A second run into the same folder replaces each file whole (a new file renamed over the
    // old), never rewriting it in place: hard links to the old files keep the first run's rows.
    List<String> firstRun = List.of("items.jsonl", "verbalizations.jsonl", "summary.json");
    Path keep = Files.createDirectories(tmp.resolve("first-run"));
    for (String f : firstRun) Files.createLink(keep.resolve(f), run.resolve(f));
    r =
        BaselineCommandTest.run(
            "roundtrip",
            "--av",
            av.toString(),
            "--ar",
            ar.toString(),
            "--vectors",
            vectors.toString(),
            "--rows",
            "0,1",
            "--baseline",
            vectors.toString(),
            "--out",
            run.toString(),
            "--max-new-tokens",
            "2");
    assertEquals("0", r[0], r[2]);
    assertTrue(r[1].contains("var_nrm of 4 vectors in " + vectors), r[1]);
    assertEquals(2, Files.readAllLines(run.resolve("items.jsonl")).size());
    assertEquals(3, Files.readAllLines(keep.resolve("items.jsonl")).size());
    assertEquals(3, Files.readAllLines(keep.resolve("verbalizations.jsonl")).size());
    assertEquals(3, JSON.readTree(keep.resolve("summary.json").toFile()).get("items").asInt());
  }

  @Test
  void inspectShowsTheSidecarAndForAnAvTheCanonicalPromptAndInjectionPosition() throws Exception {
    String[] r = BaselineCommandTest.run("inspect", av.toString(), "--json");
    assertEquals("0", r[0], r[2]);
    JsonNode j = JSON.readTree(r[1]);
    assertEquals("av", j.get("sidecar").get("role").asText());
    assertEquals(7.5, j.get("sidecar").get("injection_scale").asDouble());
    int p = j.get("injection_position").asInt();
    assertEquals(
        j.get("sidecar").get("injection_token_id").asInt(), j.get("av_prompt_ids").get(p).asInt());
    assertEquals(
        j.get("sidecar").get("injection_left_neighbor_id").asInt(),
        j.get("av_prompt_ids").get(p - 1).asInt());

    r = BaselineCommandTest.run("inspect", ar.toString(), "--json");
    assertEquals("0", r[0], r[2]);
    j = JSON.readTree(r[1]);
    assertEquals("ar", j.get("sidecar").get("role").asText());
    assertEquals("sqrt_d_model", j.get("sidecar").get("mse_scale").asText());
    assertTrue(j.get("sidecar").get("role_inferred").isBoolean());
    assertTrue(!j.has("av_prompt_ids"));

    Path broken = TinyNla.av(tmp.resolve("broken"), "");
    Path meta = broken.resolve("nla_meta.yaml");
    Files.writeString(
        meta,
        Files.readString(meta)
            .replaceAll("injection_right_neighbor_id: \\d+", "injection_right_neighbor_id: 4"));
    r = BaselineCommandTest.run("inspect", broken.toString(), "--json");
    assertEquals("2", r[0]);
    assertTrue(r[2].contains("tokens.injection_right_neighbor_id"), r[2]);
    assertEquals(1, r[2].lines().count(), r[2]);
  }

  private static List<String> iterableToList(java.util.Iterator<String> it) {
    List<String> out = new java.util.ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }

  /**
   * {@code --batch-size} of verbalize (and roundtrip, lens) and reconstruct: without it the
   * device's default (16 on the CPU the suite runs on), with it the value given, which must be >=
   * 1.
   */
  @Test
  void theBatchSizeDefaultsByDeviceAndAGivenOneWins() throws Exception {
    SamplingFlags none = new SamplingFlags();
    new CommandLine(none).parseArgs();
    assertEquals(16, none.batchSize());
    SamplingFlags given = new SamplingFlags();
    new CommandLine(given).parseArgs("--batch-size", "300");
    assertEquals(300, given.batchSize());
    for (String command : List.of("verbalize", "reconstruct")) {
      String help = BaselineCommandTest.run(command, "--help")[1].replaceAll("\\s+", " ");
      assertTrue(help.contains("Default: 16 on the CPU, 256 on a GPU."), help);
    }
    List<String> tooSmall = List.of("--batch-size: must be >= 1, got 0");
    BadInputTest.assertUserError(
        tooSmall,
        "verbalize",
        "--av",
        av.toString(),
        "--vectors",
        vectors.toString(),
        "--batch-size",
        "0");
    Path texts = tmp.resolve("b.jsonl");
    Files.writeString(texts, "{\"text\": \"a cat\"}\n");
    BadInputTest.assertUserError(
        tooSmall,
        "reconstruct",
        "--ar",
        ar.toString(),
        "--texts",
        texts.toString(),
        "--out",
        tmp.resolve("b.npy").toString(),
        "--batch-size",
        "0");
  }
}
