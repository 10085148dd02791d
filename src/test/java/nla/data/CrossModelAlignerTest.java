package nla.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import nla.text.Encoding;
import nla.text.Tokenizer;
import nla.text.TokenizerFixtures;
import org.junit.jupiter.api.Test;

class CrossModelAlignerTest {
  @Test
  void nearestEndSkipsSpecialTokensAndPrefersTheEarlierOnATie() {
    int[][] offsets = {{0, 0}, {0, 3}, {3, 7}, {7, 9}, {9, 13}};
    int[] ids = {1, 10, 11, 12, 13};
    assertEquals(2, CrossModelAligner.nearestByEnd(offsets, ids, id -> id == 1, 7));
    assertEquals(2, CrossModelAligner.nearestByEnd(offsets, ids, id -> id == 1, 8)); // 7 and 9 tie
    assertEquals(1, CrossModelAligner.nearestByEnd(offsets, ids, id -> id == 1, 0)); // BOS skipped
    assertEquals(4, CrossModelAligner.nearestByEnd(offsets, ids, id -> id == 1, 50));
    assertEquals(-1, CrossModelAligner.nearestByEnd(offsets, ids, id -> true, 5));
  }

  @Test
  void qwenAndGemmaTokensOfOneSentenceAlignWithinAFewCharacters() {
    Tokenizer qwen = Tokenizer.load(TokenizerFixtures.dir("qwen2.5"));
    Tokenizer gemma = Tokenizer.load(TokenizerFixtures.dir("gemma3"));
    String text = "The lighthouse keeper climbed the spiral stairs each evening at dusk — ㈎ 東京.";
    Encoding a = qwen.encode(text, true);
    Encoding b = gemma.encode(text, true);
    int total = 0;
    for (int p = 0; p < a.ids().length; p++) {
      int end = a.offsets()[p][1];
      int j = CrossModelAligner.nearestByEnd(b.offsets(), b.ids(), gemma::isSpecial, end);
      total += Math.abs(b.offsets()[j][1] - end);
    }
    // Word-level tokens of both vocabularies mostly end at the same characters.
    assertTrue(total <= a.ids().length, "total error " + total);
    assertEquals(text.codePointCount(0, text.length()), a.offsets()[a.ids().length - 1][1]);
  }

  @Test
  void candidatesExcludeExactlyHfAllSpecialIdsNotEveryAddedSpecialToken() {
    // Gemma 3 marks <start_of_turn> (105) special, but it is not among HF's all_special_ids, so
    // the reference keeps it as a candidate when a document's text contains it; <bos> is dropped.
    Tokenizer gemma = Tokenizer.load(TokenizerFixtures.dir("gemma3"));
    String text = "word ".repeat(60) + "<start_of_turn> and more words after it.";
    int[] ids = gemma.encode(text, true).ids();
    int at = -1;
    for (int i = 0; i < ids.length; i++) if (ids[i] == 105) at = i;
    assertTrue(at >= PositionSampler.MIN_POSITION, "literal special token at " + at);
    assertTrue(gemma.isSpecial(105));
    var candidates = PositionSampler.candidates(ids, Extractor.referenceSpecialIds(gemma));
    assertTrue(candidates.contains(at));
    assertTrue(Extractor.referenceSpecialIds(gemma).test(ids[0]), "BOS is special");
  }
}
