package nla.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SamplerTest {
  // probabilities 0.5, 0.3, 0.15, 0.05
  private static final float[] LOGITS = {
    (float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.15), (float) Math.log(0.05)
  };

  private static int[] counts(double temperature, double topP, int topK, int draws) {
    SplittableRandom rng = new SplittableRandom(42);
    int[] c = new int[LOGITS.length];
    for (int i = 0; i < draws; i++) c[Sampler.sample(LOGITS, temperature, topP, topK, rng)]++;
    return c;
  }

  @Test
  void aChoiceAtTheRequestsUniformIsTheDrawFromItsGenerator() {
    SplittableRandom a = new SplittableRandom(9);
    SplittableRandom b = new SplittableRandom(9);
    for (int i = 0; i < 200; i++) {
      int drawn = Sampler.sample(LOGITS, 0.7, 0.9, 3, a);
      TokenChoice c = new TokenChoice(0.7, 0.9, 3, new int[0], new float[0], b.nextDouble());
      assertEquals(drawn, Sampler.choose(LOGITS, c));
    }
  }

  @Test
  void aChoicesBiasIsAddedBeforeChoosingAndTheLogitsAreLeftAlone() {
    float[] logits = LOGITS.clone();
    TokenChoice ban = new TokenChoice(0, 1, 0, new int[] {0, 3}, new float[] {-1e9f, 5f}, 0);
    assertEquals(3, Sampler.choose(logits, ban));
    assertEquals(LOGITS[0], logits[0]);
    assertEquals(
        1, Sampler.choose(logits, new TokenChoice(0, 1, 0, new int[] {0}, new float[] {-1e9f}, 0)));
  }

  @Test
  void greedyIsTheFirstMaximum() {
    assertEquals(1, Sampler.argmax(new float[] {1f, 3f, 3f, -2f}));
    assertEquals(0, Sampler.sample(LOGITS, 0, 1, 0, new SplittableRandom(1)));
  }

  @Test
  void greedyOverAVocabularyIsTheFirstMaximumWhereverItFalls() {
    java.util.Random rnd = new java.util.Random(3);
    for (int v : new int[] {5, 16, 67, 1000, 151_936}) {
      for (int trial = 0; trial < 20; trial++) {
        float[] logits = new float[v];
        for (int i = 0; i < v; i++) logits[i] = (float) rnd.nextGaussian();
        int a = rnd.nextInt(v), b = rnd.nextInt(v);
        logits[a] = 9f;
        logits[b] = 9f; // a tie: the lower index wins
        assertEquals(Math.min(a, b), Sampler.argmax(logits), v + " " + a + " " + b);
      }
    }
    float[] nan = new float[100];
    nan[0] = Float.NaN;
    nan[50] = 1f;
    assertEquals(0, Sampler.argmax(nan)); // as the scalar scan: nothing compares above a NaN
    float[] negInf = new float[40];
    java.util.Arrays.fill(negInf, Float.NEGATIVE_INFINITY);
    assertEquals(0, Sampler.argmax(negInf));
  }

  @Test
  void topPKeepsTheSmallestSetReachingP() {
    int[] c = counts(1.0, 0.75, 0, 4000); // 0.5 + 0.3 >= 0.75: tokens 0 and 1 only
    assertEquals(0, c[2] + c[3]);
    assertEquals(0.625, c[0] / 4000.0, 0.03); // renormalised 0.5 / 0.8
  }

  @Test
  void topPBelowTheFirstTokenKeepsOnlyIt() {
    int[] c = counts(1.0, 0.1, 0, 200);
    assertEquals(200, c[0]);
  }

  @Test
  void topKKeepsKTokens() {
    int[] c = counts(1.0, 1.0, 3, 4000);
    assertEquals(0, c[3]);
    assertTrue(c[2] > 0);
    assertEquals(0.5 / 0.95, c[0] / 4000.0, 0.03);
  }

  @Test
  void fullDistributionAtTemperatureOneAndSharperBelow() {
    int[] c = counts(1.0, 1.0, 0, 8000);
    assertEquals(0.05, c[3] / 8000.0, 0.01);
    int[] cold = counts(0.25, 1.0, 0, 8000); // p ∝ p^4: 0.0625, 0.0081, ... -> token 0 ~ 88%
    assertEquals(0.0625 / (0.0625 + 0.0081 + 0.00050625 + 0.00000625), cold[0] / 8000.0, 0.02);
  }

  @Test
  void sameSeedSameDraws() {
    SplittableRandom a = new SplittableRandom(9), b = new SplittableRandom(9);
    for (int i = 0; i < 50; i++) {
      assertEquals(Sampler.sample(LOGITS, 1, 0.9, 0, a), Sampler.sample(LOGITS, 1, 0.9, 0, b));
    }
  }
}
