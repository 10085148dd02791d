package nla.serve;

import java.util.ArrayList;
import java.util.Arrays;
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
    Pending pending = new Pending(tokenizer);
    List<Piece> out = new ArrayList<>(ids.length);
    for (int id : ids) out.addAll(pending.add(id));
    out.addAll(pending.finish());
    return out;
  }

  /**
   * Tokens that arrive one at a time (a streamed continuation): each token's piece is given once it
   * is known, in order, and the pieces are those {@link #of} gives for all the tokens at once. A
   * token that decodes to a broken byte waits until the tokens after it complete its character, or
   * until {@link #LOOKAHEAD} tokens show that they will not.
   */
  static final class Pending {
    private final Tokenizer tokenizer;
    private int[] ids = new int[LOOKAHEAD];
    private int length;

    Pending(Tokenizer tokenizer) {
      this.tokenizer = tokenizer;
    }

    /** Takes the next token; returns the pieces now known (of earlier tokens too, in order). */
    List<Piece> add(int id) {
      if (length == ids.length) ids = Arrays.copyOf(ids, 2 * length);
      ids[length++] = id;
      return drain(false);
    }

    /** No more tokens: the pieces of those still waiting. */
    List<Piece> finish() {
      return drain(true);
    }

    private List<Piece> drain(boolean last) {
      List<Piece> out = new ArrayList<>();
      while (length > 0) {
        String single = tokenizer.tokenText(ids[0]);
        if (!single.contains(REPLACEMENT)) {
          out.add(new Piece(single, 0, 1));
          drop(1);
          continue;
        }
        String joined = single;
        int end = 1;
        while (end < length && joined.contains(REPLACEMENT) && end < LOOKAHEAD) {
          end++;
          joined = tokenizer.decode(Arrays.copyOf(ids, end), false);
        }
        if (!joined.contains(REPLACEMENT)) {
          for (int k = 0; k < end; k++) out.add(new Piece(joined, k, end));
          drop(end);
          continue;
        }
        // Tokens still to come may complete the character.
        if (!last && length < LOOKAHEAD) break;
        out.add(new Piece(single, 0, 1));
        drop(1);
      }
      return out;
    }

    private void drop(int n) {
      System.arraycopy(ids, n, ids, 0, length - n);
      length -= n;
    }
  }
}
