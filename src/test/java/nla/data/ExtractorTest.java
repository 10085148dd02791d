package nla.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import nla.model.LanguageModel;
import nla.model.SequenceInput;
import nla.text.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Extraction on a tiny random Qwen2-shaped model with the real Qwen2.5 tokenizer. */
class ExtractorTest {
  static Path modelDir;
  static List<Document> demo;

  @BeforeAll
  static void setUp() {
    modelDir = TinyBaseModels.qwen(3);
    try (Corpus c = Corpus.open(Path.of("src/main/resources/demo/corpus.jsonl"), "text")) {
      demo = new ArrayList<>();
      c.documents(0).forEachRemaining(demo::add);
    }
  }

  @Test
  void rowsFollowContractSection6ForEveryLayerAtTheSamePositions() {
    Tokenizer tok = Tokenizer.load(modelDir);
    try (LanguageModel lm = LanguageModel.load(modelDir, 1)) {
      PositionSampler sampler = new PositionSampler(42, 5);
      Extractor ex = new Extractor(lm, tok, new int[] {0, 2, 1}, sampler, 2048, 3, "demo", "train");
      List<Document> docs = demo.subList(0, 4);
      ChunkResult r = ex.extract(docs);
      assertEquals(List.of("L0", "L2", "L1"), List.copyOf(r.rows().keySet()));
      assertEquals(20, r.stats().rows());
      for (String name : r.rows().keySet()) assertEquals(20, r.rows().get(name).size());
      int row = 0;
      for (Document d : docs) {
        int[] ids = tok.encode(d.text(), true).ids();
        List<Integer> positions =
            sampler.sample("demo:train:" + d.index(), ids, Extractor.referenceSpecialIds(tok));
        assertEquals(5, positions.size());
        // The full sequence, uncut: the extractor runs only up to the last sampled position.
        float[][][] full =
            lm.hiddenStates(List.of(SequenceInput.ofIds(ids)), new int[] {0, 2, 1}).get(0);
        for (int pos : positions) {
          for (int li = 0; li < 3; li++) {
            ActivationRow a = r.rows().get(List.of("L0", "L2", "L1").get(li)).get(row);
            assertEquals("demo:train:" + d.index(), a.docId());
            assertEquals(pos + 1, a.nRawTokens());
            assertEquals(new int[] {0, 2, 1}[li], a.activationLayer());
            assertEquals(
                tok.decode(Arrays.copyOf(ids, pos + 1), true), a.detokenizedTextTruncated());
            assertTrue(d.text().startsWith(a.detokenizedTextTruncated()));
            assertArrayEquals(full[li][pos], a.activationVector(), 1e-4f);
          }
          row++;
        }
      }
    }
  }

  @Test
  void skippedAndShortSampledDocumentsAreCountedAndTruncationBoundsPositions() {
    Tokenizer tok = Tokenizer.load(modelDir);
    try (LanguageModel lm = LanguageModel.load(modelDir, 1)) {
      Extractor ex =
          new Extractor(lm, tok, new int[] {1}, new PositionSampler(7, 20), 60, 4, "demo", "train");
      List<Document> docs = new ArrayList<>(demo.subList(28, 32)); // two long, one empty, one short
      docs.add(Document.unreadable(32, "line 33 is not valid UTF-8"));
      ChunkResult r = ex.extract(docs);
      ExtractionStats s = r.stats();
      assertEquals(5, s.documents());
      assertEquals(1, s.skippedEmpty());
      assertEquals(1, s.skippedUnreadable());
      assertEquals(1, s.skippedNoCandidates());
      // max-length 60 leaves 10 candidates (50..59) for 20 asked: both long docs are short-sampled.
      assertEquals(2, s.shortSampled());
      assertEquals(20, s.rows());
      for (ActivationRow a : r.rows().get("L1")) {
        assertTrue(a.nRawTokens() >= 51 && a.nRawTokens() <= 60, "position " + a.nRawTokens());
      }
    }
  }
}
