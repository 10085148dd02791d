package nla.core;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The AV's answer format: the explanation is the text between the first {@code <explanation>} and
 * the next {@code </explanation>}, stripped (reference {@code schema.extract_explanation}). A
 * decode without both tags is a missing-tag decode.
 */
public final class Explanations {
  public static final String OPEN = "<explanation>";
  public static final String CLOSE = "</explanation>";
  private static final Pattern EXPLANATION =
      Pattern.compile(Pattern.quote(OPEN) + "(.*?)" + Pattern.quote(CLOSE), Pattern.DOTALL);

  private Explanations() {}

  /** The stripped explanation, or null for a missing-tag decode. */
  public static String extract(String decoded) {
    Matcher m = EXPLANATION.matcher(decoded);
    return m.find() ? pythonStrip(m.group(1)) : null;
  }

  /**
   * Python's {@code str.strip()}: removes the characters for which {@code str.isspace()} holds,
   * which is a wider set than Java's {@link String#strip()} (it includes U+00A0, U+202F, U+2007,
   * and the separators U+001C..U+001F). The AR was trained on Python-stripped explanations.
   */
  public static String pythonStrip(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && isPythonSpace(s.charAt(start))) start++;
    while (end > start && isPythonSpace(s.charAt(end - 1))) end--;
    return s.substring(start, end);
  }

  /** {@code str.isspace()} for one BMP char (every Python space is in the BMP). */
  static boolean isPythonSpace(char c) {
    return switch (c) {
      case '\t', '\n', '\u000b', '\f', '\r', '\u001c', '\u001d', '\u001e', '\u001f', ' ' -> true;
      case '\u0085', '\u00a0', '\u1680', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000' -> true;
      default -> c >= '\u2000' && c <= '\u200a';
    };
  }
}
