package nla.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import nla.data.Progress;
import org.junit.jupiter.api.Test;

class TerminalProgressTest {
  @Test
  void barShowsCountsRateAndEtaAndEndsWithANewline() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    TerminalProgress p =
        new TerminalProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), "extract");
    p.update(0, 100);
    Thread.sleep(250);
    p.update(50, 100);
    p.update(100, 100);
    p.finish();
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("\rextract [###############...............] 50/100 docs"), out);
    assertTrue(out.contains("docs/s  ETA 0:0"), out);
    assertTrue(out.contains("100/100 docs"), out);
    assertTrue(out.endsWith("\n"), out);
  }

  @Test
  void withoutATerminalNothingIsDrawn() {
    // Surefire runs tests with stdin/stdout redirected: no console, so no bar in logs or pipes.
    assertSame(Progress.NONE, TerminalProgress.forTerminal("extract"));
  }

  @Test
  void clockFormatsMinutesAndHours() {
    assertEquals("0:07", TerminalProgress.clock(7.2));
    assertEquals("2:05", TerminalProgress.clock(125));
    assertEquals("1:01:01", TerminalProgress.clock(3661));
  }
}
