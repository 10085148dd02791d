package nla.cli;

import static nla.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import nla.text.TokenizerFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizeCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LLAMA = TokenizerFixtures.dir("llama3").toString();
  private static final String QWEN = TokenizerFixtures.dir("qwen2.5").toString();

  @Test
  void jsonHasIdsTokensAndCodePointOffsetsWithBos() throws IOException {
    CliRun r = run("tokenize", "--model", LLAMA, "--text", "é😀 hi", "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode j = JSON.readTree(r.out());
    assertEquals(128000, j.path("ids").get(0).asInt()); // <|begin_of_text|>
    assertEquals("<|begin_of_text|>", j.path("tokens").get(0).asText());
    assertEquals("[0,0]", j.path("offsets").get(0).toString());
    JsonNode last = j.path("offsets").get(j.path("offsets").size() - 1);
    assertEquals("[2,5]", last.toString());
    assertEquals(j.path("ids").size(), j.path("tokens").size());
    assertEquals(j.path("ids").size(), j.path("offsets").size());
  }

  @Test
  void noSpecialDropsTheBos() throws IOException {
    JsonNode j =
        JSON.readTree(
            run("tokenize", "--model", LLAMA, "--text", "hi", "--no-special", "--json").out());
    assertEquals(1, j.path("ids").size());
  }

  @Test
  void chatWrapsTheTextAsOneUserTurnWithTheGenerationPrompt() throws IOException {
    JsonNode j =
        JSON.readTree(run("tokenize", "--model", QWEN, "--text", "hi", "--chat", "--json").out());
    assertEquals(
        "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful"
            + " assistant.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
        j.path("rendered").asText());
    assertEquals("<|im_start|>", j.path("tokens").get(0).asText());
    assertEquals("Ċ", j.path("tokens").get(j.path("tokens").size() - 1).asText());
  }

  @Test
  void templateVarPinsTheLlamaDate() throws IOException {
    JsonNode j =
        JSON.readTree(
            run(
                    "tokenize",
                    "--model",
                    LLAMA,
                    "--text",
                    "hi",
                    "--chat",
                    "--template-var",
                    "date_string=05 Mar 2026",
                    "--json")
                .out());
    assertTrue(j.path("rendered").asText().contains("Today Date: 05 Mar 2026\n"));
  }

  @Test
  void textFileIsReadAsUtf8(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("t.txt");
    Files.writeString(f, "hi");
    CliRun fromFile = run("tokenize", "--model", QWEN, "--text-file", f.toString(), "--json");
    CliRun inline = run("tokenize", "--model", QWEN, "--text", "hi", "--json");
    assertEquals(inline.out(), fromFile.out());
  }

  @Test
  void humanOutputListsEveryToken() {
    CliRun r = run("tokenize", "--model", QWEN, "--text", "a\nb");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("3 tokens"), r.out());
    assertTrue(r.out().contains("\\n"), r.out());
  }

  @Test
  void badInputsExitWith2AndOneLine(@TempDir Path dir) {
    CliRun missingFile =
        run("tokenize", "--model", QWEN, "--text-file", dir.resolve("nope").toString());
    assertEquals(Main.EXIT_USER_ERROR, missingFile.code());
    assertTrue(missingFile.err().startsWith("nla: --text-file: "), missingFile.err());
    CliRun noModel = run("tokenize", "--model", dir.toString(), "--text", "x");
    assertEquals(Main.EXIT_USER_ERROR, noModel.code());
    assertTrue(noModel.err().contains("tokenizer.json"), noModel.err());
    assertEquals(1, noModel.err().strip().lines().count(), noModel.err());
    CliRun both = run("tokenize", "--model", QWEN, "--text", "x", "--text-file", "y");
    assertEquals(Main.EXIT_USER_ERROR, both.code());
  }
}
