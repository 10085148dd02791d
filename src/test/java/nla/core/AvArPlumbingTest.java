package nla.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import nla.Fp32Dot;
import nla.io.UserError;
import nla.model.LanguageModel;
import nla.model.SequenceInput;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The AV and AR wired to the engine and the real Qwen2.5 tokenizer, on a tiny random pair. */
class AvArPlumbingTest {
  @TempDir static Path tmp;
  static Path avDir;
  static Path arDir;

  @BeforeAll
  static void build() throws Exception {
    avDir = TinyNla.av(tmp.resolve("av"), "");
    arDir = TinyNla.ar(tmp.resolve("ar"));
  }

  static float[] vector(long seed) {
    Random r = new Random(seed);
    float[] v = new float[TinyNla.HIDDEN];
    for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian() * 40;
    return v;
  }

  static VerbalizeOptions greedy(int tokens) {
    return VerbalizeOptions.greedy().withMaxNewTokens(tokens, true);
  }

  @Test
  void injectedRowIsTheVectorScaledToTheInjectionNormAndOtherRowsAreTheEmbeddings() {
    try (ActivationVerbalizer av = ActivationVerbalizer.open(avDir);
        LanguageModel lm = LanguageModel.load(avDir)) {
      AvPrompt prompt = av.canonicalPrompt();
      int p = prompt.injectionPosition();
      assertEquals(av.sidecar().injectionTokenId(), prompt.ids()[p]);
      float[] v = vector(1);
      float[][] rows = av.inputEmbeddings(prompt, v);
      float[][] plain = lm.embed(prompt.ids());
      double norm = 0;
      for (int i = 0; i < v.length; i++) {
        norm += rows[p][i] * (double) rows[p][i];
        assertEquals(v[i] / Math.sqrt(sumSq(v)) * 7.5, rows[p][i], 1e-4);
      }
      assertEquals(7.5, Math.sqrt(norm), 1e-4);
      for (int t = 0; t < rows.length; t++) if (t != p) assertArrayEquals(plain[t], rows[t]);
    }
  }

  static double sumSq(float[] v) {
    double s = 0;
    for (float x : v) s += (double) x * x;
    return s;
  }

  @Test
  void greedyDecodesAreDeterministicAndIndependentOfTheBatch() {
    try (ActivationVerbalizer av = ActivationVerbalizer.open(avDir)) {
      List<float[]> vs = List.of(vector(1), vector(2), vector(3));
      List<Verbalization> together = av.withBatchSize(3).verbalize(vs, greedy(6));
      List<Verbalization> alone = av.withBatchSize(1).verbalize(List.of(vs.get(2)), greedy(6));
      assertEquals(3, together.size());
      assertArrayEquals(together.get(2).outputIds(), alone.get(0).outputIds());
      assertEquals(6, together.get(0).outputIds().length);
      assertEquals(
          av.tokenizer().decode(together.get(0).outputIds(), false), together.get(0).text());
      assertTrue(together.get(0).missingTag()); // a random model writes no tags
    }
  }

  @Test
  void eachVerbalizationHandedOverAsItFinishesIsTheOneVerbalizeReturns() {
    try (ActivationVerbalizer av = ActivationVerbalizer.open(avDir)) {
      List<float[]> vs = List.of(vector(1), vector(2), vector(3), vector(4));
      VerbalizeOptions o =
          VerbalizeOptions.greedy()
              .withSampling(0.9, 1, 0, 7)
              .withSamples(2)
              .withMaxNewTokens(5, false);
      List<Verbalization> listed = av.withBatchSize(3).verbalize(vs, o);
      java.util.Map<String, Verbalization> handed = new java.util.HashMap<>();
      av.verbalizeEach(vs, o, v -> handed.put(v.row() + "/" + v.sample(), v));
      assertEquals(listed.size(), handed.size());
      for (Verbalization v : listed) {
        Verbalization h = handed.get(v.row() + "/" + v.sample());
        assertArrayEquals(v.outputIds(), h.outputIds(), v.row() + "/" + v.sample());
        assertEquals(v.text(), h.text());
      }
    }
  }

  @Test
  void aBatchSharesThePromptUpToTheInjectedRowOrWhollyForSamplesOfOneRow() {
    try (ActivationVerbalizer av = ActivationVerbalizer.open(avDir)) {
      int p = av.canonicalPrompt().injectionPosition();
      int length = av.canonicalPrompt().ids().length;
      long before = av.prefillTokensSaved();
      av.withBatchSize(3).verbalize(List.of(vector(1), vector(2), vector(3)), greedy(4));
      assertEquals(2L * p, av.prefillTokensSaved() - before); // rows 0..p-1, reused twice
      VerbalizeOptions o = greedy(6).withSampling(1.0, 0.95, 50, 7).withSamples(3);
      before = av.prefillTokensSaved();
      List<Verbalization> shared = av.verbalize(List.of(vector(6)), o);
      assertEquals(2L * (length - 1), av.prefillTokensSaved() - before); // all but the last row
      List<Verbalization> alone = av.withBatchSize(1).verbalize(List.of(vector(6)), o);
      for (int i = 0; i < 3; i++) {
        assertArrayEquals(alone.get(i).outputIds(), shared.get(i).outputIds());
      }
    }
  }

  @Test
  void bannedCharactersNeverAppearInTheOutput() {
    try (ActivationVerbalizer av = ActivationVerbalizer.open(avDir)) {
      List<float[]> vs = List.of(vector(4), vector(5));
      List<Verbalization> free = av.verbalize(vs, greedy(8));
      // Ban a character of the first greedy token: the greedy path must change and avoid it.
      String first = av.tokenizer().tokenText(free.get(0).outputIds()[0]);
      String ban =
          new String(
              Character.toChars(
                  first.strip().isEmpty() ? first.codePointAt(0) : first.strip().codePointAt(0)));
      int[] bannedIds = av.bannedIds(ban);
      assertTrue(bannedIds.length > 0);
      List<Verbalization> banned = av.verbalize(vs, greedy(8).withBanChars(ban));
      assertNotEquals(free.get(0).outputIds()[0], banned.get(0).outputIds()[0]);
      for (Verbalization v : banned) {
        for (int id : v.outputIds()) assertFalse(av.tokenizer().tokenText(id).contains(ban), ban);
      }
    }
  }

  @Test
  void sampledDecodesFollowTheSeedPerRowAndSample() {
    try (ActivationVerbalizer av = ActivationVerbalizer.open(avDir)) {
      VerbalizeOptions o = greedy(6).withSampling(1.0, 0.95, 50, 7).withSamples(3);
      List<Verbalization> a = av.verbalize(List.of(vector(6)), o);
      List<Verbalization> b = av.verbalize(List.of(vector(6)), o);
      assertEquals(3, a.size());
      for (int i = 0; i < 3; i++) {
        assertEquals(i, a.get(i).sample());
        assertArrayEquals(a.get(i).outputIds(), b.get(i).outputIds());
      }
      assertFalse(
          java.util.Arrays.equals(a.get(0).outputIds(), a.get(1).outputIds())
              && java.util.Arrays.equals(a.get(1).outputIds(), a.get(2).outputIds()));
    }
  }

  @Test
  void badRowsAreReportedWhileTheOthersGoOn() {
    try (ActivationVerbalizer av = ActivationVerbalizer.open(avDir)) {
      float[] nan = vector(7);
      nan[3] = Float.NaN;
      List<float[]> vs = List.of(vector(8), new float[5], new float[TinyNla.HIDDEN], nan);
      List<RowError> errors = new ArrayList<>();
      List<Verbalization> out =
          av.verbalize(
              vs, greedy(2).withRowLabels(new int[] {10, 11, 12, 13}).withRowErrors(errors::add));
      assertEquals(1, out.size());
      assertEquals(10, out.get(0).row());
      assertEquals(List.of(11, 12, 13), errors.stream().map(RowError::row).toList());
      assertTrue(errors.get(0).message().contains("width 5 differs from d_model 32"));
      UserError e = assertThrows(UserError.class, () -> av.verbalize(vs, greedy(2)));
      assertTrue(e.getMessage().startsWith("row 1: width 5"), e.getMessage());
    }
  }

  @Test
  void aCustomPromptInjectsAtItsMarker() {
    try (ActivationVerbalizer av = ActivationVerbalizer.open(avDir)) {
      VerbalizeOptions o = greedy(2).withCustomPrompt("What is <concept><INJECT></concept>?");
      AvPrompt custom = av.prompt(o);
      assertEquals(av.sidecar().injectionTokenId(), custom.ids()[custom.injectionPosition()]);
      assertNotEquals(av.canonicalPrompt().ids().length, custom.ids().length);
      assertEquals(
          custom.injectionPosition(),
          av.verbalize(List.of(vector(9)), o).get(0).injectionPosition());
      assertThrows(UserError.class, () -> av.prompt(greedy(2).withCustomPrompt("no marker")));
    }
  }

  /**
   * The prediction is W·h for h = block K's output at the prompt's last token, as read back by
   * {@link LanguageModel#hiddenStates} and multiplied here in double; the AR multiplies on the
   * backend in fp32, so each value is within fp32's bound for a d-term dot product. Alone or
   * batched, it is the same bit for bit.
   */
  @Test
  void reconstructionIsTheValueHeadOfBlockKAtTheLastTokenAndBatchIndependent() throws Exception {
    try (ActivationReconstructor ar = ActivationReconstructor.open(arDir);
        LanguageModel lm = LanguageModel.load(arDir);
        ValueHead head = ValueHead.load(arDir, TinyNla.HIDDEN)) {
      List<String> texts = List.of("A cat sat.", "Quotes “like” these", "");
      float[][] batch = ar.reconstruct(texts);
      assertEquals(3, batch.length);
      for (int t = 0; t < texts.size(); t++) {
        int[] ids = ar.promptIds(texts.get(t));
        float[][] h =
            lm.hiddenStates(List.of(SequenceInput.ofIds(ids)), new int[] {TinyNla.K}).get(0)[0];
        Fp32Dot.assertWithinBound(head.weight(), h[h.length - 1], batch[t], "text " + t);
        assertArrayEquals(
            ar.withBatchSize(1).reconstruct(List.of(texts.get(t)))[0], batch[t], "text " + t);
      }
    }
  }

  @Test
  void checkpointsThatContradictTheirSidecarAreRefusedNamingTheField() throws Exception {
    Path wrongK = Files.createDirectories(tmp.resolve("wrong-k"));
    TinyNla.ar(wrongK);
    Path meta = wrongK.resolve("nla_meta.yaml");
    Files.writeString(
        meta,
        Files.readString(meta)
            .replace("num_hidden_layers: 1", "num_hidden_layers: 2")
            .replace("layer_index: 1", "layer_index: 2"));
    assertTrue(
        assertThrows(UserError.class, () -> ActivationReconstructor.open(wrongK))
            .getMessage()
            .contains("ar.num_hidden_layers"));

    Path wrongSuffix = Files.createDirectories(tmp.resolve("wrong-suffix"));
    TinyNla.ar(wrongSuffix);
    meta = wrongSuffix.resolve("nla_meta.yaml");
    Files.writeString(meta, Files.readString(meta).replace("<summary>", "<summ>"));
    assertTrue(
        assertThrows(UserError.class, () -> ActivationReconstructor.open(wrongSuffix))
            .getMessage()
            .contains("tokens.critic_suffix_ids"));

    Path wrongD = Files.createDirectories(tmp.resolve("wrong-d"));
    TinyNla.av(wrongD, "");
    meta = wrongD.resolve("nla_meta.yaml");
    Files.writeString(meta, Files.readString(meta).replace("d_model: 32", "d_model: 33"));
    assertTrue(
        assertThrows(UserError.class, () -> ActivationVerbalizer.open(wrongD))
            .getMessage()
            .contains("d_model"));

    Path wrongNeighbour = Files.createDirectories(tmp.resolve("wrong-neighbour"));
    TinyNla.av(wrongNeighbour, "");
    meta = wrongNeighbour.resolve("nla_meta.yaml");
    Files.writeString(
        meta,
        Files.readString(meta)
            .replaceAll("injection_left_neighbor_id: \\d+", "injection_left_neighbor_id: 3"));
    assertTrue(
        assertThrows(UserError.class, () -> ActivationVerbalizer.open(wrongNeighbour))
            .getMessage()
            .contains("tokens.injection_left_neighbor_id"));

    Path wrongId = Files.createDirectories(tmp.resolve("wrong-id"));
    TinyNla.av(wrongId, "");
    meta = wrongId.resolve("nla_meta.yaml");
    Files.writeString(
        meta, Files.readString(meta).replace("injection_char: \"㈎\"", "injection_char: \"㈜\""));
    assertTrue(
        assertThrows(UserError.class, () -> ActivationVerbalizer.open(wrongId))
            .getMessage()
            .contains("tokens.injection_token_id"));

    assertTrue(
        assertThrows(UserError.class, () -> ActivationReconstructor.open(avDir))
            .getMessage()
            .contains("role"));
  }

  /** Without withBatchSize the AV and AR take the device's default (16 here); a given one wins. */
  @Test
  void theBatchSizeDefaultsByDeviceAndAGivenOneWins() {
    try (ActivationVerbalizer av = ActivationVerbalizer.open(avDir);
        ActivationReconstructor ar = ActivationReconstructor.open(arDir)) {
      assertEquals(LanguageModel.defaultBatch(), av.batchSize());
      assertEquals(16, av.batchSize()); // the suite runs on the CPU
      assertEquals(16, ar.batchSize());
      assertEquals(300, av.withBatchSize(300).batchSize());
      assertEquals(3, ar.withBatchSize(3).batchSize());
      UserError e = assertThrows(UserError.class, () -> av.withBatchSize(0));
      assertEquals("--batch-size: must be >= 1, got 0", e.getMessage());
      assertThrows(UserError.class, () -> ar.withBatchSize(0));
    }
  }
}
