package nla.linalg;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The lanes of a vector summed in a fixed tree of lanewise adds. Not {@code reduceLanes(ADD)}: its
 * order is unspecified and differs between interpreted and compiled code, which would make a result
 * depend on JIT warm-up (and, in the engine, on what else is in the batch). Each step is exact IEEE
 * per lane, so the order is the same however the code runs.
 */
public final class Lanes {
  private Lanes() {}

  /** The preferred species of each element type: the shapes every kernel here is written for. */
  public static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

  public static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

  private static final VectorShuffle<Float>[] FLOAT_FOLDS = folds(F);
  private static final VectorShuffle<Double>[] DOUBLE_FOLDS = folds(D);

  public static float sum(FloatVector v) {
    for (VectorShuffle<Float> fold : FLOAT_FOLDS) v = v.add(v.rearrange(fold));
    return v.lane(0);
  }

  public static double sum(DoubleVector v) {
    for (VectorShuffle<Double> fold : DOUBLE_FOLDS) v = v.add(v.rearrange(fold));
    return v.lane(0);
  }

  /** Halving shifts: lane i gains lane i + L/2, then i + L/4, ... until lane 0 holds the sum. */
  @SuppressWarnings("unchecked")
  private static <E> VectorShuffle<E>[] folds(VectorSpecies<E> species) {
    int steps = Integer.numberOfTrailingZeros(species.length());
    VectorShuffle<E>[] out = new VectorShuffle[steps];
    for (int i = 0, shift = species.length() / 2; i < steps; i++, shift /= 2) {
      out[i] = VectorShuffle.iota(species, shift, 1, true);
    }
    return out;
  }
}
