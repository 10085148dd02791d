package nla.data;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import nla.io.UserError;

/**
 * A Parquet corpus (e.g. the Ultra-FineWeb shards, column {@code content}): one file or a folder of
 * shards in name order, read through DuckDB as a stream of the one text column.
 */
final class ParquetCorpus implements Corpus {
  private final Path path;
  private final List<Path> files;
  private final String column;
  private Connection connection;
  private long size = -1;

  ParquetCorpus(Path path, List<Path> files, String column) {
    this.path = path;
    this.files = files;
    this.column = column;
    try {
      connection = Duck.open();
      checkColumn();
    } catch (SQLException e) {
      throw new UserError(path + ": cannot read as parquet: " + ActivationParquet.firstLine(e), e);
    }
  }

  private String source() {
    return "read_parquet([" + String.join(", ", files.stream().map(Duck::literal).toList()) + "])";
  }

  private String quotedColumn() {
    return "\"" + column.replace("\"", "\"\"") + "\"";
  }

  private void checkColumn() throws SQLException {
    List<String> names = new ArrayList<>();
    String type = null;
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("DESCRIBE SELECT * FROM " + source())) {
      while (rs.next()) {
        names.add(rs.getString("column_name"));
        if (rs.getString("column_name").equals(column)) type = rs.getString("column_type");
      }
    }
    if (type == null) {
      throw new UserError(
          path
              + ": no column \""
              + column
              + "\" (--text-field; columns: "
              + String.join(", ", names)
              + ")");
    }
    if (!type.equals("VARCHAR")) {
      throw new UserError(path + ": column \"" + column + "\" is " + type + ", not text");
    }
  }

  @Override
  public Path path() {
    return path;
  }

  @Override
  public long size() {
    if (size < 0) {
      try (Statement s = connection.createStatement();
          ResultSet rs = s.executeQuery("SELECT count(*) FROM " + source())) {
        rs.next();
        size = rs.getLong(1);
      } catch (SQLException e) {
        throw new UserError(path + ": cannot read: " + ActivationParquet.firstLine(e), e);
      }
    }
    return size;
  }

  @Override
  public Iterator<Document> documents(long from) {
    try {
      Statement s = connection.createStatement();
      ResultSet rs =
          s.executeQuery("SELECT " + quotedColumn() + " FROM " + source() + " OFFSET " + from);
      return new Iterator<>() {
        long index = from;
        Boolean ready;

        @Override
        public boolean hasNext() {
          if (ready == null) {
            try {
              ready = rs.next();
              if (!ready) s.close();
            } catch (SQLException e) {
              throw new UserError(
                  path + ": reading document " + index + ": " + ActivationParquet.firstLine(e), e);
            }
          }
          return ready;
        }

        @Override
        public Document next() {
          if (!hasNext()) throw new NoSuchElementException();
          ready = null;
          try {
            String text = rs.getString(1);
            return Document.of(index++, text == null ? "" : text);
          } catch (SQLException e) {
            throw new IllegalStateException(e);
          }
        }
      };
    } catch (SQLException e) {
      throw new UserError(path + ": cannot read: " + ActivationParquet.firstLine(e), e);
    }
  }

  @Override
  public void close() {
    try {
      connection.close();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
