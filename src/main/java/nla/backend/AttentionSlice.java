package nla.backend;

/**
 * One sequence's part of a batched attention call: its rows {@code [firstRow, firstRow + count)} of
 * q, k and v are its new tokens, at positions {@code cache.length() ...}.
 */
public record AttentionSlice(KvCache cache, int firstRow, int count) {}
