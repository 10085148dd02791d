package nla.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import nla.io.Layouts;

/**
 * bf16 weight × fp32 activation products read straight from the memory-mapped weights, with no
 * widened copy of the weight rows.
 *
 * <p>A vector of {@code L} ints loaded from a bf16 row holds {@code 2L} weights: the low half of
 * int {@code j} is weight {@code 2j}, the high half weight {@code 2j+1}. Shifting left by 16 gives
 * the even weights as fp32, masking the low half away the odd ones: two lanewise integer ops widen
 * {@code 2L} weights (no cross-lane conversion). The activations are re-laid once per call to match
 * ({@link #pairLayout}: per block of {@code 2L}, the even elements then the odd ones).
 *
 * <p>Every output element {@code (row, token)} has its own accumulator, summed block by block in
 * the same order (even half, then odd half) whatever tile computes it, then its lanes by {@link
 * Kernels#sumLanes}, then the tail scalars in order: a token's result does not depend on which or
 * how many other tokens share the batch.
 */
final class Bf16Matmul {
  static final VectorSpecies<Float> F = Kernels.F;
  private static final VectorSpecies<Integer> I = F.vectorShape().withLanes(int.class);
  static final int L = F.length();
  static final int BLOCK = 2 * L;
  static final int SCRATCH = 16 * L;
  // Up to here a 4-token activation tile (16k bytes) fits in L1 beside the streaming weights.
  static final int TOKENS_OUTER_MAX_K = 2048;
  // Activations up to this size stay in L1 anyway: then 4 weight rows in L1 serve every token.
  static final int L1_ACTIVATION_BYTES = 32 * 1024;
  // Rows per block in that order: 64 rows of k <= 2048 bf16 weights (<= 256 KiB) stay in L2.
  static final int ROW_BLOCK = 64;
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

  private Bf16Matmul() {}

  // Where the bytes read ahead by Prefetch go, so the compiler cannot drop the reads.
  @SuppressWarnings("unused")
  private static int touched;

  /**
   * Reads the weight rows the next tiles will need, one byte per cache line, a slice before each
   * tile: the lines are on their way from memory while the current tile computes. Java has no
   * prefetch instruction, and the hardware prefetcher ramps up too slowly on a tile's short row
   * streams, so without this the first pass over each block waits on memory with the FMA units
   * idle.
   */
  private static final class Prefetch {
    private final long to;
    private final long step;
    private long at;

    Prefetch(long from, long to, int slices) {
      this.at = from;
      this.to = to;
      this.step = slices <= 0 ? 0 : ((to - from + slices - 1) / slices + 63) / 64 * 64;
    }

    int step(MemorySegment w) {
      int s = 0;
      long end = Math.min(to, at + step);
      for (; at < end; at += 64) s += w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, at);
      return s;
    }
  }

  /**
   * {@code n} rows of length {@code k}, each block of {@link #BLOCK} split into evens then odds.
   */
  static float[] pairLayout(float[] x, int n, int k) {
    float[] p = new float[n * k];
    pairLayout(x, p, 0, n, k);
    return p;
  }

  /** Rows {@code [from, to)} of {@link #pairLayout(float[], int, int)} into {@code p}. */
  static void pairLayout(float[] x, float[] p, int from, int to, int k) {
    int blocks = k / BLOCK;
    for (int t = from; t < to; t++) {
      int base = t * k;
      for (int b = 0; b < blocks; b++) {
        int o = base + b * BLOCK;
        for (int j = 0; j < L; j++) {
          p[o + j] = x[o + 2 * j];
          p[o + L + j] = x[o + 2 * j + 1];
        }
      }
      System.arraycopy(x, base + blocks * BLOCK, p, base + blocks * BLOCK, k - blocks * BLOCK);
    }
  }

  private static float tail(MemorySegment w, long rowByte, float[] xp, int xOff, int k, float s) {
    for (int e = k / BLOCK * BLOCK; e < k; e++) {
      float we = Float.intBitsToFloat((w.get(Layouts.I16, rowByte + 2L * e) & 0xffff) << 16);
      s += we * xp[xOff + e];
    }
    return s;
  }

  // The widening is written out at each use, not in a helper: a helper compiled on its own is too
  // big for C2 to inline again, and a non-inlined vector op is boxed (tens of times slower).

  /**
   * {@code out[outOff + t·outStride + r] = row(r0 + r) · x(t0 + t)} for r, t < 4: rows of the [?,
   * k] bf16 matrix {@code w}, tokens of the pair-laid {@code xp}; {@code acc} is scratch for 16
   * vectors.
   */
  static void tile4x4(
      MemorySegment w,
      int r0,
      float[] xp,
      int t0,
      int k,
      float[] acc,
      float[] out,
      int outOff,
      int outStride) {
    long rb = 2L * k;
    long w0 = r0 * rb, w1 = w0 + rb, w2 = w1 + rb, w3 = w2 + rb;
    int x0 = t0 * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
    FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
    FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
    FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
    int blocks = k / BLOCK;
    for (int b = 0; b < blocks; b++) {
      int xo = b * BLOCK;
      long wo = 2L * xo;
      FloatVector e0 = FloatVector.fromArray(F, xp, x0 + xo);
      FloatVector d0 = FloatVector.fromArray(F, xp, x0 + xo + L);
      FloatVector e1 = FloatVector.fromArray(F, xp, x1 + xo);
      FloatVector d1 = FloatVector.fromArray(F, xp, x1 + xo + L);
      FloatVector e2 = FloatVector.fromArray(F, xp, x2 + xo);
      FloatVector d2 = FloatVector.fromArray(F, xp, x2 + xo + L);
      FloatVector e3 = FloatVector.fromArray(F, xp, x3 + xo);
      FloatVector d3 = FloatVector.fromArray(F, xp, x3 + xo + L);
      IntVector p = IntVector.fromMemorySegment(I, w, w0 + wo, LE);
      FloatVector we = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(),
          wd = p.and(0xffff0000).reinterpretAsFloats();
      a00 = wd.fma(d0, we.fma(e0, a00));
      a01 = wd.fma(d1, we.fma(e1, a01));
      a02 = wd.fma(d2, we.fma(e2, a02));
      a03 = wd.fma(d3, we.fma(e3, a03));
      p = IntVector.fromMemorySegment(I, w, w1 + wo, LE);
      we = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
      wd = p.and(0xffff0000).reinterpretAsFloats();
      a10 = wd.fma(d0, we.fma(e0, a10));
      a11 = wd.fma(d1, we.fma(e1, a11));
      a12 = wd.fma(d2, we.fma(e2, a12));
      a13 = wd.fma(d3, we.fma(e3, a13));
      p = IntVector.fromMemorySegment(I, w, w2 + wo, LE);
      we = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
      wd = p.and(0xffff0000).reinterpretAsFloats();
      a20 = wd.fma(d0, we.fma(e0, a20));
      a21 = wd.fma(d1, we.fma(e1, a21));
      a22 = wd.fma(d2, we.fma(e2, a22));
      a23 = wd.fma(d3, we.fma(e3, a23));
      p = IntVector.fromMemorySegment(I, w, w3 + wo, LE);
      we = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
      wd = p.and(0xffff0000).reinterpretAsFloats();
      a30 = wd.fma(d0, we.fma(e0, a30));
      a31 = wd.fma(d1, we.fma(e1, a31));
      a32 = wd.fma(d2, we.fma(e2, a32));
      a33 = wd.fma(d3, we.fma(e3, a33));
    }
    // The lane sums and tails go through memory to a separate method: kept in this one they push
    // its compiled graph past C2's node budget and the vector operations stop being intrinsified.
    a00.intoArray(acc, 0);
    a01.intoArray(acc, L);
    a02.intoArray(acc, 2 * L);
    a03.intoArray(acc, 3 * L);
    a10.intoArray(acc, 4 * L);
    a11.intoArray(acc, 5 * L);
    a12.intoArray(acc, 6 * L);
    a13.intoArray(acc, 7 * L);
    a20.intoArray(acc, 8 * L);
    a21.intoArray(acc, 9 * L);
    a22.intoArray(acc, 10 * L);
    a23.intoArray(acc, 11 * L);
    a30.intoArray(acc, 12 * L);
    a31.intoArray(acc, 13 * L);
    a32.intoArray(acc, 14 * L);
    a33.intoArray(acc, 15 * L);
    finish4x4(w, r0, xp, t0, k, acc, out, outOff, outStride);
  }

  private static void finish4x4(
      MemorySegment w,
      int r0,
      float[] xp,
      int t0,
      int k,
      float[] acc,
      float[] out,
      int outOff,
      int outStride) {
    for (int r = 0; r < 4; r++) {
      long wr = (r0 + r) * 2L * k;
      for (int t = 0; t < 4; t++) {
        float s = Kernels.sumLanes(FloatVector.fromArray(F, acc, (4 * r + t) * L));
        out[outOff + t * outStride + r] = tail(w, wr, xp, (t0 + t) * k, k, s);
      }
    }
  }

  /** As {@link #tile4x4} for one token: {@code out[outOff + r·outStride]}, r < 4. */
  static void tile4x1(
      MemorySegment w, int r0, float[] xp, int t, int k, float[] out, int outOff, int outStride) {
    long rb = 2L * k;
    long w0 = r0 * rb, w1 = w0 + rb, w2 = w1 + rb, w3 = w2 + rb;
    int x0 = t * k;
    FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
    int blocks = k / BLOCK;
    for (int b = 0; b < blocks; b++) {
      int xo = b * BLOCK;
      long wo = 2L * xo;
      FloatVector e = FloatVector.fromArray(F, xp, x0 + xo);
      FloatVector d = FloatVector.fromArray(F, xp, x0 + xo + L);
      IntVector p0 = IntVector.fromMemorySegment(I, w, w0 + wo, LE);
      IntVector p1 = IntVector.fromMemorySegment(I, w, w1 + wo, LE);
      IntVector p2 = IntVector.fromMemorySegment(I, w, w2 + wo, LE);
      IntVector p3 = IntVector.fromMemorySegment(I, w, w3 + wo, LE);
      a0 =
          p0.and(0xffff0000)
              .reinterpretAsFloats()
              .fma(d, p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(e, a0));
      a1 =
          p1.and(0xffff0000)
              .reinterpretAsFloats()
              .fma(d, p1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(e, a1));
      a2 =
          p2.and(0xffff0000)
              .reinterpretAsFloats()
              .fma(d, p2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(e, a2));
      a3 =
          p3.and(0xffff0000)
              .reinterpretAsFloats()
              .fma(d, p3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(e, a3));
    }
    out[outOff] = tail(w, w0, xp, x0, k, Kernels.sumLanes(a0));
    out[outOff + outStride] = tail(w, w1, xp, x0, k, Kernels.sumLanes(a1));
    out[outOff + 2 * outStride] = tail(w, w2, xp, x0, k, Kernels.sumLanes(a2));
    out[outOff + 3 * outStride] = tail(w, w3, xp, x0, k, Kernels.sumLanes(a3));
  }

  /** One row × one token, in the same order as the tiles. */
  static float dot(MemorySegment w, int row, float[] xp, int t, int k) {
    long w0 = row * 2L * k;
    int x0 = t * k;
    FloatVector a = FloatVector.zero(F);
    int blocks = k / BLOCK;
    for (int b = 0; b < blocks; b++) {
      int xo = b * BLOCK;
      IntVector p = IntVector.fromMemorySegment(I, w, w0 + 2L * xo, LE);
      a =
          p.and(0xffff0000)
              .reinterpretAsFloats()
              .fma(
                  FloatVector.fromArray(F, xp, x0 + xo + L),
                  p.lanewise(VectorOperators.LSHL, 16)
                      .reinterpretAsFloats()
                      .fma(FloatVector.fromArray(F, xp, x0 + xo), a));
    }
    return tail(w, w0, xp, x0, k, Kernels.sumLanes(a));
  }

  /**
   * Rows {@code [r0, r1)} of {@code y = x·wᵀ} for all {@code n} tokens: {@code y[t·yStride + yOff +
   * (r - r0)]}. Tiles of 4 rows × 4 tokens keep 4 weight rows in L1 while every token passes.
   * {@code scratch} holds {@link #SCRATCH} floats.
   */
  static void rows(
      MemorySegment w,
      int r0,
      int r1,
      float[] xp,
      int n,
      int k,
      float[] y,
      int yOff,
      int yStride,
      float[] scratch) {
    int r = r0;
    int quadEnd = r0 + (r1 - r0) / 4 * 4;
    long rowBytes = 2L * k;
    int groups = n / 4;
    int sink = 0;
    if ((long) n * k * Float.BYTES > L1_ACTIVATION_BYTES && k <= TOKENS_OUTER_MAX_K) {
      // Four tokens' activations (16k bytes) stay in L1 while a block of weight rows (in L2)
      // streams past: half the L2 traffic of re-reading the activations for every 4 rows.
      for (int b0 = r0; b0 < quadEnd; b0 += ROW_BLOCK) {
        int b1 = Math.min(quadEnd, b0 + ROW_BLOCK);
        Prefetch next =
            new Prefetch(
                b1 * rowBytes,
                Math.min(quadEnd, b1 + ROW_BLOCK) * rowBytes,
                groups * ((b1 - b0) / 4));
        int t = 0;
        for (; t + 4 <= n; t += 4) {
          for (int rr = b0; rr < b1; rr += 4) {
            sink += next.step(w);
            tile4x4(w, rr, xp, t, k, scratch, y, t * yStride + yOff + rr - r0, yStride);
          }
        }
        for (; t < n; t++) {
          for (int rr = b0; rr < b1; rr += 4) {
            tile4x1(w, rr, xp, t, k, y, t * yStride + yOff + rr - r0, 1);
          }
        }
      }
      r = quadEnd;
    }
    for (; r + 4 <= r1; r += 4) {
      Prefetch next = new Prefetch((r + 4) * rowBytes, Math.min(quadEnd, r + 8) * rowBytes, groups);
      int t = 0;
      for (; t + 4 <= n; t += 4) {
        sink += next.step(w);
        tile4x4(w, r, xp, t, k, scratch, y, t * yStride + yOff + r - r0, yStride);
      }
      for (; t < n; t++) tile4x1(w, r, xp, t, k, y, t * yStride + yOff + r - r0, 1);
    }
    touched += sink;
    for (; r < r1; r++) {
      for (int t = 0; t < n; t++) y[t * yStride + yOff + r - r0] = dot(w, r, xp, t, k);
    }
  }
}
