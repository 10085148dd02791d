package nla.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import nla.backend.Activation;
import nla.backend.AttentionParams;
import nla.backend.AttentionSlice;
import nla.backend.Backend;
import nla.backend.KvCache;
import nla.backend.QkvProjection;
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

  /**
   * One decoder block: the backend it lives on, its index among that backend's blocks (its layer in
   * that backend's KV caches), and its weights; the optional ones are null where a family lacks
   * them.
   */
  record Block(
      Backend backend,
      int localLayer,
      Weight inputNorm,
      QkvProjection qkv, // with Gemma 3's per-head RMSNorm of q and k before RoPE
      Weight oProj,
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
   * chosen from its last logits (which then stay on the backend); or, when it was given a head,
   * {@code headed[seq]} = the head's weight times the last block run at the sequence's last token.
   */
  record StepOutput(float[][][][] captured, float[][][] logits, int[] chosen, float[][] headed) {}

  /** Consecutive blocks on one backend: [firstBlock, endBlock). */
  record Partition(Backend backend, int firstBlock, int endBlock) {}

  private final ModelConfig config;
  private final List<Partition> partitions;
  private final Weight embedTokens; // on the first partition's backend
  private final Weight finalNorm; // this and lmHead on the last partition's backend
  private final Weight lmHead;
  private final Block[] blocks;
  private final float[] fullInvFreq;
  private final float[] slidingInvFreq;
  private final Activation activation;

  /**
   * The model on {@code backends}: its blocks split into as many runs of consecutive blocks, as
   * even as they go (one backend: the whole model), the embedding on the first, the final norm and
   * lm_head on the last; a step carries the residual stream from one to the next.
   */
  Transformer(ModelConfig config, ModelWeights weights, List<Backend> backends, String dir) {
    this.config = config;
    this.partitions = partition(config.numLayers(), backends);
    ModelWeightNames names = ModelWeightNames.detect(weights, dir);
    Shapes shapes = new Shapes(weights, config, dir);
    int d = config.hiddenSize();
    Backend first = partitions.getFirst().backend();
    Backend last = partitions.getLast().backend();
    StoredTensor embed = shapes.matrix(names.embed(), config.vocabSize(), d);
    this.embedTokens = first.weight(embed);
    this.finalNorm = last.weight(shapes.vector(names.finalNorm(), d));
    String head = names.lmHeadOrNull();
    // A tied lm_head is the embedding table: shared where one backend holds both ends.
    StoredTensor headTensor = head == null ? embed : shapes.matrix(head, config.vocabSize(), d);
    this.lmHead = head == null && first == last ? embedTokens : last.weight(headTensor);
    boolean sandwich = config.family().sandwichNorms();
    this.blocks = new Block[config.numLayers()];
    for (Partition part : partitions) {
      for (int i = part.firstBlock(); i < part.endBlock(); i++) {
        blocks[i] = block(part.backend(), i, i - part.firstBlock(), names, shapes, sandwich);
      }
    }
    this.fullInvFreq = config.fullRope().inverseFrequencies(config.headDim());
    this.slidingInvFreq = config.slidingRope().inverseFrequencies(config.headDim());
    this.activation = Activation.fromConfig(config.hiddenActivation());
  }

  /** Block {@code l}'s weights on {@code backend}. */
  private Block block(
      Backend backend,
      int l,
      int localLayer,
      ModelWeightNames names,
      Shapes shapes,
      boolean sandwich) {
    int d = config.hiddenSize();
    int qDim = config.numHeads() * config.headDim();
    int kvDim = config.numKvHeads() * config.headDim();
    int ff = config.intermediateSize();
    java.util.function.Function<String, String> n = rest -> names.layer(l, rest);
    Weight inputNorm = backend.weight(shapes.vector(n.apply("input_layernorm.weight"), d));
    // q, k and v one after another (then gate and up): a backend may lay them out as one stack.
    Weight q = backend.weight(shapes.matrix(n.apply("self_attn.q_proj.weight"), qDim, d));
    Weight k = backend.weight(shapes.matrix(n.apply("self_attn.k_proj.weight"), kvDim, d));
    Weight v = backend.weight(shapes.matrix(n.apply("self_attn.v_proj.weight"), kvDim, d));
    QkvProjection qkv =
        new QkvProjection(
            q,
            k,
            v,
            optional(backend, shapes, n.apply("self_attn.q_proj.bias"), qDim),
            optional(backend, shapes, n.apply("self_attn.k_proj.bias"), kvDim),
            optional(backend, shapes, n.apply("self_attn.v_proj.bias"), kvDim),
            sandwich
                ? backend.weight(
                    shapes.vector(n.apply("self_attn.q_norm.weight"), config.headDim()))
                : null,
            sandwich
                ? backend.weight(
                    shapes.vector(n.apply("self_attn.k_norm.weight"), config.headDim()))
                : null,
            eps(),
            addOne(),
            config.headDim());
    return new Block(
        backend,
        localLayer,
        inputNorm,
        qkv,
        backend.weight(shapes.matrix(n.apply("self_attn.o_proj.weight"), d, qDim)),
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

  private static Weight optional(Backend backend, Shapes shapes, String name, int size) {
    return shapes.has(name) ? backend.weight(shapes.vector(name, size)) : null;
  }

  /**
   * Runs of consecutive blocks, one per backend: in proportion to each backend's free memory where
   * every backend counts its own (GPUs), else as even as they go (the first ones one block longer).
   */
  static List<Partition> partition(int layers, List<Backend> backends) {
    int parts = backends.size();
    if (parts < 1 || parts > layers) {
      throw new UserError(
          "cannot spread " + layers + " blocks over " + parts + " devices (1 to " + layers + ")");
    }
    long[] free = new long[parts];
    for (int k = 0; k < parts; k++) free[k] = backends.get(k).freeBytes();
    int[] sizes = blockCounts(layers, free);
    List<Partition> out = new ArrayList<>(parts);
    int first = 0;
    for (int k = 0; k < parts; k++) {
      out.add(new Partition(backends.get(k), first, first + sizes[k]));
      first += sizes[k];
    }
    return out;
  }

  /**
   * How many of {@code layers} blocks each device takes: at least one each, the rest in proportion
   * to {@code free} (largest remainders first); evenly when any device does not count its memory.
   */
  static int[] blockCounts(int layers, long[] free) {
    int parts = free.length;
    int[] sizes = new int[parts];
    boolean counted = java.util.Arrays.stream(free).allMatch(f -> f > 0 && f < Long.MAX_VALUE);
    if (!counted) {
      for (int k = 0; k < parts; k++) sizes[k] = layers / parts + (k < layers % parts ? 1 : 0);
      return sizes;
    }
    double total = 0;
    for (long f : free) total += f;
    int spare = layers - parts;
    double[] remainder = new double[parts];
    int given = 0;
    for (int k = 0; k < parts; k++) {
      double share = spare * (free[k] / total);
      sizes[k] = 1 + (int) Math.floor(share);
      remainder[k] = share - Math.floor(share);
      given += sizes[k];
    }
    while (given < layers) {
      int best = 0;
      for (int k = 1; k < parts; k++) if (remainder[k] > remainder[best]) best = k;
      sizes[best]++;
      remainder[best] = -1;
      given++;
    }
    return sizes;
  }

  /** A cache for one sequence: on one backend, or one part per partition. */
  KvCache newCache() {
    if (partitions.size() == 1) return partitionCache(partitions.getFirst());
    List<KvCache> parts = new ArrayList<>(partitions.size());
    for (Partition p : partitions) parts.add(partitionCache(p));
    return new PartitionedKvCache(parts);
  }

  private KvCache partitionCache(Partition p) {
    return p.backend()
        .newCache(p.endBlock() - p.firstBlock(), config.numKvHeads(), config.headDim());
  }

  /** The part of a sequence's cache on partition {@code k}. */
  private KvCache cacheOn(KvCache cache, int k) {
    return partitions.size() == 1 ? cache : ((PartitionedKvCache) cache).part(k);
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
    return forward(batch, numBlocks, captureBlocks, logitRows, choices, null);
  }

  /**
   * The weight of a head read from block {@code block}'s output ({@link #forwardToHead}), on the
   * backend that runs that block.
   */
  Weight headWeight(int block, StoredTensor weight) {
    if (weight.rank() != 2 || weight.dim(1) != config.hiddenSize()) {
      throw new IllegalArgumentException(
          weight.name() + ": a head's weight is [out, " + config.hiddenSize() + "]");
    }
    return partitions.get(partitionOf(block)).backend().weight(weight);
  }

  /**
   * Blocks {@code [0, block]} over each sequence's new tokens, then {@code head} ({@link
   * #headWeight}) times block {@code block}'s output at each sequence's last token, where that
   * output lies: {@code headed[seq]} is all that is read back. Each cache advances by its
   * sequence's new tokens.
   */
  StepOutput forwardToHead(List<StepInput> batch, int block, Weight head) {
    return forward(batch, block + 1, new int[0], LogitRows.NONE, null, head);
  }

  /**
   * Each new row's position, and the rows themselves into {@code hidden}: token ids through the
   * embedding, given embeddings as they are. Consecutive inputs of token ids make one embedding
   * call, so that a decode step of many sequences uploads its ids and launches its lookup once, not
   * once per sequence.
   */
  private void embedInputs(Backend be, List<StepInput> batch, Tensor hidden, int[] positions) {
    int row = 0;
    int runStart = 0;
    int[] runIds = new int[positions.length];
    int runLength = 0;
    for (StepInput s : batch) {
      for (int i = 0; i < s.length(); i++) positions[row + i] = s.cache().length() + i;
      if (s.ids() != null) {
        if (runLength == 0) runStart = row;
        System.arraycopy(s.ids(), 0, runIds, runLength, s.length());
        runLength += s.length();
      } else {
        embedRun(be, runIds, runLength, hidden, runStart);
        runLength = 0;
        be.writeRows(hidden, row, s.embeddings());
      }
      row += s.length();
    }
    embedRun(be, runIds, runLength, hidden, runStart);
  }

  private void embedRun(Backend be, int[] ids, int length, Tensor hidden, int firstRow) {
    if (length > 0) {
      be.embed(embedTokens, Arrays.copyOf(ids, length), config.embedScale(), hidden, firstRow);
    }
  }

  private StepOutput forward(
      List<StepInput> batch,
      int numBlocks,
      int[] captureBlocks,
      LogitRows logitRows,
      List<TokenChoice> choices,
      Weight head) {
    if (logitRows != LogitRows.NONE && numBlocks != config.numLayers()) {
      throw new IllegalStateException("logits need all blocks");
    }
    if (choices != null && (logitRows != LogitRows.LAST || choices.size() != batch.size())) {
      throw new IllegalArgumentException("token choices need one per sequence and LAST logits");
    }
    if (head != null && logitRows != LogitRows.NONE) {
      throw new IllegalArgumentException("a step reads either logits or a head");
    }
    int d = config.hiddenSize();
    int total = 0;
    for (StepInput s : batch) total += s.length();
    int[] positions = new int[total];
    float[][][][] captured = new float[batch.size()][captureBlocks.length][][];
    float[][][] logits = null;
    int[] chosen = null;
    float[][] headed = null;
    int lastPartition = partitionOf(numBlocks - 1);

    // One scope per backend for the whole step: a partition's tensors live until the step ends.
    List<Backend.Scope> scopes = new ArrayList<>();
    try {
      Tensor hidden = null;
      List<AttentionSlice> slices = null;
      for (int k = 0; k <= lastPartition; k++) {
        Partition part = partitions.get(k);
        Backend be = part.backend();
        scopes.add(be.openScope());
        slices = new ArrayList<>(batch.size());
        int row = 0;
        for (StepInput s : batch) {
          slices.add(new AttentionSlice(cacheOn(s.cache(), k), row, s.length()));
          row += s.length();
        }
        if (k == 0) {
          hidden = be.allocate(total, d);
          embedInputs(be, batch, hidden, positions);
        } else {
          // The residual stream moves to the next device (through the host).
          Tensor moved = be.allocate(total, d);
          be.writeRows(moved, 0, partitions.get(k - 1).backend().readRows(hidden));
          hidden = moved;
        }
        be.prepareStep(slices);
        int first = part.firstBlock();
        int end = Math.min(part.endBlock(), numBlocks);
        if (capturesAny(captureBlocks, first, end)) {
          for (int layer = first; layer < end; layer++) {
            decoderLayer(layer, hidden, positions, slices);
            for (int c = 0; c < captureBlocks.length; c++) {
              if (captureBlocks[c] == layer) capture(be, hidden, slices, c, captured);
            }
          }
        } else {
          // Nothing read back between the blocks: the backend may replay a recording of them.
          Tensor h = hidden;
          List<AttentionSlice> sl = slices;
          be.runRepeatable(
              new BlockRun(first, end),
              () -> {
                for (int layer = first; layer < end; layer++) decoderLayer(layer, h, positions, sl);
              });
        }
      }
      for (StepInput s : batch) s.cache().advance(s.length());

      Backend last = partitions.get(lastPartition).backend();
      if (choices != null) {
        chosen = last.chooseTokens(logitsTensor(last, hidden, slices, logitRows), choices);
      } else if (logitRows != LogitRows.NONE) {
        logits =
            split(last.readRows(logitsTensor(last, hidden, slices, logitRows)), slices, logitRows);
      } else if (head != null) {
        Tensor lastTokens = last.gatherRows(hidden, rowsOf(slices, LogitRows.LAST));
        headed = last.readRows(last.matmul(lastTokens, head, null));
      }
    } finally {
      for (int i = scopes.size() - 1; i >= 0; i--) scopes.get(i).close();
    }
    return new StepOutput(captured, logits, chosen, headed);
  }

  /** The shape of a run of blocks [first, end) for {@link Backend#runRepeatable}. */
  private record BlockRun(int first, int end) {}

  private static boolean capturesAny(int[] captureBlocks, int first, int end) {
    for (int b : captureBlocks) if (b >= first && b < end) return true;
    return false;
  }

  private int partitionOf(int block) {
    for (int k = 0; k < partitions.size(); k++) {
      if (block < partitions.get(k).endBlock()) return k;
    }
    throw new IllegalArgumentException("block " + block);
  }

  /**
   * One decoder block, in place on the residual stream {@code hidden}; its intermediate tensors are
   * freed when it returns.
   */
  private void decoderLayer(
      int layer, Tensor hidden, int[] positions, List<AttentionSlice> slices) {
    Block w = blocks[layer];
    Backend backend = w.backend();
    try (Backend.Scope layerScope = backend.openScope()) {
      Tensor attnOut =
          selfAttention(layer, w, norm(backend, hidden, w.inputNorm()), positions, slices);
      if (w.postAttentionNorm() != null) attnOut = norm(backend, attnOut, w.postAttentionNorm());
      Tensor mlpIn = backend.addAndNorm(hidden, attnOut, w.preMlpNorm(), eps(), addOne());

      Tensor gated = backend.gatedMatmul(mlpIn, w.gateProj(), w.upProj(), activation);
      if (w.postMlpNorm() == null) {
        backend.addMatmul(hidden, gated, w.downProj());
      } else {
        Tensor mlpOut = backend.matmul(gated, w.downProj(), null);
        backend.addInPlace(hidden, norm(backend, mlpOut, w.postMlpNorm()));
      }
    }
  }

  private Tensor selfAttention(
      int layer, Block w, Tensor x, int[] positions, List<AttentionSlice> slices) {
    Backend backend = w.backend();
    int headDim = config.headDim();
    float[] invFreq =
        config.layerTypes().get(layer) == ModelConfig.AttentionType.SLIDING
            ? slidingInvFreq
            : fullInvFreq;
    Double cap = config.attnLogitSoftcapping();
    AttentionParams params =
        new AttentionParams(
            w.localLayer(),
            config.numHeads(),
            config.numKvHeads(),
            headDim,
            (float) config.attentionScale(),
            config.windowFor(layer),
            cap == null ? 0f : cap.floatValue());
    Tensor attended = backend.selfAttention(x, w.qkv(), positions, invFreq, slices, params);
    return backend.matmul(attended, w.oProj(), null);
  }

  /**
   * The final norm and lm_head over the rows {@code which} selects (soft-capped if the model caps).
   */
  private Tensor logitsTensor(
      Backend backend, Tensor hidden, List<AttentionSlice> slices, LogitRows which) {
    Tensor normed = norm(backend, hidden, finalNorm);
    Tensor picked = backend.gatherRows(normed, rowsOf(slices, which));
    Tensor logits = backend.matmul(picked, lmHead, null);
    Double cap = config.finalLogitSoftcapping();
    if (cap != null) backend.softcapInPlace(logits, cap.floatValue());
    return logits;
  }

  /** The step's rows {@code which} selects: each sequence's last (LAST) or all of them (ALL). */
  private static int[] rowsOf(List<AttentionSlice> slices, LogitRows which) {
    List<Integer> rows = new ArrayList<>();
    for (AttentionSlice s : slices) {
      if (which == LogitRows.LAST) rows.add(s.firstRow() + s.count() - 1);
      else for (int i = 0; i < s.count(); i++) rows.add(s.firstRow() + i);
    }
    return rows.stream().mapToInt(Integer::intValue).toArray();
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

  private void capture(
      Backend backend, Tensor hidden, List<AttentionSlice> slices, int c, float[][][][] captured) {
    float[][] all = backend.readRows(hidden);
    for (int s = 0; s < slices.size(); s++) {
      AttentionSlice sl = slices.get(s);
      captured[s][c] = Arrays.copyOfRange(all, sl.firstRow(), sl.firstRow() + sl.count());
    }
  }

  /** Embedding rows times the model's embed scale, as the model's own embedding module gives. */
  float[][] embed(int[] ids) {
    Backend backend = partitions.getFirst().backend();
    try (Backend.Scope scope = backend.openScope()) {
      Tensor t = backend.allocate(ids.length, config.hiddenSize());
      backend.embed(embedTokens, ids, config.embedScale(), t, 0);
      return backend.readRows(t);
    }
  }

  private Tensor norm(Backend backend, Tensor x, Weight w) {
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
