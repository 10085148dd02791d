package nla.study;

import static nla.study.ReportPage.f3;
import static nla.study.ReportPage.interval;
import static nla.study.ReportPage.num;
import static nla.study.ReportPage.pct;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import nla.core.Metrics;
import nla.core.VerbalizeOptions;
import nla.study.Steps.Decode;
import nla.study.Steps.Scored;

/**
 * §2, quote ablation at generation time: one greedy decode set per ban condition (every token
 * containing a banned character gets logit −1e9); FVE per condition and the rates at which the AV
 * substitutes other delimiters ({@link QuoteBan}).
 */
public final class QuoteBanStudy implements Study<QuoteBanStudy.Params> {
  public static final String NAME = "quote-ban";

  /**
   * @param families the banned character families by name
   * @param conditions each condition's families
   */
  public record Params(
      String nla,
      String activations,
      List<QuoteBan.Condition> conditions,
      Map<String, String> families) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "§2: FVE under generation-time quote bans (none, double, double+single) and substitute-delimiter rates.";
  }

  @Override
  public List<String> settings() {
    return List.of("nla", "activations", "conditions", "families");
  }

  @Override
  public List<StudyFlag> flags() {
    return StudyFlag.PAIR;
  }

  @Override
  public void plan(StudyFlag.Values flags, OneStudyPlan plan) {
    plan.pair(flags, Map.of());
  }

  @Override
  public Params parse(StudySettings s) {
    String nla = s.nla("nla", null);
    String activations = s.activations("activations", nla);
    return new Params(nla, activations, conditions(s), families(s));
  }

  private static List<QuoteBan.Condition> conditions(StudySettings s) {
    if (!s.has("conditions")) return QuoteBan.DEFAULT_CONDITIONS;
    if (!(s.raw("conditions") instanceof List<?> l))
      throw s.error(s.where() + ".conditions: must be a list of lists of family names");
    List<QuoteBan.Condition> out = new ArrayList<>();
    for (Object c : l) {
      if (!(c instanceof List<?> fams))
        throw s.error(s.where() + ".conditions: each condition is a list of family names");
      List<String> names = fams.stream().map(Object::toString).toList();
      out.add(new QuoteBan.Condition(names.isEmpty() ? "none" : String.join("+", names), names));
    }
    return out;
  }

  private static Map<String, String> families(StudySettings s) {
    if (!s.has("families")) return QuoteBan.DEFAULT_FAMILIES;
    Map<String, String> out = new LinkedHashMap<>();
    s.mapping("families", true).forEach((k, v) -> out.put(k, v.toString()));
    return out;
  }

  @Override
  public void run(Params p, StudyContext c) {
    ActivationSet acts = c.activations(p.activations());
    Nla nla = c.nla(p.nla());
    try (RunDir run = c.open(Studies.inputs(p.nla(), nla, p.activations(), acts))) {
      run(run, nla, acts, c.greedy(), p.conditions(), p.families(), c.seed(), c.batch());
    }
  }

  /** §2 as a Java call, in an open run directory; returns the summary it wrote. */
  public static ObjectNode run(
      RunDir run,
      Nla nla,
      ActivationSet acts,
      VerbalizeOptions greedy,
      List<QuoteBan.Condition> conditions,
      Map<String, String> families,
      long seed,
      int batch) {
    Metrics.Denominator den = Steps.denominator(acts, nla.ar());
    ArrayNode rows = Studies.arr();
    for (QuoteBan.Condition c : conditions) {
      String banned = QuoteBan.bannedCharacters(c, families);
      VerbalizeOptions o = greedy.withBanChars(banned.isEmpty() ? null : banned);
      String set = "ban " + c.name();
      Decode[][] d = Steps.decodes(run, NAME, set, nla, acts, o);
      List<Scored> s =
          Steps.scores(
              run,
              NAME,
              "scores-" + c.name(),
              nla,
              Studies.rowKeys(acts.size()),
              Studies.arInputs(d),
              acts.vectors(),
              den,
              batch);
      double[] fve = Steps.column(s, Scored::fve);
      Stats.Interval ci = Stats.bootstrapMeanCi(fve, 0.95, EvalSummary.BOOTSTRAP_RESAMPLES, seed);
      List<String> texts = new ArrayList<>();
      int missing = 0;
      for (Decode[] r : d) {
        texts.add(r[0].arInput());
        if (r[0].missingTag()) missing++;
      }
      ObjectNode row = Studies.obj();
      row.put("condition", c.name());
      row.put("banned_characters", banned);
      row.put("mean_fve", ci.estimate());
      row.put("fve_ci_low", ci.low());
      row.put("fve_ci_high", ci.high());
      row.put("missing_tags", missing);
      ObjectNode subs = Studies.obj();
      QuoteBan.substituteRates(texts, c).forEach(subs::put);
      row.set("substitute_rates", subs);
      rows.add(row);
    }
    ObjectNode out = Studies.obj();
    out.put("nla", nla.name());
    out.put("n", acts.size());
    out.set("conditions", rows);
    run.writeSummary(NAME, out);
    return out;
  }

  @Override
  public void report(JsonNode q, ReportPage page) {
    page.section(
        "§2",
        "Quote ablation at generation time",
        "Every token containing a banned character gets logit −1e9.");
    List<Charts.Bar> fve = new ArrayList<>();
    List<List<String>> rows = new ArrayList<>();
    for (JsonNode c : q.get("conditions")) {
      fve.add(ReportPage.bar(c));
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
    page.figure(
        Charts.svg(Charts.barsWithIntervals("mean FVE", fve), "fig-ban"),
        "FVE by generation-time ban condition. " + ReportPage.whiskers(fve));
    List<String> head = new ArrayList<>(List.of("ban", "FVE", "95% CI"));
    head.addAll(QuoteBan.SUBSTITUTE_KINDS);
    head.add("any substitute");
    page.table(head, rows);
    page.endSection();
  }
}
