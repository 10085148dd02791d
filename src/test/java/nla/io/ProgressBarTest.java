package nla.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
  @Test
  void countsAreDrawnWithRateAndEtaAndEndWithANewline() throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
    try (ProgressBar p = ProgressBar.counting("extract", "docs", out)) {
      p.update(0, 100);
      Thread.sleep(250);
      p.update(50, 100);
      String line = p.line();
      assertTrue(line.startsWith("extract [############------------]  50% 50/100 docs "), line);
      assertTrue(line.contains(" docs/s ETA 0:0"), line);
      p.update(100, 100);
    }
    String drawn = buf.toString(StandardCharsets.UTF_8);
    assertTrue(drawn.startsWith("\rextract [------------------------]   0% 0/100 docs"), drawn);
    assertTrue(drawn.contains("100/100 docs"), drawn);
    assertTrue(drawn.endsWith("\n"), drawn);
  }

  @Test
  void workResumedFromAnEarlierRunCountsAsDoneButNotInTheRate() throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (ProgressBar p =
        ProgressBar.counting("eval", "it", new PrintStream(buf, true, StandardCharsets.UTF_8))
            .start(10, 4)) {
      Thread.sleep(50);
      p.advance(2);
      String line = p.line();
      assertTrue(line.startsWith("eval [##############----------]  60% 6/10 it "), line);
      // 2 items in >= 50 ms: at most 40 it/s; counting the 4 resumed ones would allow 120.
      double rate = Double.parseDouble(line.replaceAll(".* (\\S+) it/s.*", "$1"));
      assertTrue(rate > 0 && rate <= 40, line);
    }
    assertTrue(buf.toString(StandardCharsets.UTF_8).startsWith("\reval [##########"));
  }

  @Test
  void withoutAStreamNothingIsDrawn() {
    // Surefire runs tests with stdin/stdout redirected: no console, so no bar in logs or pipes.
    assertTrue(ProgressBar.onTerminal("extract", "docs").isQuiet());
    try (ProgressBar p = ProgressBar.counting("x", "it", null).start(3, 0)) {
      p.advance(3);
      assertTrue(p.line().contains("3/3 it"), p.line());
    }
  }

  @Test
  void theByteLineShowsSizesRateAndEta() {
    assertEquals(
        "1/3 files [############------------]  50% 500 MB/1.00 GB 50.0 MB/s ETA 0:10",
        ProgressBar.render("1/3 files", 500_000_000L, 1_000_000_000L, 50e6, null));
    assertEquals(
        "0/1 files [------------------------]   0% 0 B/15.2 GB 0 B/s ETA --:--",
        ProgressBar.render("0/1 files", 0, 15_230_000_000L, 0, null));
    assertEquals(
        "ridge [########################] 100% 7/7 it 0.5 it/s done",
        ProgressBar.render("ridge", 7, 7, 0.5, "it"));
  }

  @Test
  void durationsReadAsMinutesAndHours() {
    assertEquals("0:07", ProgressBar.duration(7));
    assertEquals("2:05", ProgressBar.duration(125));
    assertEquals("1:01:01", ProgressBar.duration(3661));
  }
}
