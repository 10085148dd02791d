package nla.study;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;

/**
 * Times one kernel-ridge fit (n×n RBF kernel build + blocked Cholesky solve + prediction) at the §8
 * scale. Run: {@code java -Xmx12g -cp target/classes:target/test-classes:target/lib/*
 * nla.study.KernelSolveBenchmark 20000 5376 1000}. Prints seconds and heap used.
 */
public final class KernelSolveBenchmark {
  public static void main(String[] args) {
    int n = Integer.parseInt(args[0]);
    int d = Integer.parseInt(args[1]);
    int m = Integer.parseInt(args[2]);
    Random rng = new Random(1);
    DMatrixRMaj x = new DMatrixRMaj(n, d);
    DMatrixRMaj y = new DMatrixRMaj(n, d);
    for (int i = 0; i < x.data.length; i++) {
      x.data[i] = rng.nextGaussian();
      y.data[i] = rng.nextGaussian();
    }
    x = Ridge.unitRows(x);
    y = Ridge.unitRows(y);
    DMatrixRMaj test = Ridge.unitRows(Ridge.firstRows(x, m));
    long t0 = System.nanoTime();
    Ridge.Model model = Ridge.fit(x, y, new Ridge.Params(Ridge.Kernel.RBF, 0.1, 0.5));
    long t1 = System.nanoTime();
    DMatrixRMaj pred = model.predict(test);
    long t2 = System.nanoTime();
    Runtime rt = Runtime.getRuntime();
    System.out.printf(
        "kernel ridge RBF n=%d d=%d: fit %.1f s, predict %d rows %.1f s, heap used %.1f GB (max %.1f GB), %d cores, pred[0][0]=%.4f%n",
        n,
        d,
        (t1 - t0) / 1e9,
        m,
        (t2 - t1) / 1e9,
        (rt.totalMemory() - rt.freeMemory()) / 1e9,
        rt.maxMemory() / 1e9,
        rt.availableProcessors(),
        pred.get(0, 0));
  }
}
