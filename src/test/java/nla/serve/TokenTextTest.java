package nla.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import nla.GoldenFixtures;
import nla.text.Tokenizer;
import org.junit.jupiter.api.Test;

/**
 * Tokens' display pieces as they arrive one at a time (a streamed /completion): a character split
 * over several tokens is held back until its last token, then shown whole on each of them, as
 * /tokenize shows it.
 */
class TokenTextTest {
  static final Tokenizer TOKENIZER = Tokenizer.load(GoldenFixtures.demoDir("av"));
  static final String GLYPH = "🫠";

  static int[] ids(String text) {
    return TOKENIZER.encode(text, false).ids();
  }

  @Test
  void aSplitCharacterWaitsForItsLastTokenThenShowsWholeOnEach() {
    int[] glyph = ids(GLYPH);
    assertTrue(glyph.length > 1 && glyph.length <= TokenText.LOOKAHEAD, Arrays.toString(glyph));
    TokenText.Pending pending = new TokenText.Pending(TOKENIZER);
    for (int k = 0; k < glyph.length - 1; k++) {
      assertEquals(List.of(), pending.add(glyph[k]), "token " + k + " of the character");
    }
    List<TokenText.Piece> run = pending.add(glyph[glyph.length - 1]);
    assertEquals(glyph.length, run.size());
    for (int k = 0; k < run.size(); k++) {
      assertEquals(new TokenText.Piece(GLYPH, k, glyph.length), run.get(k));
    }
    // A token that decodes cleanly is shown at once.
    int[] word = ids(" lighthouse");
    List<TokenText.Piece> next = pending.add(word[0]);
    assertEquals(List.of(new TokenText.Piece(TOKENIZER.tokenText(word[0]), 0, 1)), next);
    assertEquals(List.of(), pending.finish());
  }

  @Test
  void aStreamEndingInsideACharacterShowsItsTokensAlone() {
    int[] glyph = ids(GLYPH);
    TokenText.Pending pending = new TokenText.Pending(TOKENIZER);
    List<TokenText.Piece> got = new ArrayList<>();
    for (int k = 0; k < glyph.length - 1; k++) got.addAll(pending.add(glyph[k]));
    got.addAll(pending.finish());
    assertEquals(glyph.length - 1, got.size());
    for (int k = 0; k < got.size(); k++) {
      assertEquals(new TokenText.Piece(TOKENIZER.tokenText(glyph[k]), 0, 1), got.get(k));
      assertTrue(got.get(k).text().contains("\uFFFD"), got.toString());
    }
    // The same tokens at once: the same pieces.
    assertEquals(got, TokenText.of(TOKENIZER, Arrays.copyOf(glyph, glyph.length - 1)));
  }

  @Test
  void fiveBrokenTokensInARowAreGivenUpOnOneAtATime() {
    // Bytes that never complete a character within four tokens: each is shown alone, and the
    // stream does not wait for more than four.
    int[] glyph = ids(GLYPH);
    int[] broken = new int[TokenText.LOOKAHEAD + 1];
    Arrays.fill(broken, glyph[0]);
    TokenText.Pending pending = new TokenText.Pending(TOKENIZER);
    List<TokenText.Piece> got = new ArrayList<>();
    for (int k = 0; k < broken.length; k++) {
      got.addAll(pending.add(broken[k]));
      assertTrue(got.size() >= k + 2 - TokenText.LOOKAHEAD, "held " + (k + 1 - got.size()));
    }
    got.addAll(pending.finish());
    assertEquals(TokenText.of(TOKENIZER, broken), got);
    for (TokenText.Piece p : got) assertEquals(1, p.fragmentCount());
  }
}
