package nla.linalg;

import static nla.linalg.Lanes.D;
import static nla.linalg.Lanes.F;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;

/**
 * The register tile every dense product here is built from: the 4×4 dot products between four rows
 * of one operand and four rows of another, with 16 accumulators in registers so that each loaded
 * vector serves four products. The engine's fp32 matmul ({@code backend.cpu}), the kernel ridge
 * Gram matrices ({@link DotProducts}) and the Cholesky update ({@link BlockCholesky}) all call it.
 *
 * <p>It is written once per element type: Java's Vector API reaches the hardware only through the
 * concrete {@code FloatVector}/{@code DoubleVector} classes (generic {@code Vector<E>} code is not
 * intrinsified unless fully inlined and would otherwise box every vector), and the engine
 * accumulates in fp32 where the fits accumulate in double.
 *
 * <p>Every output is a fixed-order sum: each lane accumulates its share by fused multiply-adds, the
 * lanes are summed by {@link Lanes}, then the scalar tail is added element by element in order. So
 * a result does not depend on which tile or thread computed it.
 */
public final class Tile4x4 {
  private Tile4x4() {}

  /**
   * fp32: {@code out[r·4 + c] = Σ_{e<n} a[a_r + e] · b[b_c + e]} for the four rows of {@code a}
   * starting at {@code a0..a3} and of {@code b} at {@code b0..b3}.
   */
  public static void dot(
      float[] a,
      int a0,
      int a1,
      int a2,
      int a3,
      float[] b,
      int b0,
      int b1,
      int b2,
      int b3,
      int n,
      float[] out) {
    FloatVector s00 = FloatVector.zero(F), s01 = s00, s02 = s00, s03 = s00;
    FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
    FloatVector s20 = s00, s21 = s00, s22 = s00, s23 = s00;
    FloatVector s30 = s00, s31 = s00, s32 = s00, s33 = s00;
    int e = 0;
    for (int upper = F.loopBound(n); e < upper; e += F.length()) {
      FloatVector v0 = FloatVector.fromArray(F, b, b0 + e);
      FloatVector v1 = FloatVector.fromArray(F, b, b1 + e);
      FloatVector v2 = FloatVector.fromArray(F, b, b2 + e);
      FloatVector v3 = FloatVector.fromArray(F, b, b3 + e);
      FloatVector r = FloatVector.fromArray(F, a, a0 + e);
      s00 = r.fma(v0, s00);
      s01 = r.fma(v1, s01);
      s02 = r.fma(v2, s02);
      s03 = r.fma(v3, s03);
      r = FloatVector.fromArray(F, a, a1 + e);
      s10 = r.fma(v0, s10);
      s11 = r.fma(v1, s11);
      s12 = r.fma(v2, s12);
      s13 = r.fma(v3, s13);
      r = FloatVector.fromArray(F, a, a2 + e);
      s20 = r.fma(v0, s20);
      s21 = r.fma(v1, s21);
      s22 = r.fma(v2, s22);
      s23 = r.fma(v3, s23);
      r = FloatVector.fromArray(F, a, a3 + e);
      s30 = r.fma(v0, s30);
      s31 = r.fma(v1, s31);
      s32 = r.fma(v2, s32);
      s33 = r.fma(v3, s33);
    }
    out[0] = Lanes.sum(s00);
    out[1] = Lanes.sum(s01);
    out[2] = Lanes.sum(s02);
    out[3] = Lanes.sum(s03);
    out[4] = Lanes.sum(s10);
    out[5] = Lanes.sum(s11);
    out[6] = Lanes.sum(s12);
    out[7] = Lanes.sum(s13);
    out[8] = Lanes.sum(s20);
    out[9] = Lanes.sum(s21);
    out[10] = Lanes.sum(s22);
    out[11] = Lanes.sum(s23);
    out[12] = Lanes.sum(s30);
    out[13] = Lanes.sum(s31);
    out[14] = Lanes.sum(s32);
    out[15] = Lanes.sum(s33);
    if (e < n) {
      int[] ao = {a0, a1, a2, a3};
      int[] bo = {b0, b1, b2, b3};
      for (; e < n; e++) {
        for (int r = 0; r < 4; r++) {
          for (int c = 0; c < 4; c++) out[r * 4 + c] += a[ao[r] + e] * b[bo[c] + e];
        }
      }
    }
  }

  /**
   * Double: {@code out[r·4 + c] = Σ_s Σ_{k<len} x[ao[r] + s·aStride + k] · y[bo[c] + s·bStride +
   * k]} over {@code segments} segments. A row made of segments is how a row of a block-layout
   * matrix is stored (one block's row after another, {@link BlockCholesky}); a plain row is one
   * segment.
   */
  public static void dot(
      double[] x,
      int[] ao,
      int aStride,
      double[] y,
      int[] bo,
      int bStride,
      int segments,
      int len,
      double[] out) {
    DoubleVector s00 = DoubleVector.zero(D), s01 = s00, s02 = s00, s03 = s00;
    DoubleVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
    DoubleVector s20 = s00, s21 = s00, s22 = s00, s23 = s00;
    DoubleVector s30 = s00, s31 = s00, s32 = s00, s33 = s00;
    int vectorEnd = D.loopBound(len);
    for (int s = 0; s < segments; s++) {
      int a0 = ao[0] + s * aStride, a1 = ao[1] + s * aStride;
      int a2 = ao[2] + s * aStride, a3 = ao[3] + s * aStride;
      int b0 = bo[0] + s * bStride, b1 = bo[1] + s * bStride;
      int b2 = bo[2] + s * bStride, b3 = bo[3] + s * bStride;
      for (int k = 0; k < vectorEnd; k += D.length()) {
        DoubleVector v0 = DoubleVector.fromArray(D, y, b0 + k);
        DoubleVector v1 = DoubleVector.fromArray(D, y, b1 + k);
        DoubleVector v2 = DoubleVector.fromArray(D, y, b2 + k);
        DoubleVector v3 = DoubleVector.fromArray(D, y, b3 + k);
        DoubleVector r = DoubleVector.fromArray(D, x, a0 + k);
        s00 = r.fma(v0, s00);
        s01 = r.fma(v1, s01);
        s02 = r.fma(v2, s02);
        s03 = r.fma(v3, s03);
        r = DoubleVector.fromArray(D, x, a1 + k);
        s10 = r.fma(v0, s10);
        s11 = r.fma(v1, s11);
        s12 = r.fma(v2, s12);
        s13 = r.fma(v3, s13);
        r = DoubleVector.fromArray(D, x, a2 + k);
        s20 = r.fma(v0, s20);
        s21 = r.fma(v1, s21);
        s22 = r.fma(v2, s22);
        s23 = r.fma(v3, s23);
        r = DoubleVector.fromArray(D, x, a3 + k);
        s30 = r.fma(v0, s30);
        s31 = r.fma(v1, s31);
        s32 = r.fma(v2, s32);
        s33 = r.fma(v3, s33);
      }
    }
    out[0] = Lanes.sum(s00);
    out[1] = Lanes.sum(s01);
    out[2] = Lanes.sum(s02);
    out[3] = Lanes.sum(s03);
    out[4] = Lanes.sum(s10);
    out[5] = Lanes.sum(s11);
    out[6] = Lanes.sum(s12);
    out[7] = Lanes.sum(s13);
    out[8] = Lanes.sum(s20);
    out[9] = Lanes.sum(s21);
    out[10] = Lanes.sum(s22);
    out[11] = Lanes.sum(s23);
    out[12] = Lanes.sum(s30);
    out[13] = Lanes.sum(s31);
    out[14] = Lanes.sum(s32);
    out[15] = Lanes.sum(s33);
    // A length that is not a multiple of the lane count leaves a tail in every segment.
    if (vectorEnd < len)
      for (int p = 0; p < 4; p++)
        for (int q = 0; q < 4; q++) {
          double t = out[p * 4 + q];
          for (int s = 0; s < segments; s++) {
            int ai = ao[p] + s * aStride;
            int bi = bo[q] + s * bStride;
            for (int k = vectorEnd; k < len; k++) t += x[ai + k] * y[bi + k];
          }
          out[p * 4 + q] = t;
        }
  }
}
