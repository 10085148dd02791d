package nla.backend;

import java.util.Arrays;
import java.util.random.RandomGenerator;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Picks the next token from one row of logits: greedy (temperature 0: the first index of the
 * maximum, as torch.argmax), or temperature → top-k → top-p → a draw, in the order transformers
 * applies its warpers.
 */
public final class Sampler {
  private Sampler() {}

  public static int argmax(float[] logits) {
    // Vectorised (a 256k vocabulary per sequence per step adds up over a batch): the maximum, then
    // the first index holding it, which is what the scalar scan gives. A NaN would poison the
    // vector maximum, so then the scalar scan decides (it never picks a NaN after index 0).
    VectorSpecies<Float> f = FloatVector.SPECIES_PREFERRED;
    int upper = f.loopBound(logits.length);
    if (upper == 0) return scalarArgmax(logits);
    FloatVector m = FloatVector.fromArray(f, logits, 0);
    for (int i = f.length(); i < upper; i += f.length()) {
      m = m.max(FloatVector.fromArray(f, logits, i));
    }
    float max = m.reduceLanes(VectorOperators.MAX);
    for (int i = upper; i < logits.length; i++) max = Math.max(max, logits[i]);
    if (Float.isNaN(max)) return scalarArgmax(logits);
    for (int i = 0; i < upper; i += f.length()) {
      VectorMask<Float> hit = FloatVector.fromArray(f, logits, i).eq(max);
      if (hit.anyTrue()) return i + hit.firstTrue();
    }
    for (int i = upper; i < logits.length; i++) if (logits[i] == max) return i;
    throw new IllegalStateException("argmax: maximum not found");
  }

  private static int scalarArgmax(float[] logits) {
    int best = 0;
    for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }

  /** The token {@code c} picks from {@code logits} (not modified). */
  public static int choose(float[] logits, TokenChoice c) {
    float[] biased = logits;
    if (c.biasIds().length > 0) {
      biased = logits.clone();
      for (int i = 0; i < c.biasIds().length; i++) biased[c.biasIds()[i]] += c.biasValues()[i];
    }
    if (c.greedy()) return argmax(biased);
    return sample(biased, c.temperature(), c.topP(), c.topK(), c.uniform());
  }

  public static int sample(
      float[] logits, double temperature, double topP, int topK, RandomGenerator rng) {
    if (temperature <= 0) return argmax(logits);
    return sample(logits, temperature, topP, topK, rng.nextDouble());
  }

  /** A draw at {@code u} ∈ [0, 1) after temperature, top-k and top-p. */
  public static int sample(float[] logits, double temperature, double topP, int topK, double u) {
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
