package nla.study;

import static nla.study.ReportPage.f3;
import static nla.study.ReportPage.num;
import static nla.study.ReportPage.pct;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import nla.io.UserError;

/**
 * §3, are the quotes copied: the longest contiguous common word run between each explanation and
 * its true context, against a shuffled-context null ({@link Confabulation}), over every decode set
 * the run directory already holds. Needs only the run's journals and the contexts.
 */
public final class ConfabStudy implements Study<ConfabStudy.Params> {
  public static final String NAME = "confab";

  /** The name under which a one-study command puts its {@code --activations}. */
  private static final String EVAL_SET = "eval";

  public record Params(String activations) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "§3: longest common word run of each decode with its context vs a shuffled null, over the decodes already in RUN_DIR.";
  }

  @Override
  public List<String> settings() {
    return List.of("activations");
  }

  @Override
  public List<StudyFlag> flags() {
    return List.of(
        StudyFlag.required(
            "--activations",
            "FILE",
            StudyFlag.Type.PATH,
            "The activation parquet the decodes were made from (for the contexts)."));
  }

  @Override
  public void plan(StudyFlag.Values flags, OneStudyPlan plan) {
    plan.activations(EVAL_SET, flags.get("--activations").toString()).set("activations", EVAL_SET);
  }

  @Override
  public Params parse(StudySettings s) {
    return new Params(s.activations("activations", null));
  }

  @Override
  public void run(Params p, StudyContext c) {
    ActivationSet acts = c.activations(p.activations());
    Map<String, String> inputs = new LinkedHashMap<>();
    inputs.put("activations:" + p.activations(), acts.hash());
    try (RunDir run = c.open(inputs)) {
      run(run, acts, c.seed());
    }
  }

  /**
   * §3 as a Java call on every decode set the run holds (the eval study's greedy decodes and each
   * quote-ban condition's); returns the summary it wrote.
   */
  public static ObjectNode run(RunDir run, ActivationSet acts, long seed) {
    if (acts.contexts() == null)
      throw new UserError("confab: the activation set '" + acts.name() + "' has no contexts");
    // Every single-sample decode set of these vectors, whichever studies made it.
    Map<String, Journal> sets = new LinkedHashMap<>();
    Path dir = run.dir().resolve(Steps.DECODES);
    if (Files.isDirectory(dir)) {
      try (var files = Files.list(dir)) {
        for (var f : files.sorted().toList()) {
          String n = f.getFileName().toString();
          if (!n.endsWith(".json")) continue;
          var meta = RunDir.JSON.readTree(f.toFile());
          if (!meta.path("activations_hash").asText().equals(acts.hash())) continue;
          if (meta.path("samples").asInt() != 1) continue;
          List<String> labels = new ArrayList<>();
          for (var l : meta.get("labels")) labels.add(l.asText());
          String base = n.substring(0, n.length() - ".json".length());
          sets.put(
              String.join(" = ", labels) + " (" + meta.path("nla").asText() + ")",
              run.journal(Steps.DECODES, base));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    if (sets.isEmpty())
      throw new UserError(
          "confab: run directory "
              + run.dir()
              + " holds no decodes of "
              + acts.name()
              + " (run eval or quote-ban on it first)");
    ArrayNode rows = Studies.arr();
    for (var e : sets.entrySet()) {
      List<String> expl = new ArrayList<>();
      List<String> ctx = new ArrayList<>();
      // In row order: decodes are journaled as they finish, and the null draws depend on the order.
      for (int r = 0; r < acts.size(); r++) {
        var rec = e.getValue().get(Steps.key(r, 0));
        if (rec == null) continue;
        var ex = rec.get("explanation");
        expl.add(ex == null || ex.isNull() ? rec.get("text").asText() : ex.asText());
        ctx.add(acts.contexts().get(r));
      }
      Confabulation.Summary s = Confabulation.summarize(Confabulation.items(expl, ctx, seed));
      ObjectNode row = Studies.obj();
      row.put("decode_set", e.getKey());
      row.put("n", s.n());
      row.put("median_run", s.medianRun());
      row.put("p90_run", s.p90Run());
      row.put("share_ge_6", s.shareAtLeast6());
      row.put("null_median_run", s.nullMedianRun());
      row.put("null_p90_run", s.nullP90Run());
      row.put("null_share_ge_6", s.nullShareAtLeast6());
      rows.add(row);
    }
    ObjectNode out = Studies.obj();
    out.set("decode_sets", rows);
    run.writeSummary(NAME, out);
    return out;
  }

  @Override
  public void report(JsonNode c, ReportPage page) {
    page.section(
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
    page.table(
        List.of(
            "decode set",
            "median run",
            "p90",
            "≥6-word runs",
            "null median",
            "null p90",
            "null ≥6"),
        rows);
    page.endSection();
  }
}
