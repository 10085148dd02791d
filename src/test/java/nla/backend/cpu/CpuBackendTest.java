package nla.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import nla.backend.Activation;
import nla.backend.AttentionParams;
import nla.backend.AttentionSlice;
import nla.backend.KvCache;
import nla.backend.Tensor;
import nla.backend.Weight;
import nla.io.DType;
import nla.io.SafeTensors;
import nla.io.SafeTensorsWriter;
import nla.io.StoredTensor;
import nla.io.UserError;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CPU kernels against plain scalar loops written from the definitions. */
class CpuBackendTest {
  @TempDir Path dir;
  private final CpuBackend be = new CpuBackend(3);
  private final Arena arena = Arena.ofShared();
  private final Random rnd = new Random(7);

  @AfterEach
  void close() {
    be.close();
    arena.close();
  }

  @Test
  void matmulMatchesNaiveLoopForEveryDtypeAndOddSizes() {
    for (DType dtype : DType.values()) {
      int n = 11, k = 37, out = 23; // k not a multiple of any vector width: exercises the tails
      float[] w = gaussian(out * k);
      float[] b = gaussian(out);
      StoredTensor wt = stored(dtype, new long[] {out, k}, w);
      StoredTensor bt = stored(DType.F32, new long[] {out}, b);
      float[][] x = new float[n][];
      for (int i = 0; i < n; i++) x[i] = gaussian(k);
      Tensor y = be.matmul(tensor(x), be.weight(wt), be.weight(bt));
      for (int t = 0; t < n; t++) {
        float[] row = be.readRow(y, t);
        for (int o = 0; o < out; o++) {
          double ref = b[o];
          for (int i = 0; i < k; i++) ref += (double) x[t][i] * wt.get((long) o * k + i);
          assertEquals(ref, row[o], 1e-4 * (1 + Math.abs(ref)), dtype + " " + t + "," + o);
        }
      }
    }
  }

  @Test
  void embedGathersRowsAndScales() {
    float[] table = gaussian(10 * 6);
    Weight w = be.weight(stored(DType.BF16, new long[] {10, 6}, table));
    StoredTensor ref = stored(DType.BF16, new long[] {10, 6}, table);
    Tensor t = be.allocate(4, 6);
    be.embed(w, new int[] {9, 0, 4}, 2.5f, t, 1);
    for (int j = 0; j < 6; j++) {
      assertEquals(0f, be.readRow(t, 0)[j]);
      assertEquals(ref.get(9 * 6 + j) * 2.5f, be.readRow(t, 1)[j]);
      assertEquals(ref.get(j) * 2.5f, be.readRow(t, 2)[j]);
      assertEquals(ref.get(4 * 6 + j) * 2.5f, be.readRow(t, 3)[j]);
    }
  }

  @Test
  void rmsNormMatchesDefinitionWithAndWithoutOnePlusWeight() {
    float[][] x = {gaussian(16), gaussian(16)};
    float[] w = gaussian(8);
    Weight wt = be.weight(stored(DType.F32, new long[] {8}, w));
    for (boolean addOne : new boolean[] {false, true}) {
      Tensor y = be.rmsNorm(tensor(x), wt, 8, 1e-6f, addOne);
      for (int r = 0; r < 2; r++) {
        for (int g = 0; g < 2; g++) {
          double ss = 0;
          for (int i = 0; i < 8; i++) ss += x[r][g * 8 + i] * x[r][g * 8 + i];
          double inv = 1 / Math.sqrt(ss / 8 + 1e-6);
          for (int i = 0; i < 8; i++) {
            double ref = x[r][g * 8 + i] * inv * (addOne ? 1 + w[i] : w[i]);
            assertEquals(ref, be.readRow(y, r)[g * 8 + i], 1e-5);
          }
        }
      }
    }
  }

  @Test
  void ropeRotatesHalvesByPositionTimesFrequency() {
    int hd = 8;
    float[][] x = {gaussian(2 * hd), gaussian(2 * hd)};
    float[] inv = {1f, 0.1f, 0.01f, 0.001f};
    int[] pos = {3, 17};
    Tensor t = tensor(x);
    be.rope(t, hd, pos, inv);
    for (int r = 0; r < 2; r++) {
      for (int h = 0; h < 2; h++) {
        for (int i = 0; i < 4; i++) {
          double a = x[r][h * hd + i], b = x[r][h * hd + 4 + i];
          double ang = pos[r] * inv[i];
          assertEquals(a * Math.cos(ang) - b * Math.sin(ang), be.readRow(t, r)[h * hd + i], 1e-5);
          assertEquals(
              b * Math.cos(ang) + a * Math.sin(ang), be.readRow(t, r)[h * hd + 4 + i], 1e-5);
        }
      }
    }
  }

  @Test
  void attentionMatchesNaiveCausalSoftmaxWithGqaWindowAndSoftcapAcrossABatch() {
    int heads = 4, kvHeads = 2, hd = 8, window = 3;
    int[] lengths = {5, 2};
    int total = 7;
    float[][] q = rows(total, heads * hd),
        k = rows(total, kvHeads * hd),
        v = rows(total, kvHeads * hd);
    for (float softcap : new float[] {0f, 2f}) {
      for (int win : new int[] {0, window}) {
        List<AttentionSlice> batch = new ArrayList<>();
        List<KvCache> caches = new ArrayList<>();
        int row = 0;
        for (int len : lengths) {
          KvCache c = be.newCache(1, kvHeads, hd);
          caches.add(c);
          batch.add(new AttentionSlice(c, row, len));
          row += len;
        }
        AttentionParams p = new AttentionParams(0, heads, kvHeads, hd, 0.3f, win, softcap);
        Tensor out = be.attention(tensor(q), tensor(k), tensor(v), batch, p);
        row = 0;
        for (int len : lengths) {
          for (int i = 0; i < len; i++) {
            float[] got = be.readRow(out, row + i);
            for (int h = 0; h < heads; h++) {
              int kvh = h / (heads / kvHeads);
              double[] s = new double[i + 1];
              double max = Double.NEGATIVE_INFINITY;
              for (int j = 0; j <= i; j++) {
                if (win > 0 && i - j >= win) {
                  s[j] = Double.NEGATIVE_INFINITY;
                  continue;
                }
                double dot = 0;
                for (int e = 0; e < hd; e++)
                  dot += q[row + i][h * hd + e] * k[row + j][kvh * hd + e];
                dot *= 0.3;
                if (softcap > 0) dot = Math.tanh(dot / softcap) * softcap;
                s[j] = dot;
                max = Math.max(max, dot);
              }
              double sum = 0;
              for (int j = 0; j <= i; j++) sum += (s[j] = Math.exp(s[j] - max));
              for (int e = 0; e < hd; e++) {
                double ref = 0;
                for (int j = 0; j <= i; j++) ref += s[j] / sum * v[row + j][kvh * hd + e];
                assertEquals(ref, got[h * hd + e], 1e-5, "seq row " + (row + i) + " head " + h);
              }
            }
          }
          row += len;
        }
      }
    }
  }

  @Test
  void attentionDecodeStepAttendsOverTheCache() {
    int heads = 2, kvHeads = 1, hd = 4;
    float[][] q = rows(4, heads * hd), k = rows(4, kvHeads * hd), v = rows(4, kvHeads * hd);
    AttentionParams p = new AttentionParams(0, heads, kvHeads, hd, 0.5f, 0, 0f);
    KvCache full = be.newCache(1, kvHeads, hd);
    Tensor whole =
        be.attention(tensor(q), tensor(k), tensor(v), List.of(new AttentionSlice(full, 0, 4)), p);
    KvCache inc = be.newCache(1, kvHeads, hd);
    for (int t = 0; t < 4; t++) {
      Tensor one =
          be.attention(
              tensor(new float[][] {q[t]}),
              tensor(new float[][] {k[t]}),
              tensor(new float[][] {v[t]}),
              List.of(new AttentionSlice(inc, 0, 1)),
              p);
      inc.advance(1);
      float[] a = be.readRow(one, 0), b = be.readRow(whole, t);
      for (int e = 0; e < a.length; e++) assertEquals(b[e], a[e], 1e-6);
    }
  }

  @Test
  void reservedCacheIsSizedOnceAndStillGrowsPastTheReservation() {
    int heads = 2, kvHeads = 1, hd = 4;
    AttentionParams p = new AttentionParams(0, heads, kvHeads, hd, 0.5f, 0, 0f);
    CpuKvCache cache = (CpuKvCache) be.newCache(1, kvHeads, hd);
    Tensor prompt = tensor(rows(3, kvHeads * hd));
    be.attention(
        tensor(rows(3, heads * hd)), prompt, prompt, List.of(new AttentionSlice(cache, 0, 3)), p);
    cache.advance(3);
    cache.reserve(37); // a 3-token prompt plus 34 new tokens
    float[] keysAtReserve = cache.keys[0];
    assertEquals(37 * kvHeads * hd, keysAtReserve.length);
    for (int t = 3; t < 38; t++) {
      Tensor kv = tensor(rows(1, kvHeads * hd));
      be.attention(
          tensor(rows(1, heads * hd)), kv, kv, List.of(new AttentionSlice(cache, 0, 1)), p);
      cache.advance(1);
      if (t < 37)
        assertSame(keysAtReserve, cache.keys[0], "no reallocation within the reservation");
    }
    assertTrue(cache.keys[0].length >= 38 * kvHeads * hd, "grows past the reservation");
  }

  @Test
  void gatedActivationsMatchTheirFormulas() {
    float[][] g = {gaussian(9)}, u = {gaussian(9)};
    Tensor silu = be.gatedActivation(tensor(g), tensor(u), Activation.SILU);
    Tensor gelu = be.gatedActivation(tensor(g), tensor(u), Activation.GELU_TANH);
    for (int i = 0; i < 9; i++) {
      double x = g[0][i];
      assertEquals(x / (1 + Math.exp(-x)) * u[0][i], be.readRow(silu, 0)[i], 1e-6);
      double gl = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
      assertEquals(gl * u[0][i], be.readRow(gelu, 0)[i], 1e-6);
    }
  }

  @Test
  void bf16ProductsMatchNaiveLoopsAcrossVectorBlocksTailsAndFusedCalls() {
    // k spans several whole vector blocks plus a tail; 10 tokens = 4x4 tiles plus single tokens
    // (rows outer), 90 tokens' activations outgrow L1 (tokens outer); 30 rows = 4-row tiles plus
    // single rows.
    for (int n : new int[] {10, 90}) bf16ProductsMatchNaiveLoops(n);
  }

  private void bf16ProductsMatchNaiveLoops(int n) {
    int k = 3 * 2 * Kernels.F.length() + 5, rows = 30;
    StoredTensor a = stored(DType.BF16, new long[] {rows, k}, gaussian(rows * k));
    StoredTensor b = stored(DType.BF16, new long[] {rows, k}, gaussian(rows * k));
    StoredTensor bias = stored(DType.F32, new long[] {rows}, gaussian(rows));
    float[][] x = rows(n, k);
    Tensor[] both =
        be.matmuls(
            tensor(x),
            new Weight[] {be.weight(a), be.weight(b)},
            new Weight[] {be.weight(bias), null});
    Tensor gated = be.gatedMatmul(tensor(x), be.weight(a), be.weight(b), Activation.SILU);
    for (int t = 0; t < n; t++) {
      for (int o = 0; o < rows; o++) {
        double ra = 0, rb = 0;
        for (int i = 0; i < k; i++) {
          ra += (double) x[t][i] * a.get((long) o * k + i);
          rb += (double) x[t][i] * b.get((long) o * k + i);
        }
        double withBias = ra + bias.get(o);
        assertEquals(withBias, be.readRow(both[0], t)[o], 1e-4 * (1 + Math.abs(withBias)));
        assertEquals(rb, be.readRow(both[1], t)[o], 1e-4 * (1 + Math.abs(rb)));
        double g = ra / (1 + Math.exp(-ra)) * rb;
        assertEquals(g, be.readRow(gated, t)[o], 1e-4 * (1 + Math.abs(g)));
      }
    }
  }

  @Test
  void bf16ProductOfATokenIsBitIdenticalWhateverElseIsInTheBatch() {
    int k = 4 * 2 * Kernels.F.length() + 3, rows = 13;
    Weight w = be.weight(stored(DType.BF16, new long[] {rows, k}, gaussian(rows * k)));
    float[][] x = rows(90, k); // 90 × k floats outgrow L1: the batch takes the tokens-outer order
    Tensor all = be.matmul(tensor(x), w, null);
    Tensor allGated = be.gatedMatmul(tensor(x), w, w, Activation.GELU_TANH);
    for (int t = 0; t < x.length; t++) {
      Tensor alone = be.matmul(tensor(new float[][] {x[t]}), w, null);
      Tensor aloneGated = be.gatedMatmul(tensor(new float[][] {x[t]}), w, w, Activation.GELU_TANH);
      assertArrayEquals(be.readRow(all, t), be.readRow(alone, 0), "token " + t);
      assertArrayEquals(be.readRow(allGated, t), be.readRow(aloneGated, 0), "token " + t);
    }
  }

  @Test
  void bf16ModeMultipliesBf16RoundedActivationsExactlyAndIndependentlyOfTheBatch() {
    if (Amx.unavailableReason() != null) {
      // Without AMX (or without the native kernels) asking for the mode is a user error that says
      // why, and nothing else changes.
      UserError e = assertThrows(UserError.class, () -> new CpuBackend(2, true));
      assertTrue(e.getMessage().startsWith("bf16 mode is unavailable: "), e.getMessage());
      return;
    }
    // k = three 32-wide tile blocks; 48 rows = a 32-row block plus a 16-row one; 37 tokens = two
    // 32-token blocks' worth of 16-token tiles, the last one partial.
    int k = 96, rows = 48;
    try (CpuBackend bf16 = new CpuBackend(3, true)) {
      StoredTensor a = stored(DType.BF16, new long[] {rows, k}, gaussian(rows * k));
      StoredTensor b = stored(DType.BF16, new long[] {rows, k}, gaussian(rows * k));
      StoredTensor bias = stored(DType.F32, new long[] {rows}, gaussian(rows));
      for (int n : new int[] {1, 5, 37}) {
        float[][] x = rows(n, k);
        Tensor[] both =
            bf16.matmuls(
                tensor(x),
                new Weight[] {bf16.weight(a), bf16.weight(b)},
                new Weight[] {bf16.weight(bias), null});
        Tensor gated = bf16.gatedMatmul(tensor(x), bf16.weight(a), bf16.weight(b), Activation.SILU);
        for (int t = 0; t < n; t++) {
          for (int o = 0; o < rows; o++) {
            // bf16 × bf16 products are exact in fp32: only the fp32 sum may round.
            double ra = 0, rb = 0, magnitude = 0;
            for (int i = 0; i < k; i++) {
              double xi = roundToBf16(x[t][i]);
              ra += xi * a.get((long) o * k + i);
              rb += xi * b.get((long) o * k + i);
              magnitude += Math.abs(xi * a.get((long) o * k + i));
            }
            double tolerance = 1e-6 * (1 + magnitude);
            assertEquals(ra + bias.get(o), bf16.readRow(both[0], t)[o], tolerance);
            assertEquals(rb, bf16.readRow(both[1], t)[o], 1e-6 * (1 + Math.abs(rb) + magnitude));
            double g = ra / (1 + Math.exp(-ra)) * rb;
            assertEquals(g, bf16.readRow(gated, t)[o], 1e-5 * (1 + Math.abs(g) + magnitude));
          }
        }
        if (n > 1) {
          for (int t = 0; t < n; t++) {
            Tensor alone = bf16.matmul(tensor(new float[][] {x[t]}), bf16.weight(a), null);
            Tensor inBatch = bf16.matmul(tensor(x), bf16.weight(a), null);
            assertArrayEquals(bf16.readRow(inBatch, t), bf16.readRow(alone, 0), "token " + t);
          }
        }
      }
    }
  }

  /** Round to nearest even at bf16, written from the definition (the low 16 bits decide). */
  private static float roundToBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    int low = bits & 0xffff;
    int high = bits >>> 16;
    if (low > 0x8000 || (low == 0x8000 && (high & 1) == 1)) high++;
    return Float.intBitsToFloat(high << 16);
  }

  private StoredTensor stored(DType dtype, long[] shape, float[] values) {
    Path f = dir.resolve("t" + rnd.nextInt(1 << 30) + ".safetensors");
    new SafeTensorsWriter().add("t", dtype, shape, values).write(f);
    return SafeTensors.map(SafeTensors.readHeader(f), arena).get("t");
  }

  private Tensor tensor(float[][] rows) {
    Tensor t = be.allocate(rows.length, rows[0].length);
    for (int i = 0; i < rows.length; i++) be.writeRow(t, i, rows[i]);
    return t;
  }

  private float[][] rows(int n, int d) {
    float[][] r = new float[n][];
    for (int i = 0; i < n; i++) r[i] = gaussian(d);
    return r;
  }

  private float[] gaussian(int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
    return a;
  }
}
