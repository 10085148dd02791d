package nla.cli;

import static nla.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import nla.io.Npy;
import nla.io.UserError;
import nla.study.Studies;
import nla.study.Study;
import nla.study.StudyFlag;
import nla.study.StudyPlan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class StudyCommandsTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  @Test
  void spansJson() throws Exception {
    CliRun o = run("spans", "--text", "He said \"hi\" and 'bye' (it's fine)", "--json");
    assertEquals(0, o.code(), o.err());
    JsonNode j = JSON.readTree(o.out());
    assertEquals(2, j.get("count").asInt());
    assertEquals("double", j.get("spans").get(0).get("kind").asText());
    assertEquals(8, j.get("spans").get(0).get("start").asInt());
    assertEquals(12, j.get("spans").get(0).get("end").asInt());
    assertEquals("hi", j.get("spans").get(0).get("text").asText());
    assertEquals("bye", j.get("spans").get(1).get("text").asText());
    // 34 code points; spans of 4 and 5 → 9/34
    assertEquals(9.0 / 34, j.get("char_fraction").asDouble(), 1e-12);
  }

  @Test
  void overlapJson() throws Exception {
    CliRun o =
        run("overlap", "--a", "The quick brown fox", "--b", "a QUICK brown fox jumps", "--json");
    assertEquals(0, o.code(), o.err());
    JsonNode j = JSON.readTree(o.out());
    assertEquals(3, j.get("longest").asInt());
    assertEquals("[\"quick\",\"brown\",\"fox\"]", j.get("words").toString());
  }

  @Test
  void reportOfAFixtureRun() throws Exception {
    Path out = tmp.resolve("r.html");
    CliRun o =
        run(
            "report",
            "src/test/resources/report-fixture/run",
            "--out",
            out.toString(),
            "--prereg",
            "src/test/resources/report-fixture/preregistration.yaml");
    assertEquals(0, o.code(), o.err());
    assertTrue(Files.readString(out).contains("Pre-registered predictions"));
    assertTrue(Files.exists(tmp.resolve("results.json")));
  }

  @Test
  void reportOfANonRunIsAUserError() {
    CliRun o = run("report", tmp.toString());
    assertEquals(2, o.code());
    assertTrue(o.err().startsWith("nla: ") && o.err().contains("manifest.json"), o.err());
  }

  @Test
  void ridgeStudyFromNpyFilesThenReport() throws Exception {
    Random r = new Random(1);
    for (String f : new String[] {"ta", "tb", "ea", "eb"}) {
      float[][] m = new float[f.startsWith("t") ? 120 : 30][4];
      for (float[] row : m) for (int k = 0; k < 4; k++) row[k] = (float) r.nextGaussian();
      Npy.write(tmp.resolve(f + ".npy"), m);
    }
    Path runDir = tmp.resolve("run");
    CliRun o =
        run(
            "study",
            "ridge",
            "--out",
            runDir.toString(),
            "--a",
            "x=" + tmp.resolve("ta.npy") + "," + tmp.resolve("ea.npy"),
            "--b",
            "y=" + tmp.resolve("tb.npy") + "," + tmp.resolve("eb.npy"),
            "--ns",
            "30,60,120",
            "--kernels",
            "linear",
            "--folds",
            "3");
    assertEquals(0, o.code(), o.err());
    JsonNode s = JSON.readTree(runDir.resolve("ridge/summary.json").toFile());
    assertEquals(2, s.get("curves").size());
    assertEquals(3, s.get("curves").get(0).get("points").size());
    assertTrue(Files.exists(runDir.resolve("report.html")));
    JsonNode mf = JSON.readTree(runDir.resolve("manifest.json").toFile());
    assertEquals(42, mf.get("studies").get("ridge").get("seed").asInt());
    assertTrue(mf.get("studies").get("ridge").get("inputs").has("activations:ta.npy"));
    assertTrue(mf.get("sessions").get(0).get("ended").isTextual());
  }

  @Test
  void modelStudiesSayPlainlyThatThisBuildHasNoEngineYet() throws Exception {
    CliRun o =
        run(
            "study",
            "eval",
            "--out",
            tmp.resolve("run").toString(),
            "--av",
            "x",
            "--ar",
            "y",
            "--activations",
            "src/test/resources/report-fixture/run/manifest.json");
    assertEquals(2, o.code());
    assertTrue(o.err().startsWith("nla: "), o.err());
  }

  @Test
  void everyStudySubcommandHasHelp() {
    for (String s :
        new String[] {
          "all", "eval", "quote-ban", "confab", "redact", "best-of-n", "layers", "cross", "ridge"
        }) {
      CliRun o = run("study", s, "--help");
      assertEquals(0, o.code(), s);
      assertTrue(o.out().contains("Usage: nla study " + s), o.out());
    }
  }

  /**
   * The subcommands come from the registry: every registered study is one, with the study's own
   * flags and the options every study shares, listed in the registry's order.
   */
  @Test
  void everyRegisteredStudyIsASubcommandWithItsFlags() {
    CliRun all = run("study", "--help");
    assertEquals(0, all.code(), all.err());
    int last = -1;
    for (Study<?> study : Studies.ALL) {
      int at = all.out().indexOf("  " + study.name() + " ");
      assertTrue(at > last, study.name() + " listed in the registry's order:\n" + all.out());
      last = at;
      CliRun o = run("study", study.name(), "--help");
      assertEquals(0, o.code(), study.name());
      for (String common : List.of("--out", "--seed", "--batch", "--limit", "--max-new-tokens"))
        assertTrue(o.out().contains(common + "="), study.name() + " lacks " + common);
      for (StudyFlag f : study.flags())
        assertTrue(o.out().contains(f.name() + "="), study.name() + " lacks " + f.name());
    }
  }

  /**
   * Without {@code --batch} a study's plan has no batch and takes the device's default (16 on the
   * CPU the suite runs on); {@code --batch N} wins, and must be >= 1.
   */
  @Test
  void aStudysBatchDefaultsByDeviceAndAGivenOneWins() {
    StudyCommand.Common none = new StudyCommand.Common();
    new CommandLine(none).parseArgs("--out", "r");
    Map<String, Object> root = new LinkedHashMap<>(none.root());
    assertFalse(root.containsKey("batch"), root.toString());
    root.put("studies", Map.of("confab", Map.of("activations", "a")));
    root.put("activations", Map.of("a", "a.npy"));
    assertEquals(16, StudyPlan.of("nla study confab", root).batch());

    StudyCommand.Common given = new StudyCommand.Common();
    new CommandLine(given).parseArgs("--out", "r", "--batch", "300");
    Map<String, Object> root2 = new LinkedHashMap<>(given.root());
    assertEquals(300, root2.get("batch"));
    root2.putAll(Map.of("studies", root.get("studies"), "activations", root.get("activations")));
    assertEquals(300, StudyPlan.of("nla study confab", root2).batch());

    StudyCommand.Common zero = new StudyCommand.Common();
    new CommandLine(zero).parseArgs("--out", "r", "--batch", "0");
    UserError e = assertThrows(UserError.class, zero::root);
    assertEquals("--batch: must be >= 1, got 0", e.getMessage());

    String help = run("study", "eval", "--help").out().replaceAll("\\s+", " ");
    assertTrue(help.contains("Default: 16 on the CPU, 256 on a GPU."), help);
  }
}
