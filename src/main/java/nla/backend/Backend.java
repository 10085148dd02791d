package nla.backend;

import java.util.List;
import java.util.stream.IntStream;
import nla.io.StoredTensor;

/**
 * The operations a decoder-only transformer needs, on a batch of sequences of different lengths
 * (the rows of a {@link Tensor} are the batch's tokens, sequence after sequence). Weights are read
 * once per call for the whole batch. Activations and accumulation are fp32. The model code speaks
 * only this interface, so the CUDA backend replaces the CPU one without touching it.
 *
 * <p>Lifetimes: a tensor lives until the innermost {@link #openScope() scope} open at its
 * allocation closes (the model opens one per step and one per layer); a KV cache until it is {@link
 * KvCache#close() closed}. A backend on another device frees its memory then; the CPU backend
 * leaves it to the garbage collector.
 */
public interface Backend extends AutoCloseable {

  /** Tensors allocated while this is open are freed when it closes. Scopes nest. */
  interface Scope extends AutoCloseable {
    @Override
    void close();
  }

  /** Opens a scope for the tensors allocated from now until its close. */
  default Scope openScope() {
    return () -> {};
  }

  /** What this backend runs on, for the user and for manifests ("cpu (16 threads)", a GPU). */
  String describe();

  /**
   * Called before a model's weights are handed over ({@code bytes} as this backend will hold them):
   * a backend with its own memory refuses a model that does not fit, before loading any of it.
   */
  default void prepareWeights(long bytes, String model) {}

  /**
   * Bytes free for weights now ({@code Long.MAX_VALUE} where memory is the host's and not the
   * backend's to count): a model spread over several devices gives each a share of its blocks in
   * proportion.
   */
  default long freeBytes() {
    return Long.MAX_VALUE;
  }

  /**
   * Device memory in use now, in bytes (-1 where memory is the host's): on a GPU whose pools only
   * grow, the high-water mark of what a run has taken.
   */
  default long deviceBytesInUse() {
    return -1;
  }

  /**
   * The device's own time inside the steps so far, in nanoseconds, from each step's first recorded
   * run of blocks to its token choice (-1 where it is not measured: the CPU, whose time is the
   * host's). Against the wall time it says how long the device waited on the host between steps.
   */
  default long deviceStepNanos() {
    return -1;
  }

  /**
   * The device memory's peak read bandwidth in GB/s, as its specification gives it (NaN where it is
   * measured instead: the CPU's).
   */
  default double memoryBandwidthGBs() {
    return Double.NaN;
  }

  /** Every weight of the model has been handed over. */
  default void weightsLoaded() {}

  /**
   * Called once per step, before its first layer, with the step's sequences: a backend may lay out
   * each sequence's cache slots for the new tokens once for all layers.
   */
  default void prepareStep(List<AttentionSlice> batch) {}

  /**
   * Runs {@code work}: the device work of a step between {@link #prepareStep} and reading its
   * results, which reads nothing back to the host and whose operations depend only on {@code shape}
   * and the step's layout. A backend may record it once and replay the recording for later steps of
   * the same shape and layout (a CUDA graph: hundreds of launches become one); the CPU just runs
   * it.
   */
  default void runRepeatable(Object shape, Runnable work) {
    work.run();
  }

  /** A stored weight, kept in its dtype (the CPU reads it in place from the memory map). */
  Weight weight(StoredTensor stored);

  Tensor allocate(int rows, int cols);

  /** Host to backend: {@code values} into row {@code row}. */
  void writeRow(Tensor dst, int row, float[] values);

  /** Backend to host: one row. */
  float[] readRow(Tensor src, int row);

  /** Host to backend: {@code rows} into consecutive rows from {@code firstRow}, in one transfer. */
  default void writeRows(Tensor dst, int firstRow, float[][] rows) {
    for (int i = 0; i < rows.length; i++) writeRow(dst, firstRow + i, rows[i]);
  }

  /** Backend to host: every row (a batch's logits: megabytes a step, which a backend may split). */
  default float[][] readRows(Tensor src) {
    float[][] out = new float[src.rows()][];
    for (int r = 0; r < out.length; r++) out[r] = readRow(src, r);
    return out;
  }

  /**
   * The next token of each row of {@code logits}, as {@link Sampler#choose} picks it. A device
   * backend chooses where the logits are, so only the ids cross to the host.
   */
  default int[] chooseTokens(Tensor logits, List<TokenChoice> choices) {
    float[][] rows = readRows(logits);
    int[] out = new int[rows.length];
    IntStream all = IntStream.range(0, rows.length);
    // A scan of the vocabulary per row is, at batch 32, the largest serial piece of a CPU step.
    if (rows.length >= 4) all = all.parallel();
    all.forEach(r -> out[r] = Sampler.choose(rows[r], choices.get(r)));
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
   * A block's self-attention from its normed input x, up to (not including) o_proj: q, k and v are
   * each a projection plus its bias, q and k normed per head where the block has such norms and
   * rotated at {@code positions}, then {@link #attention}. A backend may make q, k and v as one
   * product and one pass over its output that writes the keys and values straight into the cache.
   */
  default Tensor selfAttention(
      Tensor x,
      QkvProjection p,
      int[] positions,
      float[] invFreq,
      List<AttentionSlice> batch,
      AttentionParams params) {
    Tensor[] qkv = matmuls(x, p.weights(), p.biases());
    Tensor q = qkv[0];
    Tensor k = qkv[1];
    if (p.qNorm() != null) {
      q = rmsNorm(q, p.qNorm(), p.headDim(), p.normEps(), p.normAddsOne());
      k = rmsNorm(k, p.kNorm(), p.headDim(), p.normEps(), p.normAddsOne());
    }
    rope(q, p.headDim(), positions, invFreq);
    rope(k, p.headDim(), positions, invFreq);
    return attention(q, k, qkv[2], batch, params);
  }

  /**
   * Causal attention for a batch: appends each sequence's new keys/values to its cache at layer
   * {@code p.layer()}, then attends each new query over the cache. Returns [N, heads·headDim].
   */
  Tensor attention(Tensor q, Tensor k, Tensor v, List<AttentionSlice> batch, AttentionParams p);

  /** {@code act(gate) · up}, elementwise. */
  Tensor gatedActivation(Tensor gate, Tensor up, Activation act);

  /** {@code acc += x}. */
  void addInPlace(Tensor acc, Tensor x);

  /**
   * {@code acc += x · wᵀ}: a block's last product added to the residual stream, which a backend may
   * add as it writes the product.
   */
  default void addMatmul(Tensor acc, Tensor x, Weight w) {
    addInPlace(acc, matmul(x, w, null));
  }

  /**
   * {@code acc += x}, then the RMSNorm of each row of {@code acc} (the residual add and the norm
   * that follows it), which a backend may do in one pass.
   */
  default Tensor addAndNorm(Tensor acc, Tensor x, Weight w, float eps, boolean addOne) {
    addInPlace(acc, x);
    return rmsNorm(acc, w, acc.cols(), eps, addOne);
  }

  /** {@code x = cap · tanh(x / cap)}, in place. */
  void softcapInPlace(Tensor x, float cap);

  KvCache newCache(int layers, int kvHeads, int headDim);

  @Override
  void close();
}
