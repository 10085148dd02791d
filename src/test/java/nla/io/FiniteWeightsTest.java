package nla.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint with NaN or Inf in its weights decoded garbage without a word; {@link
 * ModelWeights#requireFinite()} (the loader's opt-in check) refuses it naming the tensor.
 */
class FiniteWeightsTest {
  @TempDir Path dir;

  private static float[] finite(int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = (i % 7 - 3) * 1.5f;
    return v;
  }

  @Test
  void finiteExtremesPassInEveryDtype() {
    float[] v = finite(37);
    v[0] = 65504f; // the largest f16
    v[1] = -65504f;
    v[2] = 0x1p-24f; // the smallest f16 subnormal
    v[3] = -0f;
    new SafeTensorsWriter()
        .add("b", DType.BF16, new long[] {37}, v)
        .add("h", DType.F16, new long[] {37}, v)
        .add("f", DType.F32, new long[] {37}, v)
        .add("fmax", DType.F32, new long[] {2}, new float[] {Float.MAX_VALUE, -Float.MIN_VALUE})
        .write(dir.resolve(ModelWeights.SINGLE));
    try (ModelWeights w = ModelWeights.open(dir)) {
      w.requireFinite();
      ModelWeights.openFinite(dir).close();
      for (StoredTensor t : w.tensors().values()) assertEquals(-1, ModelWeights.firstNonFinite(t));
    }
  }

  @Test
  void everyNonFiniteElementIsFoundWhereverItSitsInEveryDtype() {
    for (DType dtype : DType.values()) {
      for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
        for (int at : new int[] {0, 1, 3, 4, 7, 35, 36}) { // word starts, lanes, the unaligned tail
          Path d = dir.resolve(dtype + "-" + bad + "-" + at);
          float[] v = finite(37);
          v[at] = bad;
          if (at + 1 < v.length) v[at + 1] = bad; // the first is reported
          try (ModelWeights w = ModelWeights.open(writeSingle(d, dtype, v))) {
            assertEquals(at, ModelWeights.firstNonFinite(w.get("t")), dtype + " " + bad + " " + at);
          }
        }
      }
    }
  }

  private static Path writeSingle(Path d, DType dtype, float[] v) {
    try {
      java.nio.file.Files.createDirectories(d);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    new SafeTensorsWriter()
        .add("t", dtype, new long[] {v.length}, v)
        .write(d.resolve(ModelWeights.SINGLE));
    return d;
  }

  @Test
  void aNonFiniteWeightIsAOneLineErrorNamingTheTensor() {
    float[] v = finite(16);
    v[9] = Float.NaN;
    new SafeTensorsWriter()
        .add("model.norm.weight", DType.F32, new long[] {16}, finite(16))
        .add("model.layers.0.mlp.up_proj.weight", DType.BF16, new long[] {4, 4}, v)
        .write(dir.resolve(ModelWeights.SINGLE));
    UserError opened = assertThrows(UserError.class, () -> ModelWeights.openFinite(dir));
    try (ModelWeights w = ModelWeights.open(dir)) {
      UserError e = assertThrows(UserError.class, w::requireFinite);
      assertEquals(e.getMessage(), opened.getMessage());
      assertEquals(
          dir.resolve(ModelWeights.SINGLE)
              + ": tensor model.layers.0.mlp.up_proj.weight holds NaN (element 9 of 16); the"
              + " checkpoint is damaged, download or convert it again",
          e.getMessage());
    }
  }
}
