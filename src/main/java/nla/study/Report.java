package nla.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import nla.io.UserError;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * §9: one self-contained HTML report (inline CSS, inline SVG figures, no network) from a run
 * directory's study summaries, plus {@code results.json} holding every number the report shows and
 * the scored pre-registration.
 */
public final class Report {
  private Report() {}

  public static final List<String> STUDY_ORDER =
      List.of(
          Studies.EVAL,
          Studies.QUOTE_BAN,
          Studies.CONFAB,
          Studies.REDACT,
          Studies.BEST_OF_N,
          Studies.LAYERS,
          Studies.CROSS,
          Studies.RIDGE);

  /** A pre-registered prediction, scored. {@code verdict}: ✓, ✗, or "—" when not measured. */
  public record Prediction(
      String claim,
      String study,
      String metric,
      double low,
      double high,
      Double actual,
      String verdict) {}

  public record Built(String html, ObjectNode results) {}

  /** Writes {@code out} (HTML) and {@code results.json} beside it; returns what was written. */
  public static Built write(Path runDir, Path preregistration, Path out) {
    Built b = build(runDir, preregistration);
    try {
      RunDir.writeAtomically(out, b.html().getBytes(StandardCharsets.UTF_8));
      RunDir.writeAtomically(
          out.toAbsolutePath().resolveSibling("results.json"),
          RunDir.JSON.writeValueAsBytes(b.results()));
    } catch (IOException e) {
      throw new UserError("cannot write report " + out + ": " + e.getMessage());
    }
    return b;
  }

  public static Built build(Path runDir, Path preregistration) {
    Path mf = runDir.resolve(RunDir.MANIFEST);
    if (!Files.exists(mf))
      throw new UserError(runDir + ": not a run directory (no " + RunDir.MANIFEST + ")");
    ObjectNode results = RunDir.JSON.createObjectNode();
    try {
      results.set("manifest", RunDir.JSON.readTree(mf.toFile()));
    } catch (IOException e) {
      throw new UserError(mf + ": not readable JSON (" + e.getMessage() + ")");
    }
    ObjectNode studies = results.putObject("studies");
    for (String s : STUDY_ORDER) {
      JsonNode sum = RunDir.readSummary(runDir, s);
      if (sum != null) studies.set(s, sum);
    }
    if (studies.isEmpty())
      throw new UserError(
          runDir + ": no study has finished in this run directory (no */summary.json)");
    List<Prediction> preds =
        preregistration == null ? List.of() : score(loadPredictions(preregistration), studies);
    results.set("preregistration", RunDir.JSON.valueToTree(preds));
    return new Built(new Html(results, preds).render(), results);
  }

  // ------------------------------------------------------------------ pre-registration

  record Claim(String claim, String study, String metric, double low, double high) {}

  /**
   * Reads {@code predictions: [{claim, study, metric, expected: [low, high]}]}. The metric is a
   * path into the study's summary: dotted fields, {@code [i]} for an array index, {@code
   * [field=value]} to pick the array element whose field equals value, e.g. {@code
   * conditions[condition=prose-only].mean_fve}.
   */
  static List<Claim> loadPredictions(Path file) {
    Object root;
    try {
      root = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(file));
    } catch (IOException e) {
      throw new UserError("cannot read pre-registration " + file + ": " + e.getMessage());
    } catch (RuntimeException e) {
      throw new UserError(
          file + ": not valid YAML (" + e.getMessage().lines().findFirst().orElse("") + ")");
    }
    if (!(root instanceof Map<?, ?> m) || !(m.get("predictions") instanceof List<?> list))
      throw new UserError(file + ": expected a top-level 'predictions' list");
    List<Claim> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      String where = file + ": predictions[" + i + "]";
      if (!(list.get(i) instanceof Map<?, ?> p)) throw new UserError(where + " is not a mapping");
      for (String f : List.of("claim", "study", "metric", "expected"))
        if (p.get(f) == null) throw new UserError(where + ": missing field '" + f + "'");
      if (!(p.get("expected") instanceof List<?> range)
          || range.size() != 2
          || !(range.get(0) instanceof Number lo)
          || !(range.get(1) instanceof Number hi))
        throw new UserError(where + ".expected: must be [low, high] numbers");
      if (!STUDY_ORDER.contains(p.get("study").toString()))
        throw new UserError(
            where
                + ".study: unknown study '"
                + p.get("study")
                + "' (expected one of "
                + STUDY_ORDER
                + ")");
      out.add(
          new Claim(
              p.get("claim").toString(),
              p.get("study").toString(),
              p.get("metric").toString(),
              lo.doubleValue(),
              hi.doubleValue()));
    }
    return out;
  }

  static List<Prediction> score(List<Claim> claims, JsonNode studies) {
    List<Prediction> out = new ArrayList<>();
    for (Claim c : claims) {
      JsonNode v = resolve(studies.get(c.study()), c.metric());
      Double actual = v != null && v.isNumber() ? v.asDouble() : null;
      String verdict = actual == null ? "—" : (actual >= c.low() && actual <= c.high() ? "✓" : "✗");
      out.add(new Prediction(c.claim(), c.study(), c.metric(), c.low(), c.high(), actual, verdict));
    }
    return out;
  }

  static JsonNode resolve(JsonNode node, String path) {
    for (String part : path.split("\\.")) {
      if (node == null) return null;
      String field = part;
      List<String> selectors = new ArrayList<>();
      int b = part.indexOf('[');
      if (b >= 0) {
        field = part.substring(0, b);
        for (String sel : part.substring(b + 1).split("\\[")) selectors.add(sel.replace("]", ""));
      }
      if (!field.isEmpty()) node = node.get(field);
      for (String sel : selectors) {
        if (node == null || !node.isArray()) return null;
        int eq = sel.indexOf('=');
        if (eq < 0) {
          node = node.get(Integer.parseInt(sel));
        } else {
          String k = sel.substring(0, eq);
          String want = sel.substring(eq + 1);
          JsonNode found = null;
          for (JsonNode e : node) if (e.has(k) && e.get(k).asText().equals(want)) found = e;
          node = found;
        }
      }
    }
    return node;
  }

  // ------------------------------------------------------------------ HTML

  private static final class Html {
    final ObjectNode results;
    final JsonNode s;
    final List<Prediction> preds;
    final StringBuilder b = new StringBuilder();
    int figure = 0;

    Html(ObjectNode results, List<Prediction> preds) {
      this.results = results;
      this.s = results.get("studies");
      this.preds = preds;
    }

    static String esc(String t) {
      return t.replace("&", "&amp;")
          .replace("<", "&lt;")
          .replace(">", "&gt;")
          .replace("\"", "&quot;");
    }

    static String f3(double x) {
      return Double.isNaN(x) ? "—" : String.format(Locale.ROOT, "%.3f", x);
    }

    /**
     * An interval as "[-1.109, -0.660]": a dash between two numbers that may be negative reads as a
     * minus ("-1.109–-0.660").
     */
    static String interval(double low, double high) {
      return Double.isNaN(low) && Double.isNaN(high) ? "—" : "[" + f3(low) + ", " + f3(high) + "]";
    }

    static String f4(double x) {
      return Double.isNaN(x) ? "—" : String.format(Locale.ROOT, "%.4f", x);
    }

    static String pct(double x) {
      return Double.isNaN(x) ? "—" : String.format(Locale.ROOT, "%.1f%%", 100 * x);
    }

    static double num(JsonNode n, String f) {
      JsonNode v = n == null ? null : n.get(f);
      return v == null || v.isNull() ? Double.NaN : v.asDouble();
    }

    void table(List<String> head, List<List<String>> rows) {
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

    void fig(String svg, String caption) {
      figure++;
      b.append("<figure class=\"fig\" id=\"fig-").append(figure).append("\">").append(svg);
      b.append("<figcaption><b>Fig. ").append(figure).append("</b> — ").append(esc(caption));
      b.append("</figcaption></figure>");
    }

    void section(String num, String title, String note) {
      b.append("<section><h2><span class=\"num\">")
          .append(num)
          .append("</span> ")
          .append(esc(title));
      b.append("</h2>");
      if (note != null) b.append("<p class=\"note\">").append(esc(note)).append("</p>");
    }

    String render() {
      JsonNode mf = results.get("manifest");
      b.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
      b.append("<title>NLA study report</title><style>")
          .append(CSS)
          .append("</style></head><body>");
      b.append("<header><h1>NLA study report</h1><p class=\"meta\">nla ")
          .append(esc(mf.path("tool_version").asText("?")))
          .append(" · run started ")
          .append(esc(mf.path("sessions").path(0).path("started").asText("?")))
          .append(" · studies: ")
          .append(esc(String.join(", ", fieldNames(s))))
          .append("</p>");
      if (ranOnTheDemoPair(mf))
        b.append(
            "<p class=\"demo\">This run used the bundled demo pair of <code>nla demo</code>: a tiny"
                + " random-initialised NLA (d = 16) whose explanations are noise. The report shows"
                + " the machinery; its numbers say nothing about NLAs.</p>");
      b.append("</header>");
      headline();
      if (s.has(Studies.EVAL)) eval(s.get(Studies.EVAL));
      if (s.has(Studies.QUOTE_BAN)) quoteBan(s.get(Studies.QUOTE_BAN));
      if (s.has(Studies.CONFAB)) confab(s.get(Studies.CONFAB));
      if (s.has(Studies.REDACT)) redact(s.get(Studies.REDACT));
      if (s.has(Studies.BEST_OF_N)) bestOfN(s.get(Studies.BEST_OF_N));
      if (s.has(Studies.LAYERS)) layers(s.get(Studies.LAYERS));
      if (s.has(Studies.CROSS)) cross(s.get(Studies.CROSS));
      if (s.has(Studies.RIDGE)) ridge(s.get(Studies.RIDGE));
      prereg();
      provenance(mf);
      b.append("</body></html>\n");
      return b.toString();
    }

    /** Whether any study's NLA input is the demo pair, by the identity the manifest records. */
    static boolean ranOnTheDemoPair(JsonNode manifest) {
      List<String> nlaHashes = new ArrayList<>();
      for (JsonNode study : manifest.path("studies"))
        study
            .path("inputs")
            .properties()
            .forEach(
                input -> {
                  if (input.getKey().startsWith("nla:")) nlaHashes.add(input.getValue().asText());
                });
      return !nlaHashes.isEmpty() && nlaHashes.contains(DemoKit.pairHash());
    }

    static List<String> fieldNames(JsonNode n) {
      List<String> out = new ArrayList<>();
      n.fieldNames().forEachRemaining(out::add);
      return out;
    }

    void headline() {
      b.append("<div class=\"cards\">");
      if (s.has(Studies.EVAL)) {
        JsonNode e = s.get(Studies.EVAL);
        card(
            f3(num(e, "mean_fve")),
            "FVE (" + e.path("nla").asText() + ")",
            "95% CI " + interval(num(e, "fve_ci_low"), num(e, "fve_ci_high")));
      }
      if (s.has(Studies.REDACT)) {
        JsonNode spans = resolve(s.get(Studies.REDACT), "conditions[condition=spans-with-marks]");
        JsonNode prose = resolve(s.get(Studies.REDACT), "conditions[condition=prose-only]");
        if (spans != null)
          card(
              f3(num(spans, "mean_fve")),
              "spans-only FVE",
              "prose-only: " + f3(num(prose, "mean_fve")));
      }
      if (s.has(Studies.CROSS)) {
        double best = Double.NaN;
        String which = "";
        for (JsonNode c : s.get(Studies.CROSS).get("cells"))
          if (!c.get("withinFamily").asBoolean() && !(num(c, "fve") <= best)) {
            best = num(c, "fve");
            which = pct(num(c, "shareOfCeiling")) + " of within ceiling";
          }
        card(f3(best), "cross-family FVE (best)", which);
      }
      b.append("</div>");
    }

    void card(String value, String label, String sub) {
      b.append("<div class=\"card\"><div class=\"big\">")
          .append(esc(value))
          .append("</div><div>")
          .append(esc(label))
          .append("</div><div class=\"sub\">")
          .append(esc(sub))
          .append("</div></div>");
    }

    void eval(JsonNode e) {
      section(
          "§1",
          "Round-trip fidelity",
          "FVE = 1 − mse_nrm / Var(v_nrm); 0 = predict-the-mean, 1 = perfect. Denominator: "
              + e.path("denominator").asText());
      table(
          List.of("metric", "value"),
          List.of(
              List.of("items", e.path("n").asText()),
              List.of("mean fve_nrm", f3(num(e, "mean_fve"))),
              List.of("95% bootstrap CI", interval(num(e, "fve_ci_low"), num(e, "fve_ci_high"))),
              List.of("fraction FVE > 0.5", pct(num(e, "fraction_fve_gt_0_5"))),
              List.of("missing-tag decodes", e.path("missing_tags").asText()),
              List.of("mean cos", f4(num(e, "mean_cos"))),
              List.of("mean mse_nrm", f4(num(e, "mean_mse_nrm"))),
              List.of("Var(v_nrm), eval set", f4(num(e, "var_nrm_eval"))),
              List.of("Var(v_nrm), training", f4(num(e, "var_nrm_training")))));
      b.append("</section>");
    }

    void quoteBan(JsonNode q) {
      section(
          "§2",
          "Quote ablation at generation time",
          "Every token containing a banned character gets logit −1e9.");
      List<Charts.Bar> fve = new ArrayList<>();
      List<List<String>> rows = new ArrayList<>();
      for (JsonNode c : q.get("conditions")) {
        fve.add(bar(c));
        JsonNode r = c.get("substitute_rates");
        List<String> row =
            new ArrayList<>(
                List.of(
                    c.get("condition").asText(),
                    f3(num(c, "mean_fve")),
                    interval(num(c, "fve_ci_low"), num(c, "fve_ci_high"))));
        for (String k : QuoteBan.SUBSTITUTE_KINDS) row.add(pct(num(r, k)));
        row.add(pct(num(r, "any")));
        rows.add(row);
      }
      fig(
          Charts.svg(Charts.barsWithIntervals("mean FVE", fve), "fig-ban"),
          "FVE by generation-time ban condition. " + whiskers(fve));
      List<String> head = new ArrayList<>(List.of("ban", "FVE", "95% CI"));
      head.addAll(QuoteBan.SUBSTITUTE_KINDS);
      head.add("any substitute");
      table(head, rows);
      b.append("</section>");
    }

    void confab(JsonNode c) {
      section(
          "§3",
          "Are the quotes copied?",
          "Longest contiguous common word run between each explanation and its true context, against a shuffled-context null.");
      List<List<String>> rows = new ArrayList<>();
      for (JsonNode r : c.get("decode_sets"))
        rows.add(
            List.of(
                r.get("decode_set").asText(),
                f3(num(r, "median_run")),
                f3(num(r, "p90_run")),
                pct(num(r, "share_ge_6")),
                f3(num(r, "null_median_run")),
                f3(num(r, "null_p90_run")),
                pct(num(r, "null_share_ge_6"))));
      table(
          List.of(
              "decode set",
              "median run",
              "p90",
              "≥6-word runs",
              "null median",
              "null p90",
              "null ≥6"),
          rows);
      b.append("</section>");
    }

    void redact(JsonNode r) {
      section(
          "§4",
          "Post-hoc redaction",
          String.format(
              Locale.ROOT,
              "%.1f quote spans per decode, %.1f%% of characters. Filler: %s",
              num(r, "mean_span_count"),
              100 * num(r, "mean_char_fraction"),
              r.path("filler").asText()));
      List<Charts.Bar> fve = new ArrayList<>();
      for (JsonNode c : r.get("conditions")) fve.add(bar(c));
      fig(
          Charts.svg(Charts.barsWithIntervals("mean FVE", fve), "fig-redact"),
          "FVE after post-hoc surgery on the explanation (edited rows are AR-OOD: lower bounds). "
              + whiskers(fve));
      b.append("</section>");
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
     * The caption's account of the whiskers. The mean of per-item FVE is skewed by a long lower
     * tail (one missing-tag decode can score far below 0), so the interval is a percentile
     * bootstrap over items, not a normal one; summaries written before intervals were recorded have
     * none, and the caption says so.
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

    void bestOfN(JsonNode n) {
      section(
          "§5",
          "Best-of-N",
          n.path("samples").asText()
              + " samples per activation at temperature "
              + n.path("temperature").asText()
              + "; best of the first n chosen by the AR's own score. Tag failures: "
              + n.path("tag_failures").asText()
              + " of "
              + n.path("total_samples").asText()
              + ".");
      JsonNode by = n.get("fve_by_n");
      double[][] xy = new double[by.size()][];
      for (int i = 0; i < by.size(); i++) xy[i] = new double[] {i + 1, by.get(i).asDouble()};
      fig(
          Charts.svg(
              Charts.lines("N (samples)", "FVE", Map.of("best of first N", xy), 2, Map.of()),
              "fig-bon"),
          "FVE vs N. Gain per doubling (least-squares slope over log2 N): "
              + f4(num(n, "gain_per_doubling"))
              + ".");
      b.append("</section>");
    }

    void layers(JsonNode l) {
      section(
          "§6",
          "Adjacent-layer transfer",
          "Neighbouring layers' vectors at the same positions through the trained layer's NLA; additive bound = intrinsic NMSE + inter-layer NMSE.");
      List<List<String>> rows = new ArrayList<>();
      for (JsonNode r : l.get("rows"))
        rows.add(
            List.of(
                r.get("layer").asText() + (r.get("trained").asBoolean() ? " (trained)" : ""),
                r.get("trained").asBoolean() ? "—" : f4(num(r, "cosToK")),
                f4(num(r, "nmse")),
                f3(num(r, "fveOwnDenominator")),
                r.get("trained").asBoolean() ? "—" : f4(num(r, "additiveBound")),
                r.get("withinBound").asBoolean() ? "yes" : "no"));
      table(
          List.of("input", "cos to K", "NMSE", "FVE (own denom)", "additive bound", "within bound"),
          rows);
      b.append("</section>");
    }

    void cross(JsonNode c) {
      section(
          "§7",
          "Cross-family transfer",
          "Row AV's explanation → column AR, scored against the AR family's own vectors; nulls pair explanations with shuffled gold.");
      List<String> fam = new ArrayList<>();
      for (JsonNode f : c.get("families")) fam.add(f.asText());
      int k = fam.size();
      double[][] fve = new double[k][k];
      double[][] nul = new double[k][k];
      List<List<String>> rows = new ArrayList<>();
      for (JsonNode cell : c.get("cells")) {
        int a = fam.indexOf(cell.get("avFamily").asText());
        int r = fam.indexOf(cell.get("arFamily").asText());
        fve[a][r] = num(cell, "fve");
        nul[a][r] = num(cell, "nullFve");
      }
      for (int a = 0; a < k; a++) {
        List<String> row = new ArrayList<>(List.of("AV " + fam.get(a)));
        for (int r = 0; r < k; r++)
          row.add(
              f3(fve[a][r])
                  + " · null "
                  + f3(nul[a][r])
                  + (a == r ? " · within" : " · " + pct(fve[a][r] / fve[r][r]) + " of ceiling"));
        rows.add(row);
      }
      List<String> head = new ArrayList<>(List.of(""));
      for (String f : fam) head.add("→ AR " + f);
      table(head, rows);
      JsonNode al = c.get("alignment");
      if (al != null) alignment(al);
      fig(
          Charts.svg(Charts.heatmap(fam, fve, nul), "fig-cross"),
          "Transfer matrix, FVE per cell with shuffled-pair nulls.");
      b.append("</section>");
    }

    /**
     * §7's token alignment: how far apart the two tokenizers' aligned tokens end. Rows only for the
     * fields the summary has (the seed publishes only the mean).
     */
    void alignment(JsonNode al) {
      List<List<String>> rows = new ArrayList<>();
      if (al.has("report")) rows.add(List.of("alignment report", al.get("report").asText()));
      if (al.has("pairs")) rows.add(List.of("aligned pairs scored", al.get("pairs").asText()));
      rows.add(
          List.of(
              "mean alignment error (characters between token ends)",
              f3(num(al, "mean_error_chars"))));
      if (al.has("max_error_chars"))
        rows.add(
            List.of("largest alignment error (characters)", al.get("max_error_chars").asText()));
      if (al.has("report_pairs"))
        rows.add(
            List.of(
                "whole report: pairs, mean error (characters)",
                al.get("report_pairs").asText() + ", " + f3(num(al, "report_mean_error_chars"))));
      table(List.of("token alignment", "value"), rows);
    }

    void ridge(JsonNode r) {
      section(
          "§8",
          "Linear baseline: ridge and kernel ridge",
          "Unit-normalised vectors, λ (and γ) by k-fold CV; "
              + r.path("train_pairs").asText()
              + " training pairs, "
              + r.path("eval_pairs").asText()
              + " eval pairs. Dashed: the text route.");
      Map<String, double[][]> series = new LinkedHashMap<>();
      Map<String, Double> markers = new LinkedHashMap<>();
      List<List<String>> rows = new ArrayList<>();
      for (JsonNode c : r.get("curves")) {
        JsonNode pts = c.get("points");
        double[][] xy = new double[pts.size()][];
        for (int i = 0; i < pts.size(); i++)
          xy[i] = new double[] {pts.get(i).get("n").asDouble(), pts.get(i).get("fve").asDouble()};
        String name =
            c.get("direction").asText() + " " + c.get("kernel").asText().toLowerCase(Locale.ROOT);
        series.put(name, xy);
        if (c.has("text_route_fve"))
          markers.put("text route " + c.get("direction").asText(), num(c, "text_route_fve"));
        JsonNode last = pts.get(pts.size() - 1);
        String cross =
            !c.has("text_route_fve")
                ? "—"
                : c.path("crossover_reachable").asBoolean()
                    ? String.format(Locale.ROOT, "%.2g", num(c, "crossover_n"))
                    : "never (flat)";
        rows.add(
            List.of(
                name,
                last.get("n").asText(),
                f3(last.get("fve").asDouble()),
                f3(num(c, "text_route_fve")),
                cross));
      }
      fig(
          Charts.svg(Charts.lines("training pairs n", "FVE", series, 10, markers), "fig-ridge"),
          "Ridge FVE vs training pairs (log x) against the zero-paired-data text route (dashed).");
      table(
          List.of(
              "direction / kernel",
              "largest n",
              "FVE at largest n",
              "text route",
              "extrapolated crossover n"),
          rows);
      b.append("</section>");
    }

    void prereg() {
      if (preds.isEmpty()) return;
      section(
          "§9",
          "Pre-registered predictions",
          "Scored automatically: ✓ inside the expected range, ✗ outside, — not measured in this run.");
      List<List<String>> rows = new ArrayList<>();
      for (Prediction p : preds)
        rows.add(
            List.of(
                p.verdict(),
                p.claim(),
                p.study() + ": " + p.metric(),
                interval(p.low(), p.high()),
                p.actual() == null ? "—" : f3(p.actual())));
      table(List.of("", "claim", "metric", "expected", "measured"), rows);
      b.append("</section>");
    }

    void provenance(JsonNode mf) {
      b.append("<section><h2>Provenance</h2><pre>")
          .append(esc(mf.toPrettyString()))
          .append("</pre></section>");
    }
  }

  private static final String CSS =
      """
      body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
      h1{margin-bottom:.2em}.meta{color:#666;font-size:.9em}
      h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}.num{color:#888;font-weight:normal}
      .cards{display:flex;gap:1em;flex-wrap:wrap;margin:1.5em 0}
      .card{border:1px solid #ddd;border-radius:8px;padding:.8em 1.2em;min-width:180px}
      .big{font-size:2em;font-weight:600}.sub{color:#666;font-size:.85em}
      table{border-collapse:collapse;margin:1em 0;font-size:.92em}
      th,td{border:1px solid #ddd;padding:.35em .7em;text-align:left}th{background:#f6f6f6}
      figure{margin:1.5em 0}figcaption{color:#444;font-size:.9em;margin-top:.4em}
      figure svg{max-width:100%;height:auto}
      .demo{border-left:4px solid #d62728;padding:.3em .8em;background:#fff5f5}
      .note{color:#444}pre{background:#f8f8f8;padding:1em;overflow:auto;font-size:.8em}
      """;
}
