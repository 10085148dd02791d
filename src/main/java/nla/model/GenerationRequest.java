package nla.model;

/** A prompt (ids or input embeddings) and how to continue it. */
public record GenerationRequest(SequenceInput prompt, SamplingParams params) {}
