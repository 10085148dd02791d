package nla.backend;

import java.util.List;
import nla.io.StoredTensor;

/**
 * The operations a decoder-only transformer needs, on a batch of sequences of different lengths
 * (the rows of a {@link Tensor} are the batch's tokens, sequence after sequence). Weights are read
 * once per call for the whole batch. Activations and accumulation are fp32. The model code speaks
 * only this interface, so a CUDA backend can replace the CPU one without touching it.
 */
public interface Backend extends AutoCloseable {

  /** A stored weight, kept in its dtype (the CPU reads it in place from the memory map). */
  Weight weight(StoredTensor stored);

  Tensor allocate(int rows, int cols);

  /** Host to backend: {@code values} into row {@code row}. */
  void writeRow(Tensor dst, int row, float[] values);

  /** Backend to host: one row. */
  float[] readRow(Tensor src, int row);

  /** Backend to host: every row (a batch's logits: megabytes a step, which a backend may split). */
  default float[][] readRows(Tensor src) {
    float[][] out = new float[src.rows()][];
    for (int r = 0; r < out.length; r++) out[r] = readRow(src, r);
    return out;
  }

  /** Rows {@code ids} of an embedding table times {@code scale} (fp32), into dst from firstRow. */
  void embed(Weight table, int[] ids, float scale, Tensor dst, int firstRow);

  /** {@code x · wᵀ (+ bias)}: [N, in] × [out, in]ᵀ → [N, out]; bias may be null. */
  Tensor matmul(Tensor x, Weight w, Weight bias);

  /**
   * {@link #matmul} of one input by several weights (a layer's q, k and v projections): a backend
   * may read the input once and dispatch once for all of them.
   */
  default Tensor[] matmuls(Tensor x, Weight[] ws, Weight[] biases) {
    Tensor[] out = new Tensor[ws.length];
    for (int i = 0; i < ws.length; i++) out[i] = matmul(x, ws[i], biases[i]);
    return out;
  }

  /**
   * {@code act(x·gateᵀ) · (x·upᵀ)}: the gated MLP's input half, which a backend may compute in one
   * pass, applying the activation while each block of rows is in cache.
   */
  default Tensor gatedMatmul(Tensor x, Weight gate, Weight up, Activation act) {
    return gatedActivation(matmul(x, gate, null), matmul(x, up, null), act);
  }

  /** The listed rows of x only (e.g. the last token of each sequence), then {@link #matmul}. */
  Tensor gatherRows(Tensor x, int[] rows);

  /**
   * RMSNorm over each group of {@code groupSize} columns (a row = one group for the hidden state,
   * one head for q/k norms): {@code x / sqrt(mean(x²) + eps) · w}, or {@code · (1 + w)} when {@code
   * addOne} (Gemma).
   */
  Tensor rmsNorm(Tensor x, Weight w, int groupSize, float eps, boolean addOne);

  /**
   * Rotary embedding in place on every head of x ([N, heads·headDim]), halves rotated
   * (transformers' rotate_half), angle = position · invFreq[i] in fp32.
   */
  void rope(Tensor x, int headDim, int[] positions, float[] invFreq);

  /**
   * Causal attention for a batch: appends each sequence's new keys/values to its cache at layer
   * {@code p.layer()}, then attends each new query over the cache. Returns [N, heads·headDim].
   */
  Tensor attention(Tensor q, Tensor k, Tensor v, List<AttentionSlice> batch, AttentionParams p);

  /** {@code act(gate) · up}, elementwise. */
  Tensor gatedActivation(Tensor gate, Tensor up, Activation act);

  /** {@code acc += x}. */
  void addInPlace(Tensor acc, Tensor x);

  /** {@code x = cap · tanh(x / cap)}, in place. */
  void softcapInPlace(Tensor x, float cap);

  KvCache newCache(int layers, int kvHeads, int headDim);

  @Override
  void close();
}
