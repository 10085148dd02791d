package nla.linalg;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;

/**
 * Times one kernel-ridge fit (n×n RBF kernel build + blocked Cholesky solve + prediction) at the §8
 * scale. Run: {@code java -Xmx8g -cp target/classes:target/test-classes:target/lib/*
 * nla.linalg.KernelSolveBenchmark 20000 5376 1000 [blockWidth]}. Prints each phase's wall and
 * process CPU seconds (CPU ≈ wall × cores when all cores work) and heap used.
 */
public final class KernelSolveBenchmark {
  private static void unitInPlace(DMatrixRMaj m) {
    int d = m.numCols;
    for (int i = 0; i < m.numRows; i++) {
      double s = 0;
      for (int j = 0; j < d; j++) s += m.data[i * d + j] * m.data[i * d + j];
      double inv = 1 / Math.sqrt(s);
      for (int j = 0; j < d; j++) m.data[i * d + j] *= inv;
    }
  }

  public static void main(String[] args) {
    int n = Integer.parseInt(args[0]);
    int d = Integer.parseInt(args[1]);
    int m = Integer.parseInt(args[2]);
    // Optional: the block width (the Cholesky's and the solves' tile), default 64.
    if (args.length > 3) Ridge.kernelBlockWidth = Integer.parseInt(args[3]);
    Random rng = new Random(1);
    DMatrixRMaj x = new DMatrixRMaj(n, d);
    DMatrixRMaj y = new DMatrixRMaj(n, d);
    for (int i = 0; i < x.data.length; i++) {
      x.data[i] = rng.nextGaussian();
      y.data[i] = rng.nextGaussian();
    }
    unitInPlace(x);
    unitInPlace(y);
    DMatrixRMaj test = Ridge.firstRows(x, m);
    long t0 = System.nanoTime();
    var cpu = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    Ridge.phaseLog =
        what ->
            System.out.printf(
                "  %-32s wall %7.1f s, process CPU %7.1f s%n",
                what,
                (System.nanoTime() - t0) / 1e9,
                ((com.sun.management.OperatingSystemMXBean) cpu).getProcessCpuTime() / 1e9);
    Ridge.Model model = Ridge.fit(x, y, new Ridge.Params(Ridge.Kernel.RBF, 0.1, 0.5));
    long t1 = System.nanoTime();
    DMatrixRMaj pred = model.predict(test);
    long t2 = System.nanoTime();
    Runtime rt = Runtime.getRuntime();
    System.out.printf(
        "process CPU total %.1f s%n",
        ((com.sun.management.OperatingSystemMXBean) cpu).getProcessCpuTime() / 1e9);
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
