package nla.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import nla.core.Metrics;
import nla.core.VerbalizeOptions;
import nla.data.CrossModelAligner;
import nla.io.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The studies end to end on fake NLA halves whose round trip is known (see {@link Fakes}). */
class StudiesTest {
  static final int D = 6;
  @TempDir Path tmp;

  static RunDir open(Path dir, String study) {
    return RunDir.open(
        dir, new RunDir.Identity(study, 42, "fake", Map.of("n", 20), Map.of("acts", "h")));
  }

  @Test
  void evalOfAnExactRoundTripHasFveNearOneAndCountsMissingTags() {
    ActivationSet acts = Fakes.vectors("a", 20, D, 1);
    acts.vectors().get(3)[0] = 9f; // decodes without tags (the AR still reads the raw text)
    Nla nla = Fakes.nla("fake", D, 0);
    ObjectNode s;
    try (RunDir run = open(tmp, EvalStudy.NAME)) {
      s = EvalStudy.run(run, nla, acts, VerbalizeOptions.greedy(), 0.0579, 7, 8);
    }
    assertEquals(20, s.get("n").asInt());
    assertEquals(1, s.get("missing_tags").asInt());
    assertEquals(1.0, s.get("mean_fve").asDouble(), 1e-5);
    assertEquals(1.0, s.get("fraction_fve_gt_0_5").asDouble());
    double var = Metrics.baseline(acts.vectors(), Math.sqrt(D)).varNrm();
    assertEquals(var, s.get("var_nrm_eval").asDouble(), 1e-12);
    assertEquals(0.0579, s.get("var_nrm_training").asDouble());
    assertTrue(s.get("denominator").asText().contains("20 vectors in a"));
  }

  @Test
  void quoteBanSwitchesDelimitersAndReportsSubstitutes() {
    ActivationSet acts = Fakes.vectors("a", 10, D, 2);
    try (RunDir run = open(tmp, QuoteBanStudy.NAME)) {
      ObjectNode s =
          QuoteBanStudy.run(
              run,
              Fakes.nla("f", D, 0),
              acts,
              VerbalizeOptions.greedy(),
              QuoteBan.DEFAULT_CONDITIONS,
              QuoteBan.DEFAULT_FAMILIES,
              1,
              4);
      JsonNode c = s.get("conditions");
      assertEquals("none", c.get(0).get("condition").asText());
      assertEquals(0.0, c.get(0).get("substitute_rates").get("any").asDouble());
      assertEquals(1.0, c.get(1).get("substitute_rates").get(QuoteBan.OTHER_QUOTE).asDouble());
      assertEquals(1.0, c.get(2).get("substitute_rates").get(QuoteBan.PARENTHESES).asDouble());
      assertEquals(0.0, c.get(2).get("substitute_rates").get(QuoteBan.OTHER_QUOTE).asDouble());
      for (JsonNode row : c) assertEquals(1.0, row.get("mean_fve").asDouble(), 1e-5);
    }
  }

  @Test
  void redactionConditionsOnKnownRoundTrip() {
    ActivationSet acts = Fakes.vectors("a", 12, D, 3);
    ObjectNode s;
    try (RunDir run = open(tmp, RedactStudy.NAME)) {
      s =
          RedactStudy.run(
              run,
              Fakes.nla("f", D, 0),
              acts,
              VerbalizeOptions.greedy(),
              List.of(Redaction.values()),
              "[X]",
              1,
              5);
    }
    // Every decode has one span; prose-only and filler lose the numbers: the AR returns zero,
    // whose mse_nrm at scale √d is exactly 1, so FVE = 1 − 1/Var.
    assertEquals(1.0, s.get("mean_span_count").asDouble());
    double var = Metrics.baseline(acts.vectors(), Math.sqrt(D)).varNrm();
    for (JsonNode c : s.get("conditions")) {
      String id = c.get("condition").asText();
      double expected = id.equals("prose-only") || id.equals("filler") ? 1 - 1 / var : 1.0;
      assertEquals(expected, c.get("mean_fve").asDouble(), 1e-5, id);
      // Every item scores the same here, so every bootstrap resample's mean is that score too:
      // the 95% interval collapses onto it.
      assertEquals(expected, c.get("fve_ci_low").asDouble(), 1e-5, id);
      assertEquals(expected, c.get("fve_ci_high").asDouble(), 1e-5, id);
    }
  }

  @Test
  void bestOfNMatchesSelectionOnIndependentlyComputedScores() {
    ActivationSet acts = Fakes.vectors("a", 8, D, 4);
    VerbalizeOptions t1 = VerbalizeOptions.greedy().withSampling(1.0, 1, 0, 99).withSamples(4);
    ObjectNode s;
    try (RunDir run = open(tmp, BestOfNStudy.NAME)) {
      s = BestOfNStudy.run(run, Fakes.nla("f", D, 0), acts, t1, 3);
    }
    // Recompute each sample's FVE directly from the fakes, then select.
    Fakes.Av av = new Fakes.Av(D, 0);
    Fakes.Ar ar = new Fakes.Ar(D);
    double var = Metrics.baseline(acts.vectors(), Math.sqrt(D)).varNrm();
    double[][] fve = new double[8][4];
    var decodes = av.verbalize(acts.vectors(), t1);
    for (var v : decodes) {
      float[] pred = ar.reconstruct(List.of(v.explanation()))[0];
      fve[v.row()][v.sample()] =
          Metrics.fveNrm(Metrics.mseNrm(pred, acts.vectors().get(v.row()), Math.sqrt(D)), var);
    }
    BestOfN.Summary expected = BestOfN.summarize(fve, new boolean[8][4]);
    for (int n = 1; n <= 4; n++)
      assertEquals(expected.fveAt(n), s.get("fve_by_n").get(n - 1).asDouble(), 1e-12);
    assertTrue(expected.fveAt(4) > expected.fveAt(1));
    assertEquals(0, s.get("tag_failures").asInt());
  }

  @Test
  void adjacentLayersOnShiftedVectors() {
    ActivationSet k = Fakes.vectors("L5", 10, D, 5);
    List<float[]> shifted = new ArrayList<>();
    for (float[] v : k.vectors()) {
      float[] w = v.clone();
      w[0] += 0.3f;
      shifted.add(w);
    }
    ActivationSet k1 = new ActivationSet("L6", shifted, k.contexts(), k.docIds(), "h6");
    ObjectNode s;
    try (RunDir run = open(tmp, LayersStudy.NAME)) {
      s =
          LayersStudy.run(
              run, Fakes.nla("f", D, 0), "L5", k, Map.of("L6", k1), VerbalizeOptions.greedy(), 4);
    }
    JsonNode l6 = s.get("rows").get(1);
    double cos = 0;
    double inter = 0;
    for (int i = 0; i < 10; i++) {
      cos += Metrics.cos(shifted.get(i), k.vectors().get(i)) / 10;
      inter += Metrics.mseNrm(shifted.get(i), k.vectors().get(i), Math.sqrt(D)) / 10;
    }
    assertEquals(cos, l6.get("cosToK").asDouble(), 1e-12);
    assertEquals(inter, l6.get("interLayerNmse").asDouble(), 1e-12);
    assertEquals(1.0, l6.get("fveOwnDenominator").asDouble(), 1e-5); // the fake round trip is exact
    assertTrue(l6.get("withinBound").asBoolean());
  }

  @Test
  void crossFamilyMatrixWithShuffledNull() {
    ActivationSet a = Fakes.vectors("A", 15, D, 6);
    ActivationSet b = Fakes.vectors("B", 15, D, 7);
    ObjectNode s;
    try (RunDir run = open(tmp, CrossStudy.NAME)) {
      s =
          CrossStudy.run(
              run,
              List.of(Fakes.nla("a", D, 0), Fakes.nla("b", D, 0)),
              List.of(a, b),
              VerbalizeOptions.greedy(),
              3,
              5);
    }
    JsonNode cells = s.get("cells");
    // Diagonal: exact round trip. Off-diagonal: A's numbers scored against B's vectors, unrelated.
    assertEquals(1.0, cells.get(0).get("fve").asDouble(), 1e-5);
    assertEquals(1.0, cells.get(3).get("fve").asDouble(), 1e-5);
    assertTrue(cells.get(1).get("fve").asDouble() < 0.2);
    assertTrue(cells.get(0).get("nullFve").asDouble() < 0);
    assertEquals(
        cells.get(1).get("fve").asDouble() / cells.get(3).get("fve").asDouble(),
        cells.get(1).get("shareOfCeiling").asDouble(),
        1e-12);
  }

  /** The same vectors with token positions, as a parquet from nla align would carry them. */
  private static ActivationSet withPositions(ActivationSet s, int firstPosition) {
    List<Integer> positions = new ArrayList<>();
    for (int i = 0; i < s.size(); i++) positions.add(firstPosition + i);
    return new ActivationSet(s.name(), s.vectors(), s.contexts(), s.docIds(), s.hash(), positions);
  }

  /**
   * An alignment report written by hand: row i (doc fake:i) pairs A's token 60 + i with B's token
   * 50 + i, their ends i % 3 characters apart, so over the 15 rows the errors are 0, 1, 2 five
   * times each: mean 1.0, max 2. One more pair (another document, 9 apart) is in the report but not
   * in the eval set: the whole report's mean is (15 + 9) / 16 = 1.5.
   */
  @Test
  void crossFamilyReportsTheAlignmentsMeanCharacterError() throws Exception {
    ActivationSet a = withPositions(Fakes.vectors("A", 15, D, 6), 60);
    ActivationSet b = withPositions(Fakes.vectors("B", 15, D, 7), 50);
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 15; i++)
      lines.add(
          String.format(
              "{\"doc_id\":\"fake:%d\",\"position_a\":%d,\"position_b\":%d,"
                  + "\"end_char_a\":%d,\"end_char_b\":%d,\"error_chars\":%d}",
              i, 60 + i, 50 + i, 300 + 5 * i, 300 + 5 * i + i % 3, i % 3));
    lines.add(
        "{\"doc_id\":\"fake:99\",\"position_a\":70,\"position_b\":66,"
            + "\"end_char_a\":400,\"end_char_b\":391,\"error_chars\":9}");
    Path report = tmp.resolve("alignment.jsonl");
    Files.write(report, lines);
    List<Nla> fams = List.of(Fakes.nla("a", D, 0), Fakes.nla("b", D, 0));
    ObjectNode s;
    try (RunDir run = open(tmp, CrossStudy.NAME)) {
      s = CrossStudy.run(run, fams, List.of(a, b), report, VerbalizeOptions.greedy(), 3, 5);
    }
    JsonNode al = s.get("alignment");
    assertEquals("alignment.jsonl", al.get("report").asText());
    assertEquals(15, al.get("pairs").asInt());
    assertEquals(1.0, al.get("mean_error_chars").asDouble(), 1e-12);
    assertEquals(2, al.get("max_error_chars").asInt());
    assertEquals(16, al.get("report_pairs").asInt());
    assertEquals(1.5, al.get("report_mean_error_chars").asDouble(), 1e-12);

    // Either family may be model A's side of the report.
    CrossAlignment swapped = CrossAlignment.of("r", CrossModelAligner.readReport(report), b, a);
    assertEquals(1.0, swapped.meanErrorChars(), 1e-12);
    // Sets the report does not hold (positions off by one) are a user error naming the row.
    UserError e =
        assertThrows(
            UserError.class,
            () ->
                CrossAlignment.of(
                    "r", CrossModelAligner.readReport(report), withPositions(a, 61), b));
    assertTrue(e.getMessage().contains("row 0"), e.getMessage());
  }

  @Test
  void confabReadsEveryDecodeSetOfTheRun() {
    ActivationSet acts = Fakes.vectors("a", 10, D, 8);
    try (RunDir run = open(tmp, EvalStudy.NAME)) {
      EvalStudy.run(run, Fakes.nla("f", D, 0), acts, VerbalizeOptions.greedy(), Double.NaN, 1, 4);
    }
    try (RunDir run = open(tmp, ConfabStudy.NAME)) {
      ObjectNode s = ConfabStudy.run(run, acts, 1);
      JsonNode row = s.get("decode_sets").get(0);
      assertEquals("eval greedy (f)", row.get("decode_set").asText());
      // "the values" + "appear here" are shared with every context: run 2 ("values appear"? no:
      // the explanation is 'The values "…" appear here.'; the context has 'the values appear
      // here').
      assertEquals(2.0, row.get("median_run").asDouble());
      assertEquals(2.0, row.get("null_median_run").asDouble());
    }
  }

  @Test
  void studiesShareDecodesOfTheSameAvVectorsAndOptions() {
    ActivationSet acts = Fakes.vectors("a", 5, D, 10);
    Nla nla = Fakes.nla("f", D, 0);
    try (RunDir run = open(tmp, EvalStudy.NAME)) {
      EvalStudy.run(run, nla, acts, VerbalizeOptions.greedy(), Double.NaN, 1, 4);
      RedactStudy.run(
          run, nla, acts, VerbalizeOptions.greedy(), List.of(Redaction.ORIGINAL), "_", 1, 4);
      QuoteBanStudy.run(
          run,
          nla,
          acts,
          VerbalizeOptions.greedy(),
          QuoteBan.DEFAULT_CONDITIONS.subList(0, 2),
          QuoteBan.DEFAULT_FAMILIES,
          1,
          4);
    }
    // eval, redact and the no-ban condition decode once; the double ban is a second set.
    assertEquals(10, ((Fakes.Av) nla.av()).decodes.get());
    try (RunDir run = open(tmp, ConfabStudy.NAME)) {
      JsonNode sets = ConfabStudy.run(run, acts, 1).get("decode_sets");
      assertEquals(2, sets.size());
      List<String> names =
          List.of(sets.get(0).get("decode_set").asText(), sets.get(1).get("decode_set").asText());
      assertTrue(
          names.contains("eval greedy = redact greedy = quote-ban ban none (f)"), names.toString());
      assertTrue(names.contains("quote-ban ban double (f)"), names.toString());
    }
  }

  @Test
  void resumingWithOtherParametersIsAUserErrorNamingTheField() {
    try (RunDir run = open(tmp, EvalStudy.NAME)) {
      assertTrue(!run.resumed());
    }
    UserError e =
        assertThrows(
            UserError.class,
            () ->
                RunDir.open(
                    tmp,
                    new RunDir.Identity(
                        EvalStudy.NAME, 42, "fake", Map.of("n", 21), Map.of("acts", "h"))));
    assertTrue(e.getMessage().contains("parameters.n was 20, now 21"), e.getMessage());
  }

  @Test
  void studiesAreDeterministicForASeed() {
    ActivationSet acts = Fakes.vectors("a", 6, D, 9);
    VerbalizeOptions t1 = VerbalizeOptions.greedy().withSampling(1.0, 1, 0, 5).withSamples(3);
    ObjectNode first;
    ObjectNode second;
    try (RunDir run = open(tmp.resolve("1"), BestOfNStudy.NAME)) {
      first = BestOfNStudy.run(run, Fakes.nla("f", D, 0), acts, t1, 2);
    }
    try (RunDir run = open(tmp.resolve("2"), BestOfNStudy.NAME)) {
      second = BestOfNStudy.run(run, Fakes.nla("f", D, 0), acts, t1, 5);
    }
    assertEquals(first, second);
  }
}
