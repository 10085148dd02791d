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
import jdk.incubator.vector.VectorSpecies;
import nla.backend.Activation;
import nla.io.DType;
import nla.io.Layouts;
import nla.linalg.Lanes;
import nla.linalg.Tile4x4;

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

  /** The lanes of v summed in the fixed order every kernel uses ({@link Lanes}). */
  static float sumLanes(FloatVector v) {
    return Lanes.sum(v);
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
   * 4 tokens and each token vector 4 rows ({@link Tile4x4}, the tile every dense product uses).
   */
  static void dot4x4(float[] w, float[] x, int t0, int k, float[] out) {
    int x0 = t0 * k;
    Tile4x4.dot(w, 0, k, 2 * k, 3 * k, x, x0, x0 + k, x0 + 2 * k, x0 + 3 * k, k, out);
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
