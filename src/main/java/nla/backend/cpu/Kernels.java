package nla.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import nla.backend.Activation;
import nla.io.DType;
import nla.io.Layouts;

/** Single-threaded Vector API kernels; {@link CpuBackend} splits work across threads. */
final class Kernels {
  static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  // bf16 widening: F.length() shorts -> F.length() ints (shifted left 16) -> reinterpreted floats.
  private static final VectorSpecies<Short> S =
      VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
  private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());

  private Kernels() {}

  /** Row {@code row} of a [rows, cols] stored matrix, widened to fp32 into {@code out[0, cols)}. */
  static void decodeRow(
      MemorySegment data, DType dtype, int row, int cols, float[] out, int outOff) {
    long base = (long) row * cols * dtype.bytes();
    int i = 0;
    switch (dtype) {
      case F32 -> {
        for (int upper = F.loopBound(cols); i < upper; i += F.length()) {
          FloatVector.fromMemorySegment(F, data, base + 4L * i, ByteOrder.LITTLE_ENDIAN)
              .intoArray(out, outOff + i);
        }
        for (; i < cols; i++) out[outOff + i] = data.get(Layouts.F32, base + 4L * i);
      }
      case BF16 -> {
        for (int upper = F.loopBound(cols); i < upper; i += F.length()) {
          ShortVector s =
              ShortVector.fromMemorySegment(S, data, base + 2L * i, ByteOrder.LITTLE_ENDIAN);
          ((IntVector) s.convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0))
              .lanewise(VectorOperators.LSHL, 16)
              .reinterpretAsFloats()
              .intoArray(out, outOff + i);
        }
        for (; i < cols; i++) {
          out[outOff + i] =
              Float.intBitsToFloat((data.get(Layouts.I16, base + 2L * i) & 0xffff) << 16);
        }
      }
      case F16 -> {
        for (; i < cols; i++)
          out[outOff + i] = Float.float16ToFloat(data.get(Layouts.I16, base + 2L * i));
      }
    }
  }

  /**
   * The lanes of v summed in lane order. Not {@code reduceLanes(ADD)}: its float order is
   * unspecified and differs between interpreted and compiled code, which would make a row's result
   * depend on JIT warm-up and on what else is in the batch.
   */
  static float sumLanes(FloatVector v) {
    // A fixed tree of lanewise adds: each step is exact IEEE per lane, so the order is the same
    // whether the code runs interpreted or compiled.
    for (VectorShuffle<Float> fold : FOLDS) v = v.add(v.rearrange(fold));
    return v.lane(0);
  }

  private static final VectorShuffle<Float>[] FOLDS = folds();

  @SuppressWarnings("unchecked")
  private static VectorShuffle<Float>[] folds() {
    int steps = Integer.numberOfTrailingZeros(F.length());
    VectorShuffle<Float>[] out = new VectorShuffle[steps];
    for (int i = 0, shift = F.length() / 2; i < steps; i++, shift /= 2) {
      out[i] = VectorShuffle.iota(F, shift, 1, true);
    }
    return out;
  }

  static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
    FloatVector acc = FloatVector.zero(F);
    int i = 0;
    for (int upper = F.loopBound(n); i < upper; i += F.length()) {
      acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
    }
    float sum = sumLanes(acc);
    for (; i < n; i++) sum += a[aOff + i] * b[bOff + i];
    return sum;
  }

  /**
   * The 4×4 block of dot products between 4 weight rows ({@code w[r·k, +k)}, r < 4) and 4 token
   * rows ({@code x[(t0 + t)·k, +k)}, t < 4): {@code out[r·4 + t]}. Each loaded weight vector serves
   * 4 tokens and each token vector 4 rows, with 16 accumulators in registers.
   */
  static void dot4x4(float[] w, float[] x, int t0, int k, float[] out) {
    int x0 = t0 * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
    int w1 = k, w2 = 2 * k, w3 = 3 * k;
    FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
    FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
    FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
    int i = 0;
    for (int upper = F.loopBound(k); i < upper; i += F.length()) {
      FloatVector v0 = FloatVector.fromArray(F, x, x0 + i);
      FloatVector v1 = FloatVector.fromArray(F, x, x1 + i);
      FloatVector v2 = FloatVector.fromArray(F, x, x2 + i);
      FloatVector v3 = FloatVector.fromArray(F, x, x3 + i);
      FloatVector r = FloatVector.fromArray(F, w, i);
      a00 = r.fma(v0, a00);
      a01 = r.fma(v1, a01);
      a02 = r.fma(v2, a02);
      a03 = r.fma(v3, a03);
      r = FloatVector.fromArray(F, w, w1 + i);
      a10 = r.fma(v0, a10);
      a11 = r.fma(v1, a11);
      a12 = r.fma(v2, a12);
      a13 = r.fma(v3, a13);
      r = FloatVector.fromArray(F, w, w2 + i);
      a20 = r.fma(v0, a20);
      a21 = r.fma(v1, a21);
      a22 = r.fma(v2, a22);
      a23 = r.fma(v3, a23);
      r = FloatVector.fromArray(F, w, w3 + i);
      a30 = r.fma(v0, a30);
      a31 = r.fma(v1, a31);
      a32 = r.fma(v2, a32);
      a33 = r.fma(v3, a33);
    }
    out[0] = sumLanes(a00);
    out[1] = sumLanes(a01);
    out[2] = sumLanes(a02);
    out[3] = sumLanes(a03);
    out[4] = sumLanes(a10);
    out[5] = sumLanes(a11);
    out[6] = sumLanes(a12);
    out[7] = sumLanes(a13);
    out[8] = sumLanes(a20);
    out[9] = sumLanes(a21);
    out[10] = sumLanes(a22);
    out[11] = sumLanes(a23);
    out[12] = sumLanes(a30);
    out[13] = sumLanes(a31);
    out[14] = sumLanes(a32);
    out[15] = sumLanes(a33);
    for (int e = i; e < k; e++) {
      for (int r = 0; r < 4; r++) {
        for (int t = 0; t < 4; t++) out[r * 4 + t] += w[r * k + e] * x[(t0 + t) * k + e];
      }
    }
  }

  /**
   * {@code out[outOff + e] = Σ_j weights[j] · rows[rowsOff + j·stride + e]} for e < width, each
   * element summed over j in order (one fused multiply-add per term in the vector part). The sums
   * stay in registers, four vectors at a time, instead of going through memory once per row:
   * attention's weighted sum of values.
   */
  static void weightedRows(
      float[] weights,
      int n,
      float[] rows,
      int rowsOff,
      int stride,
      float[] out,
      int outOff,
      int width) {
    int L = F.length();
    int e = 0;
    for (; e + 4 * L <= width; e += 4 * L) {
      FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
      for (int j = 0; j < n; j++) {
        FloatVector w = FloatVector.broadcast(F, weights[j]);
        int r = rowsOff + j * stride + e;
        a0 = FloatVector.fromArray(F, rows, r).fma(w, a0);
        a1 = FloatVector.fromArray(F, rows, r + L).fma(w, a1);
        a2 = FloatVector.fromArray(F, rows, r + 2 * L).fma(w, a2);
        a3 = FloatVector.fromArray(F, rows, r + 3 * L).fma(w, a3);
      }
      a0.intoArray(out, outOff + e);
      a1.intoArray(out, outOff + e + L);
      a2.intoArray(out, outOff + e + 2 * L);
      a3.intoArray(out, outOff + e + 3 * L);
    }
    for (; e + L <= width; e += L) {
      FloatVector a = FloatVector.zero(F);
      for (int j = 0; j < n; j++) {
        a =
            FloatVector.fromArray(F, rows, rowsOff + j * stride + e)
                .fma(FloatVector.broadcast(F, weights[j]), a);
      }
      a.intoArray(out, outOff + e);
    }
    for (; e < width; e++) {
      float a = 0;
      for (int j = 0; j < n; j++) a += weights[j] * rows[rowsOff + j * stride + e];
      out[outOff + e] = a;
    }
  }

  static void add(float[] acc, float[] x, int from, int to) {
    int i = from;
    for (int upper = from + F.loopBound(to - from); i < upper; i += F.length()) {
      FloatVector.fromArray(F, acc, i).add(FloatVector.fromArray(F, x, i)).intoArray(acc, i);
    }
    for (; i < to; i++) acc[i] += x[i];
  }

  /** RMSNorm of {@code x[off, +n)} into {@code out}, as transformers computes it in fp32. */
  static void rmsNorm(
      float[] x, int off, int n, float[] w, float eps, boolean addOne, float[] out, int outOff) {
    double sumSq = 0;
    for (int i = 0; i < n; i++) sumSq += (double) x[off + i] * x[off + i];
    float variance = (float) (sumSq / n);
    float inv = (float) (1.0 / Math.sqrt(variance + eps));
    for (int i = 0; i < n; i++) {
      float normed = x[off + i] * inv;
      out[outOff + i] = addOne ? normed * (1f + w[i]) : w[i] * normed;
    }
  }

  private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
  private static final VectorSpecies<Double> D8 = DoubleVector.SPECIES_512;

  /**
   * {@code out[outOff + i] = act(g[gOff + i]) · u[uOff + i]} for i < n: the gated MLP's elementwise
   * step, eight lanes at a time in double precision (silu {@code x / (1 + e^-x)}, gelu_pytorch_tanh
   * {@code x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³)))}). The last partial group is masked rather
   * than left to a scalar loop, so every element takes the same path whatever range a thread is
   * given.
   */
  static void gated(
      Activation act, float[] g, int gOff, float[] u, int uOff, float[] out, int outOff, int n) {
    for (int i = 0; i < n; i += 8) {
      VectorMask<Float> m = F8.indexInRange(i, n);
      DoubleVector x =
          (DoubleVector)
              FloatVector.fromArray(F8, g, gOff + i, m).convertShape(VectorOperators.F2D, D8, 0);
      DoubleVector a;
      if (act == Activation.SILU) {
        a = x.div(x.neg().lanewise(VectorOperators.EXP).add(1.0));
      } else {
        DoubleVector inner = x.mul(x).mul(x).mul(0.044715).add(x).mul(Math.sqrt(2.0 / Math.PI));
        a = x.mul(0.5).mul(inner.lanewise(VectorOperators.TANH).add(1.0));
      }
      FloatVector af = (FloatVector) a.convertShape(VectorOperators.D2F, F8, 0);
      af.mul(FloatVector.fromArray(F8, u, uOff + i, m)).intoArray(out, outOff + i, m);
    }
  }
}
