package nla.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import nla.data.ActivationParquet;
import nla.data.ActivationRow;
import nla.io.Npy;
import nla.io.UserError;

/**
 * The vectors a command works on: a {@code .npy} file ([n, d] or [d]) or the {@code
 * activation_vector} column of an activation parquet (contract §6), and a row selection.
 */
final class VectorInput {
  private VectorInput() {}

  /** The selected rows of a file, with their row numbers in the file. */
  record Selection(List<float[]> vectors, int[] rows, String name) {}

  static Selection read(Path file, String rowsFlag) {
    String name = file.getFileName().toString();
    float[][] all;
    if (name.endsWith(".npy")) {
      all = Npy.read(file);
    } else if (name.endsWith(".parquet")) {
      List<ActivationRow> table = ActivationParquet.read(file);
      all = new float[table.size()][];
      for (int i = 0; i < all.length; i++) all[i] = table.get(i).activationVector();
    } else {
      throw new UserError("--vectors: " + file + ": expected a .npy or .parquet file");
    }
    if (all.length == 0) throw new UserError("--vectors: " + file + ": holds no vectors (0 rows)");
    int[] rows = parseRows(rowsFlag, all.length);
    List<float[]> vectors = new ArrayList<>(rows.length);
    for (int r : rows) vectors.add(all[r]);
    return new Selection(vectors, rows, file.toString());
  }

  /**
   * A whole file of the wrong width (every selected row, as in any .npy) is one error, before any
   * work, rather than one line per row; rows of mixed widths (a parquet) stay per-row errors.
   */
  static void requireWidth(Selection selection, int dModel, String model) {
    int width = selection.vectors().get(0).length;
    if (width == dModel) return;
    for (float[] v : selection.vectors()) if (v.length != width) return;
    throw new UserError(
        "--vectors: "
            + selection.name()
            + ": vectors have width "
            + width
            + ", but the "
            + model
            + "'s d_model is "
            + dModel);
  }

  /** "0,2,5" (and ranges "3-7"); null = every row. */
  static int[] parseRows(String flag, int n) {
    if (flag == null) {
      int[] all = new int[n];
      for (int i = 0; i < n; i++) all[i] = i;
      return all;
    }
    List<Integer> out = new ArrayList<>();
    for (String part : flag.split(",")) {
      String p = part.strip();
      if (p.isEmpty()) continue;
      try {
        int dash = p.indexOf('-', 1);
        int from = Integer.parseInt(dash < 0 ? p : p.substring(0, dash));
        int to = dash < 0 ? from : Integer.parseInt(p.substring(dash + 1));
        for (int r = from; r <= to; r++) {
          if (r < 0 || r >= n) {
            throw new UserError(
                "--rows: row " + r + " is out of range (the file has " + n + " rows)");
          }
          out.add(r);
        }
      } catch (NumberFormatException e) {
        throw new UserError("--rows: expected row numbers like 0,2,5 or 3-7, got \"" + p + "\"");
      }
    }
    if (out.isEmpty()) throw new UserError("--rows: no rows selected");
    return out.stream().mapToInt(Integer::intValue).toArray();
  }
}
