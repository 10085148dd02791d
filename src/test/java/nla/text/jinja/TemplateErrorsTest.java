package nla.text.jinja;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the engine refuses, and how it says so: constructs outside the supported subset fail at
 * parse time with the line, never render differently; Python type errors fail at render time.
 */
class TemplateErrorsTest {
  private static String render(String source, Map<String, ?> variables) {
    return Template.parse(source).render(variables);
  }

  @Test
  void unclosedBlockIsAParseError() {
    TemplateError e = assertThrows(TemplateError.class, () -> Template.parse("{% if x %}no end"));
    assertTrue(e.getMessage().contains("endif"), e.getMessage());
  }

  @Test
  void unsupportedStatementNamesItAndItsLine() {
    TemplateError e =
        assertThrows(TemplateError.class, () -> Template.parse("a\nb\n{% include 'x.j2' %}"));
    assertEquals("line 3: unsupported statement 'include'", e.getMessage());
  }

  @Test
  void syntaxErrorNamesItsLine() {
    TemplateError e = assertThrows(TemplateError.class, () -> Template.parse("a\n\n{{ 1 + }}"));
    assertTrue(e.getMessage().startsWith("line 3:"), e.getMessage());
  }

  /** Found by ParserFuzzTest: these escaped the lexer as NumberFormatException and the like. */
  @Test
  void anOverlongIntegerAndBadEscapesAreTemplateErrors() {
    TemplateError big =
        assertThrows(TemplateError.class, () -> Template.parse("a\n{{ 99999999999999999999999 }}"));
    assertEquals(
        "line 2: integer literal 99999999999999999999999 beyond 64 bits", big.getMessage());
    assertEquals(
        "bad \\xZZ escape",
        assertThrows(TemplateError.class, () -> Template.parse("{{ '\\xZZ' }}")).getMessage());
    assertEquals(
        "\\UFFFFFFFF is beyond U+10FFFF",
        assertThrows(TemplateError.class, () -> Template.parse("{{ '\\UFFFFFFFF' }}"))
            .getMessage());
    assertEquals("\u00e9", render("{{ '\\xe9' }}", Map.of()));
  }

  @Test
  void unknownFilterAndTestFailWhenRendered() {
    assertThrows(TemplateError.class, () -> render("{{ 'a' | frobnicate }}", Map.of()));
    assertThrows(TemplateError.class, () -> render("{{ 'a' is frobnicated }}", Map.of()));
  }

  @Test
  void pythonTypeErrorsAreErrors() {
    // Python: 'a' + 1 raises TypeError; Jinja does not coerce.
    assertThrows(TemplateError.class, () -> render("{{ 'a' + 1 }}", Map.of()));
    assertThrows(TemplateError.class, () -> render("{{ missing + 'a' }}", Map.of()));
    assertThrows(TemplateError.class, () -> render("{{ none.x.y }}", Map.of()));
  }

  @Test
  void raiseExceptionIsTheRaisedKindWithItsMessage() {
    TemplateError e =
        assertThrows(
            TemplateError.class,
            () -> render("{{ raise_exception('bad: ' ~ n) }}", Map.of("n", 3)));
    assertInstanceOf(TemplateError.Raised.class, e);
    assertEquals("bad: 3", e.getMessage());
  }

  @Test
  void javaValuesArePassedAsPythonValues() {
    Map<String, Object> variables = new java.util.HashMap<>();
    variables.put("i", 3);
    variables.put("b", true);
    variables.put("n", null);
    variables.put("l", java.util.List.of("a"));
    variables.put("m", Map.of("k", 2L));
    assertEquals(
        "3 True None ['a'] 2", render("{{ i }} {{ b }} {{ n }} {{ l }} {{ m.k }}", variables));
  }
}
