package nla.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.zip.GZIPInputStream;
import nla.io.UserError;

/**
 * A JSONL corpus: one JSON object per non-blank line, the text in a named field. Lines are read as
 * bytes and decoded strictly, so a line that is not UTF-8 becomes a counted skip (its index kept)
 * rather than text with replacement characters.
 */
final class JsonlCorpus implements Corpus {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Path path;
  private final String field;
  private long size = -1;

  JsonlCorpus(Path path, String field) {
    this.path = path;
    this.field = field;
  }

  @Override
  public Path path() {
    return path;
  }

  @Override
  public long size() {
    if (size < 0) {
      long n = 0;
      try (LineReader lines = new LineReader(path)) {
        while (lines.next() != null) n++;
      }
      size = n;
    }
    return size;
  }

  @Override
  public Iterator<Document> documents(long from) {
    LineReader lines = new LineReader(path);
    for (long i = 0; i < from; i++) {
      if (lines.next() == null) break;
    }
    return new Iterator<>() {
      long index = from;
      Document next = advance();

      private Document advance() {
        byte[] line = lines.next();
        if (line == null) {
          lines.close();
          return null;
        }
        return parse(index++, line, lines.lineNumber());
      }

      @Override
      public boolean hasNext() {
        return next != null;
      }

      @Override
      public Document next() {
        if (next == null) throw new NoSuchElementException();
        Document d = next;
        next = advance();
        return d;
      }
    };
  }

  private Document parse(long index, byte[] line, long lineNumber) {
    String json;
    try {
      json =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(line))
              .toString();
    } catch (CharacterCodingException e) {
      return Document.unreadable(index, "line " + lineNumber + " is not valid UTF-8");
    }
    JsonNode node;
    try {
      node = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new UserError(path + ": line " + lineNumber + " is not valid JSON", e);
    }
    if (node == null || !node.isObject()) {
      throw new UserError(path + ": line " + lineNumber + " is not a JSON object");
    }
    JsonNode value = node.get(field);
    if (value == null) {
      List<String> names = new ArrayList<>();
      node.fieldNames().forEachRemaining(names::add);
      throw new UserError(
          path
              + ": line "
              + lineNumber
              + " has no field \""
              + field
              + "\" (--text-field; fields: "
              + String.join(", ", names)
              + ")");
    }
    if (!value.isTextual()) {
      throw new UserError(
          path + ": line " + lineNumber + ": field \"" + field + "\" is not a string");
    }
    String text = value.asText();
    if (!wellFormed(text)) {
      return Document.unreadable(index, "line " + lineNumber + " has an unpaired surrogate escape");
    }
    return Document.of(index, text);
  }

  /** A JSON \\uD800 escape decodes to a lone surrogate, which no UTF-8 tokenizer can take. */
  static boolean wellFormed(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) return false;
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  /** Non-blank lines as raw bytes, streamed. */
  private static final class LineReader implements AutoCloseable {
    private final Path path;
    private final InputStream in;
    private long lineNumber;

    LineReader(Path path) {
      this.path = path;
      try {
        InputStream raw = Files.newInputStream(path);
        in = path.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
      } catch (IOException e) {
        throw new UserError(path + ": cannot read: " + e.getMessage(), e);
      }
    }

    long lineNumber() {
      return lineNumber;
    }

    private final byte[] buffer = new byte[1 << 16];
    private int position;
    private int limit;
    private boolean eof;

    /** The next non-blank line without its newline, or null at the end. */
    byte[] next() {
      try {
        while (true) {
          byte[] line = rawLine();
          if (line == null) return null;
          lineNumber++;
          if (!isBlank(line)) return line;
        }
      } catch (IOException e) {
        // A truncated or damaged .gz (or a read error): the lines before it were fine.
        throw new UserError(
            path + ": cannot read past line " + lineNumber + " (" + e.getMessage() + ")", e);
      }
    }

    /** Scans the buffer for the next newline; a line may span many refills. */
    private byte[] rawLine() throws IOException {
      ByteArrayOutputStream spill = null;
      while (true) {
        if (position == limit) {
          if (eof) break;
          limit = in.read(buffer, 0, buffer.length);
          position = 0;
          if (limit <= 0) {
            limit = 0;
            eof = true;
            break;
          }
        }
        int start = position;
        while (position < limit && buffer[position] != '\n') position++;
        if (position < limit) {
          byte[] line;
          if (spill == null) {
            line = java.util.Arrays.copyOfRange(buffer, start, position);
          } else {
            spill.write(buffer, start, position - start);
            line = spill.toByteArray();
          }
          position++; // past the newline
          return line;
        }
        if (spill == null) spill = new ByteArrayOutputStream();
        spill.write(buffer, start, position - start);
      }
      return spill == null || spill.size() == 0 ? null : spill.toByteArray();
    }

    private static boolean isBlank(byte[] bytes) {
      for (byte x : bytes) if (x != ' ' && x != '\t' && x != '\r') return false;
      return true;
    }

    @Override
    public void close() {
      try {
        in.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
