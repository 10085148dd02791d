package nla.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
  @TempDir Path dir;

  @Test
  void roundTripsFloat32Rows() {
    float[][] rows = {{1f, -2.5f, 3e-7f}, {Float.MAX_VALUE, 0f, -0f}};
    Path f = dir.resolve("a.npy");
    Npy.write(f, rows);
    float[][] back = Npy.read(f);
    assertArrayEquals(rows[0], back[0]);
    assertArrayEquals(rows[1], back[1]);
  }

  @Test
  void headerIsPaddedTo64BytesAsNumpyRequires() throws Exception {
    Path f = dir.resolve("b.npy");
    Npy.write(f, new float[][] {{1f, 2f}});
    byte[] bytes = Files.readAllBytes(f);
    int headerLen = (bytes[8] & 0xff) | (bytes[9] & 0xff) << 8;
    assertEquals(0, (10 + headerLen) % 64);
  }

  @Test
  void truncatedFileIsAUserError() throws Exception {
    Path f = dir.resolve("c.npy");
    Npy.write(f, new float[][] {{1f, 2f, 3f}});
    byte[] bytes = Files.readAllBytes(f);
    Files.write(f, java.util.Arrays.copyOf(bytes, bytes.length - 4));
    assertThrows(UserError.class, () -> Npy.read(f));
  }
}
