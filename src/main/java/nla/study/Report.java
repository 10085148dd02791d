package nla.study;

import static nla.study.ReportPage.esc;
import static nla.study.ReportPage.f3;
import static nla.study.ReportPage.interval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import nla.io.ProgressBar;
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

  /**
   * Writes {@code out} (HTML) and {@code results.json} beside it; returns what was written. Says
   * which section it renders on stderr (plain lines at a calm rate off a terminal).
   */
  public static Built write(Path runDir, Path preregistration, Path out) {
    try (ProgressBar bar = ProgressBar.onTerminal("report", "sections")) {
      return write(runDir, preregistration, out, bar);
    }
  }

  /**
   * {@link #write(Path, Path, Path)} reporting to {@code bar}: a step for each study's section and
   * one for writing the files, the label naming the step ("report best-of-n").
   */
  public static Built write(Path runDir, Path preregistration, Path out, ProgressBar bar) {
    Built b = build(runDir, preregistration, bar, 1);
    bar.setLabel("report writing " + out.getFileName());
    bar.redraw();
    try {
      RunDir.writeAtomically(out, b.html().getBytes(StandardCharsets.UTF_8));
      RunDir.writeAtomically(
          out.toAbsolutePath().resolveSibling("results.json"),
          RunDir.JSON.writeValueAsBytes(b.results()));
    } catch (IOException e) {
      throw new UserError("cannot write report " + out + ": " + e.getMessage());
    }
    bar.advance(1);
    return b;
  }

  public static Built build(Path runDir, Path preregistration) {
    return build(runDir, preregistration, ProgressBar.counting("report", "sections", null), 0);
  }

  /**
   * The report, its progress on {@code bar}, which counts {@code stepsAfter} more steps to come.
   */
  private static Built build(Path runDir, Path preregistration, ProgressBar bar, int stepsAfter) {
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
    for (Study<?> s : Studies.ALL) {
      JsonNode sum = RunDir.readSummary(runDir, s.name());
      if (sum != null) studies.set(s.name(), sum);
    }
    if (studies.isEmpty())
      throw new UserError(
          runDir + ": no study has finished in this run directory (no */summary.json)");
    List<Prediction> preds =
        preregistration == null ? List.of() : score(loadPredictions(preregistration), studies);
    results.set("preregistration", RunDir.JSON.valueToTree(preds));
    bar.start(studies.size() + stepsAfter, 0);
    return new Built(new Html(results, preds, bar).render(), results);
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
      if (Studies.named(p.get("study").toString()) == null)
        throw new UserError(
            where
                + ".study: unknown study '"
                + p.get("study")
                + "' (expected one of "
                + Studies.names()
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

  /** The page: header, headline cards, each study's section in order, predictions, provenance. */
  private static final class Html {
    final ObjectNode results;
    final JsonNode s;
    final List<Prediction> preds;
    final ReportPage page = new ReportPage();
    final ProgressBar bar;

    Html(ObjectNode results, List<Prediction> preds, ProgressBar bar) {
      this.results = results;
      this.s = results.get("studies");
      this.preds = preds;
      this.bar = bar;
    }

    String render() {
      JsonNode mf = results.get("manifest");
      page.html("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
          .html("<title>NLA study report</title><style>")
          .html(CSS)
          .html("</style></head><body>")
          .html("<header><h1>NLA study report</h1><p class=\"meta\">nla ")
          .html(esc(mf.path("tool_version").asText("?")))
          .html(" · run started ")
          .html(esc(mf.path("sessions").path(0).path("started").asText("?")))
          .html(" · studies: ")
          .html(esc(String.join(", ", fieldNames(s))))
          .html("</p>");
      if (ranOnTheDemoPair(mf))
        page.html(
            "<p class=\"demo\">This run used the bundled demo pair of <code>nla demo</code>: a tiny"
                + " random-initialised NLA (d = 16) whose explanations are noise. The report shows"
                + " the machinery; its numbers say nothing about NLAs.</p>");
      page.html("</header>");
      page.html("<div class=\"cards\">");
      for (Study<?> study : Studies.ALL)
        if (s.has(study.name())) study.headline(s.get(study.name()), page);
      page.html("</div>");
      for (Study<?> study : Studies.ALL) {
        if (!s.has(study.name())) continue;
        bar.setLabel("report " + study.name());
        bar.redraw(); // the line names the section being rendered, not the last one done
        study.report(s.get(study.name()), page);
        bar.advance(1);
      }
      prereg();
      provenance(mf);
      page.html("</body></html>\n");
      return page.render();
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

    void prereg() {
      if (preds.isEmpty()) return;
      page.section(
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
      page.table(List.of("", "claim", "metric", "expected", "measured"), rows);
      page.endSection();
    }

    void provenance(JsonNode mf) {
      page.html("<section><h2>Provenance</h2><pre>")
          .html(esc(mf.toPrettyString()))
          .html("</pre></section>");
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
