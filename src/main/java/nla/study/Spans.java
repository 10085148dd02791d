package nla.study;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The §4 quote-span parser: a span is the text inside a matched pair of quotation delimiters of the
 * double or single quote family or the corner brackets 「」『』.
 *
 * <p>Rules, in the order they are applied to each code point:
 *
 * <ol>
 *   <li>A single-quote character ({@code ' ’ ‘ ‛ ＇}) with a letter or digit on both sides is an
 *       apostrophe ({@code Storm's}, {@code it’s}), never a delimiter.
 *   <li>A character that can close a delimiter open on the stack closes the innermost such one;
 *       delimiters opened after it and still unclosed are dropped (they were unbalanced).
 *   <li>Otherwise a character that can open a span opens one. A symmetric single quote ({@code '}
 *       {@code ＇}) opens only at the start of a word and closes only at the end of one, so that
 *       {@code students' books} cannot close a span that never opened.
 *   <li>Delimiters still open at the end are unbalanced and make no span.
 * </ol>
 *
 * Only outermost spans are reported: quotes nested inside a span are part of its text (so counts
 * and character shares never count a character twice). Offsets are code-point indices; {@code
 * start} is the opening delimiter, {@code end} is one past the closing delimiter.
 */
public final class Spans {
  private Spans() {}

  /** Kinds of span, by the family of the delimiter that opened it. */
  public static final String DOUBLE = "double";

  public static final String SINGLE = "single";
  public static final String CORNER = "corner";

  /** One quoted span: kind, code-point offsets including the delimiters, the text between. */
  public record Span(String kind, int start, int end, String text) {
    public int length() {
      return end - start;
    }
  }

  /** A parsed text: its outermost spans in order and its length in code points. */
  public record Parsed(String source, List<Span> spans, int codePoints) {
    public int count() {
      return spans.size();
    }

    /** Share of the text's code points that lie inside spans, delimiters included. */
    public double charFraction() {
      if (codePoints == 0) return 0.0;
      long inside = 0;
      for (Span s : spans) inside += s.length();
      return (double) inside / codePoints;
    }
  }

  /** An opener and the characters that may close it. */
  private record Pair(int open, String closers, String kind) {}

  private static final List<Pair> PAIRS =
      List.of(
          new Pair('"', "\"", DOUBLE),
          new Pair('“', "”", DOUBLE),
          new Pair('„', "“”", DOUBLE), // German „…“ and Polish „…”
          new Pair('‟', "”", DOUBLE),
          new Pair('«', "»", DOUBLE),
          new Pair('»', "«", DOUBLE), // Danish »…«
          new Pair('＂', "＂", DOUBLE),
          new Pair('\'', "'", SINGLE),
          new Pair('‘', "’", SINGLE),
          new Pair('‚', "‘’", SINGLE),
          new Pair('‛', "’", SINGLE),
          new Pair('‹', "›", SINGLE),
          new Pair('›', "‹", SINGLE),
          new Pair('＇', "＇", SINGLE),
          new Pair('「', "」", CORNER),
          new Pair('『', "』", CORNER));

  private static final String APOSTROPHE_LIKE = "'’‘‛＇";
  private static final String SYMMETRIC_SINGLE = "'＇";

  private record Open(Pair pair, int position) {}

  /** Parses {@code text} into its outermost quote spans. */
  public static Parsed parse(String text) {
    int[] cps = text.codePoints().toArray();
    Deque<Open> stack = new ArrayDeque<>();
    List<Span> spans = new ArrayList<>();
    for (int i = 0; i < cps.length; i++) {
      int c = cps[i];
      boolean wordBefore = i > 0 && isWordChar(cps[i - 1]);
      boolean wordAfter = i + 1 < cps.length && isWordChar(cps[i + 1]);
      if (APOSTROPHE_LIKE.indexOf(c) >= 0 && wordBefore && wordAfter) continue;
      boolean symmetricSingle = SYMMETRIC_SINGLE.indexOf(c) >= 0;
      Open closed = symmetricSingle && wordAfter ? null : innermostClosable(stack, c);
      if (closed != null) {
        while (stack.peek() != closed) stack.pop();
        stack.pop();
        String inner = new String(cps, closed.position + 1, i - closed.position - 1);
        spans.add(new Span(closed.pair.kind, closed.position, i + 1, inner));
        continue;
      }
      Pair opener = openerFor(c);
      if (opener != null && !(symmetricSingle && wordBefore)) stack.push(new Open(opener, i));
    }
    return new Parsed(text, outermost(spans), cps.length);
  }

  /**
   * Spans close inner-first, so a span is nested exactly when a later-closed span starts before it.
   * A span inside an opener that never closed is outermost: the opener made no span.
   */
  private static List<Span> outermost(List<Span> closedInOrder) {
    List<Span> kept = new ArrayList<>();
    for (int i = closedInOrder.size() - 1; i >= 0; i--) {
      Span s = closedInOrder.get(i);
      if (kept.isEmpty() || kept.getLast().start() > s.start()) kept.add(s);
    }
    return List.copyOf(kept.reversed());
  }

  private static Open innermostClosable(Deque<Open> stack, int c) {
    for (Open o : stack) if (o.pair.closers.indexOf(c) >= 0) return o;
    return null;
  }

  private static Pair openerFor(int c) {
    for (Pair p : PAIRS) if (p.open == c) return p;
    return null;
  }

  static boolean isWordChar(int c) {
    return Character.isLetterOrDigit(c);
  }

  /** The kind of quote family a delimiter character belongs to, or null. */
  public static String familyOf(int c) {
    for (Pair p : PAIRS) if (p.open == c || p.closers.indexOf(c) >= 0) return p.kind;
    return null;
  }
}
