package nla.study;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The §3 word n-gram overlap: words are lower-cased runs of letters, digits and apostrophes; the
 * overlap of two texts is their longest common contiguous run of words.
 */
public final class WordOverlap {
  private WordOverlap() {}

  /** The longest common run, as the words themselves (its first occurrence in {@code a}). */
  public record Run(List<String> words) {
    public int length() {
      return words.size();
    }
  }

  /**
   * Words of {@code text}. The typographic apostrophe ’ is read as ' so {@code it’s} and {@code
   * it's} are one word. Apostrophes at a run's ends are stripped: there they are single quote marks
   * around the word ({@code 'hello'}), not part of it.
   */
  public static List<String> words(String text) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    text.codePoints()
        .forEach(
            c -> {
              if (Character.isLetterOrDigit(c) || isApostrophe(c)) {
                cur.appendCodePoint(isApostrophe(c) ? '\'' : c);
              } else {
                flush(cur, out);
              }
            });
    flush(cur, out);
    return out;
  }

  private static boolean isApostrophe(int c) {
    return c == '\'' || c == '’' || c == 'ʼ';
  }

  private static void flush(StringBuilder cur, List<String> out) {
    int s = 0;
    int e = cur.length();
    while (s < e && cur.charAt(s) == '\'') s++;
    while (e > s && cur.charAt(e - 1) == '\'') e--;
    if (s < e) out.add(cur.substring(s, e).toLowerCase(Locale.ROOT));
    cur.setLength(0);
  }

  /** Longest common contiguous word run of two texts. */
  public static Run longest(String a, String b) {
    return longest(words(a), words(b));
  }

  /** Longest common contiguous run of two word lists (dynamic programming, O(|a|·|b|)). */
  public static Run longest(List<String> a, List<String> b) {
    int[] prev = new int[b.size() + 1];
    int[] cur = new int[b.size() + 1];
    int best = 0;
    int bestEndInA = 0;
    for (int i = 1; i <= a.size(); i++) {
      String w = a.get(i - 1);
      for (int j = 1; j <= b.size(); j++) {
        cur[j] = w.equals(b.get(j - 1)) ? prev[j - 1] + 1 : 0;
        if (cur[j] > best) {
          best = cur[j];
          bestEndInA = i;
        }
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return new Run(List.copyOf(a.subList(bestEndInA - best, bestEndInA)));
  }
}
