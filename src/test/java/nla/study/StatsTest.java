package nla.study;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StatsTest {
  @Test
  void quantilesInterpolateLikeNumpyLinear() {
    double[] x = {4, 1, 3, 2}; // sorted 1 2 3 4
    assertEquals(2.5, Stats.median(x), 1e-12);
    // numpy.percentile([1,2,3,4], 90) = 3.7
    assertEquals(3.7, Stats.quantile(x, 0.9), 1e-12);
    assertEquals(1.0, Stats.quantile(x, 0.0), 1e-12);
    assertEquals(4.0, Stats.quantile(x, 1.0), 1e-12);
    assertEquals(7.0, Stats.median(new double[] {7}), 1e-12);
  }

  @Test
  void sharesCountThresholdsInclusiveAndExclusive() {
    double[] x = {0, 5, 6, 7, 0.5};
    assertEquals(0.4, Stats.shareAtLeast(x, 6), 1e-12);
    assertEquals(0.6, Stats.shareAbove(x, 0.5), 1e-12);
  }

  @Test
  void derangementHasNoFixedPointsAndIsAPermutationAndRepeatsForASeed() {
    int[] p = Stats.derangement(50, 42);
    int[] sorted = p.clone();
    Arrays.sort(sorted);
    for (int i = 0; i < 50; i++) {
      assertNotEquals(i, p[i]);
      assertEquals(i, sorted[i]);
    }
    assertArrayEquals(p, Stats.derangement(50, 42));
    assertArrayEquals(new int[] {1, 0}, Stats.derangement(2, 7));
  }

  @Test
  void lineFitRecoversAnExactLine() {
    Stats.Line l = Stats.fitLine(new double[] {0, 1, 2, 3}, new double[] {1, 3, 5, 7});
    assertEquals(1, l.intercept(), 1e-12);
    assertEquals(2, l.slope(), 1e-12);
  }

  /**
   * Coverage of the 95% percentile bootstrap on synthetic data with a known mean: over 300
   * independent data sets of 100 normal draws, the interval holds the true mean in about 95% of
   * them (binomial sd at 300 trials is 1.3 points; the percentile bootstrap runs slightly under).
   */
  @Test
  void bootstrapCiCoversTheTrueMeanAbout95PercentOfTheTime() {
    Random data = new Random(1);
    double trueMean = 0.7;
    int covered = 0;
    int trials = 300;
    for (int t = 0; t < trials; t++) {
      double[] x = new double[100];
      for (int i = 0; i < x.length; i++) x[i] = trueMean + 0.1 * data.nextGaussian();
      Stats.Interval ci = Stats.bootstrapMeanCi(x, 0.95, 1000, t);
      assertTrue(ci.low() < ci.estimate() && ci.estimate() < ci.high());
      if (ci.low() <= trueMean && trueMean <= ci.high()) covered++;
    }
    double coverage = (double) covered / trials;
    assertTrue(coverage > 0.90 && coverage < 0.99, "coverage " + coverage);
  }

  /**
   * The interval of Fig. 1 and Fig. 2 on a sample small enough to work out by hand. For x = {0, 0,
   * 0, 1} a resample's mean is k/4 with k ~ Binomial(4, 1/4): P(0) = 81/256 = .316, P(1/4) = .422,
   * P(1/2) = .211, P(3/4) = .047, P(1) = .004, so the CDF is .316, .738, .949, .996, 1. The 2.5%
   * quantile of the resample means is therefore 0 and the 97.5% one 3/4 (the CDF passes .975 only
   * at 3/4). Both margins, .316 − .025 and .975 − .949 = .026, are more than ten standard errors of
   * an empirical CDF from 10,000 resamples (√(.05·.95/10⁴) = .0022), so any seed gives these.
   * Likewise for x = {0, 1}: means 0, 1/2, 1 with P = 1/4, 1/2, 1/4 give [0, 1].
   */
  @Test
  void bootstrapCiOfTinySamplesMatchesTheBinomialQuantilesWorkedOutByHand() {
    for (long seed : new long[] {1, 2, 42}) {
      Stats.Interval four = Stats.bootstrapMeanCi(new double[] {0, 0, 0, 1}, 0.95, 10_000, seed);
      assertEquals(0.25, four.estimate(), 0.0);
      assertEquals(0.0, four.low(), 0.0);
      assertEquals(0.75, four.high(), 0.0);
      Stats.Interval two = Stats.bootstrapMeanCi(new double[] {0, 1}, 0.95, 10_000, seed);
      assertEquals(0.0, two.low(), 0.0);
      assertEquals(1.0, two.high(), 0.0);
    }
  }

  @Test
  void bootstrapCiWidthMatchesTheStandardError() {
    // For n = 400 draws with sd 1, the 95% interval is about ±1.96/20 = ±0.098 wide each side.
    Random data = new Random(3);
    double[] x = new double[400];
    for (int i = 0; i < x.length; i++) x[i] = data.nextGaussian();
    Stats.Interval ci = Stats.bootstrapMeanCi(x, 0.95, 4000, 9);
    assertEquals(0.196, ci.high() - ci.low(), 0.025);
    assertEquals(ci, Stats.bootstrapMeanCi(x, 0.95, 4000, 9));
  }
}
