package nla.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
    // The run's identity names the arithmetic its results were computed in.
    String engine = mf.get("studies").get("eval").get("engine").asText();
    assertTrue(engine.startsWith("nla ") && engine.endsWith(" on cpu, fp32"), engine);
    assertTrue(Files.readString(run.resolve("report.html")).contains("<svg"));
  }

  @Test
  void crossStudyFromTheCommandLineReportsTheAlignmentsMeanCharacterError() throws Exception {
    TinyNla.av(tmp.resolve("av"), "");
    TinyNla.ar(tmp.resolve("ar"));
    // Two families' activations at aligned positions (A's token i at 60 + i, B's at 50 + i) and
    // the alignment report that pairs them, errors 0, 1, 0, 1: mean 0.5 characters.
    Random r = new Random(4);
    for (String side : new String[] {"A", "B"}) {
      java.util.List<nla.data.ActivationRow> rows = new java.util.ArrayList<>();
      for (int i = 0; i < 4; i++) {
        float[] v = new float[TinyNla.HIDDEN];
        for (int k = 0; k < v.length; k++) v[k] = (float) r.nextGaussian();
        int position = (side.equals("A") ? 60 : 50) + i;
        rows.add(new nla.data.ActivationRow(position + 1, "text " + i, v, 1, "d:" + i));
      }
      nla.data.ActivationParquet.write(tmp.resolve(side + ".parquet"), TinyNla.HIDDEN, rows);
    }
    StringBuilder report = new StringBuilder();
    for (int i = 0; i < 4; i++) {
      report.append(
          String.format(
              "{\"doc_id\":\"d:%d\",\"position_a\":%d,\"position_b\":%d,"
                  + "\"end_char_a\":%d,\"end_char_b\":%d,\"error_chars\":%d}%n",
              i, 60 + i, 50 + i, 100 + i, 100 + i + i % 2, i % 2));
    }
    Files.writeString(tmp.resolve("alignment.jsonl"), report);
    Path av = tmp.resolve("av"), ar = tmp.resolve("ar");
    Path run = tmp.resolve("run");
    CliRun o =
        CliRun.run(
            "study",
            "cross",
            "--family",
            "a=" + av + "," + ar + "," + tmp.resolve("A.parquet"),
            "--family",
            "b=" + av + "," + ar + "," + tmp.resolve("B.parquet"),
            "--alignment",
            tmp.resolve("alignment.jsonl").toString(),
            "--max-new-tokens",
            "4",
            "--out",
            run.toString());
    assertEquals(0, o.code(), o.err());
    JsonNode alignment =
        JSON.readTree(run.resolve("results.json").toFile())
            .get("studies")
            .get("cross")
            .get("alignment");
    assertEquals(4, alignment.get("pairs").asInt());
    assertEquals(0.5, alignment.get("mean_error_chars").asDouble(), 1e-12);
    assertEquals(1, alignment.get("max_error_chars").asInt());
  }

  /**
   * {@code nla study eval --ignore-eos} decodes every row to {@code --max-new-tokens} past the AV's
   * EOS. The AV's EOS is made the token it writes first for row 0, so without the flag row 0's
   * decode ends at once (empty text) and with it the decode is {@code nla verbalize
   * --ignore-eos}'s.
   */
  @Test
  void studyEvalWithIgnoreEosDecodesPastTheAvsEos() throws Exception {
    Path av = TinyNla.av(tmp.resolve("av"), "");
    Path ar = TinyNla.ar(tmp.resolve("ar"));
    Path acts = tmp.resolve("acts.npy");
    vectors(acts, 2, 5);
    CliRun first =
        CliRun.run(
            "verbalize",
            "--av",
            av.toString(),
            "--vectors",
            acts.toString(),
            "--rows",
            "0",
            "--max-new-tokens",
            "1",
            "--json");
    assertEquals(0, first.code(), first.err());
    int token = JSON.readTree(first.out()).get("output_ids").get(0).asInt();
    Path config = av.resolve("config.json");
    String cfg = Files.readString(config);
    assertTrue(cfg.contains("\"eos_token_id\": 151645"), cfg);
    Files.writeString(
        config, cfg.replace("\"eos_token_id\": 151645", "\"eos_token_id\": " + token));
    CliRun expected =
        CliRun.run(
            "verbalize",
            "--av",
            av.toString(),
            "--vectors",
            acts.toString(),
            "--rows",
            "0",
            "--max-new-tokens",
            "5",
            "--ignore-eos",
            "--json");
    assertEquals(0, expected.code(), expected.err());
    JsonNode past = JSON.readTree(expected.out());
    assertEquals(5, past.get("output_ids").size());
    assertEquals(token, past.get("output_ids").get(0).asInt());

    String[] texts = new String[2];
    for (int i = 0; i < 2; i++) {
      Path run = tmp.resolve("run" + i);
      List<String> args =
          new ArrayList<>(
              List.of(
                  "study",
                  "eval",
                  "--av",
                  av.toString(),
                  "--ar",
                  ar.toString(),
                  "--activations",
                  acts.toString(),
                  "--max-new-tokens",
                  "5",
                  "--out",
                  run.toString()));
      if (i == 1) args.add("--ignore-eos");
      CliRun o = CliRun.run(args.toArray(String[]::new));
      assertEquals(0, o.code(), o.err());
      texts[i] = row0Text(run);
      JsonNode params =
          JSON.readTree(run.resolve("manifest.json").toFile())
              .get("studies")
              .get("eval")
              .get("parameters");
      assertEquals(i == 1, params.get("ignore_eos").asBoolean());
    }
    assertEquals("", texts[0], "without --ignore-eos row 0 stops at its first token, the EOS");
    assertEquals(past.get("text").asText(), texts[1]);
    assertTrue(!texts[1].isEmpty());
  }

  /** Row 0's decoded text in a run directory's one decode journal. */
  private static String row0Text(Path run) throws Exception {
    List<Path> journals;
    try (var files = Files.list(run.resolve("decodes"))) {
      journals = files.filter(f -> f.toString().endsWith(".jsonl")).toList();
    }
    assertEquals(1, journals.size(), journals.toString());
    for (String line : Files.readAllLines(journals.get(0))) {
      JsonNode rec = JSON.readTree(line);
      if (rec.get("row").asInt() == 0) return rec.get("text").asText();
    }
    throw new AssertionError("no decode of row 0 in " + journals.get(0));
  }
}
