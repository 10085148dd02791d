package nla.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class VectorsTest {
  @Test
  void injectionNormalisesToTheScaleRatherThanMultiplying() {
    float[] v = {3, 4}; // ‖v‖ = 5
    // v / (5/150) in fp32, one division per element as the reference does: 89.99999, not 90.
    assertArrayEquals(new float[] {90, 120}, Vectors.scaleForInjection(v, 150.0), 1e-4f);
    assertArrayEquals(new float[] {3, 4}, Vectors.scaleForInjection(v, null), 0f);
  }

  @Test
  void eachProblemIsNamed() {
    assertNull(Vectors.problem(new float[] {0, 1}, 2));
    assertTrue(Vectors.problem(new float[] {1}, 2).contains("width 1 differs from d_model 2"));
    assertTrue(Vectors.problem(new float[] {0, 0}, 2).contains("all zeros"));
    assertTrue(Vectors.problem(new float[] {1, Float.NaN}, 2).contains("element 1 is NaN"));
    assertTrue(Vectors.problem(new float[] {Float.POSITIVE_INFINITY, 1}, 2).contains("not finite"));
  }

  @Test
  void sampleSeedsDependOnRowAndSampleNotOnBatchPosition() {
    VerbalizeOptions o = VerbalizeOptions.greedy().withSampling(1, 1, 0, 42);
    assertEquals(o.sampleSeed(5, 1), o.sampleSeed(5, 1));
    assertTrue(o.sampleSeed(5, 1) != o.sampleSeed(5, 2));
    assertTrue(o.sampleSeed(5, 1) != o.sampleSeed(6, 1));
    assertTrue(o.sampleSeed(5, 1) != o.withSampling(1, 1, 0, 43).sampleSeed(5, 1));
  }
}
