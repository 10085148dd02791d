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
import nla.GreedyAgreement;
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
 * the fp32 references that {@link NlaParityTest} reads): greedy choices, plain and with a ban, on
 * transformers' bf16 path fed back (teacher-forced), identical at every step whose reference top-2
 * gap exceeds {@value #BOUND}× transformers' own bf16-vs-fp32 logit difference at that step; AR
 * predictions within {@value #AR_BOUND}× the bf16-vs-fp32 distance of transformers bf16; our
 * Metrics on transformers' predictions give its mse_nrm, cos and FVE, so the metrics differ only as
 * the predictions do. Issue 12 asked for metrics within 1e-3 of transformers bf16; on these pairs
 * transformers' own bf16 and fp32 differ by up to 1.3e-2 in mse_nrm (and 8.6e-2 in FVE), a metric
 * is one projection of the prediction's difference, and no per-metric bound below that spread holds
 * for bf16 itself: the differences measured are printed for the README's correctness table.
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

  /**
   * AR predictions and metrics: within this many times transformers' own bf16-vs-fp32 distance of
   * transformers bf16. Not the engine models' 1.5: there our kernels round where transformers does
   * (1.19–1.28× measured), but the AR's path adds the value head and a last-token gather, whose
   * roundings fall elsewhere; two bf16 computations rounding independently lie about √2 times the
   * bf16-vs-fp32 distance apart, and 2 leaves room above that for six items.
   */
  static final double AR_BOUND = 2.0;

  /** Our Metrics on transformers' predictions against its metrics (computed in float32). */
  static final double SCORING_TOL = 1e-4;

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
  void greedyChoicesMatchWhereTheMarginExceedsTheBound(String pair) {
    JsonNode av = reference(pair).get("av");
    JsonNode cpuAv = NlaParityTest.ref(pair).get("av");
    float[][] vectors = NlaParityTest.rows(pair, cpuAv.get("vectors_file"));
    Path dir = GoldenFixtures.nlaDir(pair + "-av");
    Tokenizer tokenizer = Tokenizer.load(dir);
    Map<String, String> date = NlaParityTest.pinnedDate(dir, cpuAv);
    if (!date.isEmpty()) tokenizer = tokenizer.withTemplateVariables(date);
    VerbalizeOptions greedy =
        VerbalizeOptions.greedy().withMaxNewTokens(av.get("max_new_tokens").asInt(), false);
    String banChars = av.get("ban_chars").asText();
    int compared = 0;
    try (LanguageModel lm = onCuda(dir);
        ActivationVerbalizer v = new ActivationVerbalizer(Sidecar.load(dir), tokenizer, lm)) {
      assertArrayEquals(GoldenFixtures.ints(av.get("prompt_ids")), v.canonicalPrompt().ids());
      int[] banned = v.bannedIds(banChars);
      List<Verbalization> plain = v.verbalize(List.of(vectors), greedy);
      List<Verbalization> withBan = v.verbalize(List.of(vectors), greedy.withBanChars(banChars));
      for (JsonNode want : av.get("verbalizations")) {
        int row = want.get("row").asInt();
        float[][] prompt = v.inputEmbeddings(v.canonicalPrompt(), vectors[row]);
        String where = pair + " row " + row;
        compared += assertForcedChoices(lm, prompt, want.get("greedy"), new int[0], where);
        compared +=
            assertForcedChoices(lm, prompt, want.get("greedy_banned"), banned, where + " b");
        reportFreeRunning(want.get("greedy"), plain.get(row), where);
        reportFreeRunning(want.get("greedy_banned"), withBan.get(row), where + " b");
      }
    }
    // Of each pair's 160 reference steps, 32 (Qwen), 119 (Gemma) and 48 (Llama) have a gap above
    // the margin; a handful compared would mean the margin swallowed the test.
    assertTrue(compared >= 16, pair + ": only " + compared + " steps above the margin");
  }

  /**
   * {@link GreedyAgreement#assertForced}, the margin at step s being BOUND × transformers' own
   * |bf16 − fp32| logit difference at that step on that same prefix. Returns the steps compared.
   */
  static int assertForcedChoices(
      LanguageModel lm, float[][] prompt, JsonNode want, int[] banned, String where) {
    JsonNode drift = want.get("logit_max_abs_diff");
    GreedyAgreement.Forced f =
        GreedyAgreement.assertForced(
            want,
            GreedyAgreement.forcedLogits(lm, prompt, GoldenFixtures.ints(want.get("output_ids"))),
            prompt.length,
            step -> BOUND * drift.get(step).asDouble(),
            banned,
            where);
    synchronized (measured) {
      measured.add(
          String.format(
              Locale.ROOT,
              "%-20s forced: %2d of %d steps above the margin, all equal; %d of %d equal overall",
              where,
              f.compared(),
              f.steps(),
              f.agreed(),
              f.steps()));
    }
    return f.compared();
  }

  /** How far our free-running greedy path follows transformers' bf16 one (printed, not bounded). */
  static void reportFreeRunning(JsonNode want, Verbalization got, String where) {
    synchronized (measured) {
      measured.add(
          String.format(
              Locale.ROOT,
              "%-20s free-running: first %d of %d tokens as transformers bf16",
              where,
              GreedyAgreement.sharedPrefix(want, got.outputIds()),
              want.get("output_ids").size()));
    }
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
    double worstRatio = 0;
    double[] worstMetric = new double[3], worstMetricSpread = new double[3];
    List<String> beyond = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      String where = pair + " text " + i;
      double spread = distance(bf16[i], fp32[i]);
      double allowed = Math.max(AR_BOUND * spread, AR_FLOOR * norm(bf16[i]));
      double toRef = distance(got[i], bf16[i]);
      if (toRef > allowed) {
        beyond.add(
            String.format(
                Locale.ROOT,
                "%s: ‖ours − bf16‖ = %.3g, bound %.3g (‖bf16 − fp32‖ = %.3g, ‖ours − fp32‖ = %.3g)",
                where,
                toRef,
                allowed,
                spread,
                distance(got[i], fp32[i])));
      }
      worstRatio = Math.max(worstRatio, toRef / Math.max(spread, AR_FLOOR * norm(bf16[i])));
      // Transformers' bf16 predictions scored by our Metrics give its metrics (the reference's
      // float32 arithmetic, to 1e-4): the metrics' distance is then the predictions' distance,
      // bounded above, seen through the metric. It is printed, not bounded on its own.
      JsonNode want = ar.get("items").get(i).get("bf16");
      Metrics.Score theirs = Metrics.score(bf16[i], gold[i], s, denominator);
      Metrics.Score score = Metrics.score(got[i], gold[i], s, denominator);
      double[][] metrics = {
        {want.get("mse_nrm").asDouble(), theirs.mseNrm(), score.mseNrm()},
        {want.get("cos").asDouble(), theirs.cos(), score.cos()},
        {want.get("fve_nrm").asDouble(), theirs.fveNrm(), score.fveNrm()}
      };
      String[] names = {"mse_nrm", "cos", "fve_nrm"};
      for (int m = 0; m < names.length; m++) {
        assertEquals(
            metrics[m][0], metrics[m][1], SCORING_TOL, where + " " + names[m] + " scoring");
        worstMetric[m] = Math.max(worstMetric[m], Math.abs(metrics[m][2] - metrics[m][0]));
        double spreadHere =
            Math.abs(ar.get("items").get(i).get("fp32").get(names[m]).asDouble() - metrics[m][0]);
        worstMetricSpread[m] = Math.max(worstMetricSpread[m], spreadHere);
      }
    }
    synchronized (measured) {
      measured.add(
          String.format(
              Locale.ROOT,
              "%-20s AR: worst ‖ours − bf16‖ / ‖bf16 − fp32‖ %.3f; largest |ours − bf16| (and"
                  + " transformers' |fp32 − bf16|): mse_nrm %.2e (%.2e), cos %.2e (%.2e), fve_nrm"
                  + " %.2e (%.2e)",
              pair,
              worstRatio,
              worstMetric[0],
              worstMetricSpread[0],
              worstMetric[1],
              worstMetricSpread[1],
              worstMetric[2],
              worstMetricSpread[2]));
    }
    assertTrue(beyond.isEmpty(), String.join("; ", beyond));
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
