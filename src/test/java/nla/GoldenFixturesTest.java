package nla;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class GoldenFixturesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void assemblesAV4ConfigVariantThatSharesWeightsAndTokenizer() throws Exception {
    Path v5 = GoldenFixtures.modelDir("gemma3-text");
    Path v4 = GoldenFixtures.modelDir("gemma3-text-v4");

    JsonNode c5 = JSON.readTree(v5.resolve("config.json").toFile());
    JsonNode c4 = JSON.readTree(v4.resolve("config.json").toFile());
    assertTrue(c5.has("rope_parameters") && c5.has("layer_types"));
    assertTrue(c4.has("rope_theta") && c4.has("sliding_window_pattern") && !c4.has("layer_types"));

    byte[] w5 = Files.readAllBytes(v5.resolve("model.safetensors"));
    assertArrayEquals(w5, Files.readAllBytes(v4.resolve("model.safetensors")));
    long headerLen = ByteBuffer.wrap(w5, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    JsonNode header = JSON.readTree(new String(w5, 8, (int) headerLen, StandardCharsets.UTF_8));
    JsonNode embed = header.get("model.embed_tokens.weight");
    assertEquals("BF16", embed.get("dtype").asText());
    assertEquals(c5.get("vocab_size").asInt(), embed.get("shape").get(0).asInt());

    JsonNode tokenizer = JSON.readTree(v4.resolve("tokenizer.json").toFile());
    assertEquals("BPE", tokenizer.get("model").get("type").asText());
    JsonNode tokenizerConfig = JSON.readTree(v4.resolve("tokenizer_config.json").toFile());
    assertTrue(tokenizerConfig.get("chat_template").asText().contains("<start_of_turn>"));
    assertFalse(Files.exists(v4.resolve("golden-links.json")));
  }

  @Test
  void nlaPairsAssembleWithSidecarsMatchingTheirReference() throws Exception {
    for (String pair : new String[] {"qwen2.5", "gemma3", "llama3"}) {
      Path av = GoldenFixtures.nlaDir(pair + "-av");
      Path ar = GoldenFixtures.nlaDir(pair + "-ar");
      JsonNode ref = GoldenFixtures.json("nla/" + pair + "/reference.json");
      java.util.Map<String, Object> meta =
          new org.yaml.snakeyaml.Yaml().load(Files.readString(av.resolve("nla_meta.yaml")));
      @SuppressWarnings("unchecked")
      java.util.Map<String, Object> tokens = (java.util.Map<String, Object>) meta.get("tokens");
      int[] prompt = GoldenFixtures.ints(ref.get("av").get("prompt_ids"));
      int p = ref.get("av").get("injection_position").asInt();
      assertEquals(tokens.get("injection_token_id"), prompt[p]);
      assertEquals(tokens.get("injection_left_neighbor_id"), prompt[p - 1]);
      assertEquals(tokens.get("injection_right_neighbor_id"), prompt[p + 1]);
      assertTrue(Files.isRegularFile(av.resolve("model.safetensors")));
      assertTrue(Files.isRegularFile(ar.resolve("value_head.safetensors")));
      JsonNode arConfig = JSON.readTree(ar.resolve("config.json").toFile());
      assertEquals(
          ref.get("layer_index").asInt() + 1, arConfig.get("num_hidden_layers").asInt(), pair);
    }
  }

  @Test
  void demoPairAssemblesFromTheMainResources() throws Exception {
    Path av = GoldenFixtures.demoDir("av");
    Path ar = GoldenFixtures.demoDir("ar");
    JsonNode ref = GoldenFixtures.json("nla/demo/reference.json");
    for (Path dir : new Path[] {av, ar}) {
      for (String f :
          new String[] {"config.json", "model.safetensors", "tokenizer.json", "nla_meta.yaml"}) {
        assertTrue(Files.isRegularFile(dir.resolve(f)), dir + "/" + f);
      }
      assertFalse(Files.exists(dir.resolve("links.json")));
    }
    assertTrue(Files.isRegularFile(ar.resolve("value_head.safetensors")));
    JsonNode first = ref.get("av").get("verbalizations").get(0).get("greedy");
    assertEquals(
        "A scripted demo: this toy model says \"hello\" about every vector.",
        first.get("explanation").asText());
    assertEquals(
        ref.get("layer_index").asInt() + 1,
        JSON.readTree(ar.resolve("config.json").toFile()).get("num_hidden_layers").asInt());
  }

  @Test
  void referencesAreConsistentWithTheirModel() throws Exception {
    JsonNode config =
        JSON.readTree(GoldenFixtures.modelDir("qwen2").resolve("config.json").toFile());
    JsonNode ref = GoldenFixtures.json("engine/qwen2/reference.json");
    JsonNode text0 = ref.get("texts").get(0);
    int[] ids = GoldenFixtures.ints(text0.get("ids"));

    GoldenFixtures.NdArray blocks =
        GoldenFixtures.npy("engine/qwen2/" + text0.get("blocks_file").asText());
    assertArrayEquals(
        new int[] {
          config.get("num_hidden_layers").asInt(), ids.length, config.get("hidden_size").asInt()
        },
        blocks.shape());
    GoldenFixtures.NdArray hidden =
        GoldenFixtures.npy("engine/qwen2/" + text0.get("hidden_states_file").asText());
    assertArrayEquals(blocks.matrix(0)[ids.length - 1], hidden.matrix(1)[ids.length - 1]);

    // The full-vocabulary logits come back from .xz, and their argmax is the recorded top id.
    float[] logits = GoldenFixtures.npy("engine/qwen2/text0.logits_full_last.npy").data();
    assertEquals(config.get("vocab_size").asInt(), logits.length);
    int argmax = 0;
    for (int i = 1; i < logits.length; i++) if (logits[i] > logits[argmax]) argmax = i;
    JsonNode topIds = text0.get("top_ids");
    assertEquals(topIds.get(ids.length - 1).get(0).asInt(), argmax);
    assertEquals(text0.get("greedy").get("output_ids").get(0).asInt(), argmax);
    assertTrue(
        Arrays.stream(GoldenFixtures.ints(text0.get("greedy").get("output_ids")))
            .allMatch(i -> i >= 0));
  }
}
