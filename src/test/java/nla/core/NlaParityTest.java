package nla.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import nla.GoldenFixtures;
import nla.text.Tokenizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Parity with the reference recipe, followed in Hugging Face fp32 by {@code
 * tools/golden/make_nla.py} on tiny NLA pairs of each family: prompt ids and injection position,
 * ban sets, injected rows, greedy verbalizations with and without a ban, AR predictions, metrics
 * and baselines.
 */
class NlaParityTest {
  /**
   * Greedy paths are compared up to the first step whose reference top-2 logit gap is below this.
   */
  static final double GAP = 0.02;

  /** Vectors: ‖ours − reference‖ / ‖reference‖. */
  static final double VECTOR_RTOL = 2e-3;

  static final double METRIC_TOL = 1e-4;

  static JsonNode ref(String pair) {
    return GoldenFixtures.json("nla/" + pair + "/reference.json");
  }

  static float[][] rows(String pair, JsonNode fileName) {
    return GoldenFixtures.npy("nla/" + pair + "/" + fileName.asText()).rows();
  }

  /**
   * The reference run's date, to pin: Llama 3.x templates print "Today Date", which HF fills from
   * the calendar (contract §8).
   */
  static Map<String, String> pinnedDate(Path dir, JsonNode av) {
    String prompt = Tokenizer.load(dir).decode(GoldenFixtures.ints(av.get("prompt_ids")), false);
    Matcher m = Pattern.compile("Today Date: (\\d{1,2} \\w{3} \\d{4})").matcher(prompt);
    return m.find() ? Map.of("date_string", m.group(1)) : Map.of();
  }

  static ActivationVerbalizer verbalizer(String pair, JsonNode av) {
    Path dir = GoldenFixtures.nlaDir(pair + "-av");
    return ActivationVerbalizer.open(dir, pinnedDate(dir, av));
  }

  @ParameterizedTest
  @ValueSource(strings = {"qwen2.5", "gemma3", "llama3"})
  void canonicalPromptInjectionAndBanSetMatchTheReference(String pair) throws Exception {
    JsonNode av = ref(pair).get("av");
    try (ActivationVerbalizer v = verbalizer(pair, av)) {
      AvPrompt prompt = v.canonicalPrompt();
      assertArrayEquals(GoldenFixtures.ints(av.get("prompt_ids")), prompt.ids());
      assertEquals(av.get("injection_position").asInt(), prompt.injectionPosition());
      assertEquals(
          av.get("injection_scale_resolved").asDouble(), v.sidecar().injectionNorm(), 1e-12);

      int[] banned = v.bannedIds(av.get("ban_chars").asText());
      assertEquals(av.get("banned_ids_count").asInt(), banned.length);
      assertEquals(av.get("banned_ids_sha256").asText(), sha256OfSortedIds(banned));

      float[][] vectors = rows(pair, av.get("vectors_file"));
      float[][] injected = rows(pair, av.get("injected_rows_file"));
      for (int i = 0; i < vectors.length; i++) {
        float[] row = v.inputEmbeddings(prompt, vectors[i])[prompt.injectionPosition()];
        assertTrue(relErr(row, injected[i]) < VECTOR_RTOL, pair + " row " + i);
      }
    }
  }

  /** The ids the reference hashes: sorted, comma-joined, SHA-256. */
  static String sha256OfSortedIds(int[] ids) throws Exception {
    String joined =
        Arrays.stream(ids).sorted().mapToObj(Integer::toString).collect(Collectors.joining(","));
    return HexFormat.of()
        .formatHex(
            MessageDigest.getInstance("SHA-256")
                .digest(joined.getBytes(StandardCharsets.US_ASCII)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"qwen2.5", "gemma3", "llama3"})
  void greedyVerbalizationsWithAndWithoutABanFollowTheReference(String pair) {
    JsonNode av = ref(pair).get("av");
    float[][] vectors = rows(pair, av.get("vectors_file"));
    VerbalizeOptions greedy =
        VerbalizeOptions.greedy().withMaxNewTokens(av.get("max_new_tokens").asInt(), false);
    try (ActivationVerbalizer v = verbalizer(pair, av)) {
      List<Verbalization> plain = v.verbalize(List.of(vectors), greedy);
      List<Verbalization> banned =
          v.verbalize(List.of(vectors), greedy.withBanChars(av.get("ban_chars").asText()));
      int comparedSteps = 0;
      for (JsonNode want : av.get("verbalizations")) {
        int row = want.get("row").asInt();
        comparedSteps += comparePath(pair + " row " + row, want.get("greedy"), plain.get(row));
        comparedSteps +=
            comparePath(
                pair + " row " + row + " banned", want.get("greedy_banned"), banned.get(row));
      }
      assertTrue(comparedSteps >= 8, pair + ": only " + comparedSteps + " steps compared");
    }
  }

  /** Compares token by token up to a near-tie; a fully compared path must match text and tags. */
  static int comparePath(String what, JsonNode want, Verbalization got) {
    int[] ids = GoldenFixtures.ints(want.get("output_ids"));
    JsonNode gaps = want.get("top2_gaps");
    int n = 0;
    while (n < ids.length && gaps.get(n).asDouble() >= GAP) {
      assertTrue(n < got.outputIds().length, what + ": ours stopped at " + n);
      assertEquals(ids[n], got.outputIds()[n], what + " step " + n);
      n++;
    }
    if (n == ids.length) {
      assertArrayEquals(ids, got.outputIds(), what);
      assertEquals(want.get("text").asText(), got.text(), what);
      JsonNode e = want.get("explanation");
      assertEquals(e.isNull() ? null : e.asText(), got.explanation(), what);
    }
    return n;
  }

  @ParameterizedTest
  @ValueSource(strings = {"qwen2.5", "gemma3", "llama3"})
  void reconstructionsMatchTheReference(String pair) {
    JsonNode ar = ref(pair).get("ar");
    List<String> texts = new ArrayList<>();
    for (JsonNode item : ar.get("items")) texts.add(item.get("explanation").asText());
    float[][] want = rows(pair, ar.get("predictions_file"));
    try (ActivationReconstructor r =
        ActivationReconstructor.open(GoldenFixtures.nlaDir(pair + "-ar"))) {
      assertArrayEquals(
          GoldenFixtures.ints(ar.get("critic_suffix_ids")), r.sidecar().criticSuffixIds());
      assertEquals(ar.get("mse_scale_resolved").asDouble(), r.mseNorm(), 1e-12);
      float[][] got = r.reconstruct(texts);
      for (int i = 0; i < texts.size(); i++) {
        JsonNode item = ar.get("items").get(i);
        assertArrayEquals(GoldenFixtures.ints(item.get("prompt_ids")), r.promptIds(texts.get(i)));
        assertTrue(
            relErr(got[i], want[i]) < VECTOR_RTOL,
            pair + " text " + i + ": " + relErr(got[i], want[i]));
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"qwen2.5", "gemma3", "llama3"})
  void metricsAndBaselinesMatchTheReference(String pair) {
    JsonNode ref = ref(pair);
    JsonNode ar = ref.get("ar");
    JsonNode base = ref.get("baseline");
    double s = ar.get("mse_scale_resolved").asDouble();
    float[][] vectors = rows(pair, base.get("vectors_file"));
    Metrics.Baseline b = Metrics.baseline(List.of(vectors), s);
    assertEquals(base.get("var_nrm").asDouble(), b.varNrm(), METRIC_TOL);
    assertEquals(base.get("meannorm").asDouble(), b.meannorm(), METRIC_TOL);
    for (var e : base.get("by_mse_scale").properties()) {
      Double scale = Scale.parse(e.getKey(), "test").resolve(vectors[0].length);
      Metrics.Baseline other = Metrics.baseline(List.of(vectors), scale);
      assertEquals(e.getValue().get("var_nrm").asDouble(), other.varNrm(), METRIC_TOL, e.getKey());
      assertEquals(
          e.getValue().get("meannorm").asDouble(), other.meannorm(), METRIC_TOL, e.getKey());
    }
    float[][] preds = rows(pair, ar.get("predictions_file"));
    float[][] gold = rows(pair, ar.get("gold_file"));
    Metrics.Denominator denominator = Metrics.Denominator.of(b, "baseline.vectors.npy");
    for (int i = 0; i < preds.length; i++) {
      JsonNode item = ar.get("items").get(i);
      Metrics.Score score = Metrics.score(preds[i], gold[i], s, denominator);
      assertEquals(item.get("mse_nrm").asDouble(), score.mseNrm(), METRIC_TOL);
      assertEquals(item.get("cos").asDouble(), score.cos(), METRIC_TOL);
      assertEquals(item.get("fve_nrm").asDouble(), score.fveNrm(), METRIC_TOL);
    }
    assertEquals(
        ar.get("self_check").get("mse_nrm").asDouble(),
        Metrics.mseNrm(preds[0], preds[0], s),
        METRIC_TOL);
  }

  static double relErr(float[] got, float[] want) {
    double num = 0;
    double den = 0;
    for (int i = 0; i < want.length; i++) {
      double e = got[i] - want[i];
      num += e * e;
      den += (double) want[i] * want[i];
    }
    return Math.sqrt(num / den);
  }
}
