package nla.study;

import java.util.List;

/**
 * §7, the 2×2 cross-family transfer matrix: cell (row AV family, column AR family) is the FVE of
 * the row AV's explanations reconstructed by the column AR, scored against the column family's own
 * vectors with the column family's denominator. Each cell has a shuffled-pair null (the same
 * reconstructions scored against a deranged pairing of gold vectors) and its share of the column's
 * within-family ceiling (the diagonal cell of that column).
 */
public final class TransferMatrix {
  private TransferMatrix() {}

  public record Cell(
      String avFamily,
      String arFamily,
      double fve,
      double nullFve,
      double shareOfCeiling,
      boolean withinFamily) {}

  public record Matrix(List<String> families, Cell[][] cells) {
    public Cell cell(String av, String ar) {
      return cells[families.indexOf(av)][families.indexOf(ar)];
    }
  }

  /**
   * @param fve [av][ar] mean FVE of each cell
   * @param nullFve [av][ar] mean FVE of each cell's shuffled-pair null
   */
  public static Matrix of(List<String> families, double[][] fve, double[][] nullFve) {
    int k = families.size();
    Cell[][] cells = new Cell[k][k];
    for (int a = 0; a < k; a++)
      for (int r = 0; r < k; r++)
        cells[a][r] =
            new Cell(
                families.get(a),
                families.get(r),
                fve[a][r],
                nullFve[a][r],
                fve[a][r] / fve[r][r],
                a == r);
    return new Matrix(List.copyOf(families), cells);
  }
}
