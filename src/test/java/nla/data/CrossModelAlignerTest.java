package nla.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import nla.io.UserError;
import nla.text.Encoding;
import nla.text.Tokenizer;
import nla.text.TokenizerFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

  /**
   * "The cat sat." tokenized two ways, offsets written by hand. A: The|[0,3) ␣cat|[3,7) ␣sat|[7,11)
   * .|[11,12). B: BOS, Th|[0,2) e␣c|[2,5) at|[5,7) ␣sat.|[7,12). A's token ends 3, 7, 11, 12 meet
   * B's nearest ends 2 (1 apart; 5 is 2 apart), 7 (0), 12 (1; 7 is 4 apart), 12 (0): errors 1, 0,
   * 1, 0, mean 2/4 = 0.5 characters.
   */
  @Test
  void handBuiltAlignmentHasTheMeanErrorWorkedOutByHand(@TempDir Path tmp) throws Exception {
    int[][] offsetsA = {{0, 3}, {3, 7}, {7, 11}, {11, 12}};
    int[][] offsetsB = {{0, 0}, {0, 2}, {2, 5}, {5, 7}, {7, 12}};
    int[] idsB = {1, 20, 21, 22, 23};
    List<CrossModelAligner.AlignedPair> pairs =
        CrossModelAligner.align(
            "c:s:0", offsetsA, List.of(0, 1, 2, 3), offsetsB, idsB, id -> id == 1);
    assertEquals(
        List.of(
            new CrossModelAligner.AlignedPair("c:s:0", 0, 1, 3, 2),
            new CrossModelAligner.AlignedPair("c:s:0", 1, 3, 7, 7),
            new CrossModelAligner.AlignedPair("c:s:0", 2, 4, 11, 12),
            new CrossModelAligner.AlignedPair("c:s:0", 3, 4, 12, 12)),
        pairs);
    assertEquals(List.of(1, 0, 1, 0), pairs.stream().map(p -> p.errorChars()).toList());
    assertEquals(0.5, CrossModelAligner.meanErrorChars(pairs), 0.0);

    // The report nla align writes reads back as the same pairs.
    Path report = tmp.resolve("alignment.jsonl");
    Files.write(report, pairs.stream().map(CrossModelAligner::reportLine).toList());
    assertEquals(pairs, CrossModelAligner.readReport(report));
    assertTrue(Files.readAllLines(report).get(2).contains("\"error_chars\":1"));

    Files.writeString(report, "{\"doc_id\": \"x\", \"position_a\": 1}\n");
    UserError e = assertThrows(UserError.class, () -> CrossModelAligner.readReport(report));
    assertTrue(e.getMessage().contains("line 1") && e.getMessage().contains("position_b"));
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
