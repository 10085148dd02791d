package nla.study.lens;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import nla.io.UserError;
import org.junit.jupiter.api.Test;

/** The lens's small rules: position lists, the noisy-position warnings, the page's colours. */
class LensTest {
  @Test
  void positionListsAcceptAllLastListsRangesAndNegatives() {
    assertArrayEquals(new int[] {0, 1, 2, 3}, Lens.parsePositions("all", 4));
    assertArrayEquals(new int[] {3}, Lens.parsePositions("last", 4));
    assertArrayEquals(new int[] {0, 2, 3}, Lens.parsePositions("0, 2-3", 4));
    assertArrayEquals(new int[] {3, 2}, Lens.parsePositions("-1,-2", 4));
    assertArrayEquals(new int[] {1}, Lens.parsePositions("1,1", 4), "duplicates once");
    for (String bad : List.of("4", "-5", "x", "3-1", "")) {
      UserError e = assertThrows(UserError.class, () -> Lens.parsePositions(bad, 4), bad);
      assertTrue(e.getMessage().startsWith("--positions: "), e.getMessage());
    }
  }

  @Test
  void earlySpecialAndOutlierPositionsAreFlagged() {
    assertEquals(List.of(), Lens.warnings(60, false, 10, 10));
    assertTrue(Lens.warnings(3, false, 10, 10).getFirst().startsWith("early position"));
    assertTrue(Lens.warnings(60, true, 10, 10).getFirst().startsWith("special token"));
    assertEquals(List.of("outlier norm: 4.0x the text's median"), Lens.warnings(60, false, 40, 10));
    assertEquals(List.of("outlier norm: 0.20x the text's median"), Lens.warnings(60, false, 2, 10));
    assertEquals(List.of(), Lens.warnings(60, false, 29, 10), "within 3x is ordinary");
  }

  @Test
  void theMedianNormLeavesOutPositionZero() {
    assertEquals(2.0, Lens.medianNorm(new double[] {1000, 1, 2, 3}));
    assertEquals(2.5, Lens.medianNorm(new double[] {1000, 1, 2, 3, 4}));
    assertEquals(7.0, Lens.medianNorm(new double[] {7}));
  }

  @Test
  void pageColoursRunFromRedToGreenAndEscapeMarkup() {
    assertEquals("hsl(0,75%,75%)", LensHtml.fveColour(-3));
    assertEquals("hsl(60,75%,75%)", LensHtml.fveColour(0.5));
    assertEquals("hsl(120,75%,75%)", LensHtml.fveColour(1.2));
    assertEquals("&lt;b a=&quot;1&quot;&gt;&amp;&#39;", LensHtml.escape("<b a=\"1\">&'"));
  }
}
