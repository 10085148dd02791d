package nla.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressTest {
  @Test
  void drawsCountsRateAndEtaOnATerminalStream() throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
    try (Progress p = new Progress("eval", 10, 4, out)) {
      Thread.sleep(50);
      p.step(2);
      String line = p.line();
      assertTrue(line.startsWith("eval  6/10   60%  "), line);
      assertTrue(line.contains(" it/s  ETA "), line);
    }
    String drawn = buf.toString(StandardCharsets.UTF_8);
    assertTrue(drawn.startsWith("\reval  4/10   40%"), drawn);
    assertTrue(drawn.endsWith("\n"), drawn);
  }

  @Test
  void quietWithoutAStream() {
    try (Progress p = new Progress("x", 3, 0, null)) {
      p.step(3);
      assertTrue(p.line().contains("3/3"));
    }
  }

  @Test
  void durationsReadAsSecondsMinutesHours() {
    assertEquals("42s", Progress.duration(42));
    assertEquals("2m05s", Progress.duration(125));
    assertEquals("1h01m", Progress.duration(3660));
  }
}
