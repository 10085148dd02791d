package nla.serve;

import java.util.ArrayList;
import java.util.List;
import nla.text.Tokenizer;

/**
 * Each token's display text as Neuronpedia's server shows it: the token decoded on its own (special
 * tokens as their text), except that a run of tokens each of which decodes to a broken byte
 * (U+FFFD) but which together decode cleanly shows the joined text on every token of the run, with
 * its index in the run and the run's length. Runs are looked for up to four tokens long.
 */
final class TokenText {
  static final int LOOKAHEAD = 4;
  private static final String REPLACEMENT = "\uFFFD";

  record Piece(String text, int fragmentIndex, int fragmentCount) {}

  private TokenText() {}

  static List<Piece> of(Tokenizer tokenizer, int[] ids) {
    List<Piece> out = new ArrayList<>(ids.length);
    int i = 0;
    while (i < ids.length) {
      String single = tokenizer.tokenText(ids[i]);
      if (!single.contains(REPLACEMENT)) {
        out.add(new Piece(single, 0, 1));
        i++;
        continue;
      }
      String joined = single;
      int end = i + 1;
      while (end < ids.length && joined.contains(REPLACEMENT) && end - i < LOOKAHEAD) {
        end++;
        joined = tokenizer.decode(java.util.Arrays.copyOfRange(ids, i, end), false);
      }
      if (joined.contains(REPLACEMENT)) {
        out.add(new Piece(single, 0, 1));
        i++;
        continue;
      }
      int count = end - i;
      for (int k = 0; k < count; k++) out.add(new Piece(joined, k, count));
      i = end;
    }
    return out;
  }
}
