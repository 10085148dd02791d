package nla.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@code .safetensors} file: an 8-byte little-endian header length, a JSON header mapping
 * tensor names to {@code {dtype, shape, data_offsets: [begin, end]}} (offsets relative to the end
 * of the header), then the data. The header is read and checked before anything is mapped; the data
 * is memory-mapped through FFM and each tensor is a slice of that map.
 */
public final class SafeTensors {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MAX_HEADER = 100L << 20; // the format caps headers at 100 MB

  /** What the header says about one tensor, before mapping. */
  public record Entry(String name, DType dtype, long[] shape, long begin, long end) {
    public long byteCount() {
      return end - begin;
    }
  }

  /** A parsed, validated header: the entries and where the data starts in the file. */
  public record Header(Path file, long dataStart, long fileSize, Map<String, Entry> entries) {}

  private SafeTensors() {}

  /** Reads and validates the header of {@code file} without mapping it. */
  public static Header readHeader(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < 8) throw bad(file, "too short to be a safetensors file (" + size + " bytes)");
      ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, lenBuf, 0);
      long headerLen = lenBuf.getLong(0);
      if (headerLen < 0 || headerLen > size - 8) {
        throw bad(
            file,
            "header length "
                + Long.toUnsignedString(headerLen)
                + " runs past the end of the file ("
                + size
                + " bytes)");
      }
      if (headerLen > MAX_HEADER) throw bad(file, "header length " + headerLen + " exceeds 100 MB");
      ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
      readFully(ch, hb, 8);
      String text = new String(hb.array(), StandardCharsets.UTF_8);
      JsonNode root;
      try {
        root = JSON.readTree(text);
      } catch (IOException e) {
        throw bad(file, "header is not valid JSON: " + firstLine(e.getMessage()));
      }
      if (root == null || !root.isObject()) throw bad(file, "header is not a JSON object");
      long dataStart = 8 + headerLen;
      long dataLen = size - dataStart;
      Map<String, Entry> entries = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        if (f.getKey().equals("__metadata__")) continue;
        entries.put(f.getKey(), parseEntry(file, f.getKey(), f.getValue(), dataLen));
      }
      checkNoOverlap(file, entries);
      return new Header(file, dataStart, size, entries);
    } catch (IOException e) {
      throw new UserError(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  /**
   * Maps {@code header}'s file read-only into {@code arena} and returns its tensors, each a slice
   * of the map.
   */
  public static Map<String, StoredTensor> map(Header header, Arena arena) {
    Path file = header.file();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      if (ch.size() != header.fileSize()) throw bad(file, "file changed while loading");
      MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, header.fileSize(), arena);
      Map<String, StoredTensor> out = new LinkedHashMap<>();
      for (Entry e : header.entries().values()) {
        MemorySegment slice = all.asSlice(header.dataStart() + e.begin(), e.byteCount());
        out.put(e.name(), new StoredTensor(e.name(), e.dtype(), e.shape(), slice, file));
      }
      return out;
    } catch (IOException e) {
      throw new UserError(file + ": cannot map: " + e.getMessage(), e);
    }
  }

  private static Entry parseEntry(Path file, String name, JsonNode node, long dataLen) {
    if (!node.isObject()) throw bad(file, "tensor " + name + ": header entry is not an object");
    JsonNode dt = node.get("dtype");
    if (dt == null || !dt.isTextual()) throw bad(file, "tensor " + name + ": missing dtype");
    DType dtype = DType.fromHeader(dt.asText());
    if (dtype == null) {
      throw bad(
          file,
          "tensor " + name + ": unknown dtype " + dt.asText() + " (supported: BF16, F16, F32)");
    }
    JsonNode shapeNode = node.get("shape");
    if (shapeNode == null || !shapeNode.isArray())
      throw bad(file, "tensor " + name + ": missing shape");
    long[] shape = new long[shapeNode.size()];
    for (int i = 0; i < shape.length; i++) {
      JsonNode s = shapeNode.get(i);
      if (!s.canConvertToLong() || s.asLong() < 0)
        throw bad(file, "tensor " + name + ": bad shape " + shapeNode);
      shape[i] = s.asLong();
    }
    long expected;
    try {
      expected = dtype.bytes();
      for (long size : shape) expected = Math.multiplyExact(expected, size);
    } catch (ArithmeticException e) {
      throw bad(
          file,
          "tensor " + name + ": shape " + shapeNode + " of " + dtype + " is too large to address");
    }
    JsonNode off = node.get("data_offsets");
    if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).canConvertToLong()) {
      throw bad(file, "tensor " + name + ": missing data_offsets [begin, end]");
    }
    long begin = off.get(0).asLong();
    long end = off.get(1).asLong();
    if (begin < 0 || end < begin || end > dataLen) {
      throw bad(
          file,
          "tensor "
              + name
              + ": data offsets ["
              + begin
              + ", "
              + end
              + "] out of range (data section is "
              + dataLen
              + " bytes)");
    }
    if (end - begin != expected) {
      throw bad(
          file,
          "tensor "
              + name
              + ": shape "
              + shapeNode
              + " of "
              + dtype
              + " needs "
              + expected
              + " bytes but data offsets span "
              + (end - begin));
    }
    return new Entry(name, dtype, shape, begin, end);
  }

  private static void checkNoOverlap(Path file, Map<String, Entry> entries) {
    List<Entry> sorted = new ArrayList<>(entries.values());
    sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
    for (int i = 1; i < sorted.size(); i++) {
      Entry a = sorted.get(i - 1);
      Entry b = sorted.get(i);
      if (b.begin() < a.end()) {
        throw bad(
            file, "tensors " + a.name() + " and " + b.name() + " overlap in the data section");
      }
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos + buf.position());
      if (n < 0) throw new IOException("unexpected end of file");
    }
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }

  private static UserError bad(Path file, String what) {
    return new UserError(file + ": " + what);
  }
}
