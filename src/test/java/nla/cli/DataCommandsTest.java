package nla.cli;

import static nla.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import nla.data.ActivationParquet;
import nla.data.ActivationRow;
import nla.data.DatasetSidecar;
import nla.data.EvalSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code nla activations} and {@code nla eval-set} end to end through the CLI. */
class DataCommandsTest {
  @TempDir Path dir;

  Path sample(int rows) {
    List<ActivationRow> list = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      float[] v = {3f, 4f, i};
      list.add(new ActivationRow(51 + i, "text " + i, v, 7, "demo:train:" + (i / 2)));
    }
    Path file = dir.resolve("acts.parquet");
    ActivationParquet.write(file, 3, list);
    new DatasetSidecar(
            "base_m_L7_abcdef01",
            "base",
            rows,
            new DatasetSidecar.Extraction("org/m", 3, 7, "none", "demo", 0, rows / 2, 2),
            List.of(),
            "2026-01-01T00:00:00Z",
            "test")
        .writeFor(file);
    return file;
  }

  @Test
  void activationsPrintsASummaryAndJsonLines() throws Exception {
    Path file = sample(6);
    CliRun summary = run("activations", file.toString());
    assertEquals(0, summary.code(), summary.err());
    assertTrue(summary.out().contains("rows        6"), summary.out());
    assertTrue(summary.out().contains("documents   3"), summary.out());
    assertTrue(summary.out().contains("d           3"), summary.out());
    assertTrue(summary.out().contains("vector      fixed_size_list<float32>[3]"), summary.out());
    assertTrue(summary.out().contains("min 5.000"), summary.out());
    CliRun json = run("activations", file.toString(), "--json");
    List<String> lines = json.out().lines().toList();
    assertEquals(6, lines.size());
    JsonNode first = new ObjectMapper().readTree(lines.get(0));
    assertEquals("demo:train:0", first.get("doc_id").asText());
    assertEquals(51, first.get("n_raw_tokens").asInt());
    assertEquals(7, first.get("activation_layer").asInt());
    assertEquals("text 0", first.get("detokenized_text_truncated").asText());
    assertFalse(first.has("activation_vector"));
    JsonNode withVector =
        new ObjectMapper()
            .readTree(
                run("activations", file.toString(), "--json", "--vectors")
                    .out()
                    .lines()
                    .toList()
                    .get(5));
    assertEquals(5.0, withVector.get("activation_vector").get(2).asDouble());
  }

  @Test
  void activationsOnAMissingFileOrWidthMismatchIsExitCode2() throws Exception {
    CliRun missing = run("activations", dir.resolve("nope.parquet").toString());
    assertEquals(Main.EXIT_USER_ERROR, missing.code());
    assertTrue(missing.err().startsWith("nla: "), missing.err());
    Path file = sample(4);
    Files.writeString(
        DatasetSidecar.pathFor(file),
        Files.readString(DatasetSidecar.pathFor(file)).replace("d_model: 3", "d_model: 5"));
    CliRun bad = run("activations", file.toString(), "--json");
    assertEquals(Main.EXIT_USER_ERROR, bad.code());
    assertTrue(bad.err().contains("expected 5 (d_model in its sidecar)"), bad.err());
  }

  @Test
  void evalSetDrawsPythonCompatibleRowsInFileOrderWithASidecar() {
    Path file = sample(40);
    Path out = dir.resolve("eval.parquet");
    CliRun r =
        run(
            "eval-set",
            "--from",
            file.toString(),
            "--n",
            "10",
            "--seed",
            "42",
            "--out",
            out.toString());
    assertEquals(0, r.code(), r.err());
    long[] expected = EvalSet.draw(40, 10, 42);
    List<ActivationRow> rows = ActivationParquet.read(out);
    assertEquals(10, rows.size());
    for (int i = 0; i < 10; i++) assertEquals(51 + expected[i], rows.get(i).nRawTokens());
    DatasetSidecar sidecar = DatasetSidecar.readFor(out);
    assertEquals(10, sidecar.rowCount());
    assertEquals("eval", sidecar.stage());
    assertEquals(List.of("base_m_L7_abcdef01"), sidecar.parentDatasets());
    CliRun tooMany =
        run(
            "eval-set",
            "--from",
            file.toString(),
            "--n",
            "41",
            "--out",
            dir.resolve("x.parquet").toString());
    assertEquals(Main.EXIT_USER_ERROR, tooMany.code());
    assertTrue(tooMany.err().contains("more than the 40 rows"), tooMany.err());
    assertFalse(Files.exists(dir.resolve("x.parquet")));
  }
}
