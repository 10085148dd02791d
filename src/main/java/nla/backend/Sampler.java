package nla.backend;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * Picks the next token from one row of logits: greedy (temperature 0: the first index of the
 * maximum, as torch.argmax), or temperature → top-k → top-p → a draw, in the order transformers
 * applies its warpers.
 */
public final class Sampler {
  private Sampler() {}

  public static int argmax(float[] logits) {
    int best = 0;
    for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }

  public static int sample(
      float[] logits, double temperature, double topP, int topK, RandomGenerator rng) {
    if (temperature <= 0) return argmax(logits);
    int v = logits.length;
    float[] scores = new float[v];
    for (int i = 0; i < v; i++) scores[i] = (float) (logits[i] / temperature);
    if (topK > 0 && topK < v) {
      // transformers keeps every token whose score is >= the k-th largest.
      float[] sorted = scores.clone();
      Arrays.sort(sorted);
      float kth = sorted[v - topK];
      for (int i = 0; i < v; i++) if (scores[i] < kth) scores[i] = Float.NEGATIVE_INFINITY;
    }
    double[] probs = softmax(scores);
    if (topP < 1) {
      // transformers sorts ascending and drops tokens whose cumulative probability is <= 1 - p
      // (always keeping the most likely): a token survives iff the mass ranked above it is < p.
      // A token with probability <= (1 - p) / V can never survive (everything below it sums to at
      // most V times its own), so only the rest is sorted: sampling with top-p over a 256k
      // vocabulary then costs a few thousand comparisons, not a full sort.
      double floor = (1 - topP) / v;
      long[] keyed = new long[v];
      int m = 0;
      for (int i = 0; i < v; i++) {
        if (probs[i] > floor)
          keyed[m++] = ((long) Float.floatToIntBits((float) probs[i]) << 32) | i;
      }
      Arrays.sort(keyed, 0, m);
      boolean[] keep = new boolean[v];
      double massAbove = 0;
      for (int j = m - 1; j >= 0; j--) {
        int id = (int) (keyed[j] & 0xffffffffL);
        if (j < m - 1 && massAbove >= topP) break;
        keep[id] = true;
        massAbove += probs[id];
      }
      for (int i = 0; i < v; i++) if (!keep[i]) scores[i] = Float.NEGATIVE_INFINITY;
      probs = softmax(scores);
    }
    double u = rng.nextDouble();
    double acc = 0;
    int last = -1;
    for (int i = 0; i < v; i++) {
      if (probs[i] == 0) continue;
      acc += probs[i];
      last = i;
      if (u < acc) return i;
    }
    return last;
  }

  private static double[] softmax(float[] scores) {
    float max = Float.NEGATIVE_INFINITY;
    for (float s : scores) max = Math.max(max, s);
    double[] p = new double[scores.length];
    double sum = 0;
    for (int i = 0; i < scores.length; i++) {
      p[i] = scores[i] == Float.NEGATIVE_INFINITY ? 0 : Math.exp(scores[i] - max);
      sum += p[i];
    }
    for (int i = 0; i < p.length; i++) p[i] /= sum;
    return p;
  }
}
