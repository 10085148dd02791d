package nla.backend;

/**
 * How one layer attends: heads, grouped key/value heads, the score scale, a causal sliding window
 * ({@code window} keys including the query's own; 0 = unbounded) and optional tanh soft-capping of
 * the scores (0 = none).
 */
public record AttentionParams(
    int layer, int numHeads, int numKvHeads, int headDim, float scale, int window, float softcap) {}
