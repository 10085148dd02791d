package nla.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import nla.GoldenFixtures;
import nla.GoldenFixtures.NdArray;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Parity with Hugging Face transformers 5.17 in fp32 (references made by {@code
 * tools/golden/make_engine.py}, format in {@code tools/golden/README.md}): every block's output,
 * the final logits, greedy continuations from ids and from input embeddings, for Qwen2 (biases,
 * tied and untied), Llama (llama3 rope scaling), Gemma 3 text and the multimodal wrapper, with v4
 * and v5 configs, and Gemma 3 with soft-capping.
 */
class HuggingFaceParityTest {
  /** Bound on ‖ours − ref‖ / ‖ref‖ (fp32 on both sides; expect ~1e-6). */
  static final double REL_TOL = 2e-3;

  /** Greedy paths must agree up to the first step whose reference top-2 gap is below this. */
  static final double MIN_GAP = 0.02;

  private static JsonNode reference(String model) {
    return GoldenFixtures.json("engine/" + model + "/reference.json");
  }

  private static NdArray npy(String model, String file) {
    return GoldenFixtures.npy("engine/" + model + "/" + file);
  }

  /** Every golden engine model (tools/golden/README.md). */
  static List<String> goldenModels() {
    return List.of(
        "qwen2",
        "qwen2-tied",
        "llama3",
        "llama3-v4",
        "gemma3-text",
        "gemma3-text-v4",
        "gemma3-mm",
        "gemma3-mm-v4",
        "gemma3-text-softcap");
  }

  @ParameterizedTest
  @MethodSource("goldenModels")
  void configMatchesTheReference(String model) {
    JsonNode ref = reference(model);
    try (LanguageModel lm = LanguageModel.load(GoldenFixtures.modelDir(model))) {
      assertArrayEquals(GoldenFixtures.ints(ref.get("eos_token_ids")), lm.config().eosTokenIds());
      assertEquals((float) ref.get("embed_scale").asDouble(), lm.config().embedScale());
    }
  }

  @ParameterizedTest
  @MethodSource("goldenModels")
  void everyBlockOutputAndLogitsMatchHuggingFace(String model) {
    JsonNode ref = reference(model);
    int[] sampleIds = GoldenFixtures.ints(ref.get("logit_sample_ids"));
    try (LanguageModel lm = LanguageModel.load(GoldenFixtures.modelDir(model))) {
      int layers = lm.config().numLayers();
      int[] all = new int[layers];
      for (int k = 0; k < layers; k++) all[k] = k;
      List<SequenceInput> batch = new ArrayList<>();
      for (JsonNode t : ref.get("texts"))
        batch.add(SequenceInput.ofIds(GoldenFixtures.ints(t.get("ids"))));
      // All texts in one batch: parity must hold for batched forwards too.
      List<float[][][]> ours = lm.hiddenStates(batch, all);
      for (int i = 0; i < batch.size(); i++) {
        JsonNode t = ref.get("texts").get(i);
        String where = model + " text " + i;
        NdArray blocks = npy(model, t.get("blocks_file").asText());
        assertEquals(layers, blocks.shape()[0], where);
        for (int k = 0; k < layers; k++) {
          assertClose(blocks.matrix(k), ours.get(i)[k], where + " block " + k);
        }
        // hidden_states[0] = embeddings × embed_scale
        NdArray hs = npy(model, t.get("hidden_states_file").asText());
        assertClose(hs.matrix(0), lm.embed(batch.get(i).ids()), where + " embeddings");

        float[][] logits = lm.logits(batch.get(i));
        assertClose(
            npy(model, t.get("logits_sampled_file").asText()).rows(),
            sample(logits, sampleIds),
            where + " logits");
        if (t.has("logits_full_last_file")) {
          float[] full =
              GoldenFixtures.npy("engine/" + model + "/" + t.get("logits_full_last_file").asText())
                  .data();
          assertClose(
              new float[][] {full},
              new float[][] {logits[logits.length - 1]},
              where + " full logits");
        }
        JsonNode top = t.get("top_ids");
        for (int pos = 0; pos < logits.length; pos++) {
          assertEquals(
              top.get(pos).get(0).asInt(),
              nla.backend.Sampler.argmax(logits[pos]),
              where + " top-1 at " + pos);
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("goldenModels")
  void greedyContinuationsMatchHuggingFace(String model) {
    JsonNode ref = reference(model);
    try (LanguageModel lm = LanguageModel.load(GoldenFixtures.modelDir(model))) {
      List<GenerationRequest> batch = new ArrayList<>();
      for (JsonNode t : ref.get("texts")) {
        SamplingParams p =
            SamplingParams.greedy().withMaxNewTokens(t.get("greedy").get("max_new_tokens").asInt());
        batch.add(new GenerationRequest(SequenceInput.ofIds(GoldenFixtures.ints(t.get("ids"))), p));
      }
      List<Generation> ours = lm.generate(batch);
      for (int i = 0; i < batch.size(); i++) {
        assertSamePath(ref.get("texts").get(i).get("greedy"), ours.get(i), model + " text " + i);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("goldenModels")
  void inputEmbeddingsForwardAndGenerationMatchHuggingFace(String model) {
    JsonNode e = reference(model).get("embeds_generation");
    try (LanguageModel lm = LanguageModel.load(GoldenFixtures.modelDir(model))) {
      // Build the input as the AV does: scaled embedding rows, one row replaced by a raw vector.
      float[][] inputs = lm.embed(GoldenFixtures.ints(e.get("prompt_ids")));
      inputs[e.get("replaced_row").asInt()] = npy(model, e.get("vector_file").asText()).data();
      assertClose(
          npy(model, e.get("inputs_embeds_file").asText()).rows(),
          inputs,
          model + " inputs_embeds");

      int layers = lm.config().numLayers();
      int[] all = new int[layers];
      for (int k = 0; k < layers; k++) all[k] = k;
      float[][][] ours = lm.hiddenStates(List.of(SequenceInput.ofEmbeddings(inputs)), all).get(0);
      NdArray blocks = npy(model, e.get("blocks_file").asText());
      for (int k = 0; k < layers; k++)
        assertClose(blocks.matrix(k), ours[k], model + " embeds block " + k);
      int[] sampleIds = GoldenFixtures.ints(reference(model).get("logit_sample_ids"));
      assertClose(
          npy(model, e.get("logits_sampled_file").asText()).rows(),
          sample(lm.logits(SequenceInput.ofEmbeddings(inputs)), sampleIds),
          model + " embeds logits");

      SamplingParams p = SamplingParams.greedy().withMaxNewTokens(e.get("max_new_tokens").asInt());
      Generation g =
          lm.generate(List.of(new GenerationRequest(SequenceInput.ofEmbeddings(inputs), p))).get(0);
      assertSamePath(e, g, model + " embeds generation");
    }
  }

  /** Token-identical up to the first step where the reference's top-2 gap is below MIN_GAP. */
  private static void assertSamePath(JsonNode greedy, Generation ours, String where) {
    int[] expected = GoldenFixtures.ints(greedy.get("output_ids"));
    JsonNode gaps = greedy.get("top2_gaps");
    int checked = 0;
    for (int s = 0; s < expected.length; s++) {
      if (gaps.get(s).asDouble() < MIN_GAP) break;
      assertTrue(s < ours.outputIds().length, where + ": stopped early at step " + s);
      assertEquals(expected[s], ours.outputIds()[s], where + " step " + s);
      checked++;
    }
    if (checked == expected.length) {
      assertEquals(expected.length, ours.outputIds().length, where + " length");
      assertEquals(
          greedy.get("finish_reason").asText(), ours.finishReason(), where + " finish reason");
    }
    assertTrue(checked > 0, where + ": no step had a clear margin");
  }

  private static float[][] sample(float[][] logits, int[] ids) {
    float[][] out = new float[logits.length][ids.length];
    for (int t = 0; t < logits.length; t++)
      for (int j = 0; j < ids.length; j++) out[t][j] = logits[t][ids[j]];
    return out;
  }

  private static void assertClose(float[][] ref, float[][] ours, String where) {
    assertEquals(ref.length, ours.length, where + " rows");
    double diff = 0, norm = 0;
    for (int r = 0; r < ref.length; r++) {
      assertEquals(ref[r].length, ours[r].length, where + " cols");
      for (int c = 0; c < ref[r].length; c++) {
        double d = (double) ours[r][c] - ref[r][c];
        diff += d * d;
        norm += (double) ref[r][c] * ref[r][c];
      }
    }
    double rel = Math.sqrt(diff) / Math.sqrt(norm);
    assertTrue(rel <= REL_TOL, where + ": relative error " + rel);
  }
}
