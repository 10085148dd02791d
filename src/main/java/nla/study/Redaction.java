package nla.study;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import nla.io.UserError;

/**
 * The §4 post-hoc redaction conditions: the explanation is edited before the AR reads it. Spans are
 * the outermost spans of {@link Spans#parse}.
 */
public enum Redaction {
  /** The explanation as the AV wrote it. */
  ORIGINAL,
  /** Only the spans, delimiters kept, joined by one space. */
  SPANS_WITH_MARKS,
  /** Only the spans' inner text, delimiters removed, joined by one space. */
  SPANS_WITHOUT_MARKS,
  /** The text with every span (delimiters included) removed. */
  PROSE_ONLY,
  /** Every span (delimiters included) replaced by the filler. */
  FILLER;

  /** The name used in plans, results and the report, e.g. {@code spans-with-marks}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  public static Redaction ofId(String id) {
    for (Redaction r : values()) if (r.id().equals(id)) return r;
    throw new UserError(
        "unknown redaction condition '" + id + "' (expected one of " + List.of(ids()) + ")");
  }

  public static String[] ids() {
    Redaction[] v = values();
    String[] out = new String[v.length];
    for (int i = 0; i < v.length; i++) out[i] = v[i].id();
    return out;
  }

  /** Applies this condition to {@code text}; {@code filler} is used only by {@link #FILLER}. */
  public String apply(String text, String filler) {
    if (this == ORIGINAL) return text;
    Spans.Parsed parsed = Spans.parse(text);
    int[] cps = text.codePoints().toArray();
    return switch (this) {
      case SPANS_WITH_MARKS -> joinSpans(parsed, cps, true);
      case SPANS_WITHOUT_MARKS -> joinSpans(parsed, cps, false);
      case PROSE_ONLY -> replaceSpans(parsed, cps, "");
      case FILLER -> replaceSpans(parsed, cps, filler);
      case ORIGINAL -> text;
    };
  }

  private static String joinSpans(Spans.Parsed parsed, int[] cps, boolean marks) {
    List<String> parts = new ArrayList<>();
    for (Spans.Span s : parsed.spans())
      parts.add(marks ? new String(cps, s.start(), s.length()) : s.text());
    return String.join(" ", parts);
  }

  /**
   * Removing a span leaves the spaces on both sides of it; runs of spaces are collapsed to one and
   * the ends stripped, so the AR never sees a double space the AV would not have written.
   */
  private static String replaceSpans(Spans.Parsed parsed, int[] cps, String replacement) {
    StringBuilder out = new StringBuilder();
    int at = 0;
    for (Spans.Span s : parsed.spans()) {
      out.append(new String(cps, at, s.start() - at)).append(replacement);
      at = s.end();
    }
    out.append(new String(cps, at, cps.length - at));
    return out.toString().replaceAll(" {2,}", " ").strip();
  }
}
