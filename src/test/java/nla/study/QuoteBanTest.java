package nla.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.Set;
import nla.io.UserError;
import org.junit.jupiter.api.Test;

class QuoteBanTest {
  private static final QuoteBan.Condition NONE = QuoteBan.DEFAULT_CONDITIONS.get(0);
  private static final QuoteBan.Condition DOUBLE = QuoteBan.DEFAULT_CONDITIONS.get(1);
  private static final QuoteBan.Condition BOTH = QuoteBan.DEFAULT_CONDITIONS.get(2);

  @Test
  void bannedCharactersAreTheFamiliesOfTheCondition() {
    assertEquals("", QuoteBan.bannedCharacters(NONE, QuoteBan.DEFAULT_FAMILIES));
    assertEquals("\"“”„‟«»＂", QuoteBan.bannedCharacters(DOUBLE, QuoteBan.DEFAULT_FAMILIES));
    assertEquals("\"“”„‟«»＂'‘’‚‛‹›＇", QuoteBan.bannedCharacters(BOTH, QuoteBan.DEFAULT_FAMILIES));
    assertThrows(
        UserError.class,
        () ->
            QuoteBan.bannedCharacters(
                new QuoteBan.Condition("x", List.of("nope")), QuoteBan.DEFAULT_FAMILIES));
  }

  @Test
  void singleQuotesAreASubstituteOnlyWhenDoublesAreBanned() {
    String t = "the text 'hello' appears";
    assertEquals(Set.of(), QuoteBan.substitutes(t, NONE));
    assertEquals(Set.of(QuoteBan.OTHER_QUOTE), QuoteBan.substitutes(t, DOUBLE));
    assertEquals(Set.of(), QuoteBan.substitutes(t, BOTH));
  }

  @Test
  void eachSubstituteKindIsDetected() {
    assertEquals(Set.of(QuoteBan.CORNER), QuoteBan.substitutes("says 「hello」 here", BOTH));
    assertEquals(Set.of(QuoteBan.ITALICS), QuoteBan.substitutes("says *hello there* here", BOTH));
    assertEquals(Set.of(QuoteBan.ITALICS), QuoteBan.substitutes("says _hello_ here", BOTH));
    assertEquals(Set.of(QuoteBan.PARENTHESES), QuoteBan.substitutes("says (hello) here", BOTH));
    assertEquals(Set.of(QuoteBan.BACKTICKS), QuoteBan.substitutes("says `hello` here", BOTH));
  }

  @Test
  void lookalikesAreNotSubstitutes() {
    assertEquals(Set.of(), QuoteBan.substitutes("a snake_case_name and 2 * 3 = 6", BOTH));
    assertEquals(Set.of(), QuoteBan.substitutes("**bold** text", BOTH));
    assertEquals(Set.of(), QuoteBan.substitutes("it's Storm's (unclosed", BOTH));
  }

  @Test
  void ratesPerKindAndAny() {
    List<String> decodes = List.of("'a' (b)", "plain", "`c`", "plain too");
    Map<String, Double> r = QuoteBan.substituteRates(decodes, DOUBLE);
    assertEquals(0.25, r.get(QuoteBan.OTHER_QUOTE), 1e-12);
    assertEquals(0.25, r.get(QuoteBan.PARENTHESES), 1e-12);
    assertEquals(0.25, r.get(QuoteBan.BACKTICKS), 1e-12);
    assertEquals(0.0, r.get(QuoteBan.CORNER), 1e-12);
    assertEquals(0.5, r.get("any"), 1e-12);
  }
}
