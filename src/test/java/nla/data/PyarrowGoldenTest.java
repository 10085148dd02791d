package nla.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Files written by real pyarrow (tools/golden/make_parquet.py, helper "golden") read here: the
 * fixed_size_list and the variable list forms, every value equal (vectors bit for bit, including
 * -0.0, the largest float and a subnormal), and their sidecars accepted.
 */
class PyarrowGoldenTest {
  static final Path DIR = Path.of("src/test/resources/golden/parquet");

  @Test
  void fixedSizeAndVariableListFilesFromPyarrowReadBackExactly() throws Exception {
    JsonNode expected = new ObjectMapper().readTree(DIR.resolve("expected.json").toFile());
    for (String name : List.of("fixed.parquet", "variable.parquet")) {
      Path file = DIR.resolve(name);
      List<ActivationRow> rows = ActivationParquet.read(file);
      assertEquals(expected.get("row_count").asInt(), rows.size(), name);
      assertEquals(expected.get("d").asInt(), ActivationParquet.info(file).dModel(), name);
      for (int i = 0; i < rows.size(); i++) {
        JsonNode e = expected.get("rows").get(i);
        ActivationRow r = rows.get(i);
        assertEquals(e.get("n_raw_tokens").asLong(), r.nRawTokens(), name + " row " + i);
        assertEquals(e.get("detokenized_text_truncated").asText(), r.detokenizedTextTruncated());
        assertEquals(e.get("activation_layer").asLong(), r.activationLayer());
        assertEquals(e.get("doc_id").asText(), r.docId());
        JsonNode v = e.get("activation_vector");
        assertEquals(v.size(), r.activationVector().length);
        for (int j = 0; j < v.size(); j++) {
          assertEquals(
              Float.floatToRawIntBits((float) v.get(j).asDouble()),
              Float.floatToRawIntBits(r.activationVector()[j]),
              name + " row " + i + " element " + j);
        }
      }
      assertEquals(
          name.equals("fixed.parquet") ? "fixed_size_list<float32>[16]" : "list<float32>",
          ActivationParquet.info(file).arrowVectorType());
      DatasetSidecar sidecar = DatasetSidecar.readFor(file);
      assertEquals(rows.size(), sidecar.rowCount());
      assertEquals(expected.get("d").asInt(), sidecar.extraction().dModel());
    }
  }
}
