package nla.model;

/**
 * The new tokens of one request ({@code outputIds} includes the EOS token when it stopped there, as
 * transformers' generate does) and why it stopped: {@code "eos"} or {@code "length"}.
 */
public record Generation(int[] outputIds, String finishReason) {}
