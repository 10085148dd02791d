package nla.backend;

/**
 * What a decoder block makes its attention's inputs with: the q, k and v projections and their
 * biases (each bias null where the family has none), and the per-head RMSNorm of q and k that Gemma
 * 3 applies before RoPE ({@code qNorm} and {@code kNorm} null elsewhere), with the model's norm
 * epsilon and its {@code (1 + w)} convention.
 */
public record QkvProjection(
    Weight q,
    Weight k,
    Weight v,
    Weight qBias,
    Weight kBias,
    Weight vBias,
    Weight qNorm,
    Weight kNorm,
    float normEps,
    boolean normAddsOne,
    int headDim) {

  /** {q, k, v}, as {@link Backend#matmuls} takes them. */
  public Weight[] weights() {
    return new Weight[] {q, k, v};
  }

  /** {qBias, kBias, vBias}, each possibly null. */
  public Weight[] biases() {
    return new Weight[] {qBias, kBias, vBias};
  }
}
