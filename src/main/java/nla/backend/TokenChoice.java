package nla.backend;

/**
 * How one sequence's next token is chosen from its row of logits: {@code biasIds[i]} gets {@code
 * biasValues[i]} added first; then greedy (temperature 0) or temperature → top-k → top-p → a draw
 * at {@code uniform} ∈ [0, 1), which the caller takes from the sequence's own seeded generator, so
 * a choice made on a device equals the one made on the host.
 */
public record TokenChoice(
    double temperature, double topP, int topK, int[] biasIds, float[] biasValues, double uniform) {

  public TokenChoice {
    if (biasIds.length != biasValues.length) throw new IllegalArgumentException("bias lengths");
  }

  public boolean greedy() {
    return temperature <= 0;
  }
}
