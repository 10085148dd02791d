package nla.study;

import static nla.study.ReportPage.num;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import nla.core.Metrics;
import nla.core.VerbalizeOptions;
import nla.study.Steps.Decode;
import nla.study.Steps.Scored;

/**
 * §4, post-hoc redaction: span statistics of the greedy decodes, and FVE per redaction condition
 * ({@link Redaction}) with its 95% percentile bootstrap CI over items.
 */
public final class RedactStudy implements Study<RedactStudy.Params> {
  public static final String NAME = "redact";

  /**
   * @param filler what replaces each span in the filler condition
   */
  public record Params(String nla, String activations, String filler) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "§4: span statistics and FVE after post-hoc redaction (five conditions).";
  }

  @Override
  public List<String> settings() {
    return List.of("nla", "activations", "filler");
  }

  @Override
  public List<StudyFlag> flags() {
    return Studies.concat(
        StudyFlag.PAIR,
        StudyFlag.withDefault(
            "--filler",
            "TEXT",
            StudyFlag.Type.TEXT,
            "[…]",
            "Replacement for each span in the filler condition. Default: ${DEFAULT-VALUE}."));
  }

  @Override
  public void plan(StudyFlag.Values flags, OneStudyPlan plan) {
    plan.pair(flags, Map.of());
    plan.set("filler", flags.get("--filler"));
  }

  @Override
  public Params parse(StudySettings s) {
    String nla = s.nla("nla", null);
    String activations = s.activations("activations", nla);
    return new Params(nla, activations, s.string("filler", "[…]"));
  }

  @Override
  public void run(Params p, StudyContext c) {
    ActivationSet acts = c.activations(p.activations());
    Nla nla = c.nla(p.nla());
    try (RunDir run = c.open(Studies.inputs(p.nla(), nla, p.activations(), acts))) {
      run(run, nla, acts, c.greedy(), List.of(Redaction.values()), p.filler(), c.seed(), c.batch());
    }
  }

  /**
   * §4 as a Java call, in an open run directory ({@code seed} drives the bootstrap, as in §1 and
   * §2); returns the summary it wrote.
   */
  public static ObjectNode run(
      RunDir run,
      Nla nla,
      ActivationSet acts,
      VerbalizeOptions greedy,
      List<Redaction> conditions,
      String filler,
      long seed,
      int batch) {
    Decode[][] d = Steps.decodes(run, NAME, "greedy", nla, acts, greedy);
    Metrics.Denominator den = Steps.denominator(acts, nla.ar());
    double[] count = new double[d.length];
    double[] frac = new double[d.length];
    for (int r = 0; r < d.length; r++) {
      Spans.Parsed p = Spans.parse(d[r][0].arInput());
      count[r] = p.count();
      frac[r] = p.charFraction();
    }
    ArrayNode rows = Studies.arr();
    for (Redaction c : conditions) {
      List<String> texts = new ArrayList<>();
      for (Decode[] row : d) texts.add(c.apply(row[0].arInput(), filler));
      List<Scored> s =
          Steps.scores(
              run,
              NAME,
              "scores-" + c.id(),
              nla,
              Studies.rowKeys(d.length),
              texts,
              acts.vectors(),
              den,
              batch);
      Stats.Interval ci =
          Stats.bootstrapMeanCi(
              Steps.column(s, Scored::fve), 0.95, EvalSummary.BOOTSTRAP_RESAMPLES, seed);
      ObjectNode row = Studies.obj();
      row.put("condition", c.id());
      row.put("mean_fve", ci.estimate());
      row.put("fve_ci_low", ci.low());
      row.put("fve_ci_high", ci.high());
      rows.add(row);
    }
    ObjectNode out = Studies.obj();
    out.put("nla", nla.name());
    out.put("n", d.length);
    out.put("mean_span_count", Stats.mean(count));
    out.put("mean_char_fraction", Stats.mean(frac));
    out.put("filler", filler);
    out.set("conditions", rows);
    run.writeSummary(NAME, out);
    return out;
  }

  @Override
  public void headline(JsonNode r, ReportPage page) {
    JsonNode spans = Report.resolve(r, "conditions[condition=spans-with-marks]");
    JsonNode prose = Report.resolve(r, "conditions[condition=prose-only]");
    if (spans != null)
      page.card(
          ReportPage.f3(num(spans, "mean_fve")),
          "spans-only FVE",
          "prose-only: " + ReportPage.f3(num(prose, "mean_fve")));
  }

  @Override
  public void report(JsonNode r, ReportPage page) {
    page.section(
        "§4",
        "Post-hoc redaction",
        String.format(
            Locale.ROOT,
            "%.1f quote spans per decode, %.1f%% of characters. Filler: %s",
            num(r, "mean_span_count"),
            100 * num(r, "mean_char_fraction"),
            r.path("filler").asText()));
    List<Charts.Bar> fve = new ArrayList<>();
    for (JsonNode c : r.get("conditions")) fve.add(ReportPage.bar(c));
    page.figure(
        Charts.svg(Charts.barsWithIntervals("mean FVE", fve), "fig-redact"),
        "FVE after post-hoc surgery on the explanation (edited rows are AR-OOD: lower bounds). "
            + ReportPage.whiskers(fve));
    page.endSection();
  }
}
