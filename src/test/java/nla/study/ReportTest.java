package nla.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import nla.io.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report from a fixture run directory holding the seed study's published numbers (hand-entered
 * summaries under {@code src/test/resources/report-fixture}), checked as text and rendered in a
 * real headless Chromium.
 */
class ReportTest {
  static final Path FIXTURE = Path.of("src/test/resources/report-fixture");
  @TempDir Path tmp;

  static int count(String haystack, String needle) {
    int n = 0;
    for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) n++;
    return n;
  }

  @Test
  void preregistrationIsScoredAgainstTheSummaries() {
    Report.Built b = Report.build(FIXTURE.resolve("run"), FIXTURE.resolve("preregistration.yaml"));
    JsonNode p = b.results().get("preregistration");
    // Hand-checked against the fixture: 0.616 ∈ [.55,.68]; 0.506 ∉ [.7,1]; 0.592 ∉ [.35,.55];
    // 0.0575 ∈ [.057,.0585]; 0.50 ∉ [.59,1]; 0.799 ∉ [.85,1].
    List<String> verdicts = new ArrayList<>();
    for (JsonNode x : p) verdicts.add(x.get("verdict").asText());
    assertEquals(List.of("✓", "✗", "✗", "✓", "✗", "✗"), verdicts);
    assertEquals(0.616, p.get(0).get("actual").asDouble());
    assertEquals(0.799, p.get(5).get("actual").asDouble());
  }

  @Test
  void aMetricThatWasNotMeasuredIsScoredAsMissing() throws Exception {
    Path y = tmp.resolve("p.yaml");
    Files.writeString(
        y, "predictions:\n  - {claim: c, study: eval, metric: no_such_field, expected: [0, 1]}\n");
    Report.Built b = Report.build(FIXTURE.resolve("run"), y);
    assertEquals("—", b.results().get("preregistration").get(0).get("verdict").asText());
  }

  @Test
  void badPreregistrationFilesAreUserErrorsNamingTheField() throws Exception {
    Path y = tmp.resolve("p.yaml");
    Files.writeString(y, "predictions:\n  - {claim: c, study: eval, metric: m, expected: [0]}\n");
    UserError e = assertThrows(UserError.class, () -> Report.build(FIXTURE.resolve("run"), y));
    assertTrue(e.getMessage().contains("predictions[0].expected"), e.getMessage());
    assertThrows(UserError.class, () -> Report.build(tmp, null));
  }

  @Test
  void onAMachineWithoutFontsTheReportSaysSoInPlaceOfEachChartAndKeepsTheTables() {
    Charts.assumeNoFonts("Fontconfig head is null, check your fonts or fonts configuration");
    try {
      String h = Report.build(FIXTURE.resolve("run"), null).html();
      assertEquals(5, count(h, "<figure class=\"fig\""));
      assertEquals(0, count(h, "<svg"));
      assertEquals(5, count(h, "Chart left out: Java found no fonts"));
      assertTrue(h.contains("Fontconfig head is null"), "the reason, as Java gave it");
      assertTrue(h.contains("0.775") && h.contains("95.8%") && h.contains("0.0579")); // §1
    } finally {
      Charts.assumeNoFonts(null); // this machine has fonts
    }
  }

  @Test
  void htmlIsSelfContainedWithTheTablesAndFiveFigures() {
    Report.Built b = Report.build(FIXTURE.resolve("run"), FIXTURE.resolve("preregistration.yaml"));
    String h = b.html();
    assertEquals(5, count(h, "<figure class=\"fig\""));
    assertEquals(5, count(h, "<svg"));
    for (String id : List.of("fig-ban", "fig-redact", "fig-bon", "fig-cross", "fig-ridge"))
      assertTrue(h.contains("id=\"" + id + "\"") || h.contains("id='" + id + "'"), id);
    assertTrue(!h.contains("http://") || onlyInSvgNamespaces(h), "no network references");
    assertTrue(!h.contains("<script"));
    assertTrue(h.contains("0.775") && h.contains("95.8%") && h.contains("0.0579")); // §1
    assertTrue(h.contains("0.9971") && h.contains("0.0187")); // §6
    assertTrue(h.contains("78.7% of ceiling") && h.contains("68.2% of ceiling")); // §7
    // §7's token alignment: the seed publishes only the mean error, 0.3 characters.
    assertTrue(
        h.contains("<td>mean alignment error (characters between token ends)</td><td>0.300"));
    assertTrue(!h.contains("aligned pairs scored"), "no row for a field the summary lacks");
    assertTrue(h.contains("1.1e+05")); // §8 crossover
  }

  /**
   * The text of a figure (its SVG's text elements and its caption) without markup or whitespace:
   * the category axis wraps long labels over several text elements.
   */
  static String figureText(String html, int number) {
    int start = html.indexOf("<figure class=\"fig\" id=\"fig-" + number + "\">");
    String markup = html.substring(start, html.indexOf("</figcaption>", start));
    return markup.replaceAll("<[^>]*>", "").replaceAll("\\s+", "");
  }

  /**
   * Fig. 1 and Fig. 2 draw each condition's 95% CI as a whisker and print it under the bar; the
   * fixture's quote-ban summary has the seed's published intervals, its redaction summary none (the
   * seed gives none), and the captions say which.
   */
  @Test
  void fig1AndFig2ShowTheConfidenceIntervalsTheSummariesHold() throws Exception {
    String h = Report.build(FIXTURE.resolve("run"), null).html();
    String fig1 = figureText(h, 1);
    assertTrue(h.contains("<figure class=\"fig\" id=\"fig-1\"><svg id='fig-ban'"));
    assertTrue(fig1.contains("0.775[0.766,0.783]") && fig1.contains("0.616[0.603,0.629]"));
    assertTrue(fig1.contains("95%percentilebootstrapCIofthemeanoveritems"));
    String fig2 = figureText(h, 2);
    assertTrue(h.contains("<figure class=\"fig\" id=\"fig-2\"><svg id='fig-redact'"));
    assertTrue(fig2.contains("Noconfidenceintervalsrecorded"));

    // A run whose redaction summary has intervals (as RedactStudy.run now writes them).
    Path run = tmp.resolve("run");
    copyTree(FIXTURE.resolve("run"), run);
    Path redact = run.resolve("redact").resolve("summary.json");
    var summary =
        (com.fasterxml.jackson.databind.node.ObjectNode) RunDir.JSON.readTree(redact.toFile());
    double[][] ci = {{0.765, 0.785}, {0.49, 0.522}, {0.18, 0.21}, {-0.11, -0.07}, {-0.23, -0.19}};
    for (int i = 0; i < ci.length; i++) {
      var c = (com.fasterxml.jackson.databind.node.ObjectNode) summary.get("conditions").get(i);
      c.put("fve_ci_low", ci[i][0]);
      c.put("fve_ci_high", ci[i][1]);
    }
    Files.write(redact, RunDir.JSON.writeValueAsBytes(summary));
    Report.Built b = Report.write(run, null, tmp.resolve("out").resolve("report.html"));
    fig2 = figureText(b.html(), 2);
    assertTrue(fig2.contains("0.506[0.490,0.522]") && fig2.contains("-0.210[-0.230,-0.190]"));
    assertTrue(fig2.contains("95%percentilebootstrapCIofthemeanoveritems"));
    JsonNode r = RunDir.JSON.readTree(tmp.resolve("out").resolve("results.json").toFile());
    assertEquals(
        0.49,
        Report.resolve(
                r.get("studies").get("redact"), "conditions[condition=spans-with-marks].fve_ci_low")
            .asDouble());
  }

  @Test
  void intervalsPrintAsBracketedPairsThatReadRightWhenNegative() throws Exception {
    Path run = tmp.resolve("run");
    copyTree(FIXTURE.resolve("run"), run);
    Path eval = run.resolve("eval").resolve("summary.json");
    var summary =
        (com.fasterxml.jackson.databind.node.ObjectNode) RunDir.JSON.readTree(eval.toFile());
    summary.put("fve_ci_low", -1.109);
    summary.put("fve_ci_high", -0.66);
    Files.write(eval, RunDir.JSON.writeValueAsBytes(summary));
    String h = Report.build(run, FIXTURE.resolve("preregistration.yaml")).html();
    assertTrue(h.contains("95% CI [-1.109, -0.660]"), "the headline card");
    assertTrue(h.contains("<td>95% bootstrap CI</td><td>[-1.109, -0.660]</td>"), "the §1 table");
    assertTrue(h.contains("<td>[0.766, 0.783]</td>"), "the §2 table");
    assertTrue(h.contains("<td>[0.550, 0.680]</td>"), "a pre-registered range");
    assertTrue(!h.contains("–-") && !h.contains("– -"), "no dash before a minus sign");
  }

  @Test
  void theReportSaysAtTheTopWhenTheRunUsedTheDemosRandomPair() throws Exception {
    String demoNote = "This run used the bundled demo pair";
    assertTrue(!Report.build(FIXTURE.resolve("run"), null).html().contains(demoNote));

    Path run = tmp.resolve("run");
    copyTree(FIXTURE.resolve("run"), run);
    Path manifest = run.resolve(RunDir.MANIFEST);
    var mf =
        (com.fasterxml.jackson.databind.node.ObjectNode) RunDir.JSON.readTree(manifest.toFile());
    var inputs =
        (com.fasterxml.jackson.databind.node.ObjectNode)
            mf.get("studies").get("eval").get("inputs");
    inputs.put("nla:demo", "0123+4567");
    Files.write(manifest, RunDir.JSON.writeValueAsBytes(mf));
    assertTrue(!Report.build(run, null).html().contains(demoNote), "another pair is not the demo");

    inputs.put("nla:demo", DemoKit.pairHash());
    Files.write(manifest, RunDir.JSON.writeValueAsBytes(mf));
    String h = Report.build(run, null).html();
    assertTrue(
        h.indexOf(demoNote) > 0 && h.indexOf(demoNote) < h.indexOf("</header>"), "at the top");
  }

  /**
   * A report is written under a temporary name and renamed over the old one, so a write that fails
   * halfway leaves the old report whole. Seen from outside: a hard link to the old file still holds
   * the old text (an in-place write would have truncated and rewritten that same file), and no
   * temporary file is left behind.
   */
  @Test
  void aNewReportReplacesTheOldFileWholeRatherThanRewritingItInPlace() throws Exception {
    Path out = Files.createDirectories(tmp.resolve("out"));
    Path html = out.resolve("report.html");
    Path results = out.resolve("results.json");
    Files.writeString(html, "the old report");
    Files.writeString(results, "{}");
    Path oldHtml = Files.createLink(out.resolve("old-report.html"), html);
    Path oldResults = Files.createLink(out.resolve("old-results.json"), results);

    Report.write(FIXTURE.resolve("run"), null, html);

    assertTrue(Files.readString(html).startsWith("<!DOCTYPE html>"));
    assertEquals("the old report", Files.readString(oldHtml));
    assertEquals("{}", Files.readString(oldResults));
    try (var files = Files.list(out)) {
      assertEquals(
          List.of("old-report.html", "old-results.json", "report.html", "results.json"),
          files.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  static void copyTree(Path from, Path to) throws java.io.IOException {
    try (var paths = Files.walk(from)) {
      for (Path p : paths.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) Files.createDirectories(target);
        else Files.copy(p, target);
      }
    }
  }

  /** SVG carries xmlns URIs, which are names, not fetches; nothing else may mention http. */
  static boolean onlyInSvgNamespaces(String h) {
    Matcher m = Pattern.compile("https?://[^\"' )]+").matcher(h);
    while (m.find()) {
      String u = m.group();
      if (!u.startsWith("http://www.w3.org/")
          && !u.startsWith("http://www.jfree.org")
          && !u.startsWith("https://www.jfree.org")) return false;
    }
    return true;
  }

  @Test
  void writesHtmlAndResultsJsonBesideIt() throws Exception {
    Path out = tmp.resolve("r").resolve("report.html");
    Report.write(FIXTURE.resolve("run"), null, out);
    JsonNode r = RunDir.JSON.readTree(tmp.resolve("r").resolve("results.json").toFile());
    assertEquals(
        0.506,
        Report.resolve(
                r.get("studies").get("redact"), "conditions[condition=spans-with-marks].mean_fve")
            .asDouble());
    assertTrue(Files.readString(out).startsWith("<!DOCTYPE html>"));
  }

  /**
   * Renders the report in headless Chromium (Debian package {@code chromium}): the DOM it builds
   * holds every figure's SVG, the console reports no error, and a screenshot is produced. Set
   * {@code -Dnla.report.screenshot=PATH} to keep the screenshot (docs/report-fixture.png is made
   * that way).
   */
  @Test
  void rendersInHeadlessChromiumWithTheFiguresPresent() throws Exception {
    Path html = tmp.resolve("report.html");
    Report.write(FIXTURE.resolve("run"), FIXTURE.resolve("preregistration.yaml"), html);
    Chromium.Result dom = Chromium.run(tmp, html, "--dump-dom");
    assertEquals(0, dom.exitCode(), dom.stderr());
    assertEquals(5, count(dom.stdout(), "<svg"), "figures in the rendered DOM");
    for (String id : List.of("fig-ban", "fig-redact", "fig-bon", "fig-cross", "fig-ridge"))
      assertTrue(dom.stdout().contains("id=\"" + id + "\""), id);
    assertTrue(dom.stdout().contains("Pre-registered predictions"));
    assertTrue(
        !dom.stderr().contains("Uncaught") && !dom.stderr().contains("CONSOLE("), dom.stderr());

    Path png = tmp.resolve("shot.png");
    Chromium.Result shot =
        Chromium.run(
            tmp, html, "--screenshot=" + png, "--window-size=1000,5000", "--hide-scrollbars");
    assertEquals(0, shot.exitCode(), shot.stderr());
    byte[] bytes = Files.readAllBytes(png);
    assertTrue(bytes.length > 20_000, "screenshot is " + bytes.length + " bytes");
    assertEquals((byte) 0x89, bytes[0]);
    assertEquals('P', bytes[1]);
    String keep = System.getProperty("nla.report.screenshot");
    if (keep != null)
      Files.copy(png, Path.of(keep), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  /** Runs the system's Chromium headless with a fresh profile and no network services. */
  static final class Chromium {
    record Result(int exitCode, String stdout, String stderr) {}

    static Result run(Path work, Path html, String... extra) throws Exception {
      Path profile = Files.createTempDirectory(work, "chromium-profile");
      List<String> cmd =
          new ArrayList<>(
              List.of(
                  "chromium",
                  "--headless",
                  "--no-sandbox",
                  "--disable-gpu",
                  "--no-first-run",
                  "--disable-background-networking",
                  "--disable-component-update",
                  "--disable-sync",
                  "--enable-logging=stderr",
                  "--user-data-dir=" + profile));
      cmd.addAll(List.of(extra));
      cmd.add(html.toUri().toString());
      Path out = work.resolve("chromium.out");
      Path err = work.resolve("chromium.err");
      Process p =
          new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("chromium did not finish in 120 s: " + Files.readString(err));
      }
      return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }
  }
}
