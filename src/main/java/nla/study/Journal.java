package nla.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import nla.backend.DeviceMemoryError;
import nla.io.UserError;

/**
 * A JSONL file of per-item results, each line one finished item with a unique {@code key}, appended
 * and fsync'd as it is produced. Reopening reads every complete line back; a line cut short by a
 * kill (no trailing newline, or not valid JSON) is truncated away, so a killed run resumes with
 * exactly the items that were fully written and recomputes only the rest.
 */
public final class Journal implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private final FileChannel channel;
  private final Map<String, JsonNode> done = new LinkedHashMap<>();

  private Journal(Path file) {
    this.file = file;
    try {
      Files.createDirectories(file.getParent());
      long validLength = readExisting();
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      channel.truncate(validLength);
      channel.position(validLength);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Journal open(Path file) {
    return new Journal(file);
  }

  private long readExisting() throws IOException {
    if (!Files.exists(file)) return 0;
    byte[] bytes = Files.readAllBytes(file);
    long valid = 0;
    int lineStart = 0;
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] != '\n') continue;
      String line = new String(bytes, lineStart, i - lineStart, StandardCharsets.UTF_8);
      JsonNode node;
      try {
        node = JSON.readTree(line);
      } catch (IOException e) {
        break; // a torn write followed by nothing valid: keep what came before
      }
      if (node == null || !node.has("key")) break;
      done.put(node.get("key").asText(), node);
      lineStart = i + 1;
      valid = lineStart;
    }
    return valid;
  }

  public Path file() {
    return file;
  }

  public boolean has(String key) {
    return done.containsKey(key);
  }

  public JsonNode get(String key) {
    return done.get(key);
  }

  public int size() {
    return done.size();
  }

  /** Every finished item, in the order they were written. */
  public Collection<JsonNode> items() {
    return List.copyOf(done.values());
  }

  public ObjectNode newRecord(String key) {
    ObjectNode n = JSON.createObjectNode();
    n.put("key", key);
    return n;
  }

  /** Appends one finished item and forces it to disk before returning. */
  public void append(ObjectNode record) {
    appendAll(List.of(record));
  }

  /**
   * Appends finished items with one force to disk for all of them: where items finish many times a
   * second (a GPU's decodes), a force for each would stall the work that makes them.
   */
  public synchronized void appendAll(List<ObjectNode> records) {
    if (records.isEmpty()) return;
    StringBuilder lines = new StringBuilder();
    for (ObjectNode record : records) {
      String key = record.get("key").asText();
      if (done.containsKey(key))
        throw new IllegalStateException("item " + key + " already written");
      try {
        lines.append(JSON.writeValueAsString(record)).append('\n');
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    try {
      ByteBuffer buf = ByteBuffer.wrap(lines.toString().getBytes(StandardCharsets.UTF_8));
      while (buf.hasRemaining()) channel.write(buf);
      channel.force(false);
    } catch (IOException e) {
      // A full disk, most likely: the lines before are whole and forced, and a torn last line is
      // dropped on resume, so the user loses nothing by freeing space and rerunning.
      throw new UserError(
          file
              + ": cannot append ("
              + e.getMessage()
              + "); "
              + kept()
              + ": free space and rerun the same command to resume",
          e);
    }
    for (ObjectNode record : records) done.put(record.get("key").asText(), record);
  }

  /**
   * {@code e}, a model's out-of-memory while this journal's items ran, with what was kept and how
   * to resume added.
   */
  DeviceMemoryError outOfMemory(DeviceMemoryError e) {
    return new DeviceMemoryError(
        e.getMessage() + "; " + kept() + " in " + file + ": rerun the same command to resume", e);
  }

  /** The items written so far, in words, as a stop's message names them. */
  private String kept() {
    int n = done.size();
    if (n == 0) return "no item was written before";
    return n == 1
        ? "the item written before is kept"
        : "the " + n + " items written before are kept";
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
