package nla.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import nla.Fp32Dot;
import nla.backend.DeviceSpec;
import nla.backend.Sampler;
import nla.io.DType;
import nla.io.SafeTensors;
import nla.io.SafeTensorsWriter;
import nla.io.StoredTensor;
import nla.io.UserError;
import nla.model.TinyModels.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Plumbing on small random models of each family: batching, KV cache, capture, truncated runs,
 * embeddings input and generation agree with each other. (Parity with Hugging Face is in the golden
 * tests.)
 */
class LanguageModelTest {
  @TempDir Path dir;

  private static final int LAYERS = 3;
  private static final int[] A = {3, 14, 15, 92, 65, 35, 89, 79, 32};
  private static final int[] B = {27, 18, 28};

  private LanguageModel load(Kind kind) throws IOException {
    return LanguageModel.load(
        TinyModels.write(dir.resolve(kind.name()), kind, LAYERS, DType.BF16, 1), 2);
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void batchedHiddenStatesEqualOneSequenceAtATime(Kind kind) throws IOException {
    try (LanguageModel m = load(kind)) {
      int[] blocks = {2, 0};
      List<float[][][]> batched =
          m.hiddenStates(List.of(SequenceInput.ofIds(A), SequenceInput.ofIds(B)), blocks);
      List<float[][][]> a = m.hiddenStates(List.of(SequenceInput.ofIds(A)), blocks);
      List<float[][][]> b = m.hiddenStates(List.of(SequenceInput.ofIds(B)), blocks);
      assertEquals(A.length, batched.get(0)[0].length);
      assertEquals(TinyModels.HIDDEN, batched.get(0)[0][0].length);
      assertClose(a.get(0), batched.get(0), 0); // bitwise: rows never mix
      assertClose(b.get(0), batched.get(1), 0);
      assertNotEquals(batched.get(0)[0][3][0], batched.get(0)[1][3][0]);
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void runningOnlyFirstBlocksGivesTheSameBlockOutputs(Kind kind) throws IOException {
    try (LanguageModel m = load(kind)) {
      float[][][] all = m.hiddenStates(List.of(SequenceInput.ofIds(A)), new int[] {0, 1, 2}).get(0);
      float[][][] first = m.hiddenStates(List.of(SequenceInput.ofIds(A)), new int[] {0}).get(0);
      assertClose(new float[][][] {all[0]}, first, 0);
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void embeddingsInputEqualsIdsInput(Kind kind) throws IOException {
    try (LanguageModel m = load(kind)) {
      float[][] emb = m.embed(A);
      float[][] fromIds = m.logits(SequenceInput.ofIds(A));
      float[][] fromEmb = m.logits(SequenceInput.ofEmbeddings(emb));
      assertClose(new float[][][] {fromIds}, new float[][][] {fromEmb}, 0);
      assertEquals(TinyModels.VOCAB, fromIds[0].length);
    }
  }

  @Test
  void gemmaEmbedIsScaledBySqrtHidden() throws IOException {
    try (LanguageModel g = load(Kind.GEMMA3_TEXT)) {
      float[][] e = g.embed(new int[] {7});
      // the same table written as a Qwen2 model (same seed) is unscaled
      try (LanguageModel q =
          LanguageModel.load(
              TinyModels.write(dir.resolve("q"), Kind.QWEN2, LAYERS, DType.BF16, 1), 1)) {
        float[][] raw = q.embed(new int[] {7});
        for (int j = 0; j < e[0].length; j++)
          assertEquals(raw[0][j] * (float) Math.sqrt(32), e[0][j]);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void greedyGenerationWithCacheEqualsRecomputingFullLogitsEachStep(Kind kind) throws IOException {
    try (LanguageModel m = load(kind)) {
      SamplingParams p = SamplingParams.greedy().withMaxNewTokens(6).withIgnoreEos(true);
      Generation g = m.generate(List.of(new GenerationRequest(SequenceInput.ofIds(A), p))).get(0);
      assertEquals("length", g.finishReason());
      assertEquals(6, g.outputIds().length);
      List<Integer> seq = new ArrayList<>();
      for (int id : A) seq.add(id);
      for (int step = 0; step < 6; step++) {
        float[][] logits = m.logits(SequenceInput.ofIds(seq.stream().mapToInt(i -> i).toArray()));
        int next = Sampler.argmax(logits[logits.length - 1]);
        assertEquals(next, g.outputIds()[step], "step " + step);
        seq.add(next);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void batchedGenerationEqualsSoloAndSeededSamplingIgnoresBatchComposition(Kind kind)
      throws IOException {
    try (LanguageModel m = load(kind)) {
      SamplingParams sampled = new SamplingParams(1.0, 0.9, 20, 1234, 8, true, Map.of());
      GenerationRequest ra = new GenerationRequest(SequenceInput.ofIds(A), sampled);
      GenerationRequest rb =
          new GenerationRequest(
              SequenceInput.ofEmbeddings(m.embed(B)),
              SamplingParams.greedy().withMaxNewTokens(5).withIgnoreEos(true));
      List<Generation> both = m.generate(List.of(ra, rb));
      Generation soloA = m.generate(List.of(ra)).get(0);
      Generation soloB = m.generate(List.of(rb)).get(0);
      assertArrayEquals(soloA.outputIds(), both.get(0).outputIds());
      assertArrayEquals(soloB.outputIds(), both.get(1).outputIds());
      assertEquals(8, both.get(0).outputIds().length);
      assertEquals(5, both.get(1).outputIds().length);
    }
  }

  @Test
  void stopsAtEosUnlessToldToIgnoreIt() throws IOException {
    try (LanguageModel m = load(Kind.LLAMA)) {
      // Bias EOS (5, from config.json's [5, 6]) up so it is chosen at once.
      SamplingParams p = SamplingParams.greedy().withMaxNewTokens(4).withLogitBias(Map.of(5, 1e4f));
      Generation g = m.generate(List.of(new GenerationRequest(SequenceInput.ofIds(A), p))).get(0);
      assertArrayEquals(new int[] {5}, g.outputIds());
      assertEquals("eos", g.finishReason());
      Generation ignored =
          m.generate(List.of(new GenerationRequest(SequenceInput.ofIds(A), p.withIgnoreEos(true))))
              .get(0);
      assertArrayEquals(new int[] {5, 5, 5, 5}, ignored.outputIds());
      assertEquals("length", ignored.finishReason());
    }
  }

  @Test
  void logitBiasBansATokenTheModelWouldPick() throws IOException {
    try (LanguageModel m = load(Kind.QWEN2)) {
      float[][] logits = m.logits(SequenceInput.ofIds(A));
      int top = Sampler.argmax(logits[logits.length - 1]);
      SamplingParams p =
          SamplingParams.greedy().withMaxNewTokens(1).withLogitBias(Map.of(top, -1e9f));
      Generation g = m.generate(List.of(new GenerationRequest(SequenceInput.ofIds(A), p))).get(0);
      assertNotEquals(top, g.outputIds()[0]);
    }
  }

  @Test
  void badInputsAreUserErrors() throws IOException {
    try (LanguageModel m = load(Kind.QWEN2)) {
      assertMessage(() -> m.logits(SequenceInput.ofIds(1, 97)), "id 97 is out of the vocabulary");
      assertMessage(() -> m.logits(SequenceInput.ofIds(-1)), "out of the vocabulary");
      assertMessage(
          () -> m.hiddenStates(List.of(SequenceInput.ofIds(1)), new int[] {3}),
          "layer 3 out of range");
      assertMessage(() -> m.logits(SequenceInput.ofIds()), "empty input");
      float[][] emb = m.embed(new int[] {1, 2});
      emb[1][4] = Float.NaN;
      assertMessage(() -> m.logits(SequenceInput.ofEmbeddings(emb)), "non-finite value");
      assertMessage(
          () -> m.logits(SequenceInput.ofEmbeddings(new float[][] {{1f}})), "hidden size");
      // Each entry point checks its inputs once, before any step (steps check nothing again).
      SamplingParams greedy = SamplingParams.greedy().withMaxNewTokens(2);
      assertMessage(
          () ->
              m.hiddenStates(List.of(SequenceInput.ofIds(A), SequenceInput.ofIds()), new int[] {0}),
          "empty input");
      assertMessage(
          () ->
              m.hiddenStates(
                  List.of(SequenceInput.ofIds(A), SequenceInput.ofIds(1, 97)), new int[] {0}),
          "id 97 is out of the vocabulary");
      GenerationRequest good = new GenerationRequest(SequenceInput.ofIds(A), greedy);
      assertMessage(
          () ->
              m.generate(
                  List.of(good, new GenerationRequest(SequenceInput.ofEmbeddings(emb), greedy))),
          "non-finite value");
      float[][] narrow = {new float[TinyModels.HIDDEN], new float[TinyModels.HIDDEN - 1]};
      assertMessage(
          () ->
              m.generateWithSharedPrefix(
                  List.of(good, new GenerationRequest(SequenceInput.ofEmbeddings(narrow), greedy)),
                  1),
          "input embedding row 1 has " + (TinyModels.HIDDEN - 1) + " values");
    }
  }

  @Test
  void weightWithWrongShapeIsAUserErrorNamingTheTensor() throws IOException {
    Path d = TinyModels.write(dir.resolve("bad"), Kind.QWEN2, LAYERS, DType.BF16, 1);
    java.nio.file.Files.writeString(
        d.resolve("config.json"),
        TinyModels.config(Kind.QWEN2, LAYERS)
            .replace("\"intermediate_size\": 64", "\"intermediate_size\": 60"));
    UserError e = assertThrows(UserError.class, () -> LanguageModel.load(d, 1));
    assertTrue(e.getMessage().contains("mlp.gate_proj.weight"), e.getMessage());
  }

  @Test
  void aCheckpointHoldingNaNIsRefusedAtLoadNamingTheTensor() throws IOException {
    Path d = TinyModels.write(dir.resolve("nan"), Kind.QWEN2, LAYERS, DType.BF16, 1);
    Path file = d.resolve(nla.io.ModelWeights.SINGLE);
    nla.io.SafeTensors.Header h = nla.io.SafeTensors.readHeader(file);
    String name = "model.layers.1.mlp.up_proj.weight";
    long at = h.dataStart() + h.entries().get(name).begin() + 2 * 5; // element 5, bf16
    try (var ch =
        java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(new byte[] {(byte) 0xC0, 0x7F}), at); // a quiet NaN
    }
    UserError e = assertThrows(UserError.class, () -> LanguageModel.load(d, 1));
    assertTrue(e.getMessage().contains("tensor " + name + " holds NaN (element 5"), e.getMessage());
  }

  @Test
  void missingLayerIsAUserError() throws IOException {
    Path d = TinyModels.write(dir.resolve("short"), Kind.LLAMA, 2, DType.F16, 1);
    java.nio.file.Files.writeString(d.resolve("config.json"), TinyModels.config(Kind.LLAMA, 3));
    UserError e = assertThrows(UserError.class, () -> LanguageModel.load(d, 1));
    assertTrue(e.getMessage().contains("model.layers.2."), e.getMessage());
  }

  private static void assertMessage(Runnable r, String fragment) {
    UserError e = assertThrows(UserError.class, r::run);
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }

  private static void assertClose(float[][][] expected, float[][][] actual, double tol) {
    assertEquals(expected.length, actual.length);
    for (int a = 0; a < expected.length; a++) {
      assertEquals(expected[a].length, actual[a].length);
      for (int t = 0; t < expected[a].length; t++) {
        for (int j = 0; j < expected[a][t].length; j++) {
          assertEquals(
              expected[a][t][j],
              actual[a][t][j],
              tol * (1 + Math.abs(expected[a][t][j])),
              a + "/" + t + "/" + j);
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void sharedPromptPrefixIsComputedOnceWithBitIdenticalResults(Kind kind) throws IOException {
    try (LanguageModel m = load(Kind.values()[kind.ordinal()])) {
      // Three prompts that share their first 6 tokens, as AV prompts share all but the slot.
      int[] p1 = {3, 14, 15, 92, 65, 35, 1, 2, 3};
      int[] p2 = {3, 14, 15, 92, 65, 35, 7};
      int[] p3 = {3, 14, 15, 92, 65, 35, 8, 9};
      SamplingParams greedy = SamplingParams.greedy().withMaxNewTokens(5).withIgnoreEos(true);
      List<GenerationRequest> reqs = new ArrayList<>();
      for (int[] p : new int[][] {p1, p2, p3})
        reqs.add(new GenerationRequest(SequenceInput.ofIds(p), greedy));
      long before = m.prefillTokensSaved();
      List<Generation> shared = m.generate(reqs);
      assertEquals(12, m.prefillTokensSaved() - before); // 6 tokens x 2 requests
      for (int i = 0; i < 3; i++) {
        assertArrayEquals(
            m.generate(List.of(reqs.get(i))).get(0).outputIds(), shared.get(i).outputIds());
      }
      // Hidden states of prompts of ids share their common ids too, and equal solo runs exactly.
      List<SequenceInput> ids = List.of(SequenceInput.ofIds(p1), SequenceInput.ofIds(p3));
      before = m.prefillTokensSaved();
      List<float[][][]> hs = m.hiddenStates(ids, new int[] {1, 2});
      assertEquals(6, m.prefillTokensSaved() - before);
      for (int i = 0; i < 2; i++) {
        assertClose(m.hiddenStates(List.of(ids.get(i)), new int[] {1, 2}).get(0), hs.get(i), 0);
      }
    }
  }

  /**
   * A head read from an inner block (block 1 of 3: block 2 never runs) is its weight times that
   * block's output at each sequence's last token, within fp32's rounding of the product (a bf16
   * weight, as the released value heads); batched with a shared prefix it equals each sequence
   * alone, bit for bit.
   */
  @ParameterizedTest
  @EnumSource(Kind.class)
  void aLastTokenHeadIsItsWeightTimesTheBlocksLastRowBatchedOrAlone(Kind kind) throws IOException {
    try (LanguageModel m = load(kind);
        Arena arena = Arena.ofShared()) {
      int d = m.config().hiddenSize();
      Random r = new Random(7);
      float[] w = new float[5 * d];
      for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
      Path file = dir.resolve("head.safetensors");
      new SafeTensorsWriter().add("weight", DType.BF16, new long[] {5, d}, w).write(file);
      StoredTensor weight = SafeTensors.map(SafeTensors.readHeader(file), arena).get("weight");
      LastTokenHead head = m.lastTokenHead(1, weight);
      int[] p1 = {3, 14, 15, 92, 65, 35, 1, 2, 3};
      int[] p3 = {3, 14, 15, 92, 65, 35, 8, 9};
      List<SequenceInput> batch = List.of(SequenceInput.ofIds(p1), SequenceInput.ofIds(p3));
      long before = m.prefillTokensSaved();
      float[][] got = head.apply(batch);
      assertEquals(6, m.prefillTokensSaved() - before);
      assertEquals(2, got.length);
      for (int s = 0; s < batch.size(); s++) {
        float[][] h = m.hiddenStates(List.of(batch.get(s)), new int[] {1}).get(0)[0];
        Fp32Dot.assertWithinBound(weight, h[h.length - 1], got[s], kind + " sequence " + s);
        assertArrayEquals(head.apply(List.of(batch.get(s)))[0], got[s], kind + " sequence " + s);
      }
      assertMessage(() -> m.lastTokenHead(LAYERS, weight), "layer 3 out of range");
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void embeddingPromptsShareTheirPrefixOnlyAsFarAsTheCallerSays(Kind kind) throws IOException {
    try (LanguageModel m = load(kind)) {
      // As an AV batch: the same rows up to position 6, then each request's own.
      int[] p1 = {3, 14, 15, 92, 65, 35, 1, 2, 3};
      int[] p3 = {3, 14, 15, 92, 65, 35, 8, 9};
      SamplingParams greedy = SamplingParams.greedy().withMaxNewTokens(5).withIgnoreEos(true);
      List<GenerationRequest> reqs =
          List.of(
              new GenerationRequest(SequenceInput.ofEmbeddings(m.embed(p1)), greedy),
              new GenerationRequest(SequenceInput.ofEmbeddings(m.embed(p3)), greedy));
      long before = m.prefillTokensSaved();
      List<Generation> told = m.generateWithSharedPrefix(reqs, 6);
      assertEquals(6, m.prefillTokensSaved() - before); // 6 rows x 1 request
      before = m.prefillTokensSaved();
      List<Generation> untold = m.generate(reqs);
      assertEquals(0, m.prefillTokensSaved() - before); // rows of embeddings are never compared
      for (int i = 0; i < 2; i++) {
        int[] solo = m.generate(List.of(reqs.get(i))).get(0).outputIds();
        assertArrayEquals(solo, told.get(i).outputIds());
        assertArrayEquals(solo, untold.get(i).outputIds());
      }
      // A prefix longer than a prompt leaves each prompt its last position: 7 of p3's 8 rows.
      before = m.prefillTokensSaved();
      List<Generation> whole =
          m.generateWithSharedPrefix(List.of(reqs.get(1), reqs.get(1)), Integer.MAX_VALUE);
      assertEquals(7, m.prefillTokensSaved() - before);
      assertArrayEquals(told.get(1).outputIds(), whole.get(0).outputIds());
      assertArrayEquals(told.get(1).outputIds(), whole.get(1).outputIds());
    }
  }

  /**
   * The one rule for how many decodes run together by default: 16 on the CPU, 256 on a GPU (whose
   * branch this machine reaches only through the rule itself), asked of the default device.
   */
  @Test
  void theDefaultBatchIs16OnTheCpuAnd256OnAGpu() {
    assertEquals(16, LanguageModel.defaultBatch(false));
    assertEquals(256, LanguageModel.defaultBatch(true));
    assertEquals(16, LanguageModel.defaultBatch(DeviceSpec.CPU));
    DeviceSpec before = LanguageModel.chosenDevice();
    try {
      LanguageModel.setDefaultDevice(DeviceSpec.CPU);
      assertEquals(16, LanguageModel.defaultBatch());
    } finally {
      LanguageModel.setDefaultDevice(before);
    }
    // The suite runs on the CPU (nla.device=cpu).
    assertEquals(16, LanguageModel.defaultBatch());
  }
}
