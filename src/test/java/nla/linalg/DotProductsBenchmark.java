package nla.linalg;

import java.util.Random;
import org.ejml.EjmlParameters;
import org.ejml.data.DMatrixRBlock;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.block.MatrixOps_DDRB;
import org.ejml.dense.block.MatrixOps_MT_DDRB;
import org.ejml.dense.row.CommonOps_MT_DDRM;

/**
 * Times the kernel ridge fit's big products — the Gram matrix X·Xᵀ (n×n, block layout) and the
 * cross-kernel X·Qᵀ (n×m), and the prediction's ZᵀY (m×d) — by {@link DotProducts} and by the EJML
 * calls Ridge used before (MatrixOps_MT_DDRB.multTransB on a block copy;
 * CommonOps_MT_DDRM.multTransB row-major). Run: {@code java --add-modules=jdk.incubator.vector -cp
 * target/classes:target/test-classes:CP nla.linalg.DotProductsBenchmark 4000 896 1000}. Prints
 * seconds and GFLOP/s (multiply-adds × 2; the symmetric Gram counts its full n²d, so "GFLOP/s"
 * there is the effective rate).
 */
public final class DotProductsBenchmark {
  public static void main(String[] args) {
    int n = Integer.parseInt(args[0]);
    int d = Integer.parseInt(args[1]);
    int m = Integer.parseInt(args[2]);
    int reps = args.length > 3 ? Integer.parseInt(args[3]) : 2;
    Random rng = new Random(1);
    DMatrixRMaj x = new DMatrixRMaj(n, d);
    DMatrixRMaj q = new DMatrixRMaj(m, d);
    for (int i = 0; i < x.data.length; i++) x.data[i] = rng.nextGaussian();
    for (int i = 0; i < q.data.length; i++) q.data[i] = rng.nextGaussian();
    int block = EjmlParameters.BLOCK_WIDTH;
    double gramFlops = 2.0 * n * n * d;
    double crossFlops = 2.0 * n * m * d;
    System.out.printf(
        "n=%d d=%d m=%d, %d cores%n", n, d, m, Runtime.getRuntime().availableProcessors());
    for (int r = 0; r < reps; r++) {
      long t0 = System.nanoTime();
      DMatrixRBlock xb = MatrixOps_DDRB.convert(x, block);
      DMatrixRBlock k = new DMatrixRBlock(n, n, block);
      MatrixOps_MT_DDRB.multTransB(xb, xb, k);
      report("EJML Gram (block MT)", t0, gramFlops);
      t0 = System.nanoTime();
      DotProducts.gramBlock(x, block);
      report("DotProducts Gram", t0, gramFlops);
      t0 = System.nanoTime();
      DMatrixRMaj kt = new DMatrixRMaj(m, n);
      CommonOps_MT_DDRM.multTransB(q, x, kt);
      DMatrixRBlock rhs = new DMatrixRBlock(n, m, block);
      MatrixOps_DDRB.convertTranSrc(kt, rhs);
      report("EJML cross (row MT + transpose)", t0, crossFlops);
      t0 = System.nanoTime();
      DotProducts.multTransBBlock(x, q, block);
      report("DotProducts cross", t0, crossFlops);
      // The prediction's ZᵀY: Z is n×m, Y n×d (here X stands in for Y).
      DMatrixRMaj z = new DMatrixRMaj(n, m);
      for (int i = 0; i < z.data.length; i++) z.data[i] = x.data[i % x.data.length];
      t0 = System.nanoTime();
      DMatrixRMaj out = new DMatrixRMaj(m, d);
      CommonOps_MT_DDRM.multTransA(z, x, out);
      report("EJML ZᵀY (row MT)", t0, crossFlops);
      t0 = System.nanoTime();
      DotProducts.multTransA(z, x);
      report("DotProducts ZᵀY", t0, crossFlops);
    }
  }

  private static void report(String what, long t0, double flops) {
    double s = (System.nanoTime() - t0) / 1e9;
    System.out.printf("  %-34s %7.2f s  %6.1f GFLOP/s%n", what, s, flops / s / 1e9);
  }
}
