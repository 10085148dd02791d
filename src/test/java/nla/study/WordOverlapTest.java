package nla.study;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class WordOverlapTest {
  @Test
  void wordsAreLowerCasedRunsOfLettersDigitsAndApostrophes() {
    assertEquals(
        List.of("it's", "storm's", "2024", "plan", "naïve", "東京"),
        WordOverlap.words("It’s STORM's 2024-plan, naïve 東京!"));
  }

  @Test
  void quoteMarksAtWordEdgesAreNotPartOfTheWord() {
    assertEquals(List.of("hello", "world"), WordOverlap.words("'hello world'"));
    assertEquals(List.of("students", "books"), WordOverlap.words("students' books"));
    assertEquals(List.of(), WordOverlap.words("'' ’ --"));
  }

  @Test
  void longestCommonRunIsContiguousAndCaseInsensitive() {
    WordOverlap.Run r =
        WordOverlap.longest("The cat sat on the mat today", "yesterday THE CAT sat on a mat");
    assertEquals(List.of("the", "cat", "sat", "on"), r.words());
    assertEquals(4, r.length());
  }

  @Test
  void nonContiguousMatchesDoNotCount() {
    assertEquals(1, WordOverlap.longest("a b c d", "a x b x c x d").length());
  }

  @Test
  void emptyAndDisjointTextsHaveRunZero() {
    assertEquals(0, WordOverlap.longest("", "anything").length());
    assertEquals(0, WordOverlap.longest("alpha beta", "gamma delta").length());
  }

  @Test
  void firstOccurrenceInAWinsATie() {
    assertEquals(List.of("x", "y"), WordOverlap.longest("x y p q", "p q x y").words());
  }

  @Test
  void punctuationBetweenWordsDoesNotBreakARun() {
    assertEquals(3, WordOverlap.longest("“one, two — three”", "one two three").length());
  }
}
