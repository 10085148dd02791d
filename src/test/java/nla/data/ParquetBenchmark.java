package nla.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Prints the activation parquet write and read throughput for Qwen2.5-7B-sized rows (d = 3584).
 * Run: {@code mvn -q -o test-compile && java -cp target/classes:target/test-classes:target/lib/*
 * nla.data.ParquetBenchmark [rows]}.
 */
public final class ParquetBenchmark {
  public static void main(String[] args) throws Exception {
    int rows = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
    int d = 3584;
    List<ActivationRow> data = new ArrayList<>(rows);
    java.util.Random r = new java.util.Random(1);
    for (int i = 0; i < rows; i++) {
      float[] v = new float[d];
      for (int j = 0; j < d; j++) v[j] = (float) r.nextGaussian();
      data.add(new ActivationRow(51 + i % 2000, "text of row " + i, v, 20, "ufw:en:" + i / 5));
    }
    Path dir = Files.createTempDirectory("nla-bench");
    Path file = dir.resolve("bench.parquet");
    long t0 = System.nanoTime();
    ActivationParquet.write(file, d, data);
    long t1 = System.nanoTime();
    long[] n = {0};
    ActivationParquet.scan(file, row -> n[0]++);
    long t2 = System.nanoTime();
    double mb = (double) rows * d * 4 / 1e6;
    System.out.printf(
        "rows %d x d %d (%.0f MB of float32), file %.0f MB%n", rows, d, mb, Files.size(file) / 1e6);
    System.out.printf("write %.2f s (%.0f rows/s)%n", (t1 - t0) / 1e9, rows / ((t1 - t0) / 1e9));
    System.out.printf("read  %.2f s (%.0f rows/s)%n", (t2 - t1) / 1e9, n[0] / ((t2 - t1) / 1e9));
    Files.delete(file);
    Files.delete(dir);
  }
}
