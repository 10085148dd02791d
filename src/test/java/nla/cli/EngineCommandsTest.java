package nla.cli;

import static nla.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import nla.backend.cpu.CpuBackend;
import nla.io.Npy;
import nla.model.CliFixtures;
import nla.model.LanguageModel;
import nla.model.SequenceInput;
import nla.model.bench.BenchShape;
import nla.model.bench.Benchmark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EngineCommandsTest {
  @TempDir Path dir;

  @Test
  void inspectPrintsTheContractJson() throws Exception {
    Path m = CliFixtures.gemmaWrapper(dir.resolve("g"));
    CliRun r = run("inspect", m.toString(), "--json");
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
    CliRun r =
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
  void bf16FlagReachesTheModelsACommandLoadsAndEndsWithTheCommand() throws Exception {
    // A model whose every product fits the AMX tiles, so the opt-in mode really changes numbers.
    Path m =
        Benchmark.writeRandomModel(
            new BenchShape("tile-shaped", "qwen2", 128, 256, 2, 4, 2, 32, 512, true),
            dir.resolve("t"));
    String[] extract = {
      "extract", "--model", m.toString(), "--token-ids", "1,2,3,4,5", "--layer", "1", "--out"
    };
    CliRun exact = run(concat(extract, dir.resolve("exact.npy").toString()));
    assertEquals(0, exact.code(), exact.err());
    CliRun bf16 =
        run(concat(new String[] {"--bf16"}, concat(extract, dir.resolve("bf16.npy").toString())));
    assertFalse(LanguageModel.bf16ByDefault(), "the flag must not outlive its command");
    if (CpuBackend.bf16Unavailable() != null) {
      assertEquals(2, bf16.code());
      assertTrue(bf16.err().startsWith("nla: bf16 mode is unavailable: "), bf16.err());
      return;
    }
    assertEquals(0, bf16.code(), bf16.err());
    float[][] a = Npy.read(dir.resolve("exact.npy")), b = Npy.read(dir.resolve("bf16.npy"));
    double range = 0, worst = 0;
    for (int t = 0; t < a.length; t++) {
      for (int i = 0; i < a[t].length; i++) {
        range = Math.max(range, Math.abs(a[t][i]));
        worst = Math.max(worst, Math.abs(a[t][i] - b[t][i]));
      }
    }
    assertTrue(worst > 0, "--bf16 must change the arithmetic");
    assertTrue(worst <= 1e-2 * range, worst + " vs " + range);
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void generatePrintsPromptAndOutputIds() throws Exception {
    Path m = CliFixtures.qwen2(dir.resolve("q"));
    CliRun r =
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
      CliRun r = run(c);
      assertEquals(Main.EXIT_USER_ERROR, r.code(), String.join(" ", c) + " -> " + r.err());
      assertTrue(r.err().startsWith("nla: "), r.err());
      assertEquals(1, r.err().strip().lines().count(), r.err());
    }
  }

  @Test
  void textPathsTokenizeLikeTheReferenceAndGenerateDecodes() throws Exception {
    Path m = nla.text.TokenizerFixtures.copyOf("qwen2.5", dir.resolve("qt"));
    nla.text.Tokenizer tok = nla.text.Tokenizer.load(m);
    CliFixtures.qwen2WithVocab(m, tok.vocabSize());
    String text = "The cat sat on the mat.";
    int[] ids = tok.encode(text, true).ids();
    String idList =
        java.util.Arrays.stream(ids)
            .mapToObj(Integer::toString)
            .collect(java.util.stream.Collectors.joining(","));
    Path fromText = dir.resolve("t.npy");
    Path fromIds = dir.resolve("i.npy");
    Path textFile = dir.resolve("doc.txt");
    java.nio.file.Files.writeString(textFile, text);
    Path fromFile = dir.resolve("f.npy");
    assertEquals(
        0,
        run(
                "extract",
                "--model",
                m.toString(),
                "--text",
                text,
                "--layer",
                "1",
                "--out",
                fromText.toString())
            .code());
    assertEquals(
        0,
        run(
                "extract",
                "--model",
                m.toString(),
                "--text-file",
                textFile.toString(),
                "--layer",
                "1",
                "--out",
                fromFile.toString())
            .code());
    assertEquals(
        0,
        run(
                "extract",
                "--model",
                m.toString(),
                "--token-ids",
                idList,
                "--layer",
                "1",
                "--out",
                fromIds.toString())
            .code());
    assertEquals(ids.length, Npy.read(fromText).length);
    for (int t = 0; t < ids.length; t++) {
      assertArrayEquals(Npy.read(fromIds)[t], Npy.read(fromText)[t]);
      assertArrayEquals(Npy.read(fromIds)[t], Npy.read(fromFile)[t]);
    }

    CliRun r =
        run(
            "generate",
            "--model",
            m.toString(),
            "--chat",
            "Hi",
            "--max-new-tokens",
            "3",
            "--ignore-eos",
            "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    int[] chatIds = tok.applyChatTemplate(List.of(new nla.text.ChatMessage("user", "Hi")), true);
    int[] prompt = new int[j.get("prompt_ids").size()];
    for (int i = 0; i < prompt.length; i++) prompt[i] = j.get("prompt_ids").get(i).asInt();
    assertArrayEquals(chatIds, prompt);
    int[] out = new int[j.get("output_ids").size()];
    for (int i = 0; i < out.length; i++) out[i] = j.get("output_ids").get(i).asInt();
    assertEquals(3, out.length);
    assertEquals(tok.decode(out, true), j.get("text").asText());

    r =
        run(
            "generate",
            "--model",
            m.toString(),
            "--prompt",
            text,
            "--max-new-tokens",
            "1",
            "--json");
    assertEquals(0, r.code(), r.err());
    assertEquals(ids.length, new ObjectMapper().readTree(r.out()).get("prompt_ids").size());

    for (String[] c :
        new String[][] {
          {
            "extract",
            "--model",
            m.toString(),
            "--text",
            "",
            "--layer",
            "0",
            "--out",
            fromText.toString()
          },
          {"generate", "--model", m.toString(), "--chat", "", "--json"},
          {
            "extract",
            "--model",
            m.toString(),
            "--text-file",
            dir.resolve("missing.txt").toString(),
            "--layer",
            "0",
            "--out",
            fromText.toString()
          },
        }) {
      CliRun bad = run(c);
      assertEquals(Main.EXIT_USER_ERROR, bad.code(), bad.err());
      assertTrue(bad.err().startsWith("nla: "), bad.err());
    }
  }
}
