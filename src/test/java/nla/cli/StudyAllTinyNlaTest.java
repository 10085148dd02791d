package nla.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import nla.core.TinyNla;
import nla.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code nla study all} end to end through the real engine-backed AV and AR on a tiny random NLA
 * pair (plumbing, not fidelity: random weights write no explanation tags, so every decode is a
 * counted missing-tag decode whose raw text the AR reads).
 */
class StudyAllTinyNlaTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  static void vectors(Path f, int n, long seed) {
    Random r = new Random(seed);
    float[][] m = new float[n][TinyNla.HIDDEN];
    for (float[] row : m) for (int k = 0; k < m[0].length; k++) row[k] = (float) r.nextGaussian();
    Npy.write(f, m);
  }

  @Test
  void everyModelStudyRunsOnTheTinyPairAndTheReportIsWritten() throws Exception {
    TinyNla.av(tmp.resolve("av"), "");
    TinyNla.ar(tmp.resolve("ar"));
    vectors(tmp.resolve("acts.npy"), 3, 1);
    vectors(tmp.resolve("prev.npy"), 3, 2);
    Files.writeString(
        tmp.resolve("plan.yaml"),
        """
        seed: 3
        batch: 2
        max_new_tokens: 4
        nlas:
          tiny: {av: av, ar: ar}
          tiny2: {av: av, ar: ar}
        activations:
          tiny: acts.npy
          tiny2: prev.npy
        studies:
          eval: {nla: tiny}
          quote-ban: {nla: tiny}
          redact: {nla: tiny}
          best-of-n: {nla: tiny, samples: 2}
          layers: {nla: tiny, trained: L1, neighbours: {L0: prev.npy}}
          cross: {families: [tiny, tiny2]}
        """);
    Path run = tmp.resolve("run");
    CliRun o =
        CliRun.run(
            "study", "all", "--plan", tmp.resolve("plan.yaml").toString(), "--out", run.toString());
    assertEquals(0, o.code(), o.err());
    JsonNode r = JSON.readTree(run.resolve("results.json").toFile());
    JsonNode eval = r.get("studies").get("eval");
    assertEquals(3, eval.get("n").asInt());
    assertEquals(3, eval.get("missing_tags").asInt());
    assertTrue(Double.isFinite(eval.get("mean_fve").asDouble()));
    assertEquals(2, r.get("studies").get("best-of-n").get("fve_by_n").size());
    assertEquals(4, r.get("studies").get("cross").get("cells").size());
    JsonNode mf = r.get("manifest");
    assertTrue(mf.get("studies").get("eval").get("inputs").get("nla:tiny").asText().contains("+"));
    assertTrue(Files.readString(run.resolve("report.html")).contains("<svg"));
  }
}
