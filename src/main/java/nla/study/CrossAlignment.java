package nla.study;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import nla.data.CrossModelAligner;
import nla.data.CrossModelAligner.AlignedPair;
import nla.io.UserError;

/**
 * §7's alignment error: how far apart, in characters, the two tokenizers' aligned tokens end, over
 * the rows the transfer matrix scores (an eval set is usually a sample of the aligned rows) and
 * over the whole {@code nla align} report. Each study row is found in the report by its document
 * and its token positions in both families' sets.
 *
 * @param report the report's file name
 * @param pairs the study's rows (all found in the report)
 * @param meanErrorChars mean error over those rows
 * @param maxErrorChars largest error over those rows
 * @param reportPairs every pair of the report
 * @param reportMeanErrorChars mean error over the whole report
 */
public record CrossAlignment(
    String report,
    int pairs,
    double meanErrorChars,
    int maxErrorChars,
    int reportPairs,
    double reportMeanErrorChars) {

  /**
   * Looks each row of the two row-aligned sets up in the report; either set may be model A's side.
   * A row the report does not hold is a user error: the sets were not written by that alignment.
   */
  public static CrossAlignment of(
      String reportName, List<AlignedPair> report, ActivationSet x, ActivationSet y) {
    for (ActivationSet s : List.of(x, y))
      if (s.positions() == null || s.docIds() == null)
        throw new UserError(
            "cross: --alignment needs activation parquet files (doc ids and token positions); "
                + s.name()
                + " has none");
    if (x.size() != y.size()) throw new UserError("cross: activation sets differ in row count");
    Map<String, AlignedPair> byA = new HashMap<>();
    for (AlignedPair p : report) byA.put(key(p.docId(), p.positionA()), p);
    boolean xIsA = x.size() == 0 || find(byA, x, y, 0) != null || find(byA, y, x, 0) == null;
    ActivationSet a = xIsA ? x : y;
    ActivationSet b = xIsA ? y : x;
    List<AlignedPair> rows = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      AlignedPair p = find(byA, a, b, i);
      if (p == null)
        throw new UserError(
            "cross: alignment report "
                + reportName
                + " has no pair for row "
                + i
                + " (doc "
                + a.docIds().get(i)
                + ", position "
                + a.positions().get(i)
                + " in "
                + a.name()
                + ", "
                + b.positions().get(i)
                + " in "
                + b.name()
                + "): were these sets written by that nla align run?");
      rows.add(p);
    }
    int max = rows.stream().mapToInt(AlignedPair::errorChars).max().orElse(0);
    return new CrossAlignment(
        reportName,
        rows.size(),
        CrossModelAligner.meanErrorChars(rows),
        max,
        report.size(),
        CrossModelAligner.meanErrorChars(report));
  }

  /** The report's pair for row i, when row i of a is its A token and row i of b its B token. */
  private static AlignedPair find(
      Map<String, AlignedPair> byA, ActivationSet a, ActivationSet b, int i) {
    AlignedPair p = byA.get(key(a.docIds().get(i), a.positions().get(i)));
    boolean matches =
        p != null && p.docId().equals(b.docIds().get(i)) && p.positionB() == b.positions().get(i);
    return matches ? p : null;
  }

  private static String key(String docId, int position) {
    return docId + "\n" + position;
  }
}
