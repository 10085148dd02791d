package nla.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import nla.io.Npy;
import nla.model.CliFixtures;
import nla.model.LanguageModel;
import nla.model.SequenceInput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EngineCommandsTest {
  @TempDir Path dir;

  record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void inspectPrintsTheContractJson() throws Exception {
    Path m = CliFixtures.gemmaWrapper(dir.resolve("g"));
    Run r = run("inspect", m.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertEquals("gemma3_text", j.get("model_type").asText());
    assertEquals("Gemma3ForConditionalGeneration", j.get("architecture").asText());
    assertEquals(2, j.get("num_layers").asInt());
    assertEquals(32, j.get("d_model").asInt());
    assertEquals(97, j.get("vocab_size").asInt());
    assertEquals("bfloat16", j.get("dtype").asText());
    assertTrue(j.get("tensors").asInt() > 10);
    assertTrue(j.get("sidecar").isNull());
  }

  @Test
  void extractWritesOneFileOrOneFilePerLayerMatchingTheApi() throws Exception {
    Path m = CliFixtures.qwen2(dir.resolve("q"));
    Path one = dir.resolve("one.npy");
    Run r =
        run(
            "extract",
            "--model",
            m.toString(),
            "--token-ids",
            "1,2,3,4",
            "--layer",
            "1",
            "--out",
            one.toString());
    assertEquals(0, r.code(), r.err());
    float[][] got = Npy.read(one);
    Path many = dir.resolve("many");
    r =
        run(
            "extract",
            "--model",
            m.toString(),
            "--token-ids",
            "1,2,3,4",
            "--layer",
            "0",
            "--layer",
            "1",
            "--out",
            many.toString());
    assertEquals(0, r.code(), r.err());
    try (LanguageModel lm = LanguageModel.load(m, 1)) {
      float[][][] ref =
          lm.hiddenStates(List.of(SequenceInput.ofIds(1, 2, 3, 4)), new int[] {0, 1}).get(0);
      assertEquals(4, got.length);
      for (int t = 0; t < 4; t++) {
        assertArrayEquals(ref[1][t], got[t]);
        assertArrayEquals(ref[0][t], Npy.read(many.resolve("L0.npy"))[t]);
        assertArrayEquals(ref[1][t], Npy.read(many.resolve("L1.npy"))[t]);
      }
    }
  }

  @Test
  void generatePrintsPromptAndOutputIds() throws Exception {
    Path m = CliFixtures.qwen2(dir.resolve("q"));
    Run r =
        run(
            "generate",
            "--model",
            m.toString(),
            "--token-ids",
            "1,2,3",
            "--max-new-tokens",
            "4",
            "--ignore-eos",
            "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertEquals(3, j.get("prompt_ids").size());
    assertEquals(4, j.get("output_ids").size());
  }

  @Test
  void badInputsExitWithCode2AndOneLine() throws Exception {
    Path m = CliFixtures.qwen2(dir.resolve("q"));
    String[][] cases = {
      {
        "extract",
        "--model",
        m.toString(),
        "--token-ids",
        "1,200",
        "--layer",
        "0",
        "--out",
        dir.resolve("x.npy").toString()
      },
      {
        "extract",
        "--model",
        m.toString(),
        "--token-ids",
        "1,2",
        "--layer",
        "9",
        "--out",
        dir.resolve("x.npy").toString()
      },
      {
        "extract",
        "--model",
        m.toString(),
        "--token-ids",
        "1,a",
        "--layer",
        "0",
        "--out",
        dir.resolve("x.npy").toString()
      },
      {"generate", "--model", m.toString(), "--token-ids", "", "--json"},
      {"generate", "--model", dir.resolve("nope").toString(), "--token-ids", "1", "--json"},
      {"inspect", dir.toString()},
    };
    for (String[] c : cases) {
      Run r = run(c);
      assertEquals(Main.EXIT_USER_ERROR, r.code(), String.join(" ", c) + " -> " + r.err());
      assertTrue(r.err().startsWith("nla: "), r.err());
      assertEquals(1, r.err().strip().lines().count(), r.err());
    }
  }
}
