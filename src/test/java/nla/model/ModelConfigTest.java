package nla.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import nla.io.UserError;
import nla.model.ModelConfig.AttentionType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigTest {
  @TempDir Path dir;

  private static ModelConfig parse(String json) throws IOException {
    return ModelConfig.parse(new ObjectMapper().readTree(json), "config.json", null);
  }

  private static final String GEMMA_DIMS =
      "\"hidden_size\": 32, \"intermediate_size\": 64, \"num_hidden_layers\": 6, \"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"head_dim\": 8, \"vocab_size\": 97";

  @Test
  void gemma3V4AndV5SpellingsGiveTheSameNumbers() throws IOException {
    ModelConfig v4 =
        parse(
            "{\"model_type\": \"gemma3_text\", "
                + GEMMA_DIMS
                + ", \"rope_theta\": 1000000.0, \"rope_local_base_freq\": 10000.0, \"rope_scaling\": {\"rope_type\": \"linear\", \"factor\": 8.0}, \"sliding_window\": 4, \"sliding_window_pattern\": 3, \"query_pre_attn_scalar\": 16}");
    ModelConfig v5 =
        parse(
            "{\"model_type\": \"gemma3\", \"text_config\": {\"model_type\": \"gemma3_text\", "
                + GEMMA_DIMS
                + ", \"rope_parameters\": {\"full_attention\": {\"rope_type\": \"linear\", \"factor\": 8.0, \"rope_theta\": 1000000.0}, \"sliding_attention\": {\"rope_type\": \"default\", \"rope_theta\": 10000.0}},"
                + " \"layer_types\": [\"sliding_attention\", \"sliding_attention\", \"full_attention\", \"sliding_attention\", \"sliding_attention\", \"full_attention\"], \"sliding_window\": 4, \"query_pre_attn_scalar\": 16}}");
    assertEquals(v4.layerTypes(), v5.layerTypes());
    assertEquals(
        List.of(
            AttentionType.SLIDING,
            AttentionType.SLIDING,
            AttentionType.FULL,
            AttentionType.SLIDING,
            AttentionType.SLIDING,
            AttentionType.FULL),
        v4.layerTypes());
    assertEquals(v4.fullRope(), v5.fullRope());
    assertEquals(v4.slidingRope(), v5.slidingRope());
    assertEquals(new RopeSpec(1e6, "linear", 8, 0, 0, 0), v4.fullRope());
    assertEquals(RopeSpec.plain(1e4), v4.slidingRope());
    assertEquals(0.25, v4.attentionScale(), 1e-12);
    assertEquals("gemma3_text", v5.modelType());
    assertEquals((float) Math.sqrt(32), v4.embedScale());
    assertEquals(4, v5.windowFor(0));
    assertEquals(0, v5.windowFor(2));
  }

  @Test
  void llama3RopeScalingV4AndV5AgreeAndFollowTheFormula() throws IOException {
    String dims =
        "\"hidden_size\": 64, \"intermediate_size\": 64, \"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"vocab_size\": 10";
    String scaling =
        "\"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192";
    ModelConfig v4 =
        parse(
            "{\"model_type\": \"llama\", "
                + dims
                + ", \"rope_theta\": 500000.0, \"rope_scaling\": {\"rope_type\": \"llama3\", "
                + scaling
                + "}}");
    ModelConfig v5 =
        parse(
            "{\"model_type\": \"llama\", "
                + dims
                + ", \"rope_parameters\": {\"rope_type\": \"llama3\", \"rope_theta\": 500000.0, "
                + scaling
                + "}}");
    assertEquals(v4.fullRope(), v5.fullRope());
    assertEquals(2, v4.numKvHeads());
    assertEquals(32, v4.headDim());
    float[] inv = v4.fullRope().inverseFrequencies(32);
    // highest frequency (wavelength 2π < 8192/4) unchanged; lowest (wavelength > 8192) divided by 8
    assertEquals(1f, inv[0]);
    double lowest = 1 / Math.pow(500000, 30.0 / 32);
    assertEquals(lowest / 8, inv[15], lowest * 1e-5);
  }

  @Test
  void qwen2DefaultsAndGenerationConfigEos() throws IOException {
    Files.writeString(
        dir.resolve("config.json"),
        "{\"architectures\": [\"Qwen2ForCausalLM\"], \"model_type\": \"qwen2\", \"hidden_size\": 32, \"intermediate_size\": 64, \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"vocab_size\": 97, \"rope_theta\": 1000000.0, \"eos_token_id\": 151643, \"use_sliding_window\": false, \"sliding_window\": 4}");
    Files.writeString(
        dir.resolve("generation_config.json"), "{\"eos_token_id\": [151645, 151643]}");
    ModelConfig c = ModelConfig.load(dir);
    assertArrayEquals(new int[] {151645, 151643}, c.eosTokenIds());
    assertEquals(List.of(AttentionType.FULL, AttentionType.FULL), c.layerTypes());
    assertEquals(RopeSpec.plain(1e6), c.fullRope());
    assertEquals("silu", c.hiddenActivation());
    assertEquals(1f, c.embedScale());
    assertEquals("Qwen2ForCausalLM", c.architecture());
  }

  @Test
  void eosFallsBackToConfigAndToTheWrapperTopLevel() throws IOException {
    ModelConfig c =
        parse(
            "{\"model_type\": \"gemma3\", \"eos_token_id\": [1, 106], \"text_config\": {"
                + GEMMA_DIMS
                + "}}");
    assertArrayEquals(new int[] {1, 106}, c.eosTokenIds());
  }

  @Test
  void gemmaWrapperTextConfigTakesGemma3TextDefaultsForOmittedKeys() throws IOException {
    ModelConfig c =
        parse(
            "{\"model_type\": \"gemma3\", \"text_config\": {\"hidden_size\": 2560, \"intermediate_size\": 10240, \"num_hidden_layers\": 34, \"rope_scaling\": {\"factor\": 8.0, \"rope_type\": \"linear\"}, \"sliding_window\": 1024}}");
    assertEquals(8, c.numHeads());
    assertEquals(4, c.numKvHeads());
    assertEquals(256, c.headDim());
    assertEquals(262208, c.vocabSize());
    assertEquals(Math.pow(256, -0.5), c.attentionScale(), 1e-12);
    assertEquals(AttentionType.FULL, c.layerTypes().get(5));
    assertEquals(AttentionType.SLIDING, c.layerTypes().get(6));
  }

  @Test
  void missingKeyIsAUserErrorNamingIt() {
    UserError e =
        assertThrows(
            UserError.class, () -> parse("{\"model_type\": \"qwen2\", \"hidden_size\": 32}"));
    assertTrue(e.getMessage().contains("missing key num_hidden_layers"), e.getMessage());
  }

  @Test
  void unknownArchitectureIsAUserError() {
    UserError e = assertThrows(UserError.class, () -> parse("{\"model_type\": \"mamba\"}"));
    assertTrue(e.getMessage().contains("unknown architecture model_type=mamba"), e.getMessage());
  }

  @Test
  void missingConfigFileIsAUserError() {
    assertThrows(UserError.class, () -> ModelConfig.load(dir));
  }
}
