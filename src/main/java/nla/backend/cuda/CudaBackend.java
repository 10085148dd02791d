package nla.backend.cuda;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import nla.backend.Activation;
import nla.backend.AttentionParams;
import nla.backend.AttentionSlice;
import nla.backend.Backend;
import nla.backend.KvCache;
import nla.backend.QkvProjection;
import nla.backend.Tensor;
import nla.backend.TokenChoice;
import nla.backend.Weight;
import nla.io.DType;
import nla.io.ProgressBar;
import nla.io.SafeTensorsWriter;
import nla.io.StoredTensor;
import nla.io.UserError;

/**
 * The CUDA backend: one NVIDIA GPU, driven through the driver API and cuBLAS over FFM. Weights are
 * bf16 on the device; activations between operations are fp32; products take bf16 operands and
 * accumulate in fp32 (cuBLAS), norms and softmax are fp32 — transformers' bf16 arithmetic, with
 * fewer roundings. Keys and values live in a paged bf16 cache ({@link KvBlockPool}).
 *
 * <p>Everything runs in order on one stream of the device; host transfers are whole tensors. A
 * step's run of decoder blocks is recorded as a CUDA graph the second time a step of its shape and
 * layout comes, and replayed from then on ({@link #runRepeatable}): a decode step is hundreds of
 * small launches, which a graph sends as one.
 */
public final class CudaBackend implements Backend {
  /** The oldest driver the packed kernels load on (they are built by CUDA 13's nvcc). */
  static final int MIN_DRIVER_VERSION = 13000;

  /** Free memory a model must leave beside its weights (a first workspace and KV pool). */
  public static final long WORKSPACE_RESERVE = 512L << 20;

  private static final int THREADS = 256;
  private static final int NORM_THREADS_MAX = 1024;
  private static final int ELEMENTWISE_BLOCKS_MAX = 4096;

  /** cuBLAS's scratch memory (the size NVIDIA recommends for Hopper). */
  private static final long CUBLAS_WORKSPACE_BYTES = 32L << 20;

  /**
   * Block tables are laid out this many blocks wide (and wider in such steps): a sequence growing
   * by a token keeps its step's layout, and with it its recorded graph, for 512 positions.
   */
  static final int BLOCK_TABLE_STEP = 32;

  /** Steps of at most this many rows are recorded as graphs (decoding; prefill shapes vary). */
  static final int GRAPH_MAX_ROWS = 512;

  /** Recorded graphs kept at once (least recently used dropped first). */
  private static final int GRAPHS_KEPT = 64;

  /** {@code -Dnla.cuda.graphs=false} runs every step's launches one by one (for comparison). */
  public static final String GRAPHS_PROPERTY = "nla.cuda.graphs";

  /**
   * Products of at most this many rows run on our own kernel (gemv_bf16: the weights streamed once,
   * nothing tiled for reuse that a few rows do not have); larger ones on cuBLAS. Matches the
   * kernel's GEMV_ROWS_MAX.
   */
  static final int GEMV_ROWS_MAX = 4;

  /** {@code -Dnla.cuda.gemv=false} sends every product to cuBLAS (for comparison). */
  public static final String GEMV_PROPERTY = "nla.cuda.gemv";

  private static final int GEMV_THREADS = 256;

  /**
   * {@code -Dnla.cuda.fusions=false} runs the operations our fused kernels combine as their own
   * launches (qkv_heads; gemv_gated_bf16; gemv_bf16 adding to the residual stream), for comparison.
   */
  public static final String FUSIONS_PROPERTY = "nla.cuda.fusions";

  /**
   * Each warp of the attention kernels scores eight keys at once (four lanes a key, 16-byte loads)
   * where the head dimension is 32, 64, 128 or 256, so that a warp has eight keys' loads in flight
   * instead of one: on the H100, 15% more tokens/s at batch 32 and 28 to 38% at 128 and 256. {@code
   * -Dnla.cuda.eightKeyAttention=false} scores one key at a time, for comparison (other head
   * dimensions always do).
   */
  public static final String EIGHT_KEY_ATTENTION_PROPERTY = "nla.cuda.eightKeyAttention";

  /**
   * Where a step's rows fill the GPU, one block attends all the query heads that share a key-value
   * head, so that each key and value is read once for them, not once per head. On the H100, with
   * the one-call embedding: 22,405 against 21,338 tokens/s on the 7B shape at batch 256 (+5%),
   * within 1% at batch 128 on the 7B and 27B shapes; the attention there is bound by each block's
   * chain of loads more than by the bytes read. {@code -Dnla.cuda.groupedAttention=false} attends
   * one head a block, for comparison. Taken with eight-key attention, for the query heads per
   * key-value head that have a kernel ({@link #GROUPED_ATTENTION_SIZES}).
   */
  public static final String GROUPED_ATTENTION_PROPERTY = "nla.cuda.groupedAttention";

  /** The query heads per key-value head that a grouped attention kernel serves. */
  static final int[] GROUPED_ATTENTION_SIZES = {2, 4, 7, 8};

  /**
   * {@code -Dnla.cuda.profileSteps=FIRST:COUNT} opens the profiler's range at the FIRST repeatable
   * step (counted from 0) and closes it COUNT steps later: a profiler started with {@code
   * --profile-from-start off} then records those decode steps only (tools/gpu/profile.sh).
   */
  public static final String PROFILE_STEPS_PROPERTY = "nla.cuda.profileSteps";

  private final long[] profiledSteps = profiledSteps(System.getProperty(PROFILE_STEPS_PROPERTY));
  private long repeatableSteps;

  /**
   * A step's span on the GPU: recorded before its first run of blocks (after its uploads) and
   * before its tokens are read back; their distance, summed, is {@link #deviceStepNanos}.
   */
  private final MemorySegment stepBegins;

  private final MemorySegment stepEnds;
  private boolean stepTimed;
  private long stepNanos;

  private final CudaDriver driver;
  private final GpuInfo info;
  private final int device;
  private final MemorySegment context;
  private final CudaKernels kernels;
  private final Cublas cublas;

  private final DeviceArena arena;
  private final MemorySegment stream;
  private final long cublasWorkspace;
  private final GraphCache graphs;
  private final boolean gemv = !"false".equals(System.getProperty(GEMV_PROPERTY));
  private final boolean fusions = !"false".equals(System.getProperty(FUSIONS_PROPERTY));
  private final boolean eightKeyAttention =
      !"false".equals(System.getProperty(EIGHT_KEY_ATTENTION_PROPERTY));
  private final boolean groupedAttention =
      !"false".equals(System.getProperty(GROUPED_ATTENTION_PROPERTY));
  private int scopeDepth;
  private DeviceArena.Mark stepStart;
  private final WeightSlab weightMemory;
  private final Map<float[], Long> uploadedFrequencies = new IdentityHashMap<>();
  private final ThreadLocal<Boolean> bound = ThreadLocal.withInitial(() -> false);
  private final Map<Long, KvBlockPool> pools = new java.util.HashMap<>(); // by (layers, kvDim)
  private ProgressBar loading;
  private int[] ropePositions;
  private long ropePositionsDevice;
  private int ropePositionsCapacity;

  /** This step's cache layout (prepareStep), read by every layer's attention. */
  private long stepRowSeq;

  private long stepRowPos;
  private int[] stepRowPosHost = new int[0];
  private int[] stepPositionsSeen; // the array found equal to stepRowPosHost this step
  private long stepSlots;
  private long stepBlockTables;
  private int stepMaxBlocks;
  private int stepRows = -1;

  /** Opens GPU {@code ordinal}; a one-line {@link UserError} naming what is missing otherwise. */
  public CudaBackend(int ordinal) {
    this(ordinal, !"false".equals(System.getProperty(GRAPHS_PROPERTY)));
  }

  /** GPU {@code ordinal}, recording repeated steps as CUDA graphs or not. */
  public CudaBackend(int ordinal, boolean graphs) {
    this.info = GpuInfo.probe(ordinal);
    this.driver = CudaDriver.get();
    this.device = driver.device(ordinal);
    this.context = driver.retainPrimaryContext(device);
    bind();
    this.stream = driver.createStream();
    this.kernels = new CudaKernels(driver, info.ccMajor(), info.ccMinor(), stream);
    this.cublasWorkspace = driver.malloc(CUBLAS_WORKSPACE_BYTES, "cuBLAS's workspace");
    this.cublas = new Cublas(stream, cublasWorkspace, CUBLAS_WORKSPACE_BYTES);
    this.arena = new DeviceArena(driver);
    this.weightMemory = new WeightSlab(driver);
    this.graphs = new GraphCache(driver, stream, GRAPHS_KEPT, graphs);
    this.stepBegins = driver.createEvent();
    this.stepEnds = driver.createEvent();
  }

  public GpuInfo info() {
    return info;
  }

  /** Which kernel image runs (the packed cubin, the PTX, or the source compiled by NVRTC). */
  public String kernelImage() {
    return kernels.image();
  }

  @Override
  public String describe() {
    return info.describe() + ", bf16 weights and products, fp32 accumulation";
  }

  /**
   * The thread calling in uses this backend's context (the driver's current context is per thread).
   */
  private void bind() {
    if (!bound.get()) {
      driver.setCurrent(context);
      bound.set(true);
    }
  }

  // ---- lifetimes ----

  /** An outermost scope is a step: the allocations from its start make up a step's layout. */
  @Override
  public synchronized Scope openScope() {
    bind();
    DeviceArena.Mark mark = arena.mark();
    if (scopeDepth++ == 0) {
      stepStart = mark;
      arena.restartTrace();
      stepTimed = false; // a step that read back no tokens (a reconstruction) is not timed
    }
    return () -> {
      synchronized (CudaBackend.this) {
        arena.reset(mark);
        scopeDepth--;
      }
    };
  }

  /**
   * Runs {@code work} as a CUDA graph when a step of this shape and layout ran before: the same
   * shape, rows and block-table width, every workspace block of the step where it was, and the same
   * KV pools mean the same launches with the same arguments, which only read what this step
   * uploaded in place. The first such step runs directly, the second is recorded and replayed,
   * later ones replay. Work that cannot be recorded (it reads back, or allocates) runs directly,
   * always.
   */
  @Override
  public synchronized void runRepeatable(Object shape, Runnable work) {
    bind();
    if (profiledSteps != null) markProfiledSteps();
    if (!stepTimed) {
      driver.recordEvent(stepBegins, stream);
      stepTimed = true;
    }
    if (!graphs.enabled() || stepRows > GRAPH_MAX_ROWS || scopeDepth == 0) {
      work.run();
      return;
    }
    graphs.invalidateUnless(kvCacheTokens());
    GraphCache.Key key =
        new GraphCache.Key(
            shape,
            stepRows,
            stepMaxBlocks,
            stepStart,
            arena.mark(),
            arena.trace(),
            stepRowSeq,
            stepRowPos,
            stepSlots,
            stepBlockTables);
    graphs.run(key, work);
  }

  private void markProfiledSteps() {
    long step = repeatableSteps++;
    if (step == profiledSteps[0]) driver.profilerStart();
    if (step == profiledSteps[0] + profiledSteps[1]) driver.profilerStop();
  }

  /** {FIRST, COUNT} from the property's "FIRST:COUNT", or null when it is not set. */
  static long[] profiledSteps(String value) {
    if (value == null || value.isBlank()) return null;
    String[] parts = value.split(":");
    try {
      long first = Long.parseLong(parts[0].strip());
      long count = parts.length > 1 ? Long.parseLong(parts[1].strip()) : 1;
      if (parts.length > 2 || first < 0 || count < 1) throw new NumberFormatException();
      return new long[] {first, count};
    } catch (NumberFormatException e) {
      throw new UserError(
          "-D" + PROFILE_STEPS_PROPERTY + "=" + value + ": expected FIRST:COUNT, e.g. 50:1");
    }
  }

  /** How many steps replayed a recorded graph so far (for tests and --verbose). */
  public synchronized long graphReplays() {
    return graphs.replays();
  }

  // ---- weights ----

  @Override
  public synchronized void prepareWeights(long bytes, String model) {
    bind();
    long[] mem = driver.memoryInfo();
    if (bytes + WORKSPACE_RESERVE > mem[0]) {
      throw new UserError(
          model
              + " does not fit on "
              + info.name()
              + ": its weights need "
              + CudaDriver.gib(bytes)
              + " (plus 0.50 GiB of workspace), "
              + CudaDriver.gib(mem[0])
              + " of "
              + CudaDriver.gib(mem[1])
              + " are free");
    }
    // Vectors are held as fp32 here (up to twice their stored bytes): a little room beyond.
    weightMemory.reserve(Math.min(bytes + bytes / 100 + (64L << 20), mem[0] - WORKSPACE_RESERVE));
    // A null noun counts bytes; off a terminal, plain lines at a calm rate.
    loading = ProgressBar.onTerminal("loading weights to " + info.label(), null);
    loading.start(bytes, 0);
  }

  @Override
  public synchronized void weightsLoaded() {
    if (loading != null) loading.close();
    loading = null;
  }

  @Override
  public long freeBytes() {
    return freeMemory();
  }

  @Override
  public synchronized long deviceBytesInUse() {
    bind();
    long[] mem = driver.memoryInfo();
    return mem[1] - mem[0];
  }

  /** Two transfers per memory clock (DDR) across the bus: 3.35 TB/s for an H100 SXM. */
  @Override
  public synchronized double memoryBandwidthGBs() {
    bind();
    try {
      double clockHz =
          1e3 * driver.attribute(device, CudaDriver.CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE);
      int busBits =
          driver.attribute(device, CudaDriver.CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH);
      return clockHz > 0 && busBits > 0 ? 2 * clockHz * busBits / 8 / 1e9 : Double.NaN;
    } catch (CudaException e) {
      return Double.NaN; // a driver that no longer reports it: no roofline, the rest stands
    }
  }

  /** Free device memory now. */
  public synchronized long freeMemory() {
    bind();
    return driver.memoryInfo()[0];
  }

  /** Device bytes a stored tensor takes here: matrices as bf16, vectors as fp32. */
  public static long deviceBytes(StoredTensor t) {
    return t.rank() == 2 ? 2L * t.elementCount() : 4L * t.elementCount();
  }

  @Override
  public synchronized Weight weight(StoredTensor stored) {
    bind();
    int rows = stored.rank() == 2 ? stored.dim(0) : 1;
    int cols = stored.rank() == 2 ? stored.dim(1) : stored.dim(0);
    long bytes = deviceBytes(stored);
    long p = weightMemory.take(bytes, "weight " + stored.name());
    if (stored.rank() == 2) uploadMatrix(stored, p);
    else uploadVector(stored, p);
    if (loading != null) loading.advance(bytes);
    return new CudaWeight(p, rows, cols, stored.rank() == 2);
  }

  /** bf16 from the memory map as it is; other dtypes rounded to bf16 (RNE) a slab at a time. */
  private void uploadMatrix(StoredTensor t, long dst) {
    long n = t.elementCount();
    if (t.dtype() == DType.BF16) {
      long slab = 64L << 20;
      for (long off = 0; off < 2 * n; off += slab) {
        long len = Math.min(slab, 2 * n - off);
        driver.copyToDevice(dst + off, t.data().asSlice(off, len), len);
      }
      return;
    }
    long slabElems = 16L << 20;
    try (Arena a = Arena.ofConfined()) {
      MemorySegment buf = a.allocate(2 * Math.min(n, slabElems), 2);
      for (long off = 0; off < n; off += slabElems) {
        long len = Math.min(slabElems, n - off);
        for (long i = 0; i < len; i++) {
          buf.setAtIndex(JAVA_SHORT, i, SafeTensorsWriter.toBf16(t.get(off + i)));
        }
        driver.copyToDevice(dst + 2 * off, buf, 2 * len);
      }
    }
  }

  private void uploadVector(StoredTensor t, long dst) {
    float[] v = t.toFloatArray();
    for (int i = 0; i < v.length; i++) v[i] = bf16Value(v[i]);
    upload(dst, v);
  }

  private static float bf16Value(float v) {
    return Float.intBitsToFloat((SafeTensorsWriter.toBf16(v) & 0xffff) << 16);
  }

  // ---- transfers ----

  @Override
  public synchronized Tensor allocate(int rows, int cols) {
    bind();
    return new CudaTensor(arena.allocate(4L * rows * cols), rows, cols);
  }

  @Override
  public void writeRow(Tensor dst, int row, float[] values) {
    writeRows(dst, row, new float[][] {values});
  }

  @Override
  public synchronized void writeRows(Tensor dst, int firstRow, float[][] rows) {
    bind();
    CudaTensor t = ((CudaTensor) dst).mutable();
    if (firstRow < 0 || firstRow + rows.length > t.rows()) {
      throw new IllegalArgumentException("rows " + firstRow + "+" + rows.length);
    }
    try (Arena a = Arena.ofConfined()) {
      MemorySegment buf = a.allocate(4L * rows.length * t.cols(), 4);
      for (int r = 0; r < rows.length; r++) {
        if (rows[r].length != t.cols()) {
          throw new IllegalArgumentException("row length " + rows[r].length);
        }
        MemorySegment.copy(rows[r], 0, buf, JAVA_FLOAT, 4L * r * t.cols(), t.cols());
      }
      driver.copyToDevice(t.row(firstRow), buf, buf.byteSize());
    }
  }

  @Override
  public float[] readRow(Tensor src, int row) {
    CudaTensor t = (CudaTensor) src;
    return readRows(new CudaTensor(t.row(row), 1, t.cols()))[0];
  }

  @Override
  public synchronized float[][] readRows(Tensor src) {
    bind();
    CudaTensor t = (CudaTensor) src;
    float[][] out = new float[t.rows()][t.cols()];
    try (Arena a = Arena.ofConfined()) {
      MemorySegment buf = a.allocate(Math.max(4, t.bytes()), 4);
      driver.copyToHost(buf, t.pointer(), t.bytes());
      for (int r = 0; r < out.length; r++) {
        MemorySegment.copy(buf, JAVA_FLOAT, 4L * r * t.cols(), out[r], 0, t.cols());
      }
    }
    return out;
  }

  private void upload(long dst, float[] values) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment buf = a.allocateFrom(JAVA_FLOAT, values);
      driver.copyToDevice(dst, buf, buf.byteSize());
    }
  }

  private long uploadToArena(int[] values) {
    long p = arena.allocate(4L * Math.max(1, values.length));
    try (Arena a = Arena.ofConfined()) {
      MemorySegment buf = a.allocateFrom(JAVA_INT, values);
      driver.copyToDevice(p, buf, buf.byteSize());
    }
    return p;
  }

  // ---- operations ----

  /**
   * As a bf16 model's embedding module: the scale rounded to bf16 (Gemma's √d: 73.32 → 73.5 for d =
   * 5376, the contract's known trap) and the products rounded to bf16.
   */
  @Override
  public synchronized void embed(Weight table, int[] ids, float scale, Tensor dst, int firstRow) {
    bind();
    CudaWeight w = (CudaWeight) table;
    CudaTensor out = (CudaTensor) dst;
    if (ids.length == 0) return;
    long idsDevice = uploadToArena(ids);
    kernels.launch(
        "embed_rows",
        ids.length,
        1,
        THREADS,
        w.pointer(),
        idsDevice,
        bf16Value(scale),
        out.row(firstRow),
        w.cols());
  }

  @Override
  public synchronized Tensor matmul(Tensor x, Weight w, Weight bias) {
    return matmuls(x, new Weight[] {w}, new Weight[] {bias})[0];
  }

  /** The input is rounded to bf16 once for all the weights. */
  @Override
  public synchronized Tensor[] matmuls(Tensor x, Weight[] ws, Weight[] biases) {
    bind();
    CudaTensor in = (CudaTensor) x;
    long xb = bf16Operand(in);
    if (ws.length > 1 && ws.length <= 3 && in.rows() > 0 && stacked(ws, in.cols())) {
      return stackedMatmuls(in, xb, ws, biases);
    }
    Tensor[] outs = new Tensor[ws.length];
    for (int i = 0; i < ws.length; i++) {
      CudaWeight w = (CudaWeight) ws[i];
      if (!w.matrix() || w.cols() != in.cols()) {
        throw new IllegalArgumentException("matmul: " + in.cols() + " vs weight cols " + w.cols());
      }
      CudaTensor y = new CudaTensor(arena.allocate(4L * in.rows() * w.rows()), in.rows(), w.rows());
      if (in.rows() > 0) product(xb, w.pointer(), y.pointer(), in.rows(), in.cols(), w.rows());
      if (biases[i] != null) {
        long m = (long) y.rows() * y.cols();
        kernels.launch(
            "add_bias",
            blocks(m),
            1,
            THREADS,
            y.pointer(),
            ((CudaWeight) biases[i]).pointer(),
            m,
            y.cols());
      }
      outs[i] = y;
    }
    return outs;
  }

  /**
   * {@code y[n, out] = x[n, in] · w[out, in]ᵀ}, bf16 operands, fp32 accumulation and output: a few
   * rows (decoding) on gemv_bf16, the rest on cuBLAS.
   */
  private void product(long x, long w, long y, int n, int in, int out) {
    if (gemvApplies(x, w, n, in)) {
      gemv(x, w, y, n, in, out, false);
    } else {
      cublas.matmulBf16(x, w, y, n, in, out);
    }
  }

  /** gemv_bf16: y = x·wᵀ, or y += x·wᵀ with {@code accumulate}. */
  private void gemv(long x, long w, long y, int n, int in, int out, boolean accumulate) {
    kernels.launch(
        "gemv_bf16", gemvBlocks(out), 1, GEMV_THREADS, x, w, y, n, in, out, accumulate ? 1 : 0);
  }

  /** The gemv kernels' grid: one warp per output column, GEMV_THREADS / 32 warps a block. */
  private static int gemvBlocks(int outputs) {
    int warpsPerBlock = GEMV_THREADS / 32;
    return (outputs + warpsPerBlock - 1) / warpsPerBlock;
  }

  /** A few rows: the product is added to acc as gemv_bf16 writes it (no add_in_place launch). */
  @Override
  public synchronized void addMatmul(Tensor acc, Tensor x, Weight w) {
    bind();
    CudaTensor a = ((CudaTensor) acc).mutable();
    CudaTensor in = (CudaTensor) x;
    CudaWeight cw = (CudaWeight) w;
    if (!fusions
        || !cw.matrix()
        || cw.cols() != in.cols()
        || a.rows() != in.rows()
        || a.cols() != cw.rows()) {
      Backend.super.addMatmul(acc, x, w);
      return;
    }
    long xb = bf16Operand(in);
    if (!gemvApplies(xb, cw.pointer(), in.rows(), in.cols())) {
      Backend.super.addMatmul(acc, x, w);
      return;
    }
    if (in.rows() > 0) gemv(xb, cw.pointer(), a.pointer(), in.rows(), in.cols(), cw.rows(), true);
  }

  /** Whether a product of n rows runs on our gemv kernels (16-byte rows, a few of them). */
  private boolean gemvApplies(long x, long w, int n, int in) {
    return gemv && n <= GEMV_ROWS_MAX && in % 8 == 0 && x % 16 == 0 && w % 16 == 0;
  }

  /** A product's operand: the tensor's bf16 copy, or one made now. */
  private long bf16Operand(CudaTensor in) {
    if (in.bf16() != 0) return in.bf16();
    long n = (long) in.rows() * in.cols();
    long xb = arena.allocate(2 * n);
    kernels.launch("to_bf16", blocks(n), 1, THREADS, in.pointer(), xb, n);
    return xb;
  }

  /**
   * Whether the matrices lie one after another in device memory with the same input width: then
   * they are one [Σ rows, cols] matrix, and one product serves them all (one launch, and a longer
   * product keeps more of the GPU busy at small batches).
   */
  private static boolean stacked(Weight[] ws, int cols) {
    for (int i = 0; i < ws.length; i++) {
      CudaWeight w = (CudaWeight) ws[i];
      if (!w.matrix() || w.cols() != cols) return false;
      if (i > 0) {
        CudaWeight prev = (CudaWeight) ws[i - 1];
        if (prev.pointer() + 2L * prev.rows() * prev.cols() != w.pointer()) return false;
      }
    }
    return true;
  }

  /** One product against the stacked weights, split into each weight's output plus its bias. */
  private Tensor[] stackedMatmuls(CudaTensor in, long xb, Weight[] ws, Weight[] biases) {
    int total = 0;
    for (Weight w : ws) total += ((CudaWeight) w).rows();
    long all = arena.allocate(4L * in.rows() * total);
    product(xb, ((CudaWeight) ws[0]).pointer(), all, in.rows(), in.cols(), total);
    Tensor[] outs = new Tensor[ws.length];
    Object[] args = new Object[2 + 3 * 3];
    args[0] = all;
    args[1] = (long) in.rows();
    for (int i = 0; i < 3; i++) {
      CudaWeight w = i < ws.length ? (CudaWeight) ws[i] : null;
      CudaTensor out =
          w == null
              ? null
              : new CudaTensor(arena.allocate(4L * in.rows() * w.rows()), in.rows(), w.rows());
      if (out != null) outs[i] = out;
      args[2 + 3 * i] = out == null ? 0L : out.pointer();
      args[3 + 3 * i] = w == null || biases[i] == null ? 0L : ((CudaWeight) biases[i]).pointer();
      args[4 + 3 * i] = w == null ? 0 : w.rows();
    }
    kernels.launch("split_columns", blocks((long) in.rows() * total), 1, THREADS, args);
    return outs;
  }

  /** The heads qkv_heads handles at most (its warps' shared rows). */
  private static final int QKV_HEAD_MAX = 256;

  private static final int QKV_WARPS = 4;

  /**
   * One product against the stacked q/k/v weights and one {@code qkv_heads} pass over its output
   * (bias, per-head norms, rotation, the keys and values into the cache), then the attention
   * kernels, where the default makes a launch of each.
   */
  @Override
  public synchronized Tensor selfAttention(
      Tensor x,
      QkvProjection p,
      int[] positions,
      float[] invFreq,
      List<AttentionSlice> batch,
      AttentionParams params) {
    bind();
    CudaTensor in = (CudaTensor) x;
    CudaWeight wq = (CudaWeight) p.q();
    CudaWeight wk = (CudaWeight) p.k();
    int headDim = p.headDim();
    if (!fusions
        || in.rows() == 0
        || headDim != params.headDim()
        || headDim > QKV_HEAD_MAX
        || headDim % 2 != 0
        || wq.rows() != params.numHeads() * headDim
        || wk.rows() != params.numKvHeads() * headDim
        || ((CudaWeight) p.v()).rows() != wk.rows()
        || !stacked(p.weights(), in.cols())) {
      return Backend.super.selfAttention(x, p, positions, invFreq, batch, params);
    }
    checkAttention(in.rows(), params);
    int rows = in.rows();
    int heads = params.numHeads();
    int kvHeads = params.numKvHeads();
    long all = arena.allocate(4L * rows * (wq.rows() + 2L * wk.rows()));
    product(bf16Operand(in), wq.pointer(), all, rows, in.cols(), wq.rows() + 2 * wk.rows());
    CudaTensor q = new CudaTensor(arena.allocate(4L * rows * wq.rows()), rows, wq.rows());
    KvBlockPool kv = ((CudaKvCache) batch.getFirst().cache()).pool();
    kernels.launch(
        "qkv_heads",
        rows,
        (heads + 2 * kvHeads + QKV_WARPS - 1) / QKV_WARPS,
        32 * QKV_WARPS,
        all,
        pointerOrNull(p.qBias()),
        pointerOrNull(p.kBias()),
        pointerOrNull(p.vBias()),
        pointerOrNull(p.qNorm()),
        pointerOrNull(p.kNorm()),
        p.normEps(),
        p.normAddsOne() ? 1 : 0,
        positionsPointer(positions),
        frequenciesOnDevice(invFreq),
        heads,
        kvHeads,
        headDim,
        q.pointer(),
        stepSlots,
        kv.keys[params.layer()],
        kv.values[params.layer()]);
    return attend(q, kv, params);
  }

  private static long pointerOrNull(Weight w) {
    return w == null ? 0L : ((CudaWeight) w).pointer();
  }

  @Override
  public synchronized Tensor gatedMatmul(Tensor x, Weight gate, Weight up, Activation act) {
    bind();
    CudaTensor in = (CudaTensor) x;
    CudaWeight g = (CudaWeight) gate;
    if (in.rows() == 0
        || !stacked(new Weight[] {gate, up}, in.cols())
        || g.rows() != ((CudaWeight) up).rows()) {
      Tensor[] gu = matmuls(x, new Weight[] {gate, up}, new Weight[] {null, null});
      return gatedActivation(gu[0], gu[1], act);
    }
    long xb = bf16Operand(in);
    int ff = g.rows();
    if (fusions && gemvApplies(xb, g.pointer(), in.rows(), in.cols())) {
      // A few rows: each warp reads a gate row and its up row and writes the activation directly.
      CudaTensor out = withBf16(in.rows(), ff, true);
      kernels.launch(
          "gemv_gated_bf16",
          gemvBlocks(ff),
          1,
          GEMV_THREADS,
          xb,
          g.pointer(),
          out.pointer(),
          out.bf16(),
          in.rows(),
          in.cols(),
          ff,
          act == Activation.SILU ? 0 : 1);
      return out;
    }
    long both = arena.allocate(4L * in.rows() * 2 * ff);
    product(xb, g.pointer(), both, in.rows(), in.cols(), 2 * ff);
    // The output feeds down_proj: its bf16 copy is written too.
    CudaTensor out = withBf16(in.rows(), ff, true);
    long m = (long) in.rows() * ff;
    kernels.launch(
        "gated_activation_stacked",
        blocks(m),
        1,
        THREADS,
        both,
        out.pointer(),
        out.bf16(),
        (long) in.rows(),
        ff,
        act == Activation.SILU ? 0 : 1);
    return out;
  }

  @Override
  public synchronized Tensor gatherRows(Tensor x, int[] rows) {
    bind();
    CudaTensor in = (CudaTensor) x;
    CudaTensor out =
        new CudaTensor(arena.allocate(4L * rows.length * in.cols()), rows.length, in.cols());
    if (rows.length == 0) return out;
    long rowsDevice = uploadToArena(rows);
    kernels.launch(
        "gather_rows", rows.length, 1, THREADS, in.pointer(), rowsDevice, out.pointer(), in.cols());
    return out;
  }

  @Override
  public synchronized Tensor rmsNorm(Tensor x, Weight w, int groupSize, float eps, boolean addOne) {
    bind();
    CudaTensor in = (CudaTensor) x;
    // A whole-row norm feeds a product (q/k/v, gate/up, lm_head): its bf16 copy is written too.
    CudaTensor out = withBf16(in.rows(), in.cols(), groupSize == in.cols());
    int groups = (int) ((long) in.rows() * in.cols() / groupSize);
    if (groups == 0) return out;
    kernels.launch(
        "rms_norm",
        groups,
        1,
        normThreads(groupSize),
        in.pointer(),
        ((CudaWeight) w).pointer(),
        out.pointer(),
        out.bf16(),
        groupSize,
        eps,
        addOne ? 1 : 0);
    return out;
  }

  /** The residual add and the norm after it in one kernel (the same sums as the two apart). */
  @Override
  public synchronized Tensor addAndNorm(Tensor acc, Tensor x, Weight w, float eps, boolean addOne) {
    bind();
    CudaTensor a = ((CudaTensor) acc).mutable();
    CudaTensor out = withBf16(a.rows(), a.cols(), true);
    if (a.rows() == 0) return out;
    kernels.launch(
        "add_rms_norm",
        a.rows(),
        1,
        normThreads(a.cols()),
        a.pointer(),
        ((CudaTensor) x).pointer(),
        ((CudaWeight) w).pointer(),
        out.pointer(),
        out.bf16(),
        a.cols(),
        eps,
        addOne ? 1 : 0);
    return out;
  }

  /**
   * A norm's block: one thread per load (four values where the group allows, see rms_norm), up to
   * 1024, so that at batch 1 each thread makes one or two trips rather than a dozen dependent ones.
   */
  private static int normThreads(int groupSize) {
    int loads = groupSize % 4 == 0 ? groupSize / 4 : groupSize;
    return Math.min(NORM_THREADS_MAX, (loads + 31) / 32 * 32);
  }

  /** A new [rows, cols] tensor, with room for its bf16 copy when {@code bf16}. */
  private CudaTensor withBf16(int rows, int cols, boolean bf16) {
    long n = (long) rows * cols;
    long p = arena.allocate(4 * n);
    return new CudaTensor(p, rows, cols, bf16 ? arena.allocate(2 * n) : 0);
  }

  @Override
  public synchronized void rope(Tensor x, int headDim, int[] positions, float[] invFreq) {
    bind();
    CudaTensor t = ((CudaTensor) x).mutable();
    if (t.rows() == 0) return;
    kernels.launch(
        "rope",
        t.rows(),
        1,
        THREADS,
        t.pointer(),
        positionsPointer(positions),
        frequenciesOnDevice(invFreq),
        t.cols() / headDim,
        headDim);
  }

  /**
   * {@code positions} on the device: the step's, uploaded by prepareStep, when they are these; else
   * uploaded now.
   */
  private long positionsPointer(int[] positions) {
    return isStepPositions(positions) ? stepRowPos : positionsOnDevice(positions);
  }

  /**
   * Whether {@code positions} are the step's (then already on the device): the model passes one
   * array for the q and k of every layer, so its contents are compared once per step.
   */
  private boolean isStepPositions(int[] positions) {
    if (positions == stepPositionsSeen) return true;
    if (!java.util.Arrays.equals(positions, stepRowPosHost)) return false;
    stepPositionsSeen = positions;
    return true;
  }

  /**
   * The step's positions, uploaded once for the q and k of every layer (the model passes one
   * array).
   */
  private long positionsOnDevice(int[] positions) {
    if (positions != ropePositions) {
      if (positions.length > ropePositionsCapacity) {
        if (ropePositionsDevice != 0) driver.free(ropePositionsDevice);
        ropePositionsCapacity = Math.max(1024, positions.length);
        ropePositionsDevice = driver.malloc(4L * ropePositionsCapacity, "positions");
      }
      try (Arena a = Arena.ofConfined()) {
        MemorySegment buf = a.allocateFrom(JAVA_INT, positions);
        driver.copyToDevice(ropePositionsDevice, buf, buf.byteSize());
      }
      ropePositions = positions;
    }
    return ropePositionsDevice;
  }

  private long frequenciesOnDevice(float[] invFreq) {
    Long p = uploadedFrequencies.get(invFreq);
    if (p == null) {
      p = driver.malloc(4L * invFreq.length, "rotary frequencies");
      upload(p, invFreq);
      uploadedFrequencies.put(invFreq, p);
    }
    return p;
  }

  /**
   * Lays out the step's new tokens in their caches: each sequence gets blocks for its new
   * positions, and the per-row sequence index, position and slot, with every sequence's block
   * table, go to the device once for all layers.
   */
  @Override
  public synchronized void prepareStep(List<AttentionSlice> batch) {
    bind();
    int rows = 0;
    int maxBlocks = 1;
    for (AttentionSlice s : batch) {
      CudaKvCache c = (CudaKvCache) s.cache();
      c.ensure(c.length() + s.count());
      rows += s.count();
      maxBlocks = Math.max(maxBlocks, c.blockCount());
    }
    maxBlocks = (maxBlocks + BLOCK_TABLE_STEP - 1) / BLOCK_TABLE_STEP * BLOCK_TABLE_STEP;
    int[] rowSeq = new int[rows];
    int[] rowPos = new int[rows];
    int[] slots = new int[rows];
    int[] tables = new int[batch.size() * maxBlocks];
    for (int s = 0; s < batch.size(); s++) {
      AttentionSlice slice = batch.get(s);
      CudaKvCache c = (CudaKvCache) slice.cache();
      for (int i = 0; i < slice.count(); i++) {
        int r = slice.firstRow() + i;
        rowSeq[r] = s;
        rowPos[r] = c.length() + i;
        slots[r] = c.slot(c.length() + i);
      }
      for (int b = 0; b < c.blockCount(); b++) tables[s * maxBlocks + b] = c.block(b);
    }
    // One copy for the four (each copy from the host is a round trip to the GPU).
    int[] layout = new int[3 * rows + tables.length];
    System.arraycopy(rowSeq, 0, layout, 0, rows);
    System.arraycopy(rowPos, 0, layout, rows, rows);
    System.arraycopy(slots, 0, layout, 2 * rows, rows);
    System.arraycopy(tables, 0, layout, 3 * rows, tables.length);
    long uploaded = uploadToArena(layout);
    stepRowSeq = uploaded;
    stepRowPos = uploaded + 4L * rows;
    stepSlots = uploaded + 8L * rows;
    stepBlockTables = uploaded + 12L * rows;
    stepRowPosHost = rowPos;
    stepPositionsSeen = null;
    stepMaxBlocks = maxBlocks;
    stepRows = rows;
  }

  @Override
  public synchronized Tensor attention(
      Tensor q, Tensor k, Tensor v, List<AttentionSlice> batch, AttentionParams p) {
    bind();
    CudaTensor qt = (CudaTensor) q;
    CudaTensor kt = (CudaTensor) k;
    CudaTensor vt = (CudaTensor) v;
    checkAttention(qt.rows(), p);
    KvBlockPool kv = ((CudaKvCache) batch.getFirst().cache()).pool();
    if (qt.rows() > 0) {
      kernels.launch(
          "kv_store",
          kt.rows(),
          1,
          THREADS,
          kt.pointer(),
          vt.pointer(),
          stepSlots,
          kv.keys[p.layer()],
          kv.values[p.layer()],
          p.numKvHeads() * p.headDim());
    }
    return attend(qt, kv, p);
  }

  private void checkAttention(int rows, AttentionParams p) {
    if (rows != stepRows) {
      throw new IllegalStateException("attention before prepareStep for this batch");
    }
    if (p.headDim() > 256) {
      throw new UserError(
          "--device cuda: head dimension " + p.headDim() + " > 256 is not supported");
    }
  }

  /** Each query row of q over its sequence's cache, which holds the step's keys and values. */
  private CudaTensor attend(CudaTensor qt, KvBlockPool kv, AttentionParams p) {
    // The output feeds o_proj: its bf16 copy is written too.
    CudaTensor out = withBf16(qt.rows(), qt.cols(), true);
    if (qt.rows() == 0) return out;
    int splits = attentionSplits(qt.rows(), p.numHeads());
    // The arguments every attention kernel starts with: the queries, this layer's cache, the step's
    // layout and the attention's parameters.
    List<Object> args =
        new ArrayList<>(
            List.of(
                qt.pointer(),
                kv.keys[p.layer()],
                kv.values[p.layer()],
                stepRowSeq,
                stepRowPos,
                stepBlockTables,
                stepMaxBlocks,
                KvBlockPool.BLOCK,
                p.numHeads(),
                p.numKvHeads(),
                p.headDim(),
                p.scale(),
                p.window(),
                p.softcap()));
    int group = p.numHeads() / p.numKvHeads();
    if (splits == 1 && attendsGrouped(p.headDim(), group)) {
      args.addAll(List.of(out.pointer(), out.bf16()));
      kernels.launch(
          "attention_grouped" + group,
          qt.rows(),
          p.numKvHeads(),
          ATTENTION_THREADS,
          args.toArray());
      return out;
    }
    args.add(eightKeyAttention ? 1 : 0);
    if (splits == 1) {
      args.addAll(List.of(out.pointer(), out.bf16()));
      kernels.launch("attention", qt.rows(), p.numHeads(), ATTENTION_THREADS, args.toArray());
      return out;
    }
    long parts = (long) qt.rows() * p.numHeads() * splits;
    long partMax = arena.allocate(4 * parts);
    long partSum = arena.allocate(4 * parts);
    long partAcc = arena.allocate(4 * parts * p.headDim());
    args.addAll(List.of(splits, partMax, partSum, partAcc));
    kernels.launch(
        "attention_split", qt.rows(), p.numHeads() * splits, ATTENTION_THREADS, args.toArray());
    kernels.launch(
        "attention_merge",
        qt.rows(),
        p.numHeads(),
        ATTENTION_THREADS,
        partMax,
        partSum,
        partAcc,
        p.numHeads(),
        p.headDim(),
        splits,
        out.pointer(),
        out.bf16());
    return out;
  }

  /**
   * Whether a block attends all the query heads of a key-value head ({@link
   * #GROUPED_ATTENTION_PROPERTY}): with eight-key attention, whose head dimensions are 32 times 1,
   * 2, 4 or 8, and where {@code group} query heads share a key-value head and have a kernel.
   */
  private boolean attendsGrouped(int headDim, int group) {
    boolean eightKeyDim = headDim == 32 || headDim == 64 || headDim == 128 || headDim == 256;
    boolean hasKernel = false;
    for (int g : GROUPED_ATTENTION_SIZES) hasKernel |= g == group;
    return groupedAttention && eightKeyAttention && eightKeyDim && hasKernel;
  }

  /** The attention kernels' block: ATTN_WARPS warps. */
  private static final int ATTENTION_THREADS = 128;

  /** No more than this many key ranges per (row, head) when the keys are split across blocks. */
  private static final int MAX_ATTENTION_SPLITS = 16;

  /**
   * How many blocks attend each (row, head): one when the step has rows enough to keep every SM
   * busy with two blocks (prefill, large batches); else the keys split across blocks (decoding at
   * small batches would otherwise leave most of the GPU idle while a few blocks walk the cache).
   * The count depends on the step's shape only, so a recorded step replays the same launches.
   */
  private int attentionSplits(int rows, int heads) {
    long blocksWanted = 2L * info.multiprocessors();
    long blocks = (long) rows * heads;
    if (blocks >= blocksWanted) return 1;
    int maxByLength = Math.max(1, stepMaxBlocks * KvBlockPool.BLOCK / 64);
    return (int)
        Math.min(Math.min(MAX_ATTENTION_SPLITS, maxByLength), (blocksWanted + blocks - 1) / blocks);
  }

  @Override
  public synchronized Tensor gatedActivation(Tensor gate, Tensor up, Activation act) {
    bind();
    CudaTensor g = (CudaTensor) gate;
    // The output feeds down_proj: its bf16 copy is written too.
    CudaTensor out = withBf16(g.rows(), g.cols(), true);
    long n = (long) g.rows() * g.cols();
    kernels.launch(
        "gated_activation",
        blocks(n),
        1,
        THREADS,
        g.pointer(),
        ((CudaTensor) up).pointer(),
        out.pointer(),
        out.bf16(),
        n,
        act == Activation.SILU ? 0 : 1);
    return out;
  }

  @Override
  public synchronized void addInPlace(Tensor acc, Tensor x) {
    bind();
    CudaTensor a = ((CudaTensor) acc).mutable();
    long n = (long) a.rows() * a.cols();
    kernels.launch(
        "add_in_place", blocks(n), 1, THREADS, a.pointer(), ((CudaTensor) x).pointer(), n);
  }

  @Override
  public synchronized void softcapInPlace(Tensor x, float cap) {
    bind();
    CudaTensor t = ((CudaTensor) x).mutable();
    long n = (long) t.rows() * t.cols();
    kernels.launch("softcap", blocks(n), 1, THREADS, t.pointer(), cap, n);
  }

  /**
   * Biases added and every row chosen on the GPU, so only ids come back: greedy rows by {@code
   * argmax_rows}, sampled rows (temperature > 0) by {@code sample_rows} at the request's own
   * uniform, the token {@link nla.backend.Sampler#sample} draws from the same logits.
   */
  @Override
  public synchronized int[] chooseTokens(Tensor logits, List<TokenChoice> choices) {
    bind();
    CudaTensor t = (CudaTensor) logits;
    int n = t.rows();
    int vocab = t.cols();
    if (n == 0) return new int[0];
    addLogitBiases(t, choices);
    long out = arena.allocate(4L * n);
    int sampled = 0;
    for (TokenChoice c : choices) if (!c.greedy()) sampled++;
    if (sampled < n) kernels.launch("argmax_rows", n, 1, 1024, t.pointer(), vocab, out);
    if (sampled > 0) sampleRows(t, choices, sampled, out);
    if (stepTimed) driver.recordEvent(stepEnds, stream);
    int[] tokens = downloadInts(out, n);
    if (stepTimed) {
      stepNanos += (long) (1e6 * driver.elapsedMillis(stepBegins, stepEnds));
      stepTimed = false;
    }
    return tokens;
  }

  @Override
  public synchronized long deviceStepNanos() {
    return stepNanos;
  }

  private void addLogitBiases(CudaTensor t, List<TokenChoice> choices) {
    int count = 0;
    for (TokenChoice c : choices) count += c.biasIds().length;
    if (count == 0) return;
    int[] rows = new int[count];
    int[] ids = new int[count];
    float[] values = new float[count];
    int e = 0;
    for (int r = 0; r < t.rows(); r++) {
      TokenChoice c = choices.get(r);
      for (int i = 0; i < c.biasIds().length; i++, e++) {
        rows[e] = r;
        ids[e] = c.biasIds()[i];
        values[e] = c.biasValues()[i];
      }
    }
    kernels.launch(
        "add_logit_bias",
        Math.max(1, Math.min(ELEMENTWISE_BLOCKS_MAX, (count + THREADS - 1) / THREADS)),
        1,
        THREADS,
        t.pointer(),
        uploadToArena(rows),
        uploadToArena(ids),
        uploadToArena(values),
        count,
        t.cols());
  }

  /** {@code sample_rows}'s block (its kernel is correct for any size up to SAMPLE_THREADS). */
  private static final int SAMPLE_THREADS = 1024;

  /**
   * Blocks sampling at once: each holds vocab × 12 bytes of candidates (3.1 MB at Gemma's 262,208;
   * 100 MB for all of them), so more rows are taken in turn rather than each adding to the
   * workspace.
   */
  private static final int SAMPLE_BLOCKS_MAX = 32;

  /** Each sampled row's token into {@code out[row]}; its parameters go up in one transfer. */
  private void sampleRows(CudaTensor t, List<TokenChoice> choices, int sampled, long out) {
    double[] params = new double[5 * sampled];
    int j = 0;
    for (int r = 0; r < t.rows(); r++) {
      TokenChoice c = choices.get(r);
      if (c.greedy()) continue;
      params[j++] = r;
      params[j++] = c.temperature();
      params[j++] = c.topP();
      params[j++] = c.topK();
      params[j++] = c.uniform();
    }
    int blocks = Math.min(sampled, SAMPLE_BLOCKS_MAX);
    long scratchValues = (long) blocks * t.cols();
    kernels.launch(
        "sample_rows",
        blocks,
        1,
        SAMPLE_THREADS,
        t.pointer(),
        t.cols(),
        uploadToArena(params),
        sampled,
        arena.allocate(8 * scratchValues),
        arena.allocate(4 * scratchValues),
        out);
  }

  private long uploadToArena(float[] values) {
    long p = arena.allocate(4L * Math.max(1, values.length));
    upload(p, values);
    return p;
  }

  private long uploadToArena(double[] values) {
    long p = arena.allocate(8L * Math.max(1, values.length));
    try (Arena a = Arena.ofConfined()) {
      MemorySegment buf = a.allocateFrom(JAVA_DOUBLE, values);
      driver.copyToDevice(p, buf, buf.byteSize());
    }
    return p;
  }

  private int[] downloadInts(long src, int n) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment buf = a.allocate(4L * Math.max(1, n), 4);
      driver.copyToHost(buf, src, 4L * n);
      return buf.toArray(JAVA_INT);
    }
  }

  @Override
  public synchronized KvCache newCache(int layers, int kvHeads, int headDim) {
    bind();
    int kvDim = kvHeads * headDim;
    KvBlockPool pool =
        pools.computeIfAbsent(
            ((long) layers << 32) | kvDim, k -> new KvBlockPool(driver, layers, kvDim));
    return new CudaKvCache(pool);
  }

  /** Tokens the KV cache holds now (it grows on demand), for --verbose. */
  public synchronized long kvCacheTokens() {
    long blocks = 0;
    for (KvBlockPool p : pools.values()) blocks += p.capacityBlocks();
    return blocks * KvBlockPool.BLOCK;
  }

  private static int blocks(long n) {
    return (int) Math.max(1, Math.min(ELEMENTWISE_BLOCKS_MAX, (n + THREADS - 1) / THREADS));
  }

  @Override
  public synchronized void close() {
    bind();
    driver.synchronize();
    graphs.close();
    for (KvBlockPool p : pools.values()) p.close();
    arena.close();
    weightMemory.close();
    for (long p : uploadedFrequencies.values()) driver.free(p);
    uploadedFrequencies.clear();
    if (ropePositionsDevice != 0) driver.free(ropePositionsDevice);
    cublas.close();
    driver.destroyEvent(stepBegins);
    driver.destroyEvent(stepEnds);
    driver.free(cublasWorkspace);
    driver.destroyStream(stream);
    driver.releasePrimaryContext(device);
  }
}
