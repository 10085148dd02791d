package nla.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import nla.GoldenFixtures;
import nla.backend.DeviceSpec;
import nla.model.LanguageModel;
import nla.text.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Parity of the tiny NLA pairs on CUDA with transformers in bf16 on CUDA (references by {@code
 * tools/golden/make_nla_cuda.py}, which also runs transformers in fp32 on CUDA, on the inputs of
 * the fp32 references that {@link NlaParityTest} reads): greedy verbalizations, plain and with a
 * ban, identical at every step whose reference top-2 gap exceeds {@value #BOUND}× the largest
 * bf16-vs-fp32 logit difference along that path; AR predictions within {@value #BOUND}× the
 * bf16-vs-fp32 distance; mse_nrm, cos and FVE within {@value #METRIC_TOL} of transformers bf16
 * (issue 12's bound). The distances measured are printed, for the README's correctness table.
 */
@Tag("gpu")
class NlaGpuParityTest {
  static final double BOUND = 1.5;

  /**
   * The AR bound on ‖ours − bf16‖ / ‖bf16‖ never drops below this, for an item where transformers'
   * bf16 and fp32 predictions happen to (nearly) coincide. It is a quarter of bf16's rounding of a
   * single value (2^-8 relative), so it sets the bound only where the two agree more closely than
   * bf16 can store one number.
   */
  static final double AR_FLOOR = 1e-3;

  static final double METRIC_TOL = 1e-3;

  private static final List<String> measured = new ArrayList<>();

  /** The CUDA reference of PAIR; fails, saying how to make it, where it has not been made yet. */
  static JsonNode reference(String pair) {
    Path dir = GoldenFixtures.resourcesRoot().resolve("golden/nla-cuda").resolve(pair);
    if (!Files.isDirectory(dir)) {
      fail(
          "no GPU reference for the NLA pair "
              + pair
              + " ("
              + dir
              + "): run `bash tools/gpu/parity.sh` on the GPU machine (it runs"
              + " tools/golden/make_nla_cuda.py) and unpack its nla-cuda.tar.gz into"
              + " src/test/resources/golden/");
    }
    return GoldenFixtures.json("nla-cuda/" + pair + "/reference.json");
  }

  static LanguageModel onCuda(Path dir) {
    LanguageModel lm = LanguageModel.load(dir, DeviceSpec.parse("cuda"), 4, false);
    assertTrue(lm.device().startsWith("cuda:"), dir + " runs on " + lm.device());
    return lm;
  }

  @AfterAll
  static void report() {
    System.out.println("NLA GPU parity against transformers bf16 on CUDA:");
    for (String line : measured) System.out.println("  " + line);
  }

  @ParameterizedTest
  @ValueSource(strings = {"qwen2.5", "gemma3", "llama3"})
  void greedyVerbalizationsMatchWhereTheMarginExceedsTheBound(String pair) {
    JsonNode av = reference(pair).get("av");
    JsonNode cpuAv = NlaParityTest.ref(pair).get("av");
    float[][] vectors = NlaParityTest.rows(pair, cpuAv.get("vectors_file"));
    Path dir = GoldenFixtures.nlaDir(pair + "-av");
    Tokenizer tokenizer = Tokenizer.load(dir);
    Map<String, String> date = NlaParityTest.pinnedDate(dir, cpuAv);
    if (!date.isEmpty()) tokenizer = tokenizer.withTemplateVariables(date);
    VerbalizeOptions greedy =
        VerbalizeOptions.greedy().withMaxNewTokens(av.get("max_new_tokens").asInt(), false);
    int compared = 0;
    try (LanguageModel lm = onCuda(dir);
        ActivationVerbalizer v = new ActivationVerbalizer(Sidecar.load(dir), tokenizer, lm)) {
      assertArrayEquals(GoldenFixtures.ints(av.get("prompt_ids")), v.canonicalPrompt().ids());
      List<Verbalization> plain = v.verbalize(List.of(vectors), greedy);
      List<Verbalization> banned =
          v.verbalize(List.of(vectors), greedy.withBanChars(av.get("ban_chars").asText()));
      for (JsonNode want : av.get("verbalizations")) {
        int row = want.get("row").asInt();
        String where = pair + " row " + row;
        compared += assertSamePath(want.get("greedy"), plain.get(row), where);
        compared += assertSamePath(want.get("greedy_banned"), banned.get(row), where + " banned");
      }
    }
    // The fp32 references' paths have ≥ 100 steps with gaps above 0.3 per pair; a handful
    // compared would mean the margin swallowed the test.
    assertTrue(compared >= 8, pair + ": only " + compared + " steps above the margin");
  }

  /**
   * Token-identical up to the first step where the reference's top-2 gap is within BOUND × the
   * largest |bf16 − fp32| logit difference transformers showed along this path (a gap wider than
   * that is a choice bf16 arithmetic does not overturn); a fully compared path also has the same
   * length and text. Returns the steps compared.
   */
  static int assertSamePath(JsonNode want, Verbalization got, String where) {
    int[] expected = GoldenFixtures.ints(want.get("output_ids"));
    JsonNode gaps = want.get("top2_gaps");
    double drift = 0;
    for (JsonNode d : want.get("logit_max_abs_diff")) drift = Math.max(drift, d.asDouble());
    double margin = BOUND * drift;
    int n = 0;
    while (n < expected.length && gaps.get(n).asDouble() > margin) {
      assertTrue(n < got.outputIds().length, where + ": stopped early at step " + n);
      assertEquals(
          expected[n], got.outputIds()[n], where + " step " + n + " (margin " + margin + ")");
      n++;
    }
    if (n == expected.length) {
      assertArrayEquals(expected, got.outputIds(), where);
      assertEquals(want.get("text").asText(), got.text(), where);
    }
    synchronized (measured) {
      measured.add(
          String.format(
              Locale.ROOT,
              "%-22s greedy: %d of %d steps above margin %.3f",
              where,
              n,
              expected.length,
              margin));
    }
    return n;
  }

  @ParameterizedTest
  @ValueSource(strings = {"qwen2.5", "gemma3", "llama3"})
  void reconstructionsAndMetricsAreWithinTheBf16Bound(String pair) {
    JsonNode ar = reference(pair).get("ar");
    Path dir = GoldenFixtures.nlaDir(pair + "-ar");
    Sidecar sidecar = Sidecar.load(dir);
    List<String> texts = new ArrayList<>();
    for (JsonNode item : ar.get("items")) texts.add(item.get("explanation").asText());
    float[][] got;
    try (LanguageModel lm = onCuda(dir);
        ValueHead head = ValueHead.load(dir, sidecar.dModel());
        ActivationReconstructor r =
            new ActivationReconstructor(sidecar, Tokenizer.load(dir), lm, head)) {
      for (int i = 0; i < texts.size(); i++) {
        assertArrayEquals(
            GoldenFixtures.ints(ar.get("items").get(i).get("prompt_ids")),
            r.promptIds(texts.get(i)),
            pair + " text " + i);
      }
      got = r.reconstruct(texts);
    }
    float[][] bf16 = cudaRows(pair, ar.get("bf16_predictions_file"));
    float[][] fp32 = cudaRows(pair, ar.get("fp32_predictions_file"));
    float[][] gold = NlaParityTest.rows(pair, ar.get("gold_file"));
    double s = ar.get("mse_scale_resolved").asDouble();
    Metrics.Baseline b =
        Metrics.baseline(List.of(NlaParityTest.rows(pair, ar.get("baseline_vectors_file"))), s);
    assertEquals(ar.get("var_nrm").asDouble(), b.varNrm(), 1e-6, pair + " var_nrm");
    Metrics.Denominator denominator = Metrics.Denominator.of(b, "baseline.vectors.npy");
    double worstRatio = 0, worstMetric = 0;
    for (int i = 0; i < texts.size(); i++) {
      String where = pair + " text " + i;
      double spread = distance(bf16[i], fp32[i]);
      double allowed = Math.max(BOUND * spread, AR_FLOOR * norm(bf16[i]));
      double toRef = distance(got[i], bf16[i]);
      assertTrue(
          toRef <= allowed,
          String.format(
              Locale.ROOT,
              "%s: ‖ours − bf16‖ = %.3g, bound %.3g (‖bf16 − fp32‖ = %.3g)",
              where,
              toRef,
              allowed,
              spread));
      worstRatio = Math.max(worstRatio, toRef / Math.max(spread, AR_FLOOR * norm(bf16[i])));
      JsonNode want = ar.get("items").get(i).get("bf16");
      JsonNode fp32Metrics = ar.get("items").get(i).get("fp32");
      Metrics.Score score = Metrics.score(got[i], gold[i], s, denominator);
      double[][] pairs = {
        {want.get("mse_nrm").asDouble(), score.mseNrm(), fp32Metrics.get("mse_nrm").asDouble()},
        {want.get("cos").asDouble(), score.cos(), fp32Metrics.get("cos").asDouble()},
        {want.get("fve_nrm").asDouble(), score.fveNrm(), fp32Metrics.get("fve_nrm").asDouble()}
      };
      String[] names = {"mse_nrm", "cos", "fve_nrm"};
      for (int m = 0; m < names.length; m++) {
        double[] p = pairs[m];
        worstMetric = Math.max(worstMetric, Math.abs(p[1] - p[0]));
        assertEquals(
            p[0],
            p[1],
            METRIC_TOL,
            where + " " + names[m] + " (transformers fp32 on CUDA: " + p[2] + ")");
      }
    }
    synchronized (measured) {
      measured.add(
          String.format(
              Locale.ROOT,
              "%-22s AR: worst ‖ours − bf16‖ / ‖bf16 − fp32‖ %.3f; worst metric difference %.2e",
              pair,
              worstRatio,
              worstMetric));
    }
  }

  static float[][] cudaRows(String pair, JsonNode fileName) {
    return GoldenFixtures.npy("nla-cuda/" + pair + "/" + fileName.asText()).rows();
  }

  static double distance(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      double d = (double) a[i] - b[i];
      sum += d * d;
    }
    return Math.sqrt(sum);
  }

  static double norm(float[] a) {
    return distance(a, new float[a.length]);
  }
}
