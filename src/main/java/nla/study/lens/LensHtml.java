package nla.study.lens;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A self-contained page for a lens result: the text with each looked-at token coloured by its FVE
 * (red 0 or below, green 1; grey without an AR), its explanation on hover and, on click, in a panel
 * with the metrics and warnings.
 */
public final class LensHtml {
  private LensHtml() {}

  public static String render(Lens.Result r, String title) {
    Map<Integer, Lens.Position> at = new HashMap<>();
    for (Lens.Position p : r.positions()) at.put(p.position(), p);
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < r.ids().length; i++) {
      Lens.Position p = at.get(i);
      String text = escape(r.tokens()[i]);
      if (p == null) {
        body.append("<span class=t>").append(text).append("</span>");
        continue;
      }
      body.append("<span class=\"t seen")
          .append(p.warnings().isEmpty() ? "" : " warn")
          .append("\" style=\"background:")
          .append(colour(p))
          .append("\" title=\"")
          .append(escape(tooltip(p)))
          .append("\" data-detail=\"")
          .append(escape(detail(p)))
          .append("\" onclick=\"show(this)\">")
          .append(text.isEmpty() ? "&#8203;" : text)
          .append("</span>");
    }
    String denominator =
        r.denominator() == null
            ? "no AR given: tokens are not scored"
            : String.format(
                Locale.ROOT,
                "fve_nrm = 1 - mse_nrm / %.6f (%s)",
                r.denominator().varNrm(),
                r.denominator().origin());
    return """
        <!doctype html>
        <html><head><meta charset="utf-8"><title>%s</title>
        <style>
        body{font-family:system-ui,sans-serif;margin:2em;max-width:60em;line-height:1.4}
        .text{font-family:ui-monospace,monospace;white-space:pre-wrap;line-height:2;border:1px solid #ccc;padding:1em}
        .t{border-radius:3px}
        .seen{cursor:pointer;padding:1px 0;border-bottom:2px solid #0000}
        .warn{border-bottom:2px dotted #333}
        #detail{white-space:pre-wrap;border:1px solid #ccc;padding:1em;margin-top:1em;min-height:4em}
        .legend span{padding:0 .5em}
        </style></head><body>
        <h1>%s</h1>
        <p>Layer %d activations. %s. Click a token for its explanation; a dotted underline marks a
        known-noisy position (early, special token, or outlier norm).</p>
        <p class=legend>FVE: <span style="background:%s">&le; 0</span><span style="background:%s">0.5</span><span style="background:%s">1</span></p>
        <div class=text>%s</div>
        <div id=detail>Click a coloured token.</div>
        <script>function show(e){document.getElementById('detail').textContent=e.dataset.detail}</script>
        </body></html>
        """
        .formatted(
            escape(title),
            escape(title),
            r.layer(),
            escape(denominator),
            fveColour(0),
            fveColour(0.5),
            fveColour(1),
            body);
  }

  private static String colour(Lens.Position p) {
    if (p.score() == null || !Double.isFinite(p.score().fveNrm())) return "#ddd";
    return fveColour(p.score().fveNrm());
  }

  /** Red (FVE ≤ 0) through yellow to green (FVE = 1), light enough to read black text on. */
  static String fveColour(double fve) {
    double x = Math.max(0, Math.min(1, fve));
    int hue = (int) Math.round(120 * x);
    return "hsl(" + hue + ",75%,75%)";
  }

  private static String tooltip(Lens.Position p) {
    if (p.decode() == null) return "unusable vector: " + p.error();
    String e = p.decode().explanation() != null ? p.decode().explanation() : p.decode().text();
    return e.length() > 300 ? e.substring(0, 300) + "…" : e;
  }

  private static String detail(Lens.Position p) {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT,
            "position %d  token %s  ‖v‖ %.2f",
            p.position(),
            quote(p.token()),
            p.norm()));
    if (p.score() != null) {
      b.append(
          String.format(
              Locale.ROOT,
              "\nmse_nrm %.4f  cos %.4f  fve_nrm %.4f",
              p.score().mseNrm(),
              p.score().cos(),
              p.score().fveNrm()));
    }
    for (String w : p.warnings()) b.append("\n⚠ ").append(w);
    b.append("\n\n");
    if (p.decode() == null) b.append("unusable vector: ").append(p.error());
    else if (p.decode().explanation() != null) b.append(p.decode().explanation());
    else b.append("(no <explanation> tags; raw text)\n").append(p.decode().text());
    return b.toString();
  }

  static String quote(String token) {
    return "'" + token.replace("\n", "\\n").replace("\t", "\\t") + "'";
  }

  static String escape(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }
}
