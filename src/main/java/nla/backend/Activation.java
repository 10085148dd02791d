package nla.backend;

/** MLP activation functions, named as transformers' {@code ACT2FN} names them. */
public enum Activation {
  /** {@code silu}: x·σ(x). */
  SILU,
  /** {@code gelu_pytorch_tanh}: 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))). */
  GELU_TANH;

  public static Activation fromConfig(String name) {
    return switch (name) {
      case "silu" -> SILU;
      case "gelu_pytorch_tanh" -> GELU_TANH;
      default -> throw new IllegalArgumentException("activation " + name);
    };
  }
}
