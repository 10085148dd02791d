package nla.data;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/** Embedded DuckDB connections: the Parquet engine behind activation files and corpora. */
final class Duck {
  private Duck() {}

  /**
   * An in-memory database. One thread keeps the writer's output byte-for-byte deterministic (row
   * group boundaries do not depend on scheduling), which the resume guarantee relies on; streamed
   * results keep large reads out of memory.
   */
  static Connection open() throws SQLException {
    Properties props = new Properties();
    props.setProperty("jdbc_stream_results", "true");
    Connection c = DriverManager.getConnection("jdbc:duckdb:", props);
    try (Statement s = c.createStatement()) {
      s.execute("SET threads = 1");
      s.execute("SET preserve_insertion_order = true");
      s.execute("SET enable_progress_bar = false");
    }
    return c;
  }

  /** A SQL string literal naming a file. */
  static String literal(Path path) {
    return literal(path.toAbsolutePath().toString());
  }

  static String literal(String s) {
    return "'" + s.replace("'", "''") + "'";
  }
}
