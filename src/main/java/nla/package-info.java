/**
 * nla: Natural Language Autoencoders in Java. Layers, top to bottom (dependencies point downward):
 *
 * <ul>
 *   <li>{@code nla.cli}: picocli commands: parse, call one API, print.
 *   <li>{@code nla.serve}: {@code nla serve}, the HTTP server with Neuronpedia's NLA API (used by
 *       the CLI only).
 *   <li>{@code nla.study}: the studies of the seed report, run directories, manifests, the report.
 *   <li>{@code nla.core}: the NLA contract: sidecar, AV prompt and injection, AR scoring, metrics.
 *   <li>{@code nla.data}: corpora, extraction, position sampler, alignment, activation parquet.
 *   <li>{@code nla.model}: Qwen2, Gemma 3, Llama written once against the backend interface.
 *   <li>{@code nla.backend}: tensors, kernels, KV cache, batching, sampling.
 *   <li>{@code nla.io}, {@code nla.text}: safetensors, config.json, npy; tokenizers, chat
 *       templates.
 * </ul>
 */
package nla;
