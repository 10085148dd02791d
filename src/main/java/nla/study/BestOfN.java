package nla.study;

import java.util.ArrayList;
import java.util.List;

/**
 * §5, best-of-N: N temperature-1.0 samples per activation; for each prefix n = 1..N the sample with
 * the AR's best score (highest FVE, i.e. lowest mse_nrm: the training reward used as a test-time
 * verifier) is kept, and FVE is averaged over items.
 *
 * <p>Selection prefers samples whose decode has both explanation tags; a tag failure is chosen only
 * when every sample in the prefix failed. Ties go to the earliest sample, so the result does not
 * depend on anything but the scores' order.
 */
public final class BestOfN {
  private BestOfN() {}

  /** One doubling step: FVE at n and at 2n. */
  public record Doubling(int n, double fveAtN, double fveAt2n, double gain) {}

  public record Summary(
      int items,
      int samplesPerItem,
      double[] fveByN,
      List<Doubling> doublings,
      double gainPerDoubling,
      int tagFailures,
      int totalSamples) {
    public double fveAt(int n) {
      return fveByN[n - 1];
    }
  }

  /** Index of the sample chosen among the first {@code n} of one item. */
  public static int choose(double[] fve, boolean[] tagFailure, int n) {
    int best = -1;
    for (int j = 0; j < n; j++) {
      if (best < 0) {
        best = j;
        continue;
      }
      boolean okJ = !tagFailure[j];
      boolean okBest = !tagFailure[best];
      if (okJ && !okBest) best = j;
      else if (okJ == okBest && fve[j] > fve[best]) best = j;
    }
    return best;
  }

  /**
   * @param fve [item][sample] FVE of each sample's reconstruction
   * @param tagFailure [item][sample] whether the decode lacked the explanation tags
   */
  public static Summary summarize(double[][] fve, boolean[][] tagFailure) {
    int items = fve.length;
    int samples = items == 0 ? 0 : fve[0].length;
    double[] byN = new double[samples];
    int failures = 0;
    for (int i = 0; i < items; i++) {
      if (fve[i].length != samples || tagFailure[i].length != samples)
        throw new IllegalArgumentException("item " + i + " has a different number of samples");
      for (boolean f : tagFailure[i]) if (f) failures++;
    }
    for (int n = 1; n <= samples; n++) {
      double s = 0;
      for (int i = 0; i < items; i++) s += fve[i][choose(fve[i], tagFailure[i], n)];
      byN[n - 1] = s / items;
    }
    List<Doubling> doublings = new ArrayList<>();
    for (int n = 1; 2 * n <= samples; n *= 2)
      doublings.add(new Doubling(n, byN[n - 1], byN[2 * n - 1], byN[2 * n - 1] - byN[n - 1]));
    double[] log2n = new double[samples];
    for (int n = 1; n <= samples; n++) log2n[n - 1] = Math.log(n) / Math.log(2);
    double slope = samples < 2 ? Double.NaN : Stats.fitLine(log2n, byN).slope();
    return new Summary(items, samples, byN, doublings, slope, failures, items * samples);
  }
}
