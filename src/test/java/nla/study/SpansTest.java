package nla.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import nla.io.UserError;
import nla.study.Spans.Span;
import org.junit.jupiter.api.Test;

class SpansTest {
  private static List<Span> spans(String text) {
    return Spans.parse(text).spans();
  }

  @Test
  void straightDoubleQuotesMakeOneSpanWithOffsetsIncludingTheMarks() {
    // 0123456789...
    // He said "hi there" today
    assertEquals(
        List.of(new Span("double", 8, 18, "hi there")), spans("He said \"hi there\" today"));
  }

  @Test
  void curlyDoubleAndSingleQuotesAreTheirFamilies() {
    assertEquals(
        List.of(new Span("double", 0, 3, "a"), new Span("single", 4, 7, "b")), spans("“a” ‘b’"));
  }

  @Test
  void apostrophesInsideWordsAreNotDelimiters() {
    assertEquals(List.of(), spans("Storm's plan: it's fine, isn’t it"));
    assertEquals(
        List.of(new Span("single", 4, 17, "Storm's eye")), spans("the 'Storm's eye' rose"));
  }

  @Test
  void pluralPossessiveApostropheDoesNotCloseOrOpen() {
    assertEquals(List.of(), spans("the students' books"));
  }

  @Test
  void nestedQuotesBelongToTheOutermostSpan() {
    String t = "x \"he said 'no' twice\" y";
    assertEquals(List.of(new Span("double", 2, 22, "he said 'no' twice")), spans(t));
    assertEquals(1, Spans.parse(t).count());
  }

  @Test
  void unbalancedOpenerMakesNoSpanAndDoesNotSwallowLaterSpans() {
    assertEquals(List.of(new Span("double", 7, 10, "b")), spans("“a and “b” c"));
    assertEquals(List.of(), spans("open \" never closed"));
  }

  @Test
  void closerInsideDropsUnclosedInnerOpeners() {
    // ‘ opens inside the double span and is never closed; ” closes the double span.
    assertEquals(List.of(new Span("double", 0, 10, "a ‘b c d")), spans("“a ‘b c d” e"));
  }

  @Test
  void strayCloserIsIgnored() {
    assertEquals(List.of(new Span("double", 3, 6, "b")), spans("a” “b”"));
  }

  @Test
  void cornerBracketsAndGuillemetsAndLowQuotes() {
    assertEquals(
        List.of(
            new Span("corner", 0, 4, "東京"),
            new Span("corner", 5, 8, "x"),
            new Span("double", 9, 12, "y"),
            new Span("double", 13, 16, "z"),
            new Span("single", 17, 20, "w")),
        spans("「東京」 『x』 «y» „z“ ‹w›"));
  }

  @Test
  void offsetsAreCodePointsNotUtf16Units() {
    // 😀 is two UTF-16 units but one code point.
    assertEquals(List.of(new Span("double", 2, 5, "a")), spans("😀 \"a\""));
  }

  @Test
  void fullwidthQuotes() {
    assertEquals(List.of(new Span("double", 0, 3, "a")), spans("＂a＂"));
  }

  @Test
  void charFractionCountsSpanCharactersIncludingMarks() {
    Spans.Parsed p = Spans.parse("ab \"cd\" ef"); // 10 code points, span = 4
    assertEquals(1, p.count());
    assertEquals(0.4, p.charFraction(), 1e-12);
    assertEquals(0.0, Spans.parse("").charFraction());
  }

  @Test
  void redactionConditions() {
    String t = "The text \"Hello world\" and 'bye' end";
    assertEquals(t, Redaction.ORIGINAL.apply(t, "_"));
    assertEquals("\"Hello world\" 'bye'", Redaction.SPANS_WITH_MARKS.apply(t, "_"));
    assertEquals("Hello world bye", Redaction.SPANS_WITHOUT_MARKS.apply(t, "_"));
    assertEquals("The text and end", Redaction.PROSE_ONLY.apply(t, "_"));
    assertEquals("The text [X] and [X] end", Redaction.FILLER.apply(t, "[X]"));
  }

  @Test
  void redactionOfTextWithoutSpans() {
    assertEquals("", Redaction.SPANS_WITH_MARKS.apply("no quotes here", "_"));
    assertEquals("no quotes here", Redaction.PROSE_ONLY.apply("no quotes here", "_"));
  }

  @Test
  void redactionIdsRoundTripAndUnknownIsAUserError() {
    for (Redaction r : Redaction.values()) assertEquals(r, Redaction.ofId(r.id()));
    assertEquals("spans-without-marks", Redaction.SPANS_WITHOUT_MARKS.id());
    assertThrows(UserError.class, () -> Redaction.ofId("nope"));
  }
}
