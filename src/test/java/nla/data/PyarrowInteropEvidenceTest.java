package nla.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tukaani.xz.XZInputStream;

/**
 * The files of {@code src/test/resources/golden/parquet-interop/ours/}, written by nla, were read
 * by real pyarrow with tools/golden/pyarrow_interop.py (log beside them). These tests hold that
 * they still read the same here, and that the writer still produces those exact bytes, so the
 * pyarrow evidence stays about the code as it is.
 */
class PyarrowInteropEvidenceTest {
  static final Path DIR = Path.of("src/test/resources/golden/parquet-interop");
  @TempDir Path tmp;

  static List<ActivationRow> expected(Path parquet) throws IOException {
    Path jsonl = Path.of(parquet + ".expected.jsonl.xz");
    ObjectMapper json = new ObjectMapper();
    List<ActivationRow> rows = new ArrayList<>();
    try (InputStream in = new XZInputStream(Files.newInputStream(jsonl))) {
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (line.isBlank()) continue;
        JsonNode n = json.readTree(line);
        JsonNode v = n.get("activation_vector");
        float[] vector = new float[v.size()];
        for (int i = 0; i < vector.length; i++) vector[i] = Float.parseFloat(v.get(i).asText());
        rows.add(
            new ActivationRow(
                n.get("n_raw_tokens").asLong(),
                n.get("detokenized_text_truncated").asText(),
                vector,
                n.get("activation_layer").asLong(),
                n.get("doc_id").asText()));
      }
    }
    return rows;
  }

  static List<Path> ours() throws IOException {
    try (Stream<Path> s = Files.list(DIR.resolve("ours"))) {
      return s.filter(p -> p.toString().endsWith(".parquet")).sorted().toList();
    }
  }

  @Test
  void theFilesPyarrowCheckedStillReadTheSameHere() throws IOException {
    List<Path> files = ours();
    assertEquals(5, files.size());
    for (Path file : files) {
      List<ActivationRow> want = expected(file);
      List<ActivationRow> got = ActivationParquet.read(file);
      assertEquals(want.size(), got.size(), file.toString());
      for (int i = 0; i < want.size(); i++) {
        assertEquals(want.get(i).docId(), got.get(i).docId());
        assertEquals(want.get(i).nRawTokens(), got.get(i).nRawTokens());
        assertEquals(want.get(i).activationLayer(), got.get(i).activationLayer());
        assertEquals(want.get(i).detokenizedTextTruncated(), got.get(i).detokenizedTextTruncated());
        assertArrayEquals(want.get(i).activationVector(), got.get(i).activationVector());
      }
    }
  }

  @Test
  void theWriterStillWritesTheBytesPyarrowChecked() throws IOException {
    for (String name : List.of("ours_extremes_d3584.parquet", "ours_empty.parquet")) {
      Path checked = DIR.resolve("ours").resolve(name);
      Path again = tmp.resolve(name);
      ActivationParquet.write(
          again, ActivationParquet.info(checked).dModel() == 0 ? 8 : 3584, expected(checked));
      assertArrayEquals(
          Files.readAllBytes(checked),
          Files.readAllBytes(again),
          name + ": the writer's output changed; rerun tools/golden/pyarrow_interop.py on it");
    }
  }

  @Test
  void pyarrowReadEveryOneOfOurFilesAsTheReferenceSchemaWithEqualValues() throws IOException {
    String log = Files.readString(DIR.resolve("pyarrow_interop.log"));
    String check = Files.readString(DIR.resolve("check_parquet.log"));
    for (Path file : ours()) {
      String name = file.getFileName().toString();
      int at = log.indexOf("== " + name);
      assertTrue(at >= 0, name + " not in the pyarrow log");
      String section =
          log.substring(
              at, log.indexOf("\n== ", at + 1) < 0 ? log.length() : log.indexOf("\n== ", at + 1));
      int d = DatasetSidecar.readFor(file).extraction().dModel();
      assertTrue(
          section.contains("activation_vector: fixed_size_list<element: float>[" + d + "]"),
          section);
      assertTrue(section.contains("all values equal"), section);
      assertTrue(section.contains("reference checks pass"), section);
      assertTrue(
          check.contains("\"file\": \"in/" + name + "\""), name + " not in check_parquet.log");
    }
    assertTrue(
        log.contains("OK: pyarrow 25.0.1 reads all 5 nla-written files as the reference schema"));
    assertEquals(5, check.split("\"ok\": true", -1).length - 1);
    assertEquals(5, check.split("exit 0", -1).length - 1);
  }

  @Test
  void filesFromTheReferenceStage0WriterInPyarrowReadExactly() throws IOException {
    JsonNode expected =
        new ObjectMapper().readTree(DIR.resolve("pyarrow/pyarrow_expected.json").toFile());
    for (String name : List.of("pyarrow_fixed.parquet", "pyarrow_list.parquet")) {
      Path file = DIR.resolve("pyarrow").resolve(name);
      List<ActivationRow> rows = ActivationParquet.read(file);
      assertEquals(expected.get("rows").size(), rows.size(), name);
      for (int i = 0; i < rows.size(); i++) {
        JsonNode e = expected.get("rows").get(i);
        ActivationRow r = rows.get(i);
        assertEquals(e.get("n_raw_tokens").asLong(), r.nRawTokens());
        assertEquals(e.get("detokenized_text_truncated").asText(), r.detokenizedTextTruncated());
        assertEquals(e.get("activation_layer").asLong(), r.activationLayer());
        assertEquals(e.get("doc_id").asText(), r.docId());
        JsonNode v = e.get("activation_vector");
        for (int j = 0; j < v.size(); j++) {
          assertEquals(
              Float.floatToRawIntBits((float) v.get(j).asDouble()),
              Float.floatToRawIntBits(r.activationVector()[j]),
              name + " row " + i + " element " + j);
        }
      }
    }
    Path fixed = DIR.resolve("pyarrow/pyarrow_fixed.parquet");
    assertEquals("fixed_size_list<float32>[8]", ActivationParquet.info(fixed).arrowVectorType());
    assertEquals(
        "list<float32>",
        ActivationParquet.info(DIR.resolve("pyarrow/pyarrow_list.parquet")).arrowVectorType());
    DatasetSidecar sidecar = DatasetSidecar.readFor(fixed);
    assertEquals(7, sidecar.rowCount());
    assertEquals(41, sidecar.extraction().layerIndex());
  }
}
