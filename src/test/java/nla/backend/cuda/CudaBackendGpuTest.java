package nla.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import nla.backend.Activation;
import nla.backend.AttentionParams;
import nla.backend.AttentionSlice;
import nla.backend.Backend;
import nla.backend.KvCache;
import nla.backend.Sampler;
import nla.backend.Tensor;
import nla.backend.TokenChoice;
import nla.backend.Weight;
import nla.backend.cpu.CpuBackend;
import nla.io.DType;
import nla.io.SafeTensorsWriter;
import nla.io.StoredTensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every operation of the CUDA backend against the CPU backend (fp32, the engine that matches
 * transformers' fp32 to ~1e-6) on fresh random inputs. Where the GPU rounds (the products' bf16
 * operands, the bf16 KV cache), the inputs are rounded to bf16 first, so the two must agree to fp32
 * rounding: any larger difference is a bug, not precision.
 */
@Tag("gpu")
class CudaBackendGpuTest {
  /** ‖gpu − cpu‖ / ‖cpu‖ for the same function on the same (bf16-exact) inputs. */
  private static final double TOL = 2e-5;

  private static CudaBackend gpu;
  private static CpuBackend cpu;
  private static final Arena ARENA = Arena.ofShared();
  private final SplittableRandom rng = new SplittableRandom(System.nanoTime());

  @BeforeAll
  static void open() {
    gpu = new CudaBackend(0);
    cpu = new CpuBackend(4);
    System.out.println("GPU: " + gpu.describe() + "; kernels: " + gpu.kernelImage());
  }

  @AfterAll
  static void close() {
    if (gpu != null) gpu.close();
    cpu.close();
  }

  // ---- helpers ----

  private float[] random(int n, double scale) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = (float) (rng.nextGaussian() * scale);
    return v;
  }

  private static float bf16(float v) {
    return Float.intBitsToFloat((SafeTensorsWriter.toBf16(v) & 0xffff) << 16);
  }

  private static float[] bf16(float[] v) {
    float[] out = v.clone();
    for (int i = 0; i < out.length; i++) out[i] = bf16(out[i]);
    return out;
  }

  private float[][] rows(int n, int cols, double scale, boolean roundToBf16) {
    float[][] out = new float[n][];
    for (int r = 0; r < n; r++)
      out[r] = roundToBf16 ? bf16(random(cols, scale)) : random(cols, scale);
    return out;
  }

  /** A stored bf16 tensor holding {@code values} (rounded), as a checkpoint would. */
  private static StoredTensor stored(String name, float[] values, long... shape) {
    MemorySegment seg = ARENA.allocate(2L * values.length, 2);
    for (int i = 0; i < values.length; i++) {
      seg.setAtIndex(ValueLayout.JAVA_SHORT, i, SafeTensorsWriter.toBf16(values[i]));
    }
    return new StoredTensor(name, DType.BF16, shape, seg, Path.of("test"));
  }

  private Tensor put(Backend b, float[][] rows) {
    Tensor t = b.allocate(rows.length, rows[0].length);
    b.writeRows(t, 0, rows);
    return t;
  }

  private static void assertClose(float[][] expected, float[][] actual, double tol, String what) {
    assertEquals(expected.length, actual.length, what + " rows");
    double diff = 0, norm = 0;
    for (int r = 0; r < expected.length; r++) {
      assertEquals(expected[r].length, actual[r].length, what + " cols");
      for (int c = 0; c < expected[r].length; c++) {
        assertTrue(Float.isFinite(actual[r][c]), what + ": non-finite at " + r + "," + c);
        double d = (double) actual[r][c] - expected[r][c];
        diff += d * d;
        norm += (double) expected[r][c] * expected[r][c];
      }
    }
    double rel = Math.sqrt(diff / Math.max(norm, 1e-30));
    assertTrue(rel <= tol, what + ": relative error " + rel + " > " + tol);
  }

  // ---- tests ----

  @Test
  void theCardReportsItsBandwidthAndMemoryInUse() {
    // An A100 has 1.6–2.0 TB/s, an H100 SXM 3.35, an H200 4.8: the benchmark's roofline.
    double gbs = gpu.memoryBandwidthGBs();
    assertTrue(gbs > 1000 && gbs < 20000, "bandwidth " + gbs + " GB/s");
    long before = gpu.deviceBytesInUse();
    try (Backend.Scope s = gpu.openScope()) {
      put(gpu, rows(4096, 4096, 1, false)); // 64 MiB: at least one more arena chunk
      assertTrue(gpu.deviceBytesInUse() >= before, "memory in use never drops while held");
    }
    assertTrue(before > 0, "memory in use " + before);
  }

  @Test
  void rowsRoundTripThroughTheDevice() {
    try (Backend.Scope s = gpu.openScope()) {
      float[][] x = rows(5, 37, 1, false);
      Tensor t = put(gpu, x);
      assertClose(x, gpu.readRows(t), 0, "round trip");
      assertArrayEquals(x[3], gpu.readRow(t, 3));
    }
  }

  @Test
  void productsWithBiasMatchTheCpuOnBf16Inputs() {
    // Up to GEMV_ROWS_MAX rows run on gemv_bf16, more on cuBLAS; 1,032 inputs (129 chunks of 8)
    // take the kernel's four-loads-in-flight loop and its tail, 83 outputs a partly filled block.
    for (int[] shape : new int[][] {{96, 80}, {1032, 83}}) {
      int in = shape[0], out = shape[1];
      float[] w = bf16(random(out * in, 0.1));
      float[] bias = bf16(random(out, 0.5));
      Weight gw = gpu.weight(stored("w", w, out, in));
      Weight gb = gpu.weight(stored("b", bias, out));
      Weight cw = cpu.weight(stored("w", w, out, in));
      Weight cb = cpu.weight(stored("b", bias, out));
      for (int n : new int[] {1, 2, 3, 4, 5, 7, 64, 65, 100}) {
        float[][] x = rows(n, in, 1, true);
        String what = in + "→" + out + " n=" + n;
        try (Backend.Scope s = gpu.openScope()) {
          float[][] g = gpu.readRows(gpu.matmul(put(gpu, x), gw, gb));
          float[][] c = cpu.readRows(cpu.matmul(put(cpu, x), cw, cb));
          assertClose(c, g, TOL, "matmul " + what);
          Tensor[] both = gpu.matmuls(put(gpu, x), new Weight[] {gw, gw}, new Weight[] {null, gb});
          assertClose(c, gpu.readRows(both[1]), TOL, "matmuls " + what);
        }
      }
    }
  }

  @Test
  void gatedProductMatchesTheCpu() {
    int in = 64, ff = 160;
    float[] gate = bf16(random(ff * in, 0.2));
    float[] up = bf16(random(ff * in, 0.2));
    for (Activation act : Activation.values()) {
      for (int n : new int[] {1, 9}) { // gemv_bf16, cuBLAS
        float[][] x = rows(n, in, 1, true);
        try (Backend.Scope s = gpu.openScope()) {
          float[][] g =
              gpu.readRows(
                  gpu.gatedMatmul(
                      put(gpu, x),
                      gpu.weight(stored("g", gate, ff, in)),
                      gpu.weight(stored("u", up, ff, in)),
                      act));
          float[][] c =
              cpu.readRows(
                  cpu.gatedMatmul(
                      put(cpu, x),
                      cpu.weight(stored("g", gate, ff, in)),
                      cpu.weight(stored("u", up, ff, in)),
                      act));
          assertClose(c, g, 1e-5, "gated " + act + " n=" + n);
        }
      }
    }
  }

  @Test
  void normsMatchTheCpu() {
    for (boolean addOne : new boolean[] {false, true}) {
      for (int group : new int[] {8, 128, 3584}) {
        int cols = group == 3584 ? group : 4 * group;
        float[] w = bf16(random(group, 0.5));
        float[][] x = rows(6, cols, 2, false);
        try (Backend.Scope s = gpu.openScope()) {
          float[][] g =
              gpu.readRows(
                  gpu.rmsNorm(
                      put(gpu, x), gpu.weight(stored("n", w, group)), group, 1e-6f, addOne));
          float[][] c =
              cpu.readRows(
                  cpu.rmsNorm(
                      put(cpu, x), cpu.weight(stored("n", w, group)), group, 1e-6f, addOne));
          assertClose(c, g, 1e-6, "rmsnorm group " + group + " addOne " + addOne);
        }
      }
    }
  }

  /**
   * The fused residual add and norm leaves the sum in the residual stream and returns its norm, bit
   * for bit what the add and the norm apart give on the GPU, and the CPU's within rounding.
   */
  @Test
  void residualAddWithNormMatchesTheAddAndTheNormApart() {
    for (boolean addOne : new boolean[] {false, true}) {
      int cols = 3584;
      float[] w = bf16(random(cols, 0.5));
      float[][] h = rows(5, cols, 2, false);
      float[][] x = rows(5, cols, 2, false);
      try (Backend.Scope s = gpu.openScope()) {
        var weight = gpu.weight(stored("n", w, cols));
        Tensor fusedAcc = put(gpu, h);
        float[][] fused =
            gpu.readRows(gpu.addAndNorm(fusedAcc, put(gpu, x), weight, 1e-6f, addOne));
        Tensor apartAcc = put(gpu, h);
        gpu.addInPlace(apartAcc, put(gpu, x));
        float[][] apart = gpu.readRows(gpu.rmsNorm(apartAcc, weight, cols, 1e-6f, addOne));
        float[][] fusedSum = gpu.readRows(fusedAcc);
        float[][] apartSum = gpu.readRows(apartAcc);
        for (int r = 0; r < h.length; r++) {
          org.junit.jupiter.api.Assertions.assertArrayEquals(apart[r], fused[r], "norm row " + r);
          org.junit.jupiter.api.Assertions.assertArrayEquals(
              apartSum[r], fusedSum[r], "sum row " + r);
        }
        Tensor cpuAcc = put(cpu, h);
        float[][] c =
            cpu.readRows(
                cpu.addAndNorm(
                    cpuAcc, put(cpu, x), cpu.weight(stored("n", w, cols)), 1e-6f, addOne));
        assertClose(c, fused, 1e-6, "add and norm, addOne " + addOne);
      }
    }
  }

  @Test
  void rotaryEmbeddingMatchesTheCpuAtLargePositions() {
    int heads = 4, headDim = 128;
    float[] invFreq = new float[headDim / 2];
    for (int i = 0; i < invFreq.length; i++) invFreq[i] = (float) Math.pow(1e6, -2.0 * i / headDim);
    int[] positions = {0, 1, 17, 4095, 32767, 131071};
    float[][] x = rows(positions.length, heads * headDim, 1, false);
    try (Backend.Scope s = gpu.openScope()) {
      Tensor g = put(gpu, x);
      gpu.rope(g, headDim, positions, invFreq);
      Tensor c = put(cpu, x);
      cpu.rope(c, headDim, positions, invFreq);
      assertClose(cpu.readRows(c), gpu.readRows(g), 1e-5, "rope");
    }
  }

  @Test
  void elementwiseOperationsEmbeddingAndGatherMatchTheCpu() {
    float[][] a = rows(4, 50, 3, false);
    float[][] b = rows(4, 50, 3, false);
    try (Backend.Scope s = gpu.openScope()) {
      Tensor ga = put(gpu, a);
      Tensor ca = put(cpu, a);
      gpu.addInPlace(ga, put(gpu, b));
      cpu.addInPlace(ca, put(cpu, b));
      assertClose(cpu.readRows(ca), gpu.readRows(ga), 1e-7, "add");
      gpu.softcapInPlace(ga, 2.5f);
      cpu.softcapInPlace(ca, 2.5f);
      assertClose(cpu.readRows(ca), gpu.readRows(ga), 1e-6, "softcap");
      int[] pick = {3, 0, 3};
      assertClose(
          cpu.readRows(cpu.gatherRows(ca, pick)),
          gpu.readRows(gpu.gatherRows(ga, pick)),
          1e-7,
          "gather");

      // A bf16 model's embedding: bf16 rows times the bf16-rounded scale, rounded to bf16.
      float[] table = bf16(random(300 * 24, 1));
      int[] ids = {299, 0, 17, 17};
      float scale = (float) Math.sqrt(5376);
      Tensor ge = gpu.allocate(6, 24);
      gpu.embed(gpu.weight(stored("e", table, 300, 24)), ids, scale, ge, 2);
      float[][] gr = gpu.readRows(ge);
      for (int r = 2; r < 6; r++) {
        float[] expected = new float[24];
        for (int j = 0; j < 24; j++) expected[j] = bf16(table[ids[r - 2] * 24 + j] * bf16(scale));
        assertArrayEquals(expected, gr[r], "embedding row " + r);
      }
    }
  }

  record AttnCase(int heads, int kvHeads, int headDim, int window, float softcap) {}

  private static final List<AttnCase> ATTENTION_CASES =
      List.of(
          new AttnCase(8, 2, 64, 0, 0f),
          new AttnCase(4, 2, 32, 0, 0f),
          new AttnCase(4, 4, 256, 0, 0f),
          new AttnCase(8, 4, 128, 6, 0f),
          new AttnCase(4, 2, 8, 0, 1.0f),
          new AttnCase(16, 8, 128, 20, 50f),
          new AttnCase(28, 4, 128, 0, 0f),
          new AttnCase(16, 2, 256, 0, 0f));

  @Test
  void pagedAttentionMatchesTheCpuThroughPrefillDecodeAndSharedPrefixes() {
    for (AttnCase ac : ATTENTION_CASES) attentionCase(gpu, ac, new int[] {5, 37});
  }

  /**
   * Where a step's rows fill the GPU, each (row, key-value head) is one block over all its keys for
   * the query heads that share it, without the split: 80 sequences of up to 40 keys, in prefill and
   * in every decode step.
   */
  @Test
  void attentionMatchesTheCpuWhereManySequencesFillTheGpu() {
    for (AttnCase ac : ATTENTION_CASES) attentionCase(gpu, ac, manySequences());
  }

  /** Up to 40 keys each, so that each (row, head) is one block. */
  private static int[] manySequences() {
    int[] lengths = new int[80];
    for (int i = 0; i < lengths.length; i++) lengths[i] = 1 + (i * 7) % 40;
    return lengths;
  }

  /**
   * The attention that scores one key at a time per warp (the default scores eight where the head
   * dimension allows), through the same cases: the split keys of a few sequences and many sequences
   * without the split.
   */
  @Test
  void oneKeyAtATimeAttentionMatchesTheCpu() {
    System.setProperty(CudaBackend.EIGHT_KEY_ATTENTION_PROPERTY, "false");
    try (CudaBackend oneKey = new CudaBackend(0)) {
      for (AttnCase ac : ATTENTION_CASES) {
        attentionCase(oneKey, ac, new int[] {5, 37});
        attentionCase(oneKey, ac, manySequences());
      }
    } finally {
      System.clearProperty(CudaBackend.EIGHT_KEY_ATTENTION_PROPERTY);
    }
  }

  /** The same, one block for each (row, query head): the path for the other head groupings. */
  @Test
  void oneHeadPerBlockAttentionMatchesTheCpuWhereManySequencesFillTheGpu() {
    System.setProperty(CudaBackend.GROUPED_ATTENTION_PROPERTY, "false");
    try (CudaBackend perHead = new CudaBackend(0)) {
      for (AttnCase ac : ATTENTION_CASES) attentionCase(perHead, ac, manySequences());
    } finally {
      System.clearProperty(CudaBackend.GROUPED_ATTENTION_PROPERTY);
    }
  }

  private void attentionCase(CudaBackend gpu, AttnCase ac, int[] lengths) {
    int layers = 2;
    int qDim = ac.heads() * ac.headDim();
    int kvDim = ac.kvHeads() * ac.headDim();
    float scale = (float) (1 / Math.sqrt(ac.headDim()));
    String what = ac.toString();
    List<KvCache> g = new ArrayList<>();
    List<KvCache> c = new ArrayList<>();
    // Prefill two sequences (one spans several cache blocks), then a shared-prefix copy of the
    // second, then decode all three for a few steps; every layer, every step compared.
    for (int s = 0; s < lengths.length; s++) {
      g.add(gpu.newCache(layers, ac.kvHeads(), ac.headDim()));
      c.add(cpu.newCache(layers, ac.kvHeads(), ac.headDim()));
    }
    step(gpu, g, c, lengths, layers, qDim, kvDim, scale, ac, what + " prefill");
    g.add(g.get(1).copy());
    c.add(c.get(1).copy());
    int[] ones = new int[g.size()];
    Arrays.fill(ones, 1);
    for (int t = 0; t < 20; t++) {
      step(gpu, g, c, ones, layers, qDim, kvDim, scale, ac, what + " decode " + t);
    }
    assertEquals(c.getLast().length(), g.getLast().length());
    for (KvCache k : g) k.close();
  }

  private void step(
      CudaBackend gpu,
      List<KvCache> g,
      List<KvCache> c,
      int[] counts,
      int layers,
      int qDim,
      int kvDim,
      float scale,
      AttnCase ac,
      String what) {
    int total = 0;
    List<AttentionSlice> gs = new ArrayList<>();
    List<AttentionSlice> cs = new ArrayList<>();
    for (int s = 0; s < counts.length; s++) {
      gs.add(new AttentionSlice(g.get(s), total, counts[s]));
      cs.add(new AttentionSlice(c.get(s), total, counts[s]));
      total += counts[s];
    }
    try (Backend.Scope scope = gpu.openScope()) {
      gpu.prepareStep(gs);
      cpu.prepareStep(cs);
      for (int layer = 0; layer < layers; layer++) {
        float[][] q = rows(total, qDim, 1, false);
        // Keys and values bf16-exact: the GPU cache holds bf16, the CPU's fp32.
        float[][] k = rows(total, kvDim, 1, true);
        float[][] v = rows(total, kvDim, 1, true);
        AttentionParams p =
            new AttentionParams(
                layer, ac.heads(), ac.kvHeads(), ac.headDim(), scale, ac.window(), ac.softcap());
        float[][] go = gpu.readRows(gpu.attention(put(gpu, q), put(gpu, k), put(gpu, v), gs, p));
        float[][] co = cpu.readRows(cpu.attention(put(cpu, q), put(cpu, k), put(cpu, v), cs, p));
        assertClose(co, go, 1e-5, what + " layer " + layer);
      }
    }
    for (int s = 0; s < counts.length; s++) {
      g.get(s).advance(counts[s]);
      c.get(s).advance(counts[s]);
    }
  }

  @Test
  void tokensChosenOnTheGpuAreTheHostsChoices() {
    int vocab = 152064;
    float[][] logits = rows(6, vocab, 3, false);
    int top0 = Sampler.argmax(logits[1]);
    List<TokenChoice> choices =
        List.of(
            new TokenChoice(0, 1, 0, new int[0], new float[0], 0),
            new TokenChoice(0, 1, 0, new int[] {top0, 7}, new float[] {-1e9f, 100f}, 0),
            new TokenChoice(0, 1, 0, new int[] {vocab - 1}, new float[] {50f}, 0),
            new TokenChoice(0.8, 0.9, 50, new int[] {3}, new float[] {-1e9f}, 0.37),
            new TokenChoice(1.0, 1, 0, new int[0], new float[0], 0.999),
            new TokenChoice(0, 1, 0, new int[0], new float[0], 0));
    try (Backend.Scope s = gpu.openScope()) {
      int[] g = gpu.chooseTokens(put(gpu, logits), choices);
      int[] c = cpu.chooseTokens(put(cpu, logits), choices);
      assertArrayEquals(c, g);
      assertEquals(7, g[1]);
      assertEquals(vocab - 1, g[2]);
    }
  }

  @Test
  void kernelsCompiledAtRunTimeByNvrtcComputeWhatThePackedOnesDo() {
    System.setProperty(CudaKernels.COMPILE_PROPERTY, "nvrtc");
    try (CudaBackend compiled = new CudaBackend(0)) {
      assertTrue(compiled.kernelImage().contains("NVRTC"), compiled.kernelImage());
      float[] w = bf16(random(128, 0.5));
      float[][] x = rows(5, 512, 2, false);
      try (Backend.Scope s = compiled.openScope()) {
        float[][] g =
            compiled.readRows(
                compiled.rmsNorm(
                    put(compiled, x), compiled.weight(stored("n", w, 128)), 128, 1e-6f, true));
        float[][] c =
            cpu.readRows(
                cpu.rmsNorm(put(cpu, x), cpu.weight(stored("n", w, 128)), 128, 1e-6f, true));
        assertClose(c, g, 1e-6, "rmsnorm through NVRTC's kernels");
      }
    } finally {
      System.clearProperty(CudaKernels.COMPILE_PROPERTY);
    }
  }

  @Test
  void scopesGiveTheirMemoryBack() {
    long before;
    try (Backend.Scope s = gpu.openScope()) {
      gpu.allocate(1024, 1024);
    }
    before = gpu.freeMemory();
    for (int i = 0; i < 2000; i++) {
      try (Backend.Scope s = gpu.openScope()) {
        gpu.allocate(1024, 1024);
      }
    }
    assertEquals(before, gpu.freeMemory(), "steady scopes allocate nothing new");
  }
}
