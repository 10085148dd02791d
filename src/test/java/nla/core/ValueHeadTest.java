package nla.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import nla.backend.Backend;
import nla.backend.Tensor;
import nla.backend.cpu.CpuBackend;
import nla.io.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ValueHeadTest {
  /** A one-tensor F32 safetensors file, written by hand (8-byte length, JSON header, data). */
  static void writeHead(Path file, String name, int rows, int cols, float[] data) throws Exception {
    String header =
        "{\""
            + name
            + "\":{\"dtype\":\"F32\",\"shape\":["
            + rows
            + ","
            + cols
            + "],\"data_offsets\":[0,"
            + data.length * 4
            + "]}}";
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b =
        ByteBuffer.allocate(8 + h.length + data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    for (float x : data) b.putFloat(x);
    Files.write(file, b.array());
  }

  /** The file's layout is the backend's product's: pred = W·h, not Wᵀ·h. */
  @Test
  void theBackendsProductWithTheWeightIsWTimesH(@TempDir Path dir) throws Exception {
    // W = [[1, 2], [3, 4]] (row-major, out × in as nn.Linear stores it): W·(1, −1) = (−1, −1).
    writeHead(dir.resolve("value_head.safetensors"), "weight", 2, 2, new float[] {1, 2, 3, 4});
    try (ValueHead head = ValueHead.load(dir, 2);
        Backend cpu = new CpuBackend(1)) {
      Tensor h = cpu.allocate(2, 2);
      cpu.writeRows(h, 0, new float[][] {{1, -1}, {0, 1}});
      float[][] out = cpu.readRows(cpu.matmul(h, cpu.weight(head.weight()), null));
      assertArrayEquals(new float[] {-1, -1}, out[0]);
      assertArrayEquals(new float[] {2, 4}, out[1]);
    }
  }

  @Test
  void aMissingFileWrongNameOrShapeIsAUserError(@TempDir Path dir) throws Exception {
    assertTrue(
        assertThrows(UserError.class, () -> ValueHead.load(dir, 2))
            .getMessage()
            .contains("missing"));
    writeHead(dir.resolve("value_head.safetensors"), "w", 2, 2, new float[4]);
    assertTrue(
        assertThrows(UserError.class, () -> ValueHead.load(dir, 2))
            .getMessage()
            .contains("no tensor \"weight\""));
    writeHead(dir.resolve("value_head.safetensors"), "weight", 1, 2, new float[2]);
    assertTrue(
        assertThrows(UserError.class, () -> ValueHead.load(dir, 2))
            .getMessage()
            .contains("expected [2, 2]"));
  }
}
