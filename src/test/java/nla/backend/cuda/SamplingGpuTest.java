package nla.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import nla.backend.Backend;
import nla.backend.Sampler;
import nla.backend.Tensor;
import nla.backend.TokenChoice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Temperature, top-k and top-p sampling on the GPU ({@code sample_rows}) against the host's {@link
 * Sampler#choose}, the definition, row by row over the vocabularies of the released models. The
 * device sums in another order than the host, which may move a sum's last bits: rows whose uniform
 * or top-p lies within {@link #MARGIN} of a boundary are drawn again, so every row left must agree.
 */
@Tag("gpu")
class SamplingGpuTest {
  /** How far from a boundary u and top-p must lie (the sums differ by ~1e-16). */
  static final double MARGIN = 1e-9;

  static final double[] TOP_P = {1, 0.9, 0.5, 1e-6};
  static final double[] PROBE_UNIFORMS = {0, 0.25, 0.5, 0.75, 0.999999};

  private static CudaBackend gpu;

  @BeforeAll
  static void open() {
    gpu = new CudaBackend(0);
  }

  @AfterAll
  static void close() {
    if (gpu != null) gpu.close();
  }

  /** One row of logits and how its token is chosen. */
  record Row(float[] logits, TokenChoice choice) {}

  @Test
  void sampledRowsAreTheHostSamplersTokens() {
    long seed = System.nanoTime();
    // Rows at 1,000 take the many shapes; the released vocabularies (Qwen2.5, Gemma 3) fewer, each
    // a full scan of the host sampler per check.
    int[][] vocabsAndRows = {{1_000, 160}, {151_936, 40}, {262_208, 40}};
    for (int[] vr : vocabsAndRows) {
      int vocab = vr[0];
      SplittableRandom rng = new SplittableRandom(seed + vocab);
      List<Row> rows = rows(vocab, vr[1], rng);
      float[][] logits = new float[rows.size()][];
      List<TokenChoice> choices = new ArrayList<>();
      int[] expected = new int[rows.size()];
      for (int r = 0; r < rows.size(); r++) {
        logits[r] = rows.get(r).logits();
        choices.add(rows.get(r).choice());
        expected[r] = Sampler.choose(logits[r], choices.get(r));
      }
      int[] first;
      int[] again;
      int[] sampledOnly;
      List<Integer> sampledRows = new ArrayList<>();
      for (int r = 0; r < rows.size(); r++) if (!choices.get(r).greedy()) sampledRows.add(r);
      try (Backend.Scope s = gpu.openScope()) {
        // add_logit_bias writes into the logits, so each run gets its own copy.
        first = gpu.chooseTokens(upload(logits), choices);
        // Timed the second time, when the workspace is already there.
        Tensor copy = upload(logits);
        long start = System.nanoTime();
        again = gpu.chooseTokens(copy, choices);
        System.out.printf(
            "vocab %d: %d rows (%d sampled) chosen in %.2f ms%n",
            vocab, rows.size(), sampledRows.size(), (System.nanoTime() - start) / 1e6);
        // With no greedy row in the call, argmax_rows does not run and sample_rows writes every id.
        float[][] sampledLogits = new float[sampledRows.size()][];
        List<TokenChoice> sampledChoices = new ArrayList<>();
        for (int r : sampledRows) {
          sampledLogits[sampledChoices.size()] = logits[r];
          sampledChoices.add(choices.get(r));
        }
        sampledOnly = gpu.chooseTokens(upload(sampledLogits), sampledChoices);
      }
      List<String> mismatches = new ArrayList<>();
      for (int r = 0; r < rows.size(); r++) {
        if (first[r] != expected[r]) {
          TokenChoice c = choices.get(r);
          mismatches.add(
              String.format(
                  "row %d (T %s, top-k %d, top-p %s, u %s, %d biases): gpu %d, host %d",
                  r,
                  c.temperature(),
                  c.topK(),
                  c.topP(),
                  c.uniform(),
                  c.biasIds().length,
                  first[r],
                  expected[r]));
        }
      }
      assertTrue(
          mismatches.isEmpty(),
          "vocab "
              + vocab
              + ", seed "
              + seed
              + ": "
              + mismatches.size()
              + " of "
              + rows.size()
              + " rows differ:\n"
              + String.join("\n", mismatches));
      assertArrayEquals(first, again, "vocab " + vocab + ", seed " + seed + ": run to run");
      int[] expectedSampled = sampledRows.stream().mapToInt(r -> expected[r]).toArray();
      assertArrayEquals(
          expectedSampled,
          sampledOnly,
          "vocab " + vocab + ", seed " + seed + ": sampled rows alone");
    }
  }

  private static Tensor upload(float[][] logits) {
    Tensor t = gpu.allocate(logits.length, logits[0].length);
    gpu.writeRows(t, 0, logits);
    return t;
  }

  /**
   * {@code n} rows of every shape and choice the test covers, each away from the boundaries (drawn
   * again while it is not); one in eight greedy, so greedy and sampled rows share a call.
   */
  static List<Row> rows(int vocab, int n, SplittableRandom rng) {
    List<Row> rows = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      for (int attempt = 0; ; attempt++) {
        if (attempt == 100) throw new IllegalStateException("no row away from the boundaries");
        Row row = new Row(logits(vocab, rng), choice(vocab, r % 8 == 7, rng));
        if (!nearBoundary(row)) {
          rows.add(row);
          break;
        }
      }
    }
    return rows;
  }

  /** Gaussian at several scales, peaked, heavy ties on a few levels, or flat. */
  static float[] logits(int vocab, SplittableRandom rng) {
    float[] x = new float[vocab];
    switch (rng.nextInt(5)) {
      case 0 -> {
        double scale = new double[] {0.5, 2, 8}[rng.nextInt(3)];
        for (int i = 0; i < vocab; i++) x[i] = (float) (rng.nextGaussian() * scale);
      }
      case 1 -> {
        // a language model's usual shape: a few tokens far above the rest
        for (int i = 0; i < vocab; i++) x[i] = (float) rng.nextGaussian();
        for (int j = 1 + rng.nextInt(3); j > 0; j--) x[rng.nextInt(vocab)] += 8 + rng.nextInt(12);
      }
      case 2 -> {
        // heavy ties: a handful of levels, thousands of tokens on each at the large vocabularies
        for (int i = 0; i < vocab; i++) x[i] = Math.round(rng.nextGaussian() * 2) / 2f;
      }
      case 3 -> {
        // two levels, a small top level tied across many tokens
        for (int i = 0; i < vocab; i++) x[i] = rng.nextInt(50) == 0 ? 3f : 0f;
      }
      default -> {
        float level = (float) rng.nextGaussian();
        for (int i = 0; i < vocab; i++) x[i] = level;
      }
    }
    return x;
  }

  static TokenChoice choice(int vocab, boolean greedy, SplittableRandom rng) {
    double temperature =
        greedy
            ? 0
            : new double[] {0.3, 0.7, 1.0, 1.5}[rng.nextInt(4)] * (0.9 + 0.2 * rng.nextDouble());
    int topK = new int[] {0, 1, 40, vocab - 1}[rng.nextInt(4)];
    double topP = TOP_P[rng.nextInt(TOP_P.length)];
    double u =
        switch (rng.nextInt(4)) {
          case 0 -> 0;
          case 1 -> 0.999999;
          default -> rng.nextDouble();
        };
    // Some rows carry biases as the quote ban does (-1e9) and as boosts, on distinct ids.
    Set<Integer> ids = new LinkedHashSet<>();
    if (rng.nextInt(3) == 0)
      for (int i = 1 + rng.nextInt(5); i > 0; i--) ids.add(rng.nextInt(vocab));
    int[] biasIds = ids.stream().mapToInt(Integer::intValue).toArray();
    float[] biasValues = new float[biasIds.length];
    for (int i = 0; i < biasValues.length; i++)
      biasValues[i] = rng.nextBoolean() ? -1e9f : (float) (10 * rng.nextDouble());
    return new TokenChoice(temperature, topP, topK, biasIds, biasValues, u);
  }

  /**
   * Whether the host's token moves when u, or top-p, moves by {@link #MARGIN}: a row within that of
   * a boundary, where sums in another order may decide either way. The token only grows with u, so
   * the same token at u ± MARGIN means no boundary between; top-p's kept set is probed with several
   * uniforms, one of which sees a token join or leave it (0 and near 1 see its ends).
   */
  static boolean nearBoundary(Row row) {
    TokenChoice c = row.choice();
    if (c.greedy()) return false;
    int token = Sampler.choose(row.logits(), c);
    double u = c.uniform();
    if (u - MARGIN >= 0 && Sampler.choose(row.logits(), at(c, c.topP(), u - MARGIN)) != token)
      return true;
    if (Sampler.choose(row.logits(), at(c, c.topP(), u + MARGIN)) != token) return true;
    if (c.topP() >= 1) return false;
    for (double probe : PROBE_UNIFORMS) {
      int at = Sampler.choose(row.logits(), at(c, c.topP(), probe));
      for (double p : new double[] {c.topP() - MARGIN, c.topP() + MARGIN}) {
        if (Sampler.choose(row.logits(), at(c, p, probe)) != at) return true;
      }
    }
    return false;
  }

  private static TokenChoice at(TokenChoice c, double topP, double u) {
    return new TokenChoice(c.temperature(), topP, c.topK(), c.biasIds(), c.biasValues(), u);
  }
}
