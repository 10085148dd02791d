package nla.backend.cpu;

import java.util.List;
import nla.backend.Activation;
import nla.backend.AttentionParams;
import nla.backend.AttentionSlice;
import nla.backend.Backend;
import nla.backend.KvCache;
import nla.backend.Tensor;
import nla.backend.Weight;
import nla.io.DType;
import nla.io.StoredTensor;
import nla.io.UserError;

/**
 * The CPU backend: Vector API kernels on a fixed pool of threads. Matrix products read each weight
 * row once per call and apply it to every token of the batch, so a decode step over B sequences
 * streams the weights once, not B times.
 */
public final class CpuBackend implements Backend {
  private final int threads;
  private final WorkerPool pool;
  private final boolean bf16Activations;

  public CpuBackend() {
    this(Runtime.getRuntime().availableProcessors());
  }

  public CpuBackend(int threads) {
    this(threads, false);
  }

  /**
   * With {@code bf16Activations}, the opt-in reduced-precision mode: bf16 weight products take
   * their activations rounded to bf16 and run on the CPU's AMX tiles ({@link Amx}), accumulating in
   * fp32. It is two to three times faster on many tokens at once and no longer matches
   * transformers' fp32 results bit for bit (its bounds: {@code CpuBackendTest}, {@code
   * Bf16ModeTest}).
   */
  public CpuBackend(int threads, boolean bf16Activations) {
    if (bf16Activations && Amx.unavailableReason() != null) {
      throw new UserError("bf16 mode is unavailable: " + Amx.unavailableReason());
    }
    this.threads = Math.max(1, threads);
    this.pool = new WorkerPool(this.threads);
    this.bf16Activations = bf16Activations;
  }

  /** Null when the opt-in bf16 mode can run on this machine, else why not (one line). */
  public static String bf16Unavailable() {
    return Amx.unavailableReason();
  }

  public int threads() {
    return threads;
  }

  @Override
  public String describe() {
    return "cpu ("
        + threads
        + " threads, "
        + (bf16Activations ? "bf16 activations on AMX" : "fp32")
        + ")";
  }

  @Override
  public Weight weight(StoredTensor stored) {
    return new CpuWeight(stored);
  }

  @Override
  public Tensor allocate(int rows, int cols) {
    return new CpuTensor(rows, cols);
  }

  @Override
  public void writeRow(Tensor dst, int row, float[] values) {
    CpuTensor t = (CpuTensor) dst;
    if (values.length != t.cols())
      throw new IllegalArgumentException("row length " + values.length);
    System.arraycopy(values, 0, t.data(), row * t.cols(), t.cols());
  }

  @Override
  public float[] readRow(Tensor src, int row) {
    CpuTensor t = (CpuTensor) src;
    float[] out = new float[t.cols()];
    System.arraycopy(t.data(), row * t.cols(), out, 0, t.cols());
    return out;
  }

  @Override
  public float[][] readRows(Tensor src) {
    CpuTensor t = (CpuTensor) src;
    float[][] out = new float[t.rows()][];
    parallelChunks(
        t.rows(),
        (long) t.rows() * t.cols(),
        (from, to) -> {
          for (int r = from; r < to; r++) out[r] = readRow(src, r);
        });
    return out;
  }

  @Override
  public void embed(Weight table, int[] ids, float scale, Tensor dst, int firstRow) {
    CpuWeight w = (CpuWeight) table;
    CpuTensor out = (CpuTensor) dst;
    int d = w.cols;
    float[] row = new float[d];
    for (int i = 0; i < ids.length; i++) {
      Kernels.decodeRow(w.data, w.dtype, ids[i], d, row, 0);
      int off = (firstRow + i) * d;
      for (int j = 0; j < d; j++) out.data()[off + j] = row[j] * scale;
    }
  }

  @Override
  public Tensor matmul(Tensor x, Weight w, Weight bias) {
    CpuTensor in = (CpuTensor) x;
    CpuWeight wt = (CpuWeight) w;
    if (in.cols() != wt.cols) {
      throw new IllegalArgumentException("matmul: " + in.cols() + " vs weight cols " + wt.cols);
    }
    if (wt.dtype == DType.BF16) return matmuls(x, new Weight[] {w}, new Weight[] {bias})[0];
    int n = in.rows();
    int k = wt.cols;
    int outDim = wt.rows;
    float[] b = bias == null ? null : ((CpuWeight) bias).vector;
    CpuTensor out = new CpuTensor(n, outDim);
    float[] xs = in.data();
    float[] ys = out.data();
    // Weight rows are widened four at a time and applied to the whole batch while in cache, so
    // the weights stream from memory once per call however many tokens the batch holds.
    parallelChunks(
        (outDim + 3) / 4,
        (fromGroup, toGroup) -> {
          float[] rows = new float[4 * k];
          float[] block = new float[16];
          for (int g = fromGroup; g < toGroup; g++) {
            int o0 = 4 * g;
            int nRows = Math.min(4, outDim - o0);
            for (int r = 0; r < nRows; r++) {
              Kernels.decodeRow(wt.data, wt.dtype, o0 + r, k, rows, r * k);
            }
            int t = 0;
            if (nRows == 4) {
              for (; t + 4 <= n; t += 4) {
                Kernels.dot4x4(rows, xs, t, k, block);
                for (int r = 0; r < 4; r++) {
                  float bo = b == null ? 0f : b[o0 + r];
                  for (int j = 0; j < 4; j++) ys[(t + j) * outDim + o0 + r] = block[r * 4 + j] + bo;
                }
              }
            }
            for (; t < n; t++) {
              for (int r = 0; r < nRows; r++) {
                float bo = b == null ? 0f : b[o0 + r];
                ys[t * outDim + o0 + r] = Kernels.dot(xs, t * k, rows, r * k, k) + bo;
              }
            }
          }
        });
    return out;
  }

  /**
   * Several products of the same input in one pass of the pool (q/k/v): bf16 weights go through
   * {@link Bf16Matmul}, straight from the memory map, each task a contiguous range of one weight's
   * rows.
   */
  @Override
  public Tensor[] matmuls(Tensor x, Weight[] ws, Weight[] biases) {
    CpuTensor in = (CpuTensor) x;
    for (Weight w : ws) {
      CpuWeight wt = (CpuWeight) w;
      if (wt.dtype != DType.BF16) return Backend.super.matmuls(x, ws, biases);
      if (in.cols() != wt.cols) {
        throw new IllegalArgumentException("matmul: " + in.cols() + " vs weight cols " + wt.cols);
      }
    }
    int n = in.rows();
    Prepared xp = prepare(in, ws);
    CpuTensor[] outs = new CpuTensor[ws.length];
    RowTasks tasks = new RowTasks();
    for (int i = 0; i < ws.length; i++) {
      outs[i] = new CpuTensor(n, ws[i].rows());
      tasks.add(i, ws[i].rows(), xp.granule());
    }
    pool.run(
        tasks.count,
        task -> {
          int i = tasks.weight[task];
          CpuWeight wt = (CpuWeight) ws[i];
          int r0 = tasks.from[task];
          int r1 = tasks.to[task];
          float[] y = outs[i].data();
          xp.rows(wt, r0, r1, y, r0, wt.rows);
          if (biases[i] != null) {
            float[] b = ((CpuWeight) biases[i]).vector;
            for (int t = 0; t < n; t++) {
              for (int r = r0; r < r1; r++) y[t * wt.rows + r] += b[r];
            }
          }
        });
    return outs;
  }

  /**
   * {@code act(x·gateᵀ) · (x·upᵀ)} in one pass: each task computes the same rows of both products
   * and applies the activation while they are in cache, so the MLP's elementwise step costs no
   * extra dispatch and is spread over the threads.
   */
  @Override
  public Tensor gatedMatmul(Tensor x, Weight gate, Weight up, Activation act) {
    CpuTensor in = (CpuTensor) x;
    CpuWeight g = (CpuWeight) gate;
    CpuWeight u = (CpuWeight) up;
    if (g.dtype != DType.BF16
        || u.dtype != DType.BF16
        || g.rows != u.rows
        || g.cols != in.cols()
        || u.cols != in.cols()) {
      return Backend.super.gatedMatmul(x, gate, up, act);
    }
    int n = in.rows();
    int ff = g.rows;
    Prepared xp = prepare(in, gate, up);
    CpuTensor out = new CpuTensor(n, ff);
    float[] od = out.data();
    RowTasks tasks = new RowTasks();
    tasks.add(0, ff, xp.granule());
    pool.run(
        tasks.count,
        task -> {
          int r0 = tasks.from[task];
          int r1 = tasks.to[task];
          int m = r1 - r0;
          float[] gs = new float[n * m];
          float[] us = new float[n * m];
          xp.rows(g, r0, r1, gs, 0, m);
          xp.rows(u, r0, r1, us, 0, m);
          for (int t = 0; t < n; t++) Kernels.gated(act, gs, t * m, us, t * m, od, t * ff + r0, m);
        });
    return out;
  }

  /** One call's activations, laid out once for the kernel that multiplies them. */
  private interface Prepared {
    /** Rows {@code [r0, r1)} of {@code x·wᵀ} into {@code y[t·yStride + yOff + (r - r0)]}. */
    void rows(CpuWeight w, int r0, int r1, float[] y, int yOff, int yStride);

    /** Row ranges handed to {@link #rows} start at multiples of this. */
    int granule();
  }

  /**
   * The AMX tiles in bf16 mode when every weight fits them, else {@link Bf16Matmul}'s pair layout.
   * bf16 mode takes the tiles for one token as for many, so a token's result still does not depend
   * on the batch.
   */
  private Prepared prepare(CpuTensor in, Weight... ws) {
    int n = in.rows(), k = in.cols();
    boolean tiles = bf16Activations; // Amx is not even loaded in the exact mode
    for (int i = 0; tiles && i < ws.length; i++) tiles = Amx.fits(ws[i].rows(), k);
    if (tiles) {
      int count = Amx.tiles(n, k);
      short[] packed = new short[count * 512];
      parallelChunks(
          count, (long) n * k, (from, to) -> Amx.pack(in.data(), n, k, packed, from, to));
      return new Prepared() {
        @Override
        public void rows(CpuWeight w, int r0, int r1, float[] y, int yOff, int yStride) {
          Amx.rows(w.data, r0, r1, k, packed, n, y, yOff, yStride);
        }

        @Override
        public int granule() {
          return 32;
        }
      };
    }
    float[] xp = pairLayout(in);
    return new Prepared() {
      @Override
      public void rows(CpuWeight w, int r0, int r1, float[] y, int yOff, int yStride) {
        Bf16Matmul.rows(w.data, r0, r1, xp, n, k, y, yOff, yStride, new float[Bf16Matmul.SCRATCH]);
      }

      @Override
      public int granule() {
        return 4;
      }
    };
  }

  /** {@link Bf16Matmul#pairLayout} spread over the pool: at prefill it is megabytes of copying. */
  private float[] pairLayout(CpuTensor in) {
    int k = in.cols();
    float[] p = new float[in.rows() * k];
    parallelChunks(
        in.rows(),
        (long) in.rows() * k,
        (from, to) -> Bf16Matmul.pairLayout(in.data(), p, from, to, k));
    return p;
  }

  /**
   * Contiguous row ranges of several weights, in multiples of a granule of rows, a few per thread.
   */
  private final class RowTasks {
    int count;
    int[] weight = new int[16];
    int[] from = new int[16];
    int[] to = new int[16];

    void add(int w, int rows, int granule) {
      int groups = (rows + granule - 1) / granule;
      // About 4 tasks per thread over the whole call, so uneven finishing times even out.
      int chunks = Math.max(1, Math.min(groups, threads * 4));
      for (int c = 0; c < chunks; c++) {
        int g0 = (int) ((long) groups * c / chunks);
        int g1 = (int) ((long) groups * (c + 1) / chunks);
        if (count == weight.length) {
          weight = java.util.Arrays.copyOf(weight, 2 * count);
          from = java.util.Arrays.copyOf(from, 2 * count);
          to = java.util.Arrays.copyOf(to, 2 * count);
        }
        weight[count] = w;
        from[count] = granule * g0;
        to[count] = Math.min(rows, granule * g1);
        count++;
      }
    }
  }

  @Override
  public Tensor gatherRows(Tensor x, int[] rows) {
    CpuTensor in = (CpuTensor) x;
    CpuTensor out = new CpuTensor(rows.length, in.cols());
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(in.data(), rows[i] * in.cols(), out.data(), i * in.cols(), in.cols());
    }
    return out;
  }

  @Override
  public Tensor rmsNorm(Tensor x, Weight w, int groupSize, float eps, boolean addOne) {
    CpuTensor in = (CpuTensor) x;
    float[] weight = ((CpuWeight) w).vector;
    if (weight.length != groupSize || in.cols() % groupSize != 0) {
      throw new IllegalArgumentException(
          "rmsNorm: weight " + weight.length + " group " + groupSize);
    }
    CpuTensor out = new CpuTensor(in.rows(), in.cols());
    int groups = in.rows() * (in.cols() / groupSize);
    parallelChunks(
        groups,
        (long) in.rows() * in.cols(),
        (from, to) -> {
          for (int g = from; g < to; g++) {
            int off = g * groupSize;
            Kernels.rmsNorm(in.data(), off, groupSize, weight, eps, addOne, out.data(), off);
          }
        });
    return out;
  }

  @Override
  public void rope(Tensor x, int headDim, int[] positions, float[] invFreq) {
    CpuTensor t = (CpuTensor) x;
    int heads = t.cols() / headDim;
    int half = headDim / 2;
    float[] data = t.data();
    RotaryTable table = rotaryTable(positions, invFreq);
    parallelChunks(
        t.rows(),
        (long) t.rows() * t.cols(),
        (from, to) -> {
          for (int r = from; r < to; r++) {
            int row = r * half;
            for (int h = 0; h < heads; h++) {
              int off = r * t.cols() + h * headDim;
              for (int i = 0; i < half; i++) {
                float c = table.cos[row + i];
                float sn = table.sin[row + i];
                float a = data[off + i];
                float b = data[off + half + i];
                data[off + i] = a * c - b * sn;
                data[off + half + i] = b * c + a * sn;
              }
            }
          }
        });
  }

  /** cos and sin of every row's angles, [row][half] flattened, for one step's positions. */
  private record RotaryTable(int[] positions, float[] invFreq, float[] cos, float[] sin) {}

  // A step's q and k of every layer rotate by the same angles (one table per frequency set: Gemma
  // alternates two), so they are computed once per step rather than per call.
  private final List<RotaryTable> rotaryTables = new java.util.ArrayList<>();

  private synchronized RotaryTable rotaryTable(int[] positions, float[] invFreq) {
    for (RotaryTable t : rotaryTables) {
      if (t.positions() == positions && t.invFreq() == invFreq) return t;
    }
    if (!rotaryTables.isEmpty() && rotaryTables.getFirst().positions() != positions) {
      rotaryTables.clear(); // a new step
    }
    int half = invFreq.length;
    float[] cos = new float[positions.length * half];
    float[] sin = new float[positions.length * half];
    for (int r = 0; r < positions.length; r++) {
      for (int i = 0; i < half; i++) {
        float angle = positions[r] * invFreq[i]; // fp32, as transformers' inv_freq @ pos
        cos[r * half + i] = (float) Math.cos(angle);
        sin[r * half + i] = (float) Math.sin(angle);
      }
    }
    RotaryTable t = new RotaryTable(positions, invFreq, cos, sin);
    rotaryTables.add(t);
    return t;
  }

  @Override
  public Tensor attention(
      Tensor q, Tensor k, Tensor v, List<AttentionSlice> batch, AttentionParams p) {
    CpuTensor qs = (CpuTensor) q;
    CpuTensor ks = (CpuTensor) k;
    CpuTensor vs = (CpuTensor) v;
    int hd = p.headDim();
    int kvDim = p.numKvHeads() * hd;
    int groups = p.numHeads() / p.numKvHeads();
    for (AttentionSlice s : batch) {
      CpuKvCache c = (CpuKvCache) s.cache();
      c.ensureCapacity(p.layer(), c.length() + s.count());
      int start = c.length();
      System.arraycopy(
          ks.data(), s.firstRow() * kvDim, c.keys[p.layer()], start * kvDim, s.count() * kvDim);
      System.arraycopy(
          vs.data(), s.firstRow() * kvDim, c.values[p.layer()], start * kvDim, s.count() * kvDim);
    }
    CpuTensor out = new CpuTensor(qs.rows(), p.numHeads() * hd);
    int tasks = batch.size() * p.numHeads();
    parallelChunks(
        tasks,
        (from, to) -> {
          float[] scores = new float[16];
          for (int task = from; task < to; task++) {
            AttentionSlice s = batch.get(task / p.numHeads());
            int h = task % p.numHeads();
            int kvh = h / groups;
            CpuKvCache c = (CpuKvCache) s.cache();
            float[] keys = c.keys[p.layer()];
            float[] values = c.values[p.layer()];
            for (int i = 0; i < s.count(); i++) {
              int pos = c.length() + i;
              int lo = p.window() > 0 ? Math.max(0, pos - p.window() + 1) : 0;
              int n = pos - lo + 1;
              if (scores.length < n) scores = new float[Math.max(n, scores.length * 2)];
              int row = s.firstRow() + i;
              int qOff = row * qs.cols() + h * hd;
              float max = Float.NEGATIVE_INFINITY;
              for (int j = 0; j < n; j++) {
                float sc =
                    Kernels.dot(qs.data(), qOff, keys, (lo + j) * kvDim + kvh * hd, hd) * p.scale();
                if (p.softcap() > 0) sc = (float) (Math.tanh(sc / p.softcap()) * p.softcap());
                scores[j] = sc;
                if (sc > max) max = sc;
              }
              float sum = 0;
              for (int j = 0; j < n; j++) {
                scores[j] = (float) Math.exp(scores[j] - max);
                sum += scores[j];
              }
              for (int j = 0; j < n; j++) scores[j] /= sum;
              Kernels.weightedRows(
                  scores,
                  n,
                  values,
                  lo * kvDim + kvh * hd,
                  kvDim,
                  out.data(),
                  row * out.cols() + h * hd,
                  hd);
            }
          }
        });
    return out;
  }

  @Override
  public Tensor gatedActivation(Tensor gate, Tensor up, Activation act) {
    CpuTensor g = (CpuTensor) gate;
    CpuTensor u = (CpuTensor) up;
    CpuTensor out = new CpuTensor(g.rows(), g.cols());
    float[] gd = g.data();
    float[] ud = u.data();
    float[] od = out.data();
    parallelChunks(
        gd.length,
        gd.length,
        (from, to) -> Kernels.gated(act, gd, from, ud, from, od, from, to - from));
    return out;
  }

  @Override
  public void addInPlace(Tensor acc, Tensor x) {
    float[] a = ((CpuTensor) acc).data();
    float[] b = ((CpuTensor) x).data();
    if (a.length != b.length) throw new IllegalArgumentException("add: shapes differ");
    Kernels.add(a, b, 0, a.length);
  }

  @Override
  public void softcapInPlace(Tensor x, float cap) {
    float[] d = ((CpuTensor) x).data();
    for (int i = 0; i < d.length; i++) d[i] = (float) (Math.tanh(d[i] / cap) * cap);
  }

  @Override
  public KvCache newCache(int layers, int kvHeads, int headDim) {
    return new CpuKvCache(layers, kvHeads, headDim);
  }

  @Override
  public void close() {
    pool.close();
  }

  private interface Range {
    void run(int from, int to);
  }

  /** Splits [0, n) into a few chunks per thread and runs them on the pool. */
  private void parallelChunks(int n, Range body) {
    if (n == 0) return;
    int chunks = Math.min(n, threads * 4);
    pool.run(
        chunks, c -> body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks)));
  }

  // Below this many elements an elementwise kernel costs less than waking the other threads.
  private static final int SERIAL_ELEMENTS = 1 << 14;

  /** {@link #parallelChunks}, or inline when {@code elements} is too small to be worth a fork. */
  private void parallelChunks(int n, long elements, Range body) {
    if (elements < SERIAL_ELEMENTS) {
      if (n > 0) body.run(0, n);
    } else {
      parallelChunks(n, body);
    }
  }
}
