package nla.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import nla.io.UserError;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ActivationParquetTest {
  @TempDir Path dir;

  static List<ActivationRow> rows(int n, int d) {
    List<ActivationRow> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] v = new float[d];
      for (int j = 0; j < d; j++) v[j] = (float) Math.sin(i * 31 + j) * (j % 7 == 0 ? 1e30f : 1f);
      rows.add(new ActivationRow(51 + i, "text «" + i + "» ㈎ \n end", v, 20, "demo:train:" + i));
    }
    return rows;
  }

  @Test
  void rowsRoundTripExactlyIncludingUnicodeAndExtremeFloats() {
    Path file = dir.resolve("a.parquet");
    List<ActivationRow> written = rows(10, 24);
    ActivationParquet.write(file, 24, written);
    List<ActivationRow> read = ActivationParquet.read(file);
    assertEquals(written.size(), read.size());
    for (int i = 0; i < written.size(); i++) {
      ActivationRow w = written.get(i);
      ActivationRow r = read.get(i);
      assertEquals(w.nRawTokens(), r.nRawTokens());
      assertEquals(w.detokenizedTextTruncated(), r.detokenizedTextTruncated());
      assertArrayEquals(w.activationVector(), r.activationVector());
      assertEquals(w.activationLayer(), r.activationLayer());
      assertEquals(w.docId(), r.docId());
    }
    assertFalse(Files.exists(ActivationParquet.tmpFor(file)));
  }

  @Test
  void writtenFileCarriesArrowSchemaWithFixedSizeListOfFloat32AndStandardListLayout()
      throws Exception {
    Path file = dir.resolve("b.parquet");
    ActivationParquet.write(file, 16, rows(3, 16));
    ActivationParquet.Info info = ActivationParquet.info(file);
    assertEquals(3, info.rows());
    assertEquals(16, info.dModel());
    Schema schema = ArrowSchemaMetadata.decode(info.keyValue().get("ARROW:schema"));
    assertEquals(
        ActivationParquet.COLUMNS, schema.getFields().stream().map(f -> f.getName()).toList());
    var vector = schema.findField("activation_vector");
    assertEquals(new ArrowType.FixedSizeList(16), vector.getType());
    assertEquals(
        new ArrowType.FloatingPoint(org.apache.arrow.vector.types.FloatingPointPrecision.SINGLE),
        vector.getChildren().get(0).getType());
    assertEquals(new ArrowType.Int(64, true), schema.findField("n_raw_tokens").getType());
    assertEquals(ArrowType.Utf8.INSTANCE, schema.findField("doc_id").getType());
    // The Parquet side: a standard 3-level LIST (activation_vector/list/element) of FLOAT.
    List<String> leaves = new ArrayList<>();
    try (Connection c = Duck.open();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT path_in_schema, type FROM parquet_metadata("
                    + Duck.literal(file)
                    + ") WHERE row_group_id = 0 ORDER BY column_id")) {
      while (rs.next()) leaves.add(rs.getString(1) + ":" + rs.getString(2));
    }
    assertEquals(
        List.of(
            "n_raw_tokens:INT64",
            "detokenized_text_truncated:BYTE_ARRAY",
            "activation_vector, list, element:FLOAT",
            "activation_layer:INT64",
            "doc_id:BYTE_ARRAY"),
        leaves);
  }

  @Test
  void variableListColumnsAreAccepted() throws Exception {
    Path file = dir.resolve("list.parquet");
    try (Connection c = Duck.open();
        Statement s = c.createStatement()) {
      s.execute(
          "COPY (SELECT 60::INTEGER AS n_raw_tokens, 'x' AS detokenized_text_truncated,"
              + " [1.5, 2.5, 3.5]::DOUBLE[] AS activation_vector, 3 AS activation_layer,"
              + " 'c:s:1' AS doc_id) TO "
              + Duck.literal(file)
              + " (FORMAT parquet)");
    }
    List<ActivationRow> rows = ActivationParquet.read(file);
    assertEquals(1, rows.size());
    assertArrayEquals(new float[] {1.5f, 2.5f, 3.5f}, rows.get(0).activationVector());
    assertEquals(60, rows.get(0).nRawTokens());
  }

  @Test
  void missingColumnRaggedVectorsAndSidecarMismatchAreUserErrors() throws Exception {
    Path missing = dir.resolve("missing.parquet");
    Path ragged = dir.resolve("ragged.parquet");
    try (Connection c = Duck.open();
        Statement s = c.createStatement()) {
      s.execute(
          "COPY (SELECT 1::BIGINT AS n_raw_tokens, [1.0]::FLOAT[] AS activation_vector) TO "
              + Duck.literal(missing)
              + " (FORMAT parquet)");
      s.execute(
          "COPY (SELECT * FROM (VALUES (51::BIGINT, 'a', [1.0, 2.0]::FLOAT[], 1::BIGINT, 'x'),"
              + " (52::BIGINT, 'b', [1.0]::FLOAT[], 1::BIGINT, 'y')) t(n_raw_tokens,"
              + " detokenized_text_truncated, activation_vector, activation_layer, doc_id)) TO "
              + Duck.literal(ragged)
              + " (FORMAT parquet)");
    }
    Path nulls = dir.resolve("nulls.parquet");
    try (Connection c = Duck.open();
        Statement s = c.createStatement()) {
      s.execute(
          "COPY (SELECT NULL::BIGINT AS n_raw_tokens, 'a' AS detokenized_text_truncated,"
              + " [1.0]::FLOAT[] AS activation_vector, 1::BIGINT AS activation_layer, 'x' AS doc_id)"
              + " TO "
              + Duck.literal(nulls)
              + " (FORMAT parquet)");
    }
    UserError e = assertThrows(UserError.class, () -> ActivationParquet.read(nulls));
    assertTrue(e.getMessage().contains("row 0 has a null value"), e.getMessage());
    e = assertThrows(UserError.class, () -> ActivationParquet.read(missing));
    assertTrue(e.getMessage().contains("no column detokenized_text_truncated"), e.getMessage());
    e = assertThrows(UserError.class, () -> ActivationParquet.read(ragged));
    assertTrue(
        e.getMessage().contains("row 1 has an activation_vector of width 1"), e.getMessage());

    Path file = dir.resolve("c.parquet");
    ActivationParquet.write(file, 8, rows(2, 8));
    sidecar(8, 2).writeFor(file);
    assertEquals(2, ActivationParquet.read(file).size());
    sidecar(16, 2).writeFor(file);
    e = assertThrows(UserError.class, () -> ActivationParquet.read(file));
    assertTrue(e.getMessage().contains("expected 16 (d_model in its sidecar)"), e.getMessage());
    sidecar(8, 5).writeFor(file);
    e = assertThrows(UserError.class, () -> ActivationParquet.read(file));
    assertTrue(e.getMessage().contains("sidecar says row_count 5"), e.getMessage());
  }

  @Test
  void concatenationKeepsFileAndRowOrder() {
    List<ActivationRow> all = rows(9, 4);
    List<Path> parts = new ArrayList<>();
    for (int p = 0; p < 3; p++) {
      Path part = dir.resolve("part-" + p + ".parquet");
      ActivationParquet.write(part, 4, all.subList(p * 3, p * 3 + 3));
      parts.add(part);
    }
    Path out = dir.resolve("all.parquet");
    ActivationParquet.concat(parts, out, 4);
    List<String> ids = ActivationParquet.read(out).stream().map(ActivationRow::docId).toList();
    assertEquals(all.stream().map(ActivationRow::docId).toList(), ids);
    Path empty = dir.resolve("empty.parquet");
    ActivationParquet.concat(List.of(), empty, 4);
    assertEquals(0, ActivationParquet.read(empty).size());
    assertEquals(4, new ArrowSchemaMetadataView(empty).width());
  }

  /** The fixed width a reader would restore from an empty file's Arrow schema. */
  record ArrowSchemaMetadataView(Path file) {
    int width() {
      Schema s =
          ArrowSchemaMetadata.decode(ActivationParquet.info(file).keyValue().get("ARROW:schema"));
      return ((ArrowType.FixedSizeList) s.findField("activation_vector").getType()).getListSize();
    }
  }

  static DatasetSidecar sidecar(int d, long rows) {
    return new DatasetSidecar(
        "base_x_L1_00000000",
        "base",
        rows,
        new DatasetSidecar.Extraction("m", d, 1, "none", "demo", 0, 2, 1),
        List.of(),
        "2026-01-01T00:00:00Z",
        "test");
  }
}
