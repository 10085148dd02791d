package nla.data;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import nla.io.UserError;

/**
 * An eval set: {@code n} rows drawn with a seed from an activation file, kept in file order. The
 * draw is Python's {@code sorted(random.Random(seed).sample(range(rows), n))}, so the same rows can
 * be picked from pandas with one line.
 */
public final class EvalSet {
  private EvalSet() {}

  /** The row indices drawn, ascending. */
  public static long[] draw(long rows, int n, long seed) {
    if (n < 1) throw new UserError("--n must be >= 1, got " + n);
    if (n > rows) throw new UserError("--n " + n + " is more than the " + rows + " rows there are");
    List<Long> population =
        new AbstractList<>() {
          @Override
          public Long get(int i) {
            return (long) i;
          }

          @Override
          public int size() {
            return Math.toIntExact(rows);
          }
        };
    List<Long> picked = new PythonRandom(BigInteger.valueOf(seed)).sample(population, n);
    long[] out = picked.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(out);
    return out;
  }

  /** Writes the eval set and its sidecar (derived from the source's, when it has one). */
  public static long build(Path from, int n, long seed, Path out) {
    ActivationParquet.Info info = ActivationParquet.info(from);
    long[] picked = draw(info.rows(), n, seed);
    DatasetSidecar parent = DatasetSidecar.readFor(from);
    int d = parent != null ? parent.extraction().dModel() : info.dModel();
    try (ActivationParquet.Writer writer = new ActivationParquet.Writer(out, d)) {
      long[] index = {0};
      int[] next = {0};
      ActivationParquet.scan(
          from,
          row -> {
            if (next[0] < picked.length && picked[next[0]] == index[0]) {
              writer.add(row);
              next[0]++;
            }
            index[0]++;
          });
      if (parent != null) {
        new DatasetSidecar(
                parent.datasetId() + "_eval" + n + "_s" + seed,
                "eval",
                picked.length,
                parent.extraction(),
                List.of(parent.datasetId()),
                DatasetSidecar.now(),
                "nla eval-set")
            .writeFor(out);
      }
      writer.commit();
    }
    return picked.length;
  }
}
