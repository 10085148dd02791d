package nla.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import nla.backend.Activation;
import nla.backend.AttentionParams;
import nla.backend.AttentionSlice;
import nla.backend.Backend;
import nla.backend.KvCache;
import nla.backend.Tensor;
import nla.backend.TokenChoice;
import nla.backend.Weight;
import nla.io.ModelWeights;
import nla.io.StoredTensor;
import nla.io.UserError;

/**
 * Qwen2, Llama and Gemma 3 decoders, written once against the {@link Backend}. It reads like
 * transformers' {@code modeling_qwen2.py} / {@code modeling_gemma3.py}: embed, then per block
 * {@code h += attn(norm(h))} and {@code h += mlp(norm(h))}, final norm, lm_head. The families
 * differ only in data: Gemma's sandwich norms and q/k norms are present or null, its norms add one,
 * its embeddings are scaled, its layers alternate sliding-window and global attention with their
 * own RoPE, its logits may be soft-capped.
 *
 * <p>One call to {@link #forward} is one step for a batch of sequences: each brings its new tokens
 * (a whole prompt at prefill, one token at decode) and its own KV cache.
 */
final class Transformer {

  /** One decoder block's weights; the optional ones are null where a family lacks them. */
  record Block(
      Weight inputNorm,
      Weight qProj,
      Weight qBias,
      Weight kProj,
      Weight kBias,
      Weight vProj,
      Weight vBias,
      Weight oProj,
      Weight qNorm, // Gemma 3: per-head RMSNorm of q and k before RoPE
      Weight kNorm,
      Weight postAttentionNorm, // Gemma 3: norms the attention output before the residual add
      Weight preMlpNorm, // Llama/Qwen2 call it post_attention_layernorm; Gemma pre_feedforward
      Weight postMlpNorm, // Gemma 3: norms the MLP output before the residual add
      Weight gateProj,
      Weight upProj,
      Weight downProj) {}

  /** One sequence's part of a step: new tokens as ids or input embeddings, and its cache. */
  record StepInput(KvCache cache, int[] ids, float[][] embeddings) {
    int length() {
      return ids != null ? ids.length : embeddings.length;
    }
  }

  enum LogitRows {
    NONE,
    LAST,
    ALL
  }

  /**
   * What a step returns: {@code captured[seq][c]} = [T][d] output of block {@code captureBlocks[c]}
   * for that sequence's new tokens; {@code logits[seq]} = its last token's logits (LAST) or all its
   * tokens' (ALL); or, when the step was given token choices, {@code chosen[seq]} = the token
   * chosen from its last logits (which then stay on the backend).
   */
  record StepOutput(float[][][][] captured, float[][][] logits, int[] chosen) {}

  private final ModelConfig config;
  private final Backend backend;
  private final Weight embedTokens;
  private final Weight finalNorm;
  private final Weight lmHead;
  private final Block[] blocks;
  private final float[] fullInvFreq;
  private final float[] slidingInvFreq;
  private final Activation activation;

  Transformer(ModelConfig config, ModelWeights weights, Backend backend, String dir) {
    this.config = config;
    this.backend = backend;
    ModelWeightNames names = ModelWeightNames.detect(weights, dir);
    Shapes shapes = new Shapes(weights, config, dir);
    int d = config.hiddenSize();
    int qDim = config.numHeads() * config.headDim();
    int kvDim = config.numKvHeads() * config.headDim();
    int ff = config.intermediateSize();
    this.embedTokens = backend.weight(shapes.matrix(names.embed(), config.vocabSize(), d));
    this.finalNorm = backend.weight(shapes.vector(names.finalNorm(), d));
    String head = names.lmHeadOrNull();
    this.lmHead =
        head == null ? embedTokens : backend.weight(shapes.matrix(head, config.vocabSize(), d));
    boolean sandwich = config.family().sandwichNorms();
    this.blocks = new Block[config.numLayers()];
    for (int i = 0; i < blocks.length; i++) {
      int l = i;
      java.util.function.Function<String, String> n = rest -> names.layer(l, rest);
      blocks[i] =
          new Block(
              backend.weight(shapes.vector(n.apply("input_layernorm.weight"), d)),
              backend.weight(shapes.matrix(n.apply("self_attn.q_proj.weight"), qDim, d)),
              optional(shapes, n.apply("self_attn.q_proj.bias"), qDim),
              backend.weight(shapes.matrix(n.apply("self_attn.k_proj.weight"), kvDim, d)),
              optional(shapes, n.apply("self_attn.k_proj.bias"), kvDim),
              backend.weight(shapes.matrix(n.apply("self_attn.v_proj.weight"), kvDim, d)),
              optional(shapes, n.apply("self_attn.v_proj.bias"), kvDim),
              backend.weight(shapes.matrix(n.apply("self_attn.o_proj.weight"), d, qDim)),
              sandwich
                  ? backend.weight(
                      shapes.vector(n.apply("self_attn.q_norm.weight"), config.headDim()))
                  : null,
              sandwich
                  ? backend.weight(
                      shapes.vector(n.apply("self_attn.k_norm.weight"), config.headDim()))
                  : null,
              sandwich
                  ? backend.weight(shapes.vector(n.apply("post_attention_layernorm.weight"), d))
                  : null,
              backend.weight(
                  shapes.vector(
                      n.apply(
                          sandwich
                              ? "pre_feedforward_layernorm.weight"
                              : "post_attention_layernorm.weight"),
                      d)),
              sandwich
                  ? backend.weight(shapes.vector(n.apply("post_feedforward_layernorm.weight"), d))
                  : null,
              backend.weight(shapes.matrix(n.apply("mlp.gate_proj.weight"), ff, d)),
              backend.weight(shapes.matrix(n.apply("mlp.up_proj.weight"), ff, d)),
              backend.weight(shapes.matrix(n.apply("mlp.down_proj.weight"), d, ff)));
    }
    this.fullInvFreq = config.fullRope().inverseFrequencies(config.headDim());
    this.slidingInvFreq = config.slidingRope().inverseFrequencies(config.headDim());
    this.activation = Activation.fromConfig(config.hiddenActivation());
  }

  private Weight optional(Shapes shapes, String name, int size) {
    return shapes.has(name) ? backend.weight(shapes.vector(name, size)) : null;
  }

  KvCache newCache() {
    return backend.newCache(config.numLayers(), config.numKvHeads(), config.headDim());
  }

  /**
   * Runs blocks {@code [0, numBlocks)} over each sequence's new tokens, capturing the listed block
   * outputs; with {@code logitRows} != NONE all blocks must run and the final norm and lm_head
   * follow. Each cache advances by its sequence's new tokens.
   */
  StepOutput forward(
      List<StepInput> batch, int numBlocks, int[] captureBlocks, LogitRows logitRows) {
    return forward(batch, numBlocks, captureBlocks, logitRows, null);
  }

  /**
   * {@link #forward(List, int, int[], LogitRows)}, and with {@code choices} (one per sequence, LAST
   * logits) each sequence's next token chosen on the backend instead of its logits returned.
   */
  StepOutput forward(
      List<StepInput> batch,
      int numBlocks,
      int[] captureBlocks,
      LogitRows logitRows,
      List<TokenChoice> choices) {
    if (logitRows != LogitRows.NONE && numBlocks != config.numLayers()) {
      throw new IllegalStateException("logits need all blocks");
    }
    if (choices != null && (logitRows != LogitRows.LAST || choices.size() != batch.size())) {
      throw new IllegalArgumentException("token choices need one per sequence and LAST logits");
    }
    int d = config.hiddenSize();
    int total = 0;
    for (StepInput s : batch) total += s.length();
    int[] positions = new int[total];
    List<AttentionSlice> slices = new ArrayList<>(batch.size());
    float[][][][] captured = new float[batch.size()][captureBlocks.length][][];
    float[][][] logits = null;
    int[] chosen = null;

    try (Backend.Scope step = backend.openScope()) {
      Tensor hidden = backend.allocate(total, d);
      int row = 0;
      for (StepInput s : batch) {
        slices.add(new AttentionSlice(s.cache(), row, s.length()));
        for (int i = 0; i < s.length(); i++) positions[row + i] = s.cache().length() + i;
        if (s.ids() != null) {
          backend.embed(embedTokens, s.ids(), config.embedScale(), hidden, row);
        } else {
          backend.writeRows(hidden, row, s.embeddings());
        }
        row += s.length();
      }
      backend.prepareStep(slices);

      for (int layer = 0; layer < numBlocks; layer++) {
        try (Backend.Scope layerScope = backend.openScope()) {
          decoderLayer(layer, hidden, positions, slices);
        }
        for (int c = 0; c < captureBlocks.length; c++) {
          if (captureBlocks[c] == layer) capture(hidden, slices, c, captured);
        }
      }
      for (StepInput s : batch) s.cache().advance(s.length());

      if (choices != null) {
        chosen = backend.chooseTokens(logitsTensor(hidden, slices, logitRows), choices);
      } else if (logitRows != LogitRows.NONE) {
        logits =
            split(backend.readRows(logitsTensor(hidden, slices, logitRows)), slices, logitRows);
      }
    }
    return new StepOutput(captured, logits, chosen);
  }

  /** One decoder block, in place on the residual stream {@code hidden}. */
  private void decoderLayer(
      int layer, Tensor hidden, int[] positions, List<AttentionSlice> slices) {
    Block w = blocks[layer];

    Tensor attnOut = selfAttention(layer, w, norm(hidden, w.inputNorm()), positions, slices);
    if (w.postAttentionNorm() != null) attnOut = norm(attnOut, w.postAttentionNorm());
    backend.addInPlace(hidden, attnOut);

    Tensor mlpOut = mlp(w, norm(hidden, w.preMlpNorm()));
    if (w.postMlpNorm() != null) mlpOut = norm(mlpOut, w.postMlpNorm());
    backend.addInPlace(hidden, mlpOut);
  }

  private Tensor selfAttention(
      int layer, Block w, Tensor x, int[] positions, List<AttentionSlice> slices) {
    int headDim = config.headDim();
    Tensor[] qkv =
        backend.matmuls(
            x,
            new Weight[] {w.qProj(), w.kProj(), w.vProj()},
            new Weight[] {w.qBias(), w.kBias(), w.vBias()});
    Tensor q = qkv[0];
    Tensor k = qkv[1];
    Tensor v = qkv[2];
    if (w.qNorm() != null) {
      q = backend.rmsNorm(q, w.qNorm(), headDim, eps(), addOne());
      k = backend.rmsNorm(k, w.kNorm(), headDim, eps(), addOne());
    }
    float[] invFreq =
        config.layerTypes().get(layer) == ModelConfig.AttentionType.SLIDING
            ? slidingInvFreq
            : fullInvFreq;
    backend.rope(q, headDim, positions, invFreq);
    backend.rope(k, headDim, positions, invFreq);
    Double cap = config.attnLogitSoftcapping();
    AttentionParams params =
        new AttentionParams(
            layer,
            config.numHeads(),
            config.numKvHeads(),
            headDim,
            (float) config.attentionScale(),
            config.windowFor(layer),
            cap == null ? 0f : cap.floatValue());
    Tensor attended = backend.attention(q, k, v, slices, params);
    return backend.matmul(attended, w.oProj(), null);
  }

  private Tensor mlp(Block w, Tensor x) {
    Tensor gated = backend.gatedMatmul(x, w.gateProj(), w.upProj(), activation);
    return backend.matmul(gated, w.downProj(), null);
  }

  /**
   * The final norm and lm_head over the rows {@code which} selects (soft-capped if the model caps).
   */
  private Tensor logitsTensor(Tensor hidden, List<AttentionSlice> slices, LogitRows which) {
    Tensor normed = norm(hidden, finalNorm);
    List<Integer> rows = new ArrayList<>();
    for (AttentionSlice s : slices) {
      if (which == LogitRows.LAST) rows.add(s.firstRow() + s.count() - 1);
      else for (int i = 0; i < s.count(); i++) rows.add(s.firstRow() + i);
    }
    Tensor picked = backend.gatherRows(normed, rows.stream().mapToInt(Integer::intValue).toArray());
    Tensor logits = backend.matmul(picked, lmHead, null);
    Double cap = config.finalLogitSoftcapping();
    if (cap != null) backend.softcapInPlace(logits, cap.floatValue());
    return logits;
  }

  /** Logit rows per sequence: one each (LAST) or one per new token (ALL). */
  private static float[][][] split(
      float[][] rowsRead, List<AttentionSlice> slices, LogitRows which) {
    float[][][] out = new float[slices.size()][][];
    int r = 0;
    for (int s = 0; s < slices.size(); s++) {
      int n = which == LogitRows.LAST ? 1 : slices.get(s).count();
      out[s] = new float[n][];
      for (int i = 0; i < n; i++) out[s][i] = rowsRead[r++];
    }
    return out;
  }

  private void capture(Tensor hidden, List<AttentionSlice> slices, int c, float[][][][] captured) {
    float[][] all = backend.readRows(hidden);
    for (int s = 0; s < slices.size(); s++) {
      AttentionSlice sl = slices.get(s);
      captured[s][c] = Arrays.copyOfRange(all, sl.firstRow(), sl.firstRow() + sl.count());
    }
  }

  /** Embedding rows times the model's embed scale, as the model's own embedding module gives. */
  float[][] embed(int[] ids) {
    try (Backend.Scope scope = backend.openScope()) {
      Tensor t = backend.allocate(ids.length, config.hiddenSize());
      backend.embed(embedTokens, ids, config.embedScale(), t, 0);
      return backend.readRows(t);
    }
  }

  private Tensor norm(Tensor x, Weight w) {
    return backend.rmsNorm(x, w, x.cols(), eps(), addOne());
  }

  private float eps() {
    return (float) config.rmsNormEps();
  }

  private boolean addOne() {
    return config.family().normAddsOne();
  }

  /** Looks tensors up and checks their shapes against the config, naming the tensor on failure. */
  private record Shapes(ModelWeights weights, ModelConfig config, String dir) {
    boolean has(String name) {
      return weights.has(name);
    }

    StoredTensor matrix(String name, int rows, int cols) {
      StoredTensor t = get(name);
      if (t.rank() != 2 || t.shape()[0] != rows || t.shape()[1] != cols) {
        throw new UserError(
            t.file()
                + ": tensor "
                + name
                + " has shape "
                + t.shapeString()
                + ", config.json implies ["
                + rows
                + ", "
                + cols
                + "]");
      }
      return t;
    }

    StoredTensor vector(String name, int size) {
      StoredTensor t = get(name);
      if (t.rank() != 1 || t.shape()[0] != size) {
        throw new UserError(
            t.file()
                + ": tensor "
                + name
                + " has shape "
                + t.shapeString()
                + ", config.json implies ["
                + size
                + "]");
      }
      return t;
    }

    private StoredTensor get(String name) {
      if (!weights.has(name)) throw new UserError(dir + ": weights lack tensor " + name);
      return weights.get(name);
    }
  }
}
