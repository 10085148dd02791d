package nla.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
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
  static void decodeRow(MemorySegment data, DType dtype, int row, int cols, float[] out) {
    long base = (long) row * cols * dtype.bytes();
    int i = 0;
    switch (dtype) {
      case F32 -> {
        for (int upper = F.loopBound(cols); i < upper; i += F.length()) {
          FloatVector.fromMemorySegment(F, data, base + 4L * i, ByteOrder.LITTLE_ENDIAN)
              .intoArray(out, i);
        }
        for (; i < cols; i++) out[i] = data.get(Layouts.F32, base + 4L * i);
      }
      case BF16 -> {
        for (int upper = F.loopBound(cols); i < upper; i += F.length()) {
          ShortVector s =
              ShortVector.fromMemorySegment(S, data, base + 2L * i, ByteOrder.LITTLE_ENDIAN);
          ((IntVector) s.convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0))
              .lanewise(VectorOperators.LSHL, 16)
              .reinterpretAsFloats()
              .intoArray(out, i);
        }
        for (; i < cols; i++) {
          out[i] = Float.intBitsToFloat((data.get(Layouts.I16, base + 2L * i) & 0xffff) << 16);
        }
      }
      case F16 -> {
        for (; i < cols; i++) out[i] = Float.float16ToFloat(data.get(Layouts.I16, base + 2L * i));
      }
    }
  }

  static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
    FloatVector acc = FloatVector.zero(F);
    int i = 0;
    for (int upper = F.loopBound(n); i < upper; i += F.length()) {
      acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
    }
    float sum = acc.reduceLanes(VectorOperators.ADD);
    for (; i < n; i++) sum += a[aOff + i] * b[bOff + i];
    return sum;
  }

  /** {@code y[yOff, +n) += alpha · x[xOff, +n)}. */
  static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
    FloatVector va = FloatVector.broadcast(F, alpha);
    int i = 0;
    for (int upper = F.loopBound(n); i < upper; i += F.length()) {
      FloatVector.fromArray(F, x, xOff + i)
          .fma(va, FloatVector.fromArray(F, y, yOff + i))
          .intoArray(y, yOff + i);
    }
    for (; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
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

  static float silu(float x) {
    return (float) (x / (1.0 + Math.exp(-x)));
  }

  static float geluTanh(float x) {
    double inner = Math.sqrt(2.0 / Math.PI) * (x + 0.044715 * x * x * x);
    return (float) (0.5 * x * (1.0 + Math.tanh(inner)));
  }
}
