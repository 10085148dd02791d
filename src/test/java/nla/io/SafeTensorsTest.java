package nla.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
  @TempDir Path dir;

  @Test
  void readsBf16F16AndF32InPlace() {
    float[] values = {1f, -2.5f, 0.15625f, 29952f, -0f, 7f}; // exact in bf16 and f16
    new SafeTensorsWriter()
        .add("a", DType.F32, new long[] {2, 3}, values)
        .add("b", DType.BF16, new long[] {6}, values)
        .add("c", DType.F16, new long[] {3, 2}, values)
        .write(dir.resolve(ModelWeights.SINGLE));
    try (ModelWeights w = ModelWeights.open(dir)) {
      assertEquals(3, w.tensors().size());
      for (String name : new String[] {"a", "b", "c"}) {
        StoredTensor t = w.get(name);
        for (int i = 0; i < values.length; i++) assertEquals(values[i], t.get(i), 0f, name + i);
      }
      assertEquals(2, w.get("a").shape()[0]);
      assertEquals(DType.BF16, w.get("b").dtype());
    }
  }

  @Test
  void aTensorOfManySlabsIsWrittenInOrderAroundAShortOne() {
    // Over two of the writer's 2^24-element slabs, each filled by many threads: every value lands
    // at
    // its index, and the tensor after it starts where the header says.
    long n = (1L << 25) + 12345;
    new SafeTensorsWriter()
        .add("big", DType.BF16, new long[] {n}, i -> (float) (i % 251) - 125f)
        .add("after", DType.F32, new long[] {3}, new float[] {4f, 5f, 6f})
        .write(dir.resolve(ModelWeights.SINGLE));
    try (ModelWeights w = ModelWeights.open(dir)) {
      StoredTensor big = w.get("big");
      for (long i = 0; i < n; i += 997) assertEquals((float) (i % 251) - 125f, big.get(i), 0f);
      assertEquals((float) ((n - 1) % 251) - 125f, big.get(n - 1), 0f);
      assertEquals(6f, w.get("after").get(2), 0f);
    }
  }

  @Test
  void bf16RoundsToNearestEven() {
    // 1 + 2^-8 lies halfway between bf16 1.0 and 1 + 2^-7: ties go to the even mantissa (1.0).
    assertEquals(0x3f80, SafeTensorsWriter.toBf16(1f + 0x1p-8f) & 0xffff);
    assertEquals(0x3f81, SafeTensorsWriter.toBf16(1f + 0x1p-8f + 0x1p-20f) & 0xffff);
  }

  @Test
  void readsShardedModelsThroughTheIndex() throws IOException {
    new SafeTensorsWriter()
        .add("x", DType.F32, new long[] {2}, new float[] {1, 2})
        .write(dir.resolve("s1.safetensors"));
    new SafeTensorsWriter()
        .add("y", DType.BF16, new long[] {1}, new float[] {3})
        .write(dir.resolve("s2.safetensors"));
    Files.writeString(
        dir.resolve(ModelWeights.INDEX),
        "{\"metadata\": {}, \"weight_map\": {\"x\": \"s1.safetensors\", \"y\": \"s2.safetensors\"}}");
    try (ModelWeights w = ModelWeights.open(dir)) {
      assertEquals(2f, w.get("x").get(1));
      assertEquals(3f, w.get("y").get(0));
    }
  }

  @Test
  void missingShardIsAUserErrorNamingIt() throws IOException {
    Files.writeString(
        dir.resolve(ModelWeights.INDEX), "{\"weight_map\": {\"x\": \"gone.safetensors\"}}");
    UserError e = assertThrows(UserError.class, () -> ModelWeights.open(dir));
    assertTrue(e.getMessage().contains("gone.safetensors"), e.getMessage());
  }

  @Test
  void headerLengthPastEndOfFileIsAUserError() throws IOException {
    Path f = dir.resolve("x.safetensors");
    ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000);
    Files.write(f, b.array());
    assertError(f, "header length 1000 runs past the end of the file");
  }

  @Test
  void offsetsOutOfRangeAreAUserError() throws IOException {
    Path f = raw("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 4);
    assertError(f, "out of range");
  }

  @Test
  void overlappingTensorsAreAUserError() throws IOException {
    Path f =
        raw(
            "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
                + " \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}",
            12);
    assertError(f, "overlap");
  }

  @Test
  void unknownDtypeIsAUserError() throws IOException {
    Path f = raw("{\"a\": {\"dtype\": \"I64\", \"shape\": [1], \"data_offsets\": [0, 8]}}", 8);
    assertError(f, "unknown dtype I64");
  }

  @Test
  void shapeByteCountMismatchIsAUserError() throws IOException {
    Path f = raw("{\"a\": {\"dtype\": \"BF16\", \"shape\": [3], \"data_offsets\": [0, 8]}}", 8);
    assertError(f, "needs 6 bytes but data offsets span 8");
  }

  @Test
  void aShapeWhoseByteCountOverflowsALongIsAUserError() throws IOException {
    // 2^62 x 4 elements: the element count itself overflows.
    Path f =
        raw(
            "{\"a\": {\"dtype\": \"F32\", \"shape\": [4611686018427387904, 4],"
                + " \"data_offsets\": [0, 8]}}",
            8);
    assertError(f, "tensor a: shape [4611686018427387904,4] of F32 is too large to address");
    // 2^62 elements of 4 bytes: 2^64 bytes wrapped round to 0, which these offsets "matched".
    Path wrapped =
        raw(
            "{\"a\": {\"dtype\": \"F32\", \"shape\": [2305843009213693952, 2],"
                + " \"data_offsets\": [0, 0]}}",
            0);
    assertError(wrapped, "too large to address");
  }

  @Test
  void garbageHeaderIsAUserError() throws IOException {
    Path f = raw("{not json", 0);
    assertError(f, "not valid JSON");
  }

  @Test
  void modelTooLargeForMemoryIsRefusedWithTheNumbersBeforeMapping() {
    new SafeTensorsWriter()
        .add("x", DType.F32, new long[] {1024}, new float[1024])
        .write(dir.resolve(ModelWeights.SINGLE));
    String old = System.getProperty(ModelWeights.MEMORY_LIMIT_PROPERTY);
    System.setProperty(ModelWeights.MEMORY_LIMIT_PROPERTY, "1000");
    try {
      UserError e = assertThrows(UserError.class, () -> ModelWeights.open(dir));
      assertTrue(
          e.getMessage().contains("need 0.00 GiB") && e.getMessage().contains("memory"),
          e.getMessage());
    } finally {
      if (old == null) System.clearProperty(ModelWeights.MEMORY_LIMIT_PROPERTY);
      else System.setProperty(ModelWeights.MEMORY_LIMIT_PROPERTY, old);
    }
  }

  private Path raw(String header, int dataBytes) throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    Path f = dir.resolve("broken.safetensors");
    Files.write(f, b.array());
    return f;
  }

  private static void assertError(Path f, String fragment) {
    UserError e = assertThrows(UserError.class, () -> SafeTensors.readHeader(f));
    assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
    assertEquals(1, e.getMessage().lines().count(), "one line: " + e.getMessage());
  }
}
