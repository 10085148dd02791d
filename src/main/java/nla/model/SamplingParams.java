package nla.model;

import java.util.Map;

/**
 * How to pick each new token. {@code temperature} 0 = greedy (argmax); otherwise logits are divided
 * by it, then top-k ({@code topK} 0 = off), then top-p ({@code topP} 1 = off), as transformers
 * orders its warpers. {@code seed} seeds this request's own generator, so results do not depend on
 * what else is in the batch. {@code logitBias} is added to the logits at every step (−1e9 bans a
 * token).
 */
public record SamplingParams(
    double temperature,
    double topP,
    int topK,
    long seed,
    int maxNewTokens,
    boolean ignoreEos,
    Map<Integer, Float> logitBias) {

  public static final int DEFAULT_MAX_NEW_TOKENS = 200;

  public SamplingParams {
    if (!(temperature >= 0) || Double.isInfinite(temperature))
      throw new IllegalArgumentException("temperature must be finite and >= 0: " + temperature);
    if (!(topP > 0 && topP <= 1))
      throw new IllegalArgumentException("top-p must be in (0, 1]: " + topP);
    if (topK < 0) throw new IllegalArgumentException("top-k must be >= 0: " + topK);
    if (maxNewTokens < 0) throw new IllegalArgumentException("max new tokens must be >= 0");
    logitBias = logitBias == null ? Map.of() : Map.copyOf(logitBias);
  }

  /** Greedy decoding of up to 200 new tokens, stopping at EOS. */
  public static SamplingParams greedy() {
    return new SamplingParams(0, 1, 0, 0, DEFAULT_MAX_NEW_TOKENS, false, Map.of());
  }

  public SamplingParams withMaxNewTokens(int n) {
    return new SamplingParams(temperature, topP, topK, seed, n, ignoreEos, logitBias);
  }

  public SamplingParams withIgnoreEos(boolean ignore) {
    return new SamplingParams(temperature, topP, topK, seed, maxNewTokens, ignore, logitBias);
  }

  public SamplingParams withLogitBias(Map<Integer, Float> bias) {
    return new SamplingParams(temperature, topP, topK, seed, maxNewTokens, ignoreEos, bias);
  }

  public static SamplingParams sampled(double temperature, double topP, int topK, long seed) {
    return new SamplingParams(
        temperature, topP, topK, seed, DEFAULT_MAX_NEW_TOKENS, false, Map.of());
  }
}
