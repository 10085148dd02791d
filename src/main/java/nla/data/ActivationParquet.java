package nla.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import nla.io.UserError;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * Activation parquet files in the contract §6 schema: {@code n_raw_tokens int64,
 * detokenized_text_truncated string, activation_vector fixed_size_list<float32>[d],
 * activation_layer int64, doc_id string}.
 *
 * <p>DuckDB does the Parquet encoding and decoding. It writes the vector column as a standard
 * 3-level LIST; the {@code ARROW:schema} metadata beside it (see {@link ArrowSchemaMetadata}) is
 * what makes pyarrow read it back as {@code fixed_size_list<float>[d]}, exactly as it reads a file
 * the reference wrote. Readers accept both the fixed-size and the variable {@code list} form.
 */
public final class ActivationParquet {
  public static final List<String> COLUMNS =
      List.of(
          "n_raw_tokens",
          "detokenized_text_truncated",
          "activation_vector",
          "activation_layer",
          "doc_id");

  /** Rows per Parquet row group in files we write (pyarrow's default is 1M; this bounds memory). */
  static final int ROW_GROUP_SIZE = 4096;

  private ActivationParquet() {}

  /** What a file holds, from its schema and a pass over its vector widths. */
  public record Info(
      long rows, int dModel, Map<String, String> columnTypes, Map<String, String> keyValue) {

    /**
     * The vector column's type as an Arrow reader (pyarrow) will see it: from the file's {@code
     * ARROW:schema} when it has one, else the plain Parquet list.
     */
    public String arrowVectorType() {
      String schema = keyValue.get(ArrowSchemaMetadata.KEY);
      if (schema == null) return "list<float32> (no ARROW:schema)";
      var field = ArrowSchemaMetadata.decode(schema).findField("activation_vector");
      if (field.getType() instanceof org.apache.arrow.vector.types.pojo.ArrowType.FixedSizeList f) {
        return "fixed_size_list<" + itemType(field) + ">[" + f.getListSize() + "]";
      }
      return "list<" + itemType(field) + ">";
    }

    private static String itemType(org.apache.arrow.vector.types.pojo.Field field) {
      var item = field.getChildren().get(0).getType();
      return item instanceof org.apache.arrow.vector.types.pojo.ArrowType.FloatingPoint fp
          ? switch (fp.getPrecision()) {
            case HALF -> "float16";
            case SINGLE -> "float32";
            case DOUBLE -> "float64";
          }
          : item.toString();
    }
  }

  /** All rows of a file, validated (columns, types, one vector width, the sidecar if present). */
  public static List<ActivationRow> read(Path file) {
    List<ActivationRow> rows = new ArrayList<>();
    scan(file, rows::add);
    return rows;
  }

  /** Streams the rows of a file in order, validated as {@link #read}. Returns the row count. */
  public static long scan(Path file, Consumer<ActivationRow> sink) {
    requireFile(file);
    DatasetSidecar sidecar = DatasetSidecar.readFor(file);
    int expectedWidth = sidecar == null ? -1 : sidecar.extraction().dModel();
    long count = 0;
    try (Connection c = Duck.open()) {
      checkColumns(c, file);
      try (Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT "
                      + String.join(", ", COLUMNS)
                      + " FROM read_parquet("
                      + Duck.literal(file)
                      + ")")) {
        while (rs.next()) {
          float[] vector = floats(rs.getArray(3), file, count);
          if (expectedWidth < 0) expectedWidth = vector.length;
          if (vector.length != expectedWidth) {
            throw new UserError(
                file
                    + ": row "
                    + count
                    + " has an activation_vector of width "
                    + vector.length
                    + ", expected "
                    + expectedWidth
                    + (sidecar != null ? " (d_model in its sidecar)" : " (the first row's)"));
          }
          long nRawTokens = rs.getLong(1);
          boolean nullTokens = rs.wasNull();
          String text = rs.getString(2);
          long layer = rs.getLong(4);
          boolean nullLayer = rs.wasNull();
          String docId = rs.getString(5);
          if (nullTokens || text == null || nullLayer || docId == null) {
            throw new UserError(file + ": row " + count + " has a null value");
          }
          sink.accept(new ActivationRow(nRawTokens, text, vector, layer, docId));
          count++;
        }
      }
    } catch (SQLException e) {
      throw new UserError(file + ": cannot read as parquet: " + firstLine(e), e);
    }
    if (sidecar != null && sidecar.rowCount() != count) {
      throw new UserError(
          file
              + ": has "
              + count
              + " rows but its sidecar says row_count "
              + sidecar.rowCount()
              + " (incomplete or mismatched file)");
    }
    return count;
  }

  /** Schema, key-value metadata, row count and vector width of a file, without reading it all. */
  public static Info info(Path file) {
    requireFile(file);
    try (Connection c = Duck.open()) {
      Map<String, String> types = checkColumns(c, file);
      Map<String, String> kv = new LinkedHashMap<>();
      try (Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT decode(key), value FROM parquet_kv_metadata("
                      + Duck.literal(file)
                      + ")")) {
        while (rs.next()) kv.put(rs.getString(1), new String(rs.getBytes(2), "UTF-8"));
      } catch (java.io.UnsupportedEncodingException e) {
        throw new IllegalStateException(e);
      }
      try (Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT count(*), min(len(activation_vector)), max(len(activation_vector))"
                      + " FROM read_parquet("
                      + Duck.literal(file)
                      + ")")) {
        rs.next();
        long rows = rs.getLong(1);
        int min = rs.getInt(2);
        int max = rs.getInt(3);
        if (min != max) {
          throw new UserError(
              file + ": activation_vector widths vary from " + min + " to " + max + " in one file");
        }
        return new Info(rows, rows == 0 ? 0 : min, types, kv);
      }
    } catch (SQLException e) {
      throw new UserError(file + ": cannot read as parquet: " + firstLine(e), e);
    }
  }

  private static Map<String, String> checkColumns(Connection c, Path file) throws SQLException {
    Map<String, String> types = new LinkedHashMap<>();
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("DESCRIBE SELECT * FROM read_parquet(" + Duck.literal(file) + ")")) {
      while (rs.next()) types.put(rs.getString("column_name"), rs.getString("column_type"));
    }
    for (String column : COLUMNS) {
      if (!types.containsKey(column)) {
        throw new UserError(
            file
                + ": no column "
                + column
                + " (columns: "
                + String.join(", ", types.keySet())
                + ")");
      }
    }
    String vectorType = types.get("activation_vector");
    if (!vectorType.matches("(FLOAT|DOUBLE)\\[\\d*\\]")) {
      throw new UserError(
          file
              + ": column activation_vector is "
              + vectorType
              + ", expected a list of float32 (fixed_size_list or list)");
    }
    for (String column : List.of("n_raw_tokens", "activation_layer")) {
      if (!types.get(column).matches("BIGINT|INTEGER|SMALLINT|TINYINT|UBIGINT|UINTEGER")) {
        throw new UserError(
            file + ": column " + column + " is " + types.get(column) + ", expected int64");
      }
    }
    for (String column : List.of("detokenized_text_truncated", "doc_id")) {
      if (!types.get(column).equals("VARCHAR")) {
        throw new UserError(
            file + ": column " + column + " is " + types.get(column) + ", expected string");
      }
    }
    return types;
  }

  private static float[] floats(Array array, Path file, long row) throws SQLException {
    if (array == null) throw new UserError(file + ": row " + row + " has a null activation_vector");
    Object[] values = (Object[]) array.getArray();
    float[] out = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      if (values[i] == null) {
        throw new UserError(file + ": row " + row + " has a null element in activation_vector");
      }
      out[i] = ((Number) values[i]).floatValue();
    }
    return out;
  }

  /** Writes {@code rows} as one file, atomically. */
  public static void write(Path file, int dModel, List<ActivationRow> rows) {
    try (Writer w = new Writer(file, dModel)) {
      rows.forEach(w::add);
      w.commit();
    }
  }

  /**
   * Concatenates activation files of the same width into one, rows in order, atomically. The chunks
   * of a resumable extraction end up as one file this way. A single-threaded DuckDB with insertion
   * order preserved reads the files in list order, so no sort is needed.
   */
  public static void concat(List<Path> parts, Path out, int dModel) {
    Path tmp = tmpFor(out);
    try (Connection c = Duck.open()) {
      String list =
          parts.isEmpty() ? null : String.join(", ", parts.stream().map(Duck::literal).toList());
      try (Statement s = c.createStatement()) {
        String select =
            list == null
                ? "SELECT * FROM (" + emptySelect() + ")"
                : "SELECT "
                    + String.join(", ", castColumns())
                    + " FROM read_parquet(["
                    + list
                    + "])";
        s.execute("COPY (" + select + ") TO " + Duck.literal(tmp) + " " + copyOptions(dModel));
      }
      FileSync.moveAtomically(tmp, out);
    } catch (SQLException | IOException e) {
      throw new IllegalStateException("writing " + out + ": " + e.getMessage(), e);
    }
  }

  private static List<String> castColumns() {
    return List.of(
        "CAST(n_raw_tokens AS BIGINT) AS n_raw_tokens",
        "detokenized_text_truncated",
        "CAST(activation_vector AS FLOAT[]) AS activation_vector",
        "CAST(activation_layer AS BIGINT) AS activation_layer",
        "doc_id");
  }

  private static String emptySelect() {
    return "SELECT NULL::BIGINT AS n_raw_tokens, NULL::VARCHAR AS detokenized_text_truncated,"
        + " NULL::FLOAT[] AS activation_vector, NULL::BIGINT AS activation_layer,"
        + " NULL::VARCHAR AS doc_id LIMIT 0";
  }

  static String copyOptions(int dModel) {
    String schema = ArrowSchemaMetadata.encode(ArrowSchemaMetadata.activationSchema(dModel));
    return "(FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE "
        + ROW_GROUP_SIZE
        + ", KV_METADATA {'"
        + ArrowSchemaMetadata.KEY
        + "': "
        + Duck.literal(schema)
        + "})";
  }

  static Path tmpFor(Path out) {
    return out.resolveSibling(out.getFileName() + ".tmp");
  }

  private static void requireFile(Path file) {
    if (!Files.isRegularFile(file)) throw new UserError(file + ": no such file");
    requireParquetMagic(file);
  }

  /**
   * A parquet file starts and ends with "PAR1". Checked first because DuckDB's own error for
   * anything else ("unsuccessful or closed pending query result") does not say what is wrong.
   */
  static void requireParquetMagic(Path file) {
    byte[] magic = "PAR1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    try (var ch = java.nio.channels.FileChannel.open(file)) {
      long size = ch.size();
      java.nio.ByteBuffer head = java.nio.ByteBuffer.allocate(4);
      java.nio.ByteBuffer tail = java.nio.ByteBuffer.allocate(4);
      boolean ok =
          size >= 12
              && ch.read(head, 0) == 4
              && ch.read(tail, size - 4) == 4
              && java.util.Arrays.equals(head.array(), magic)
              && java.util.Arrays.equals(tail.array(), magic);
      if (!ok)
        throw new UserError(
            file
                + ": not a parquet file (no PAR1 magic"
                + (size >= 4 && java.util.Arrays.equals(head.array(), magic)
                    ? " at the end: truncated or still being written)"
                    : ")"));
    } catch (java.io.IOException e) {
      throw new UserError(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  static String firstLine(Exception e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  /**
   * Accumulates rows in an embedded table and writes them with {@link #commit()}: to a temporary
   * name, then renamed, so an interrupted write never leaves a file that looks complete. Closing
   * without committing writes nothing.
   */
  public static final class Writer implements AutoCloseable {
    private final Path file;
    private final int dModel;
    private final Connection connection;
    private final DuckDBAppender appender;
    private long rows;
    private boolean committed;

    public Writer(Path file, int dModel) {
      this.file = file;
      this.dModel = dModel;
      try {
        connection = Duck.open();
        try (Statement s = connection.createStatement()) {
          s.execute(
              "CREATE TABLE rows (n_raw_tokens BIGINT, detokenized_text_truncated VARCHAR,"
                  + " activation_vector FLOAT[], activation_layer BIGINT, doc_id VARCHAR)");
        }
        appender = ((DuckDBConnection) connection).createAppender("main", "rows");
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    }

    public void add(ActivationRow row) {
      if (row.activationVector().length != dModel) {
        throw new IllegalArgumentException(
            "vector width " + row.activationVector().length + " != d_model " + dModel);
      }
      try {
        appender
            .beginRow()
            .append(row.nRawTokens())
            .append(row.detokenizedTextTruncated())
            .append(row.activationVector())
            .append(row.activationLayer())
            .append(row.docId())
            .endRow();
        rows++;
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    }

    public long rows() {
      return rows;
    }

    public void commit() {
      Path tmp = tmpFor(file);
      try {
        appender.flush();
        try (Statement s = connection.createStatement()) {
          s.execute("COPY rows TO " + Duck.literal(tmp) + " " + copyOptions(dModel));
        }
        FileSync.moveAtomically(tmp, file);
        committed = true;
      } catch (SQLException e) {
        throw new IllegalStateException("writing " + file + ": " + e.getMessage(), e);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void close() {
      try {
        appender.close();
        connection.close();
        if (!committed) Files.deleteIfExists(tmpFor(file));
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
