package nla.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import nla.backend.AttentionParams;
import nla.backend.AttentionSlice;
import nla.backend.KvCache;
import nla.backend.Tensor;
import nla.backend.Weight;
import nla.io.DType;
import nla.io.StoredTensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The hot kernels of a decode step at Qwen2.5-0.5B's shapes: the bf16 weight × fp32 activation
 * product for 1 token (matrix-vector) and for a batch (matrix-matrix), single-threaded and through
 * the backend's thread pool, and one decode step of attention over a cache. Run with {@code
 * tools/bench/jmh.sh} (see its header); throughput in GB/s of weights is bytes ÷ the time shown.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgs = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class KernelBench {

  /** A [rows, k] bf16 matrix (the 0.5B model's gate projection by default) and a token batch. */
  @State(Scope.Benchmark)
  public static class Product {
    @Param({"4864"})
    int rows;

    @Param({"896"})
    int k;

    @Param({"1", "8", "32"})
    int tokens;

    @Param({"1"})
    int threads;

    Arena arena;
    MemorySegment w;
    float[] xp;
    float[] y;
    float[] scratch;
    CpuBackend backend;
    Weight weight;
    Tensor x;

    @Setup(Level.Trial)
    public void setUp() {
      Random rnd = new Random(1);
      arena = Arena.ofShared();
      w = arena.allocate(2L * rows * k, 64);
      for (long i = 0; i < (long) rows * k; i++) {
        float v = (float) rnd.nextGaussian() * 0.05f;
        w.setAtIndex(ValueLayout.JAVA_SHORT, i, (short) (Float.floatToIntBits(v) >>> 16));
      }
      float[] xs = new float[tokens * k];
      for (int i = 0; i < xs.length; i++) xs[i] = (float) rnd.nextGaussian();
      xp = Bf16Matmul.pairLayout(xs, tokens, k);
      y = new float[tokens * rows];
      scratch = new float[Bf16Matmul.SCRATCH];
      backend = new CpuBackend(threads);
      weight =
          backend.weight(
              new StoredTensor("w", DType.BF16, new long[] {rows, k}, w, Path.of("bench")));
      x = backend.allocate(tokens, k);
      for (int t = 0; t < tokens; t++) {
        float[] row = new float[k];
        System.arraycopy(xs, t * k, row, 0, k);
        backend.writeRow(x, t, row);
      }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      backend.close();
      arena.close();
    }
  }

  /** The bf16 product kernel alone, one thread: all rows for all tokens. */
  @Benchmark
  public float[] bf16Product(Product s) {
    Bf16Matmul.rows(s.w, 0, s.rows, s.xp, s.tokens, s.k, s.y, 0, s.rows, s.scratch);
    return s.y;
  }

  /** The same product through {@link CpuBackend#matmul} (activation re-layout, pool dispatch). */
  @Benchmark
  public Tensor backendMatmul(Product s) {
    return s.backend.matmul(s.x, s.weight, null);
  }

  /** One sequence's decode-step attention (14 query heads, 2 key/value heads of 64) over a cache. */
  @State(Scope.Benchmark)
  public static class Attention {
    @Param({"128", "1024"})
    int context;

    @Param({"1"})
    int threads;

    CpuBackend backend;
    KvCache cache;
    Tensor q;
    Tensor k;
    Tensor v;
    AttentionParams params;

    @Setup(Level.Trial)
    public void setUp() {
      Random rnd = new Random(2);
      backend = new CpuBackend(threads);
      int heads = 14, kvHeads = 2, headDim = 64;
      params = new AttentionParams(0, heads, kvHeads, headDim, 0.125f, 0, 0f);
      cache = backend.newCache(1, kvHeads, headDim);
      Tensor pq = random(backend, rnd, context, heads * headDim);
      Tensor pk = random(backend, rnd, context, kvHeads * headDim);
      Tensor pv = random(backend, rnd, context, kvHeads * headDim);
      backend.attention(pq, pk, pv, List.of(new AttentionSlice(cache, 0, context)), params);
      cache.advance(context);
      q = random(backend, rnd, 1, heads * headDim);
      k = random(backend, rnd, 1, kvHeads * headDim);
      v = random(backend, rnd, 1, kvHeads * headDim);
    }

    private static Tensor random(CpuBackend be, Random rnd, int rows, int cols) {
      Tensor t = be.allocate(rows, cols);
      for (int r = 0; r < rows; r++) {
        float[] row = new float[cols];
        for (int i = 0; i < cols; i++) row[i] = (float) rnd.nextGaussian();
        be.writeRow(t, r, row);
      }
      return t;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      backend.close();
    }
  }

  /**
   * The new token's key and value go to the same slot every call (the cache only grows on {@code
   * advance}), so each call attends over exactly {@code context + 1} positions.
   */
  @Benchmark
  public Tensor decodeAttention(Attention s) {
    return s.backend.attention(
        s.q, s.k, s.v, List.of(new AttentionSlice(s.cache, 0, 1)), s.params);
  }
}
