package nla.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Writes a safetensors file tensor by tensor, so a multi-gigabyte model is never held in memory:
 * the header (names, dtypes, shapes, offsets) is computed up front, then each tensor's bytes are
 * streamed by its filler. The file appears under its final name only when complete.
 */
public final class SafeTensorsWriter {
  /** One tensor to write; {@code fill} writes exactly {@code bytes()} bytes. */
  public record Entry(String name, String dtype, long[] shape, Consumer<OutputStream> fill) {
    public long bytes() {
      long n = 1;
      for (long s : shape) n *= s;
      return n * elementSize(dtype);
    }
  }

  private SafeTensorsWriter() {}

  public static int elementSize(String dtype) {
    return switch (dtype) {
      case "BF16", "F16" -> 2;
      case "F32" -> 4;
      default -> throw new IllegalArgumentException("unsupported dtype " + dtype);
    };
  }

  public static void write(Path file, List<Entry> entries, Map<String, String> metadata) {
    Map<String, Object> header = new LinkedHashMap<>();
    if (metadata != null && !metadata.isEmpty()) header.put("__metadata__", metadata);
    long offset = 0;
    for (Entry e : entries) {
      header.put(
          e.name(),
          Map.of(
              "dtype",
              e.dtype(),
              "shape",
              e.shape(),
              "data_offsets",
              new long[] {offset, offset + e.bytes()}));
      offset += e.bytes();
    }
    try {
      byte[] json = new ObjectMapper().writeValueAsBytes(header);
      int padded =
          (json.length + 7)
              / 8
              * 8; // 8-byte alignment of the data section, as the reference writer does
      byte[] head = new byte[padded];
      java.util.Arrays.fill(head, (byte) ' ');
      System.arraycopy(json, 0, head, 0, json.length);
      Path parent = file.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      Path tmp = Files.createTempFile(parent, file.getFileName().toString(), ".part");
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
        out.write(head);
        for (Entry e : entries) {
          CountingStream counted = new CountingStream(out);
          e.fill().accept(counted);
          if (counted.count != e.bytes()) {
            throw new IllegalStateException(
                e.name() + ": wrote " + counted.count + " bytes, expected " + e.bytes());
          }
        }
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException ex) {
      throw new UserError(file + ": cannot write: " + ex.getMessage(), ex);
    }
  }

  private static final class CountingStream extends OutputStream {
    private final OutputStream out;
    long count;

    CountingStream(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }
  }
}
