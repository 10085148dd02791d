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
    CliRun o = CliRun.run("demo", "--out", out.toString(), "--rows", "8");
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

    // The README's first command, typed a second time: the finished demo is resumed, not refused.
    CliRun again = CliRun.run("demo", "--out", out.toString(), "--rows", "8");
    assertEquals(0, again.code(), again.err());
    assertTrue(again.err().contains("nla demo: resuming the demo in " + out), again.err());
    assertTrue(again.out().contains("kept from the earlier run: " + out.resolve("eval.parquet")));
    assertTrue(Files.readString(report).contains("<svg"));
  }

  @Test
  void aDemoWithOtherSettingsOrFromAnEarlierVersionIsStartedAfresh() throws Exception {
    Path out = tmp.resolve("demo");
    CliRun first =
        CliRun.run("demo", "--out", out.toString(), "--rows", "4", "--max-new-tokens", "4");
    assertEquals(0, first.code(), first.err());

    CliRun other =
        CliRun.run("demo", "--out", out.toString(), "--rows", "5", "--max-new-tokens", "4");
    assertEquals(0, other.code(), other.err());
    assertTrue(other.err().contains("nla demo: starting " + out + " afresh"), other.err());
    assertTrue(other.err().contains("\"rows\": 4"), "says what differed: " + other.err());
    assertEquals(
        5,
        new ObjectMapper()
            .readTree(out.resolve("run/results.json").toFile())
            .get("studies")
            .get("eval")
            .get("n")
            .asInt());

    // A folder from before the settings were recorded (the first release) is replaced too.
    Files.delete(out.resolve("demo.json"));
    CliRun old =
        CliRun.run("demo", "--out", out.toString(), "--rows", "5", "--max-new-tokens", "4");
    assertEquals(0, old.code(), old.err());
    assertTrue(old.err().contains("afresh (the demo there has no record of its settings)"));
  }

  @Test
  void theDeviceGivenToTheDemoReachesEveryStep() throws Exception {
    Path out = tmp.resolve("demo");
    CliRun o =
        CliRun.run(
            "--device",
            "cpu",
            "demo",
            "--out",
            out.toString(),
            "--rows",
            "4",
            "--max-new-tokens",
            "4");
    assertEquals(0, o.code(), o.err());
    // Each step is a command line of its own, which starts from the process default device.
    for (String step : new String[] {"extract-corpus", "eval-set", "study all"})
      assertTrue(o.out().contains("$ nla --device cpu " + step + " "), o.out());
  }

  @Test
  void aFolderWithTheDemosFileNamesButNoDemoIsRefusedNotCleared() throws Exception {
    Path out = Files.createDirectories(tmp.resolve("mine"));
    Files.writeString(out.resolve("plan.yaml"), "seed: 1\n");
    CliRun o = CliRun.run("demo", "--out", out.toString());
    assertEquals(2, o.code());
    assertTrue(o.err().startsWith("nla: " + out + " holds files of the demo's names"), o.err());
    assertEquals("seed: 1\n", Files.readString(out.resolve("plan.yaml")));
  }
}
