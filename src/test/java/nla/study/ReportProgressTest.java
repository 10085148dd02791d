package nla.study;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import nla.io.ProgressBar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code nla report} on a large run renders figure after figure: into a log (stderr not a terminal)
 * it says which section it renders and when it writes the files, in plain lines without control
 * characters.
 */
class ReportProgressTest {
  @TempDir Path tmp;

  @Test
  void theReportSaysWhichSectionItRendersInPlainLines() throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    long[] now = {0};
    Path html = tmp.resolve("report.html");
    // Each look at the clock is 11 s later: every step is long enough to be reported.
    try (ProgressBar bar =
        ProgressBar.plainLines(
            "report",
            "sections",
            new PrintStream(log, true, StandardCharsets.UTF_8),
            () -> now[0] += 11_000_000_000L)) {
      Report.write(ReportTest.FIXTURE.resolve("run"), null, html, bar);
    }
    assertTrue(Files.readString(html).contains("<svg"));
    String text = log.toString(StandardCharsets.UTF_8);
    List<String> lines = text.lines().toList();
    int sections = Studies.ALL.size() + 1; // the fixture has every study, then the files
    for (Study<?> study : Studies.ALL)
      assertTrue(
          lines.stream().anyMatch(l -> l.startsWith("report " + study.name() + " [")),
          study.name() + " in " + text);
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("report writing report.html [")), text);
    String last = lines.get(lines.size() - 1);
    assertTrue(
        last.contains(sections + "/" + sections + " sections") && last.endsWith("done"), text);
    for (char c : text.toCharArray())
      assertTrue(c == '\n' || c >= ' ', "a control character in the log: " + (int) c);
  }
}
