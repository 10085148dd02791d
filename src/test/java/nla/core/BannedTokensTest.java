package nla.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BannedTokensTest {
  private static final String[] VOCAB = {
    "<bos>", "hello", "\"", " \"quoted", "it's", "“", "a", "😀x", "<end_of_turn>", "'"
  };

  @Test
  void bansEveryTokenWhoseTextContainsABannedCharacterIncludingSpecialsAndAstralChars() {
    BannedTokens b = new BannedTokens(i -> VOCAB[i], VOCAB.length);
    assertArrayEquals(new int[] {2, 3, 5}, b.bannedIds("\"“"));
    assertArrayEquals(new int[] {4, 9}, b.bannedIds("'"));
    assertArrayEquals(new int[] {7}, b.bannedIds("😀"));
    assertArrayEquals(new int[] {0, 8}, b.bannedIds("<"));
    assertArrayEquals(new int[0], b.bannedIds(""));
    assertEquals(BannedTokens.BAN_BIAS, b.logitBias("'").get(9));
    assertEquals(2, b.logitBias("'").size());
  }

  @Test
  void theVocabularyIsScannedOncePerCharacterSet() {
    AtomicInteger calls = new AtomicInteger();
    BannedTokens b =
        new BannedTokens(
            i -> {
              calls.incrementAndGet();
              return VOCAB[i];
            },
            VOCAB.length);
    b.bannedIds("\"'");
    b.bannedIds("'\"");
    b.logitBias("'\"'");
    assertEquals(VOCAB.length, calls.get());
  }
}
