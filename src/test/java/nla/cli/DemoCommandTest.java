package nla.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command, end to end: the bundled pair and corpus through extract-corpus,
 * eval-set and {@code study all} into a report, as a newcomer runs it.
 */
class DemoCommandTest {
  @TempDir Path tmp;

  @Test
  void demoRunsEverySingleFamilyStudyOnTheBundledCorpusAndWritesTheReport() throws Exception {
    Path out = tmp.resolve("demo");
    StudyCommandsTest.Out o = StudyCommandsTest.run("demo", "--out", out.toString(), "--rows", "8");
    assertEquals(0, o.code(), o.err());
    assertTrue(o.out().contains("$ nla extract-corpus"), o.out());
    assertTrue(o.out().contains("random-initialised"), "says plainly the pair is random");
    Path report = out.resolve("run/report.html");
    assertTrue(
        o.out().contains(report.toAbsolutePath().toString()), "ends by saying where the report is");
    assertTrue(Files.readString(report).contains("<svg"));

    JsonNode studies =
        new ObjectMapper().readTree(out.resolve("run/results.json").toFile()).get("studies");
    for (String s : new String[] {"eval", "quote-ban", "confab", "redact", "best-of-n"}) {
      assertTrue(studies.has(s), "ran " + s);
    }
    assertEquals(8, studies.get("eval").get("n").asInt());
    // The bundled AV is wired to write a tagged explanation, so the greedy decodes have their tags.
    assertEquals(0, studies.get("eval").get("missing_tags").asInt());
    assertEquals(3, studies.get("quote-ban").get("conditions").size());
  }
}
