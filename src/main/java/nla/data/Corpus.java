package nla.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import nla.io.UserError;

/**
 * An ordered collection of text documents, read as a stream: JSONL (a named text field, optionally
 * gzip-compressed), Parquet (a named text column; one file or a folder of shards in name order), or
 * a folder of {@code .txt} files (one document each, in name order). Documents are numbered from 0
 * in that order; the number is the {@code index} of {@code doc_id = "{corpus}:{split}:{index}"}.
 */
public interface Corpus extends AutoCloseable {

  /** The file or folder it reads. */
  Path path();

  /** The number of documents (a cheap pass that holds nothing in memory). */
  long size();

  /** The documents from absolute index {@code from} on, read lazily. */
  Iterator<Document> documents(long from);

  @Override
  default void close() {}

  /** Opens {@code path} by its kind; {@code textField} names the JSONL field or Parquet column. */
  static Corpus open(Path path, String textField) {
    if (!Files.exists(path)) throw new UserError(path + ": no such file or folder (--corpus)");
    String name = path.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    if (Files.isDirectory(path)) {
      List<Path> txt = listSorted(path, ".txt");
      List<Path> parquet = listSorted(path, ".parquet");
      if (!txt.isEmpty() && !parquet.isEmpty()) {
        throw new UserError(path + ": holds both .txt and .parquet files; which is the corpus?");
      }
      if (!parquet.isEmpty()) return new ParquetCorpus(path, parquet, textField);
      if (!txt.isEmpty()) return new TextFolderCorpus(path, txt);
      throw new UserError(path + ": folder has no .txt or .parquet files (--corpus)");
    }
    if (name.endsWith(".parquet")) return new ParquetCorpus(path, List.of(path), textField);
    if (name.endsWith(".jsonl") || name.endsWith(".jsonl.gz") || name.endsWith(".json")) {
      return new JsonlCorpus(path, textField);
    }
    throw new UserError(
        path + ": unknown corpus kind; expected .jsonl, .jsonl.gz, .parquet or a folder");
  }

  private static List<Path> listSorted(Path dir, String suffix) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(suffix))
          .filter(Files::isRegularFile)
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Checks a {@code --start/--length} slice against the corpus size: a slice past the end is an
   * error before any work starts. A null length means "to the end". Returns the length.
   */
  static long checkSlice(Corpus corpus, long start, Long length) {
    long size = corpus.size();
    if (start < 0) throw new UserError("--start must be >= 0, got " + start);
    if (length != null && length < 0) throw new UserError("--length must be >= 0, got " + length);
    if (start > size || (start == size && (length == null || length > 0))) {
      throw new UserError(
          "--start "
              + start
              + " is past the end of "
              + corpus.path()
              + " ("
              + size
              + " documents)");
    }
    long len = length == null ? size - start : length;
    if (start + len > size) {
      throw new UserError(
          "--start "
              + start
              + " --length "
              + len
              + " runs past the end of "
              + corpus.path()
              + " ("
              + size
              + " documents; at most --length "
              + (size - start)
              + ")");
    }
    return len;
  }
}
