package nla.study;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Locale;

/**
 * The report's HTML as it is written: sections, tables, figures and headline cards, and the number
 * formats every section uses. Each {@link Study} writes its own part through one.
 */
public final class ReportPage {
  private final StringBuilder b = new StringBuilder();
  private int figure = 0;

  ReportPage() {}

  /** Raw HTML, for the page's frame. */
  ReportPage html(String html) {
    b.append(html);
    return this;
  }

  String render() {
    return b.toString();
  }

  public static String esc(String t) {
    return t.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  public static String f3(double x) {
    return Double.isNaN(x) ? "—" : String.format(Locale.ROOT, "%.3f", x);
  }

  /**
   * An interval as "[-1.109, -0.660]": a dash between two numbers that may be negative reads as a
   * minus ("-1.109–-0.660").
   */
  public static String interval(double low, double high) {
    return Double.isNaN(low) && Double.isNaN(high) ? "—" : "[" + f3(low) + ", " + f3(high) + "]";
  }

  public static String f4(double x) {
    return Double.isNaN(x) ? "—" : String.format(Locale.ROOT, "%.4f", x);
  }

  public static String pct(double x) {
    return Double.isNaN(x) ? "—" : String.format(Locale.ROOT, "%.1f%%", 100 * x);
  }

  /** A summary's number field; absent or null: NaN (shown as "—"). */
  public static double num(JsonNode n, String f) {
    JsonNode v = n == null ? null : n.get(f);
    return v == null || v.isNull() ? Double.NaN : v.asDouble();
  }

  public void table(List<String> head, List<List<String>> rows) {
    b.append("<table><thead><tr>");
    for (String h : head) b.append("<th>").append(esc(h)).append("</th>");
    b.append("</tr></thead><tbody>");
    for (List<String> r : rows) {
      b.append("<tr>");
      for (String c : r) b.append("<td>").append(esc(c)).append("</td>");
      b.append("</tr>");
    }
    b.append("</tbody></table>");
  }

  /** A numbered figure: the SVG and its caption. */
  public void figure(String svg, String caption) {
    figure++;
    b.append("<figure class=\"fig\" id=\"fig-").append(figure).append("\">").append(svg);
    b.append("<figcaption><b>Fig. ").append(figure).append("</b> — ").append(esc(caption));
    b.append("</figcaption></figure>");
  }

  /** Opens a section; {@link #endSection} closes it. {@code note} may be null. */
  public void section(String num, String title, String note) {
    b.append("<section><h2><span class=\"num\">").append(num).append("</span> ").append(esc(title));
    b.append("</h2>");
    if (note != null) b.append("<p class=\"note\">").append(esc(note)).append("</p>");
  }

  public void endSection() {
    b.append("</section>");
  }

  /** A headline card: a big number, what it is, and a line under it. */
  public void card(String value, String label, String sub) {
    b.append("<div class=\"card\"><div class=\"big\">")
        .append(esc(value))
        .append("</div><div>")
        .append(esc(label))
        .append("</div><div class=\"sub\">")
        .append(esc(sub))
        .append("</div></div>");
  }

  /** A condition's bar: mean FVE and, where the summary has it, its 95% CI. */
  static Charts.Bar bar(JsonNode condition) {
    return new Charts.Bar(
        condition.get("condition").asText(),
        num(condition, "mean_fve"),
        num(condition, "fve_ci_low"),
        num(condition, "fve_ci_high"));
  }

  /**
   * The caption's account of the whiskers. The mean of per-item FVE is skewed by a long lower tail
   * (one missing-tag decode can score far below 0), so the interval is a percentile bootstrap over
   * items, not a normal one; summaries written before intervals were recorded have none, and the
   * caption says so.
   */
  static String whiskers(List<Charts.Bar> bars) {
    long with = bars.stream().filter(Charts.Bar::hasInterval).count();
    String method =
        "Whiskers: 95% percentile bootstrap CI of the mean over items ("
            + String.format(Locale.ROOT, "%,d", EvalSummary.BOOTSTRAP_RESAMPLES)
            + " resamples, seeded by the run's seed).";
    if (with == bars.size()) return method;
    if (with == 0) return "No confidence intervals recorded in this run's summary.";
    return method + " Conditions without one have no interval recorded.";
  }
}
