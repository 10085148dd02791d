package nla.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import nla.core.TinyNla;
import nla.model.LanguageModel;
import nla.model.SequenceInput;
import nla.text.ChatMessage;
import nla.text.Tokenizer;
import nla.text.TokenizerFixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lens on a tiny random NLA pair and a tiny random base model of the same family (Qwen2.5
 * tokenizer): plumbing, output shapes, positions, warnings, refusals. The explanations are noise.
 */
class LensCommandTest {
  @TempDir static Path tmp;
  static Path base;
  static Path av;
  static Path ar;
  static final ObjectMapper JSON = new ObjectMapper();
  static final String SHORT = "A short text.";
  static final String TEXT =
      "The cat sat on the mat, and then <b>it</b> slept for a very long time indeed.";

  @BeforeAll
  static void build() throws Exception {
    base = TinyNla.av(tmp.resolve("base"), ""); // a 3-layer model with hidden 32, as a base
    av = TinyNla.av(tmp.resolve("av"), "");
    ar = TinyNla.ar(tmp.resolve("ar"));
  }

  static List<JsonNode> jsonLines(String out) throws Exception {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : out.strip().split("\n")) lines.add(JSON.readTree(line));
    return lines;
  }

  @Test
  void jsonHasOneLinePerTokenWithScoresFromTheAr() throws Exception {
    String[] r =
        BaselineCommandTest.run(
            "lens",
            "--base",
            base.toString(),
            "--av",
            av.toString(),
            "--ar",
            ar.toString(),
            "--text",
            SHORT,
            "--max-new-tokens",
            "2",
            "--json");
    assertEquals("0", r[0], r[2]);
    int[] ids = Tokenizer.load(base).encode(SHORT, true).ids();
    List<JsonNode> lines = jsonLines(r[1]);
    assertEquals(ids.length, lines.size(), "--positions defaults to all");
    for (int i = 0; i < lines.size(); i++) {
      JsonNode j = lines.get(i);
      assertEquals(
          List.of(
              "position",
              "token",
              "norm",
              "output_ids",
              "text",
              "explanation",
              "mse_nrm",
              "cos",
              "fve_nrm",
              "warnings"),
          iterable(j.fieldNames()));
      assertEquals(i, j.get("position").asInt());
      assertEquals(Tokenizer.load(base).tokenText(ids[i]), j.get("token").asText());
      assertEquals(2, j.get("output_ids").size(), "--max-new-tokens reaches the AV");
      assertTrue(
          j.get("cos").isNumber() && j.get("mse_nrm").isNumber() && j.get("fve_nrm").isNumber(),
          j.toString());
      // mse_nrm = 2(1 - cos) with the default mse_scale sqrt(d) (contract §5)
      assertEquals(2 * (1 - j.get("cos").asDouble()), j.get("mse_nrm").asDouble(), 1e-6);
    }
    assertTrue(lines.get(0).get("warnings").toString().contains("early position"));
  }

  @Test
  void theLensReadsTheAvsLayerOfTheBaseModel() throws Exception {
    String[] r =
        BaselineCommandTest.run(
            "lens",
            "--base",
            base.toString(),
            "--av",
            av.toString(),
            "--text",
            TEXT,
            "--positions",
            "3,-1",
            "--max-new-tokens",
            "2",
            "--json");
    assertEquals("0", r[0], r[2]);
    int[] ids = Tokenizer.load(base).encode(TEXT, true).ids();
    float[][] layerK;
    try (LanguageModel lm = LanguageModel.load(base)) {
      layerK = lm.hiddenStates(List.of(SequenceInput.ofIds(ids)), new int[] {1}).get(0)[0];
    }
    List<JsonNode> lines = jsonLines(r[1]);
    assertEquals(
        List.of(3, ids.length - 1), lines.stream().map(j -> j.get("position").asInt()).toList());
    for (JsonNode j : lines) {
      float[] v = layerK[j.get("position").asInt()];
      double n = 0;
      for (float x : v) n += (double) x * x;
      assertEquals(Math.sqrt(n), j.get("norm").asDouble(), 1e-9);
      assertTrue(j.get("fve_nrm").isNull() && j.get("cos").isNull(), "no AR, no scores: " + j);
      assertNotNull(j.get("text").asText());
    }
  }

  @Test
  void humanOutputStatesTheLayerAndTheDenominator() {
    String[] r =
        BaselineCommandTest.run(
            "lens",
            "--base",
            base.toString(),
            "--av",
            av.toString(),
            "--ar",
            ar.toString(),
            "--text",
            TEXT,
            "--positions",
            "0,15",
            "--max-new-tokens",
            "3");
    assertEquals("0", r[0], r[2]);
    assertTrue(r[1].startsWith("layer 1, "), r[1]);
    assertTrue(r[1].contains("fve_nrm = 1 - mse_nrm / "), r[1]);
    assertTrue(r[1].contains("vectors in this text's positions 10..23 at layer 1"), r[1]);
    assertTrue(r[1].contains("[0] 'The'  ||v|| "), r[1]);
    assertTrue(r[1].contains("    ! early position"), r[1]);
    assertTrue(r[1].contains("[15] "), r[1]);
  }

  @Test
  void aGivenBaselineIsTheDenominator() throws Exception {
    String[] r =
        BaselineCommandTest.run(
            "lens",
            "--base",
            base.toString(),
            "--av",
            av.toString(),
            "--ar",
            ar.toString(),
            "--text",
            TEXT,
            "--positions",
            "last",
            "--max-new-tokens",
            "2",
            "--baseline",
            "0.5");
    assertEquals("0", r[0], r[2]);
    assertTrue(r[1].contains("fve_nrm = 1 - mse_nrm / 0.500000 (given number 0.5)"), r[1]);
  }

  @Test
  void chatRunsTheTextThroughTheChatTemplate() throws Exception {
    String[] r =
        BaselineCommandTest.run(
            "lens",
            "--base",
            base.toString(),
            "--av",
            av.toString(),
            "--chat",
            "Hi there",
            "--positions",
            "0,-1",
            "--max-new-tokens",
            "1",
            "--json");
    assertEquals("0", r[0], r[2]);
    Tokenizer tok = Tokenizer.load(base);
    int[] ids = tok.applyChatTemplate(List.of(new ChatMessage("user", "Hi there")), true);
    List<JsonNode> lines = jsonLines(r[1]);
    assertEquals(ids.length - 1, lines.get(1).get("position").asInt());
    assertEquals("<|im_start|>", lines.get(0).get("token").asText());
    assertTrue(
        lines.get(0).get("warnings").toString().contains("special token"), lines.get(0).toString());
  }

  @Test
  void htmlColoursTokensAndEscapesTheText() throws Exception {
    Path page = tmp.resolve("out/lens.html");
    // An earlier page is replaced whole (a new file renamed over it), never rewritten in place:
    // a hard link to the old one keeps the old text.
    Files.createDirectories(page.getParent());
    Files.writeString(page, "the old page");
    Path oldPage = Files.createLink(tmp.resolve("out/old-lens.html"), page);
    String[] r =
        BaselineCommandTest.run(
            "lens",
            "--base",
            base.toString(),
            "--av",
            av.toString(),
            "--ar",
            ar.toString(),
            "--text",
            TEXT,
            "--positions",
            "0,11-13",
            "--max-new-tokens",
            "2",
            "--html",
            page.toString());
    assertEquals("0", r[0], r[2]);
    String html = Files.readString(page);
    assertTrue(html.contains("class=\"t seen"), "looked-at tokens are marked");
    assertTrue(html.contains("background:hsl("), "coloured by FVE");
    assertTrue(html.contains("&lt;b&gt;") || html.contains("&lt;"), "the text's markup is escaped");
    assertFalse(html.contains("<b>it"), "no raw markup from the text");
    assertTrue(html.contains("fve_nrm = 1 - mse_nrm / "), "the denominator is stated");
    assertEquals("the old page", Files.readString(oldPage));
    try (var files = Files.list(page.getParent())) {
      assertEquals(2, files.count(), "no temporary file left beside the page");
    }
  }

  @Test
  void textFileIsReadAsUtf8() throws Exception {
    Path file = tmp.resolve("text.txt");
    Files.writeString(file, "Café — naïve 東京.", java.nio.charset.StandardCharsets.UTF_8);
    String[] r =
        BaselineCommandTest.run(
            "lens",
            "--base",
            base.toString(),
            "--av",
            av.toString(),
            "--text-file",
            file.toString(),
            "--positions",
            "last",
            "--max-new-tokens",
            "1",
            "--json");
    assertEquals("0", r[0], r[2]);
    int[] ids = Tokenizer.load(base).encode("Café — naïve 東京.", true).ids();
    assertEquals(ids.length - 1, jsonLines(r[1]).getFirst().get("position").asInt());
    String[] missing =
        BaselineCommandTest.run(
            "lens",
            "--base",
            base.toString(),
            "--av",
            av.toString(),
            "--text-file",
            tmp.resolve("nope.txt").toString());
    assertEquals("2", missing[0]);
    assertTrue(missing[2].startsWith("nla: --text-file: "), missing[2]);
  }

  @Test
  void positionsOutsideTheTextAreAUserError() {
    String[] r =
        BaselineCommandTest.run(
            "lens",
            "--base",
            base.toString(),
            "--av",
            av.toString(),
            "--text",
            "Hi",
            "--positions",
            "7");
    assertEquals("2", r[0]);
    assertTrue(r[2].startsWith("nla: --positions: 7 is outside the text's"), r[2]);
  }

  @Test
  void aBaseOfAnotherWidthIsRefused() throws Exception {
    Path wide = tmp.resolve("wide");
    copyDir(base, wide);
    Path config = wide.resolve("config.json");
    Files.writeString(
        config, Files.readString(config).replace("\"hidden_size\": 32", "\"hidden_size\": 64"));
    String[] r =
        BaselineCommandTest.run(
            "lens", "--base", wide.toString(), "--av", av.toString(), "--text", "Hi");
    assertEquals("2", r[0]);
    assertTrue(r[2].contains("hidden size is 64 but the AV reads d_model 32"), r[2]);
  }

  @Test
  void aBaseOfAnotherTokenizerFamilyIsRefused() throws Exception {
    Path llama = tmp.resolve("llama-tok");
    copyDir(base, llama);
    TokenizerFixtures.copyOf("llama3", llama);
    String[] r =
        BaselineCommandTest.run(
            "lens", "--base", llama.toString(), "--av", av.toString(), "--text", "Hi");
    assertEquals("2", r[0]);
    assertTrue(r[2].contains("tokenizer and the AV's differ"), r[2]);
  }

  @Test
  void anArGivenAsTheAvIsRefused() {
    String[] r =
        BaselineCommandTest.run(
            "lens", "--base", base.toString(), "--av", ar.toString(), "--text", "Hi");
    assertEquals("2", r[0]);
    assertTrue(r[2].contains("is an AR checkpoint"), r[2]);
  }

  @Test
  void exactlyOneTextSourceIsRequired() {
    String[] none =
        BaselineCommandTest.run("lens", "--base", base.toString(), "--av", av.toString());
    assertEquals("2", none[0]);
    String[] two =
        BaselineCommandTest.run(
            "lens", "--base", base.toString(), "--av", av.toString(), "--text", "a", "--chat", "b");
    assertEquals("2", two[0]);
    assertTrue(two[2].contains("mutually exclusive"), two[2]);
  }

  static void copyDir(Path from, Path to) throws Exception {
    Files.createDirectories(to);
    try (var files = Files.list(from)) {
      for (Path f : files.toList()) Files.copy(f, to.resolve(f.getFileName()));
    }
  }

  static List<String> iterable(java.util.Iterator<String> it) {
    List<String> out = new ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }
}
