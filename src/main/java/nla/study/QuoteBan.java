package nla.study;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import nla.io.UserError;

/**
 * §2, the quote ablation: which characters each ban condition bans at generation time, and which
 * substitute delimiters a decode uses instead.
 */
public final class QuoteBan {
  private QuoteBan() {}

  /** The contract's default families (configurable in a plan). */
  public static final Map<String, String> DEFAULT_FAMILIES =
      orderedMap("double", "\"“”„‟«»＂", "single", "'‘’‚‛‹›＇");

  /** A generation-time condition: a name and the families it bans. */
  public record Condition(String name, List<String> bannedFamilies) {}

  /** The seed's three conditions: none, the double family, both families. */
  public static final List<Condition> DEFAULT_CONDITIONS =
      List.of(
          new Condition("none", List.of()),
          new Condition("double", List.of("double")),
          new Condition("double+single", List.of("double", "single")));

  /** The characters a condition bans, in family order. */
  public static String bannedCharacters(Condition condition, Map<String, String> families) {
    StringBuilder out = new StringBuilder();
    for (String f : condition.bannedFamilies()) {
      String chars = families.get(f);
      if (chars == null)
        throw new UserError("condition '" + condition.name() + "' bans unknown family '" + f + "'");
      out.append(chars);
    }
    return out.toString();
  }

  /** Kinds of substitute delimiter, in report order. */
  public static final String OTHER_QUOTE = "other-quote-family";

  public static final String CORNER = "corner-brackets";
  public static final String ITALICS = "italics";
  public static final String PARENTHESES = "parentheses";
  public static final String BACKTICKS = "backticks";
  public static final List<String> SUBSTITUTE_KINDS =
      List.of(OTHER_QUOTE, CORNER, ITALICS, PARENTHESES, BACKTICKS);

  // *…* or _…_ around at least one non-space character; the underscore form must stand at word
  // edges so snake_case names are not italics; ** (bold) is not italics.
  private static final Pattern STAR_ITALICS =
      Pattern.compile("(?<!\\*)\\*(?![\\s*])[^*\\n]+?(?<!\\s)\\*(?!\\*)");
  private static final Pattern UNDERSCORE_ITALICS =
      Pattern.compile("(?<![\\p{L}\\p{N}_])_(?![\\s_])[^_\\n]+?(?<!\\s)_(?![\\p{L}\\p{N}_])");
  private static final Pattern PARENS = Pattern.compile("\\([^()]*\\)");
  private static final Pattern BACKTICK = Pattern.compile("`[^`\\n]+`");

  /**
   * The substitute-delimiter kinds present in one decode under a condition. "Other quote family"
   * means a matched span of a quote family the condition did not ban, reported only when the
   * condition bans at least one family (with nothing banned, quoting is not a substitute).
   */
  public static Set<String> substitutes(String text, Condition condition) {
    Set<String> kinds = new LinkedHashSet<>();
    List<String> spanKinds = new ArrayList<>();
    for (Spans.Span s : Spans.parse(text).spans()) spanKinds.add(s.kind());
    if (!condition.bannedFamilies().isEmpty()) {
      for (String k : spanKinds)
        if (!k.equals(Spans.CORNER) && !condition.bannedFamilies().contains(k))
          kinds.add(OTHER_QUOTE);
    }
    if (spanKinds.contains(Spans.CORNER) || hasCornerPair(text)) kinds.add(CORNER);
    if (STAR_ITALICS.matcher(text).find() || UNDERSCORE_ITALICS.matcher(text).find())
      kinds.add(ITALICS);
    if (PARENS.matcher(text).find()) kinds.add(PARENTHESES);
    if (BACKTICK.matcher(text).find()) kinds.add(BACKTICKS);
    return kinds;
  }

  /** Corner brackets nested inside another span still count as a substitute. */
  private static boolean hasCornerPair(String text) {
    int a = text.indexOf('「');
    int b = text.indexOf('『');
    return (a >= 0 && text.indexOf('」', a) > a) || (b >= 0 && text.indexOf('』', b) > b);
  }

  /** Per-kind share of decodes carrying that substitute, plus {@code any}. */
  public static Map<String, Double> substituteRates(List<String> decodes, Condition condition) {
    Map<String, Double> rates = new LinkedHashMap<>();
    int any = 0;
    int[] counts = new int[SUBSTITUTE_KINDS.size()];
    for (String d : decodes) {
      Set<String> k = substitutes(d, condition);
      if (!k.isEmpty()) any++;
      for (int i = 0; i < counts.length; i++) if (k.contains(SUBSTITUTE_KINDS.get(i))) counts[i]++;
    }
    double n = decodes.size();
    for (int i = 0; i < counts.length; i++)
      rates.put(SUBSTITUTE_KINDS.get(i), n == 0 ? Double.NaN : counts[i] / n);
    rates.put("any", n == 0 ? Double.NaN : any / n);
    return rates;
  }

  private static Map<String, String> orderedMap(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
    return java.util.Collections.unmodifiableMap(m);
  }
}
