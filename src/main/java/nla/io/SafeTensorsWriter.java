package nla.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Writes a {@code .safetensors} file from fp32 values, stored as BF16 (round to nearest even), F16
 * or F32. For test models and random-initialised benchmark models.
 */
public final class SafeTensorsWriter {
  /**
   * Element values by flat index, for tensors too large to hold as a float[]: a pure function of
   * the index, since the writer computes a tensor's slabs on several threads.
   */
  @FunctionalInterface
  public interface Values {
    float at(long index);
  }

  private record Pending(String name, DType dtype, long[] shape, long count, Values values) {}

  private static final int SLAB_ELEMENTS = 1 << 24;
  private static final int PART_ELEMENTS = 1 << 16;

  private final List<Pending> tensors = new ArrayList<>();

  public SafeTensorsWriter add(String name, DType dtype, long[] shape, float[] values) {
    long n = 1;
    for (long s : shape) n *= s;
    if (n != values.length) {
      throw new IllegalArgumentException(name + ": " + values.length + " values for shape");
    }
    tensors.add(new Pending(name, dtype, shape.clone(), n, i -> values[(int) i]));
    return this;
  }

  /** A tensor whose elements are computed while writing (never held whole in memory). */
  public SafeTensorsWriter add(String name, DType dtype, long[] shape, Values values) {
    long n = 1;
    for (long s : shape) n *= s;
    tensors.add(new Pending(name, dtype, shape.clone(), n, values));
    return this;
  }

  public void write(Path file) {
    ObjectNode header = new ObjectMapper().createObjectNode();
    long offset = 0;
    for (Pending t : tensors) {
      ObjectNode e = header.putObject(t.name());
      e.put("dtype", t.dtype().name());
      var shape = e.putArray("shape");
      for (long s : t.shape()) shape.add(s);
      long bytes = t.count() * t.dtype().bytes();
      var off = e.putArray("data_offsets");
      off.add(offset);
      off.add(offset + bytes);
      offset += bytes;
    }
    byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
    int pad = (8 - json.length % 8) % 8;
    try (OutputStream out =
        new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      len.putLong(json.length + pad);
      out.write(len.array());
      out.write(json);
      out.write(" ".repeat(pad).getBytes(StandardCharsets.US_ASCII));
      // A benchmark model is tens of GB: each slab's values are computed on every core, then
      // written in order (the same bytes as one thread would write).
      long largest = 0;
      for (Pending t : tensors) largest = Math.max(largest, t.count());
      byte[] slab = new byte[(int) Math.min(SLAB_ELEMENTS, largest) * 4];
      for (Pending t : tensors) {
        int width = t.dtype().bytes();
        for (long first = 0; first < t.count(); first += SLAB_ELEMENTS) {
          long start = first;
          int n = (int) Math.min(SLAB_ELEMENTS, t.count() - first);
          int parts = (n + PART_ELEMENTS - 1) / PART_ELEMENTS;
          IntStream.range(0, parts)
              .parallel()
              .forEach(
                  part -> {
                    int from = part * PART_ELEMENTS;
                    int to = Math.min(n, from + PART_ELEMENTS);
                    ByteBuffer buf =
                        ByteBuffer.wrap(slab, from * width, (to - from) * width)
                            .order(ByteOrder.LITTLE_ENDIAN);
                    for (int i = from; i < to; i++) {
                      float v = t.values().at(start + i);
                      switch (t.dtype()) {
                        case F32 -> buf.putFloat(v);
                        case F16 -> buf.putShort(Float.floatToFloat16(v));
                        case BF16 -> buf.putShort(toBf16(v));
                      }
                    }
                  });
          out.write(slab, 0, n * width);
        }
      }
    } catch (IOException e) {
      throw new UserError(file + ": cannot write: " + e.getMessage(), e);
    }
  }

  /** fp32 → bf16, round to nearest even (as torch's .to(torch.bfloat16)). */
  public static short toBf16(float v) {
    int bits = Float.floatToRawIntBits(v);
    if (Float.isNaN(v)) return (short) ((bits >>> 16) | 0x40);
    int rounding = 0x7fff + ((bits >>> 16) & 1);
    return (short) ((bits + rounding) >>> 16);
  }
}
