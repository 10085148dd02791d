package nla.study;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class BestOfNTest {
  @Test
  void bestOfPrefixPicksTheHighestScoreSoFar() {
    double[][] fve = {{0.5, 0.7, 0.6, 0.9}, {0.8, 0.2, 0.85, 0.1}};
    boolean[][] fail = new boolean[2][4];
    BestOfN.Summary s = BestOfN.summarize(fve, fail);
    // n=1: (0.5+0.8)/2, n=2: (0.7+0.8)/2, n=3: (0.7+0.85)/2, n=4: (0.9+0.85)/2
    assertArrayEquals(new double[] {0.65, 0.75, 0.775, 0.875}, s.fveByN(), 1e-12);
    assertEquals(2, s.doublings().size());
    assertEquals(0.10, s.doublings().get(0).gain(), 1e-12);
    assertEquals(0.125, s.doublings().get(1).gain(), 1e-12);
    // least squares of (0,.65) (1,.75) (1.585,.775) (2,.875)
    double[] x = {0, 1, Math.log(3) / Math.log(2), 2};
    assertEquals(Stats.fitLine(x, s.fveByN()).slope(), s.gainPerDoubling(), 1e-12);
    assertEquals(0, s.tagFailures());
  }

  @Test
  void tagFailuresAreCountedAndChosenOnlyWhenNothingElseIs() {
    double[][] fve = {{0.9, 0.4}, {0.3, 0.2}};
    boolean[][] fail = {{true, false}, {true, true}};
    assertEquals(0, BestOfN.choose(fve[0], fail[0], 1));
    assertEquals(1, BestOfN.choose(fve[0], fail[0], 2));
    assertEquals(0, BestOfN.choose(fve[1], fail[1], 2));
    BestOfN.Summary s = BestOfN.summarize(fve, fail);
    assertEquals(3, s.tagFailures());
    assertEquals(4, s.totalSamples());
    assertEquals((0.4 + 0.3) / 2, s.fveAt(2), 1e-12);
  }

  @Test
  void tiesGoToTheEarliestSample() {
    assertEquals(0, BestOfN.choose(new double[] {0.5, 0.5}, new boolean[2], 2));
  }
}
