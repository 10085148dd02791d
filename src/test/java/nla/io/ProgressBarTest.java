package nla.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
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
    try (ProgressBar p = ProgressBar.counting("x", "it", null).start(3, 0)) {
      p.advance(3);
      assertTrue(p.line().contains("3/3 it"), p.line());
    }
  }

  @Test
  void intoALogTheLineIsPlainTextAtACalmRateAndSilentForShortJobs() {
    long[] now = {0};
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream log = new PrintStream(buf, true, StandardCharsets.UTF_8);
    long s = 1_000_000_000L;
    try (ProgressBar p = ProgressBar.plainLines("eval demo (AV)", "it", log, () -> now[0])) {
      p.start(100, 0);
      for (int i = 1; i <= 100; i++) {
        now[0] = i * s / 2; // an item every half second: 50 s in all
        p.advance(1);
      }
    }
    List<String> lines = buf.toString(StandardCharsets.UTF_8).lines().toList();
    // The first after 5 s, then every 10 s (at 5, 15, 25, 35, 45 s), and the end.
    assertEquals(6, lines.size(), lines.toString());
    assertTrue(lines.get(0).startsWith("eval demo (AV) [##"), lines.get(0));
    assertTrue(lines.get(0).contains(" 10/100 it "), lines.get(0));
    assertTrue(lines.get(5).contains("100/100 it") && lines.get(5).endsWith("done"), lines.get(5));
    for (char c : buf.toString(StandardCharsets.UTF_8).toCharArray())
      assertTrue(c == '\n' || c >= ' ', "a control character in the log: " + (int) c);

    // A job of a few seconds says nothing at all into a log.
    ByteArrayOutputStream quiet = new ByteArrayOutputStream();
    now[0] = 0;
    try (ProgressBar p =
        ProgressBar.plainLines(
                "ridge", "it", new PrintStream(quiet, true, StandardCharsets.UTF_8), () -> now[0])
            .start(3, 0)) {
      now[0] = 4 * s;
      p.advance(3);
    }
    assertEquals("", quiet.toString(StandardCharsets.UTF_8));
  }

  @Test
  void onStderrThatIsNotATerminalTheBarPrintsPlainLinesRatherThanNothing() {
    // Surefire runs tests with stdin/stdout redirected: no console, as in a log or a pipe.
    assertFalse(ProgressBar.onTerminal("extract", "docs").isQuiet());
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
