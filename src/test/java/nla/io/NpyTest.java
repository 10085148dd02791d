package nla.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

  /**
   * A format 1.0 file with the given header dictionary and float32 payload, as numpy lays it out.
   */
  private Path npy(String name, String dict, float... data) throws Exception {
    String header = dict + " ".repeat((64 - (10 + dict.length() + 1) % 64) % 64) + "\n";
    java.nio.ByteBuffer b =
        java.nio.ByteBuffer.allocate(10 + header.length() + 4 * data.length)
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    b.putShort((short) header.length())
        .put(header.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    for (float x : data) b.putFloat(x);
    return Files.write(dir.resolve(name), b.array());
  }

  private static void assertOneLineError(Path f, String fragment) {
    UserError e = assertThrows(UserError.class, () -> Npy.read(f));
    assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }

  @Test
  void aPython2LongInTheShapeIsReadAsNumpyReadsIt() throws Exception {
    Path f =
        npy(
            "py2.npy",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }",
            1,
            2,
            3,
            4,
            5,
            6);
    float[][] rows = Npy.read(f);
    assertArrayEquals(new float[] {1, 2, 3}, rows[0]);
    assertArrayEquals(new float[] {4, 5, 6}, rows[1]);
  }

  @Test
  void aNegativeShapeIsAOneLineUserError() throws Exception {
    Path f = npy("neg.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 4), }");
    assertOneLineError(f, "header shape (-1, 4) has a negative size");
    // Two negatives multiply to the data's true size, which used to pass the size check.
    Path both =
        npy(
            "neg2.npy",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (-2, -2), }",
            1,
            2,
            3,
            4);
    assertOneLineError(both, "has a negative size");
  }

  @Test
  void aShapeThatIsNotNumbersOrOverflowsIsAOneLineUserError() throws Exception {
    assertOneLineError(
        npy("word.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (n, 4), }"),
        "has 'n', not a size");
    assertOneLineError(
        npy(
            "huge.npy",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }"),
        "is too large");
  }
}
