package nla.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static nla.backend.cuda.Cublas.CUBLAS_COMPUTE_32F;
import static nla.backend.cuda.Cublas.CUBLAS_OP_N;
import static nla.backend.cuda.Cublas.CUBLAS_OP_T;
import static nla.backend.cuda.Cublas.CUDA_R_16BF;
import static nla.backend.cuda.Cublas.CUDA_R_32F;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The weight products on cuBLASLt with the algorithm picked per shape by timing, where {@link
 * Cublas} takes cuBLAS's heuristic's first choice: {@code y[n, out] = x[n, in] · w[out, in]ᵀ}, bf16
 * operands, fp32 accumulation and result. The first product of a shape asks the heuristic for its
 * candidates, times each on the GPU and keeps the fastest; the rows are bucketed by powers of two,
 * so a batch that shrinks one finished sequence at a time is timed once per bucket, not per size.
 * Opt-in ({@code -Dnla.cuda.tunedProducts=true}) until its parity and speed have run on a GPU.
 */
final class CublasLt implements AutoCloseable {
  private static final int CUBLASLT_MATMUL_DESC_TRANSA = 3;
  private static final int CUBLASLT_MATMUL_DESC_TRANSB = 4;
  private static final int CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES = 1;

  /** cublasLtMatmulHeuristicResult_t: the algorithm (64 bytes), workspace size, state, waves. */
  private static final long HEURISTIC_RESULT_BYTES = 96;

  private static final long ALGO_BYTES = 64;
  private static final int CANDIDATES = 16;

  /** Timed runs of each candidate, after one untimed. */
  private static final int TIMED_RUNS = 5;

  private final CudaDriver driver;
  private final MemorySegment stream;
  private final long workspace;
  private final long workspaceBytes;
  private final Arena arena = Arena.ofShared();
  private final MemorySegment handle;
  private final MemorySegment one;
  private final MemorySegment zero;
  private final MethodHandle matmul;
  private final MethodHandle descCreate;
  private final MethodHandle descSetAttribute;
  private final MethodHandle layoutCreate;
  private final MethodHandle preferenceCreate;
  private final MethodHandle preferenceSetAttribute;
  private final MethodHandle heuristic;
  private final MethodHandle destroy;
  private final MethodHandle descDestroy;
  private final MethodHandle layoutDestroy;
  private final MethodHandle preferenceDestroy;

  /** Every layout made, destroyed with the handle. */
  private final List<MemorySegment> layouts = new ArrayList<>();

  /** One descriptor for every product: transposed weights, fp32 compute and scale. */
  private final MemorySegment desc;

  private final MemorySegment preference;

  /** Per (rows, in, out): the layouts and the algorithm. */
  private final Map<Shape, Plan> plans = new HashMap<>();

  /** Per (row bucket, in, out): the algorithm timing chose, reused for every row count of it. */
  private final Map<Shape, MemorySegment> chosen = new HashMap<>();

  private record Shape(int rows, int in, int out) {}

  private record Plan(MemorySegment a, MemorySegment b, MemorySegment c, MemorySegment algo) {}

  CublasLt(CudaDriver driver, MemorySegment stream, long workspace, long workspaceBytes) {
    this.driver = driver;
    this.stream = stream;
    this.workspace = workspace;
    this.workspaceBytes = workspaceBytes;
    SymbolLookup lib = library();
    MethodHandle create = function(lib, "cublasLtCreate", ADDRESS);
    destroy = function(lib, "cublasLtDestroy", ADDRESS);
    descDestroy = function(lib, "cublasLtMatmulDescDestroy", ADDRESS);
    layoutDestroy = function(lib, "cublasLtMatrixLayoutDestroy", ADDRESS);
    preferenceDestroy = function(lib, "cublasLtMatmulPreferenceDestroy", ADDRESS);
    descCreate = function(lib, "cublasLtMatmulDescCreate", ADDRESS, JAVA_INT, JAVA_INT);
    descSetAttribute =
        function(lib, "cublasLtMatmulDescSetAttribute", ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG);
    layoutCreate =
        function(
            lib, "cublasLtMatrixLayoutCreate", ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG);
    preferenceCreate = function(lib, "cublasLtMatmulPreferenceCreate", ADDRESS);
    preferenceSetAttribute =
        function(
            lib, "cublasLtMatmulPreferenceSetAttribute", ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG);
    heuristic =
        function(
            lib,
            "cublasLtMatmulAlgoGetHeuristic",
            ADDRESS, // handle
            ADDRESS, // operation
            ADDRESS, // A
            ADDRESS, // B
            ADDRESS, // C
            ADDRESS, // D
            ADDRESS, // preference
            JAVA_INT, // requested
            ADDRESS, // results
            ADDRESS); // returned
    matmul =
        function(
            lib,
            "cublasLtMatmul",
            ADDRESS, // handle
            ADDRESS, // operation
            ADDRESS, // alpha
            JAVA_LONG, // A
            ADDRESS, // Adesc
            JAVA_LONG, // B
            ADDRESS, // Bdesc
            ADDRESS, // beta
            JAVA_LONG, // C
            ADDRESS, // Cdesc
            JAVA_LONG, // D
            ADDRESS, // Ddesc
            ADDRESS, // algo
            JAVA_LONG, // workspace
            JAVA_LONG, // workspace bytes
            ADDRESS); // stream
    handle = created("cublasLtCreate", create);
    one = arena.allocateFrom(JAVA_FLOAT, 1f);
    zero = arena.allocateFrom(JAVA_FLOAT, 0f);
    desc = created("cublasLtMatmulDescCreate", descCreate, CUBLAS_COMPUTE_32F, CUDA_R_32F);
    setInt(descSetAttribute, desc, CUBLASLT_MATMUL_DESC_TRANSA, CUBLAS_OP_T);
    setInt(descSetAttribute, desc, CUBLASLT_MATMUL_DESC_TRANSB, CUBLAS_OP_N);
    preference = created("cublasLtMatmulPreferenceCreate", preferenceCreate);
    MemorySegment bytes = arena.allocateFrom(JAVA_LONG, workspaceBytes);
    check(
        "cublasLtMatmulPreferenceSetAttribute",
        invoke(
            preferenceSetAttribute,
            preference,
            CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
            bytes,
            8L));
  }

  private static SymbolLookup library() {
    return NativeLibraries.toolkit("cuBLASLt", "libcublasLt.so.13", "libcublasLt.so.12");
  }

  /**
   * {@code y[n, out] = x[n, in] · w[out, in]ᵀ}, all row-major: in cuBLAS's column-major terms
   * {@code yᵀ = (wᵀ)ᵀ · xᵀ}. A shape's first product times the candidates unless {@code capturing}
   * (a graph being recorded cannot wait on the GPU): then it takes the heuristic's first, and a
   * later product outside a recording times them.
   */
  void matmulBf16(long x, long w, long y, int n, int in, int out, boolean capturing) {
    Shape shape = new Shape(n, in, out);
    Plan plan = plans.get(shape);
    if (plan == null) {
      plan = plan(shape, x, w, y, capturing);
      if (plan == null) throw new CudaException("cuBLASLt has no algorithm for " + shape);
    }
    run(plan, x, w, y);
  }

  private Plan plan(Shape shape, long x, long w, long y, boolean capturing) {
    MemorySegment a = layout(CUDA_R_16BF, shape.in(), shape.out(), shape.in());
    MemorySegment b = layout(CUDA_R_16BF, shape.in(), shape.rows(), shape.in());
    MemorySegment c = layout(CUDA_R_32F, shape.out(), shape.rows(), shape.out());
    Shape bucket = new Shape(Integer.highestOneBit(shape.rows()), shape.in(), shape.out());
    MemorySegment algo = chosen.get(bucket);
    if (algo != null) {
      Plan plan = new Plan(a, b, c, algo);
      plans.put(shape, plan);
      return plan;
    }
    MemorySegment results = arena.allocate(HEURISTIC_RESULT_BYTES * CANDIDATES, 8);
    MemorySegment returned = arena.allocate(JAVA_INT);
    check(
        "cublasLtMatmulAlgoGetHeuristic",
        invoke(heuristic, handle, desc, a, b, c, c, preference, CANDIDATES, results, returned));
    int count = returned.get(JAVA_INT, 0);
    MemorySegment best = null;
    double bestTime = Double.MAX_VALUE;
    for (int i = 0; i < count; i++) {
      MemorySegment result = results.asSlice(i * HEURISTIC_RESULT_BYTES, HEURISTIC_RESULT_BYTES);
      long needs = result.get(JAVA_LONG, ALGO_BYTES);
      int state = result.get(JAVA_INT, ALGO_BYTES + 8);
      if (state != 0 || needs > workspaceBytes) continue;
      MemorySegment candidate = result.asSlice(0, ALGO_BYTES);
      if (capturing) {
        best = candidate;
        break;
      }
      double t = time(new Plan(a, b, c, candidate), x, w, y);
      if (t < bestTime) {
        bestTime = t;
        best = candidate;
      }
    }
    if (best == null) return null;
    Plan plan = new Plan(a, b, c, best);
    // A choice made without timing is not kept for the bucket or the shape: the next product of
    // the shape outside a recording times the candidates.
    if (!capturing) {
      chosen.put(bucket, best);
      plans.put(shape, plan);
    }
    return plan;
  }

  /** Seconds per product of the plan, over a few runs after a first, or infinity if it fails. */
  private double time(Plan plan, long x, long w, long y) {
    if (status(plan, x, w, y) != 0) return Double.POSITIVE_INFINITY;
    driver.synchronize();
    long start = System.nanoTime();
    for (int r = 0; r < TIMED_RUNS; r++) run(plan, x, w, y);
    driver.synchronize();
    return (System.nanoTime() - start) / 1e9 / TIMED_RUNS;
  }

  private void run(Plan plan, long x, long w, long y) {
    int rc = status(plan, x, w, y);
    if (rc != 0) throw new CudaException("cublasLtMatmul failed with status " + rc);
  }

  private int status(Plan plan, long x, long w, long y) {
    try {
      return (int)
          matmul.invokeExact(
              handle,
              desc,
              one,
              w,
              plan.a(),
              x,
              plan.b(),
              zero,
              y,
              plan.c(),
              y,
              plan.c(),
              plan.algo(),
              workspace,
              workspaceBytes,
              stream);
    } catch (Throwable t) {
      throw new CudaException("cublasLtMatmul: " + t);
    }
  }

  private MemorySegment layout(int type, long rows, long cols, long ld) {
    MemorySegment layout =
        created("cublasLtMatrixLayoutCreate", layoutCreate, type, rows, cols, ld);
    layouts.add(layout);
    return layout;
  }

  /** A cuBLASLt object made by {@code create(&out, args...)}. */
  private MemorySegment created(String name, MethodHandle create, Object... args) {
    MemorySegment out = arena.allocate(ADDRESS);
    Object[] all = new Object[args.length + 1];
    all[0] = out;
    System.arraycopy(args, 0, all, 1, args.length);
    check(name, invoke(create, all));
    return out.get(ADDRESS, 0);
  }

  private void setInt(MethodHandle set, MemorySegment object, int attribute, int value) {
    MemorySegment v = arena.allocateFrom(JAVA_INT, value);
    check("cublasLtMatmulDescSetAttribute", invoke(set, object, attribute, v, 4L));
  }

  private static MethodHandle function(
      SymbolLookup lib, String name, java.lang.foreign.MemoryLayout... args) {
    return NativeLibraries.function(lib, "cuBLASLt", name, args);
  }

  private static int invoke(MethodHandle h, Object... args) {
    try {
      return (int) h.invokeWithArguments(args);
    } catch (Throwable t) {
      throw new CudaException("cuBLASLt: " + t);
    }
  }

  private static void check(String name, int rc) {
    if (rc != 0) throw new CudaException(name + " failed with status " + rc);
  }

  @Override
  public void close() {
    for (MemorySegment layout : layouts)
      check("cublasLtMatrixLayoutDestroy", invoke(layoutDestroy, layout));
    check("cublasLtMatmulPreferenceDestroy", invoke(preferenceDestroy, preference));
    check("cublasLtMatmulDescDestroy", invoke(descDestroy, desc));
    check("cublasLtDestroy", invoke(destroy, handle));
    arena.close();
  }
}
