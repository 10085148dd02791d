package nla.model;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.ObjIntConsumer;
import nla.backend.Backend;
import nla.backend.Backends;
import nla.backend.DeviceSpec;
import nla.backend.KvCache;
import nla.backend.TokenChoice;
import nla.backend.Weight;
import nla.io.ModelWeights;
import nla.io.StoredTensor;
import nla.io.UserError;

/**
 * A Hugging Face causal LM directory, loaded for inference: forward from token ids or input
 * embeddings, block-output capture (running only the blocks needed), full logits, and batched
 * KV-cached generation. Weights stay memory-mapped until {@link #close()}.
 */
public final class LanguageModel implements AutoCloseable {
  /** Prompts are prefilled in groups of at most this many tokens (bounds activation memory). */
  static final int PREFILL_TOKEN_BUDGET = 4096;

  /** The caller says nothing of a shared prefix: prompts of ids share their common ids. */
  static final int PREFIX_UNKNOWN = -1;

  // The CLI's global --bf16: every model a command loads takes the opt-in bf16 mode.
  private static volatile boolean bf16ByDefault;
  // The CLI's global --device (and a study plan's device:): where every model a command loads runs;
  // null = the process default (NLA_DEVICE, else auto).
  private static volatile DeviceSpec defaultDevice;

  private final ModelConfig config;
  private final ModelWeights weights;
  private final List<Backend> backends; // one per partition of the blocks; usually one
  private final Transformer transformer;
  private final Path dir;
  private final java.util.concurrent.atomic.AtomicLong prefillTokensSaved =
      new java.util.concurrent.atomic.AtomicLong();

  private LanguageModel(
      Path dir, ModelConfig config, ModelWeights weights, List<Backend> backends) {
    this.dir = dir;
    this.config = config;
    this.weights = weights;
    this.backends = List.copyOf(backends);
    this.transformer = new Transformer(config, weights, backends, dir.toString());
  }

  public static LanguageModel load(Path dir) {
    return load(dir, Runtime.getRuntime().availableProcessors());
  }

  public static LanguageModel load(Path dir, int threads) {
    return load(dir, threads, bf16ByDefault);
  }

  /** Whether {@link #load(Path)} and {@link #load(Path, int)} take the opt-in bf16 mode. */
  public static void setBf16ByDefault(boolean on) {
    bf16ByDefault = on;
  }

  public static boolean bf16ByDefault() {
    return bf16ByDefault;
  }

  /**
   * Where {@link #load(Path)} and its siblings put the models they load; null returns to the
   * process default ({@link DeviceSpec#processDefault()}).
   */
  public static void setDefaultDevice(DeviceSpec device) {
    defaultDevice = device;
  }

  /**
   * The device {@link #setDefaultDevice} chose (the command line's {@code --device}), or null where
   * none was chosen and {@link #defaultDevice()} is the process default: what a command that runs
   * other commands passes on to them.
   */
  public static DeviceSpec chosenDevice() {
    return defaultDevice;
  }

  public static DeviceSpec defaultDevice() {
    DeviceSpec d = defaultDevice;
    return d != null ? d : DeviceSpec.processDefault();
  }

  /** The default device as this machine resolves it, with its precision (for manifests). */
  public static String describeDefaultDevice() {
    String where = Backends.describe(defaultDevice());
    if (!Backends.isCpu(where)) return where + ", " + GPU_ARITHMETIC;
    return where + ", " + cpuArithmetic();
  }

  /**
   * The arithmetic the default device's models compute in, without the card, its driver or the
   * thread count: what a run's identity records, so a study begun in one arithmetic is not resumed
   * in another (its rows would mix fp32 and bf16 results), where {@link #describeDefaultDevice}
   * records the machine of each session.
   */
  public static String describeDefaultArithmetic() {
    String where = Backends.describe(defaultDevice());
    return Backends.isCpu(where) ? "cpu, " + cpuArithmetic() : "cuda, " + GPU_ARITHMETIC;
  }

  private static final String GPU_ARITHMETIC = "bf16 weights and products";

  /** Decodes run together by default on the CPU: {@link #defaultBatch(boolean)}. */
  public static final int CPU_DEFAULT_BATCH = 16;

  /** Decodes run together by default on a GPU: {@link #defaultBatch(boolean)}. */
  public static final int GPU_DEFAULT_BATCH = 256;

  /**
   * How many decodes run together (an AV's batch, a study's rows per AV/AR batch) when none is
   * given: {@link #defaultBatch(boolean)} for where the {@link #defaultDevice()} resolves on this
   * machine ({@link Backends#describe}, as {@link #describeDefaultArithmetic} does). Asked when the
   * batch is used, so a device chosen after the options were read (a plan's {@code device:})
   * counts.
   */
  public static int defaultBatch() {
    return defaultBatch(defaultDevice());
  }

  /** {@link #defaultBatch(boolean)} for where {@code device} resolves on this machine. */
  public static int defaultBatch(DeviceSpec device) {
    return defaultBatch(!Backends.isCpu(Backends.describe(device)));
  }

  /**
   * The one rule for the default number of decodes run together: {@value #CPU_DEFAULT_BATCH} on the
   * CPU, {@value #GPU_DEFAULT_BATCH} on a GPU. The CPU's decode throughput is best at about 16
   * decodes together. A GPU's step is bound by reading the weights, which a batch shares, so it
   * wants hundreds: a decode's throughput grows from ~160 tok/s at 1 sequence to ~8,700 at 128.
   * Memory is not a risk at 256: continuous batching admits a request only when its KV cache fits
   * ({@code ContinuousBatch.admit}), so the rest wait their turn.
   */
  public static int defaultBatch(boolean onGpu) {
    return onGpu ? GPU_DEFAULT_BATCH : CPU_DEFAULT_BATCH;
  }

  private static String cpuArithmetic() {
    return bf16ByDefault ? "bf16 activations (AMX)" : "fp32";
  }

  /**
   * On the {@link #defaultDevice()}. With {@code bf16Activations}, the CPU backend's opt-in
   * reduced-precision mode (activations rounded to bf16, products on AMX tiles); a GPU always
   * multiplies in bf16.
   */
  public static LanguageModel load(Path dir, int threads, boolean bf16Activations) {
    return load(dir, defaultDevice(), threads, bf16Activations);
  }

  public static LanguageModel load(
      Path dir, DeviceSpec device, int threads, boolean bf16Activations) {
    ModelConfig config = ModelConfig.load(dir);
    ModelWeights weights = ModelWeights.openFinite(dir);
    List<Backend> backends;
    try {
      backends =
          Backends.open(device, threads, bf16Activations, textWeightBytes(weights), dir.toString());
    } catch (RuntimeException e) {
      weights.close();
      throw e;
    }
    return load(dir, config, weights, backends);
  }

  /**
   * On {@code backends}, which the model then owns (closes): its blocks spread over them in
   * consecutive runs, the residual stream carried from one to the next. Several backends of one
   * machine give the same results as one (each row's arithmetic is the same wherever it runs).
   */
  public static LanguageModel load(Path dir, List<Backend> backends) {
    return load(dir, ModelConfig.load(dir), ModelWeights.openFinite(dir), backends);
  }

  private static LanguageModel load(
      Path dir, ModelConfig config, ModelWeights weights, List<Backend> backends) {
    try {
      long bytes = textWeightBytes(weights);
      // Each backend holds its share of the blocks (the embedding and lm_head ends are the extra).
      for (Backend b : backends) b.prepareWeights(bytes / backends.size(), dir.toString());
      LanguageModel model = new LanguageModel(dir, config, weights, backends);
      for (Backend b : backends) b.weightsLoaded();
      return model;
    } catch (RuntimeException e) {
      for (Backend b : backends) b.close();
      weights.close();
      throw e;
    }
  }

  /**
   * The bytes of the decoder's weights on a bf16 device (matrices bf16, vectors fp32): every stored
   * tensor but a multimodal checkpoint's vision tower and projector, which the decoder never reads.
   */
  private static long textWeightBytes(ModelWeights weights) {
    long n = 0;
    for (StoredTensor t : weights.tensors().values()) {
      String name = t.name();
      if (name.contains("vision_tower") || name.contains("multi_modal_projector")) continue;
      n += t.rank() == 2 ? 2L * t.elementCount() : 4L * t.elementCount();
    }
    return n;
  }

  /**
   * What the model runs on ("cpu (16 threads, fp32)", a GPU's name and precision; " + "-joined).
   */
  public String device() {
    return String.join(" + ", backends.stream().map(Backend::describe).toList());
  }

  /** Whether the model runs on GPUs (a model is on the CPU or on GPUs only). */
  public boolean onGpu() {
    return !Backends.isCpu(device());
  }

  /** Device memory the model's backends have in use (-1 on the CPU). */
  public long deviceBytesInUse() {
    long sum = 0;
    for (Backend b : backends) {
      long used = b.deviceBytesInUse();
      if (used < 0) return -1;
      sum += used;
    }
    return sum;
  }

  /**
   * The device's own time inside the steps so far ({@link Backend#deviceStepNanos}); -1 on the CPU
   * and for a model spread over several devices, whose steps pass from one to the next.
   */
  public long deviceStepNanos() {
    return backends.size() == 1 ? backends.get(0).deviceStepNanos() : -1;
  }

  /**
   * The peak memory bandwidth a decode step is bound by: the slowest device's (NaN where it is
   * measured instead, on the CPU).
   */
  public double memoryBandwidthGBs() {
    return backends.stream().mapToDouble(Backend::memoryBandwidthGBs).min().orElse(Double.NaN);
  }

  public ModelConfig config() {
    return config;
  }

  public Path dir() {
    return dir;
  }

  /** Embedding rows times the model's embed scale (√hidden in fp32 for Gemma 3, else 1). */
  public float[][] embed(int[] ids) {
    checkIds(ids, "token ids");
    return transformer.embed(ids);
  }

  /**
   * Per sequence, per requested block K (in the order given): the [T][d] output of block K (=
   * transformers' {@code hidden_states[K+1]}, before any final norm). Runs only blocks {@code
   * 0..max(blocks)}.
   */
  public List<float[][][]> hiddenStates(List<SequenceInput> batch, int[] blocks) {
    if (blocks.length == 0) throw new UserError("no layer requested");
    int max = -1;
    for (int b : blocks) {
      checkBlock(b);
      max = Math.max(max, b);
    }
    int numBlocks = max + 1;
    List<float[][][]> out = new ArrayList<>(batch.size());
    prefill(
        batch,
        numBlocks,
        blocks,
        (shared, steps) -> {
          Transformer.StepOutput r =
              transformer.forward(steps, numBlocks, blocks, Transformer.LogitRows.NONE);
          for (float[][][] captured : r.captured()) {
            out.add(shared == null ? captured : shared.prepend(captured));
          }
        });
    return out;
  }

  /**
   * A [out, hidden] weight (an AR's value head) to apply to block {@code block}'s output at each
   * sequence's last token: handed to the backend that runs the block, once, here. The caller keeps
   * {@code weight}'s memory map open while the head is in use.
   */
  public LastTokenHead lastTokenHead(int block, StoredTensor weight) {
    checkBlock(block);
    return new LastTokenHead(this, block, transformer.headWeight(block, weight));
  }

  /** {@link LastTokenHead#apply}: batched as {@link #hiddenStates}, the product on the backend. */
  float[][] applyHead(List<SequenceInput> batch, int block, Weight head) {
    List<float[]> out = new ArrayList<>(batch.size());
    prefill(
        batch,
        block + 1,
        new int[0],
        (shared, steps) ->
            out.addAll(List.of(transformer.forwardToHead(steps, block, head).headed())));
    return out.toArray(float[][]::new);
  }

  /** One group of whole sequences run together, after any prefix they share ({@link #prefill}). */
  private interface PrefillGroup {
    /**
     * Runs {@code steps} (each holding its own copy of the shared prefix's cache, if there is one)
     * and keeps the results, in order.
     */
    void run(SharedPrefix shared, List<Transformer.StepInput> steps);
  }

  /**
   * Whole sequences through blocks {@code [0, numBlocks)}: the prefix they share run once
   * (capturing {@code capture}) and counted as saved, the rest in groups within the prefill token
   * budget, each group handed to {@code group} in order. Every cache is closed on the way out.
   */
  private void prefill(
      List<SequenceInput> batch, int numBlocks, int[] capture, PrefillGroup group) {
    for (SequenceInput s : batch) validate(s);
    SharedPrefix shared = sharePrefix(batch, PREFIX_UNKNOWN, numBlocks, capture);
    if (shared != null) prefillTokensSaved.addAndGet((long) shared.length() * (batch.size() - 1));
    try {
      List<SequenceInput> rest = shared == null ? batch : shared.suffixes(batch);
      for (List<SequenceInput> sequences : prefillGroups(rest)) {
        List<Transformer.StepInput> steps = new ArrayList<>();
        try {
          for (SequenceInput s : sequences) {
            KvCache cache = shared == null ? transformer.newCache() : shared.cache().copy();
            steps.add(stepInput(cache, s));
          }
          group.run(shared, steps);
        } finally {
          for (Transformer.StepInput s : steps) s.cache().close();
        }
      }
    } finally {
      if (shared != null) shared.cache().close();
    }
  }

  private void checkBlock(int block) {
    if (block < 0 || block >= config.numLayers()) {
      throw new UserError(
          "layer " + block + " out of range: the model has blocks 0.." + (config.numLayers() - 1));
    }
  }

  /** [T][vocab] logits of every position, after the full model. */
  public float[][] logits(SequenceInput input) {
    validate(input);
    try (KvCache cache = transformer.newCache()) {
      Transformer.StepOutput r =
          transformer.forward(
              List.of(stepInput(cache, input)),
              config.numLayers(),
              new int[0],
              Transformer.LogitRows.ALL);
      return r.logits()[0];
    }
  }

  /**
   * Continues every request, batched: prompts are prefilled together, then each step decodes one
   * token for every unfinished request in a single forward. Each request has its own KV cache and
   * its own random generator seeded from its params, so its result does not depend on the batch.
   */
  public List<Generation> generate(List<GenerationRequest> batch) {
    return generate(batch, Integer.MAX_VALUE);
  }

  /**
   * Continuous batching: at most {@code maxActive} requests decode together; when one finishes, its
   * cache is given back and the next waiting request takes its place at the next step, its prompt
   * prefilled in the same forward as the others' new tokens. Each request's tokens are what {@link
   * #generate(List)} gives it (its own generator; its rows' arithmetic does not depend on the rest
   * of the step on the CPU).
   */
  public List<Generation> generate(List<GenerationRequest> batch, int maxActive) {
    return generate(batch, maxActive, PREFIX_UNKNOWN, null);
  }

  /**
   * {@link #generate(List, int)} that tells {@code onEach} of every request as it finishes (its
   * generation and its index in {@code batch}), on the calling thread, in the order they finish: a
   * caller that keeps results as they come (a study's journal) loses only the requests still
   * decoding when it stops. An exception from {@code onEach} ends the whole call.
   */
  public List<Generation> generate(
      List<GenerationRequest> batch, int maxActive, ObjIntConsumer<Generation> onEach) {
    return generate(batch, maxActive, PREFIX_UNKNOWN, onEach);
  }

  /**
   * {@link #generate(List)} where the caller knows that the first {@code sharedPrefix} positions of
   * every prompt are the same (an AV batch: the one prompt's embedding rows up to the injected
   * one). They are computed once and their keys and values copied into each request's cache, with
   * results bitwise the same as without sharing. The length is taken on trust (a wrong one gives
   * wrong results); prompts of embeddings share nothing unless told, as their rows are not
   * compared.
   */
  public List<Generation> generateWithSharedPrefix(
      List<GenerationRequest> batch, int sharedPrefix) {
    return generateWithSharedPrefix(batch, Integer.MAX_VALUE, sharedPrefix);
  }

  /**
   * {@link #generateWithSharedPrefix(List, int)} with continuous batching: at most {@code
   * maxActive} requests decode together, as in {@link #generate(List, int)}.
   */
  public List<Generation> generateWithSharedPrefix(
      List<GenerationRequest> batch, int maxActive, int sharedPrefix) {
    if (sharedPrefix < 0) throw new IllegalArgumentException("sharedPrefix " + sharedPrefix);
    return generate(batch, maxActive, sharedPrefix, null);
  }

  private List<Generation> generate(
      List<GenerationRequest> batch,
      int maxActive,
      int knownSharedPrefix,
      ObjIntConsumer<Generation> onEach) {
    if (maxActive < 1) throw new IllegalArgumentException("maxActive " + maxActive);
    for (GenerationRequest req : batch) check(req);
    // Prompts that start alike (every AV prompt is identical up to the injection slot) share the
    // keys and values of their common prefix: computed once, copied into each request's cache.
    List<SequenceInput> prompts = new ArrayList<>();
    for (GenerationRequest req : batch) {
      if (req.params().maxNewTokens() > 0) prompts.add(req.prompt());
    }
    SharedPrefix shared = sharePrefix(prompts, knownSharedPrefix, config.numLayers(), new int[0]);
    List<ContinuousBatch.Entry> entries = new ArrayList<>(batch.size());
    try (ContinuousBatch running = ContinuousBatch.withPrefix(this, maxActive, shared)) {
      for (GenerationRequest req : batch) {
        int index = entries.size();
        Consumer<ContinuousBatch.Entry> finished =
            onEach == null ? null : done -> reportFinished(done, index, onEach);
        ContinuousBatch.Entry e = new ContinuousBatch.Entry(req, null, finished);
        entries.add(e);
        running.add(e);
      }
      while (!running.idle()) running.step();
    }
    List<Generation> result = new ArrayList<>(batch.size());
    for (ContinuousBatch.Entry e : entries) result.add(e.generation());
    return result;
  }

  /** A finished request to its listener; one cancelled (the call is ending on a failure) is not. */
  private static void reportFinished(
      ContinuousBatch.Entry e, int index, ObjIntConsumer<Generation> onEach) {
    Generation g = e.generation();
    if (!ContinuousBatch.CANCELLED.equals(g.finishReason())) onEach.accept(g, index);
  }

  /** A request's prompt and logit bias, checked before it joins a batch. */
  void check(GenerationRequest req) {
    validate(req.prompt());
    checkBias(req.params().logitBias());
  }

  /** A running scheduler that batches the requests it is given as they arrive (see there). */
  public GenerationScheduler scheduler(int maxActive, String name) {
    return new GenerationScheduler(this, maxActive, name);
  }

  /** Prompt tokens whose keys and values were reused from a shared prefix instead of computed. */
  public long prefillTokensSaved() {
    return prefillTokensSaved.get();
  }

  void addPrefillTokensSaved(long tokens) {
    prefillTokensSaved.addAndGet(tokens);
  }

  KvCache newCache() {
    return transformer.newCache();
  }

  /**
   * A prefix every input shares (as long as the caller says, or else their common ids), run once:
   * its cache (to copy per input) and its captured block outputs. Each input keeps at least one
   * token of its own, so its last position is always computed. Results are bitwise the same as
   * without sharing: every row's arithmetic is independent of the others in a step.
   */
  record SharedPrefix(SequenceInput tokens, KvCache cache, float[][][] captured, boolean told) {
    int length() {
      return tokens.length();
    }

    /**
     * {@code s} starts with this prefix (on the caller's word when it told the length) and has at
     * least one token of its own.
     */
    boolean covers(SequenceInput s) {
      if (s.length() <= length()) return false;
      if (told) return true;
      for (int t = 0; t < length(); t++) if (!sameToken(tokens, s, t)) return false;
      return true;
    }

    SequenceInput suffix(SequenceInput s) {
      return s.ids() != null
          ? SequenceInput.ofIds(Arrays.copyOfRange(s.ids(), length(), s.ids().length))
          : SequenceInput.ofEmbeddings(
              Arrays.copyOfRange(s.embeddings(), length(), s.embeddings().length));
    }

    List<SequenceInput> suffixes(List<SequenceInput> inputs) {
      return inputs.stream().map(this::suffix).toList();
    }

    /** Prefix rows before a suffix's captured rows, per captured block. */
    float[][][] prepend(float[][][] suffixCaptured) {
      float[][][] out = new float[suffixCaptured.length][][];
      for (int c = 0; c < out.length; c++) {
        float[][] rows = new float[length() + suffixCaptured[c].length][];
        for (int t = 0; t < length(); t++) rows[t] = captured[c][t].clone();
        System.arraycopy(suffixCaptured[c], 0, rows, length(), suffixCaptured[c].length);
        out[c] = rows;
      }
      return out;
    }
  }

  /**
   * The prefix every input shares, run once through {@code numBlocks} blocks: {@code knownLength}
   * positions when the caller knows it, else what {@link #commonPrefix} finds; null when there is
   * none. (Counts nothing: the caller knows how many inputs will reuse it.)
   */
  SharedPrefix sharePrefix(
      List<SequenceInput> inputs, int knownLength, int numBlocks, int[] capture) {
    if (inputs.size() < 2) return null;
    SequenceInput first = inputs.get(0);
    int length = knownLength == PREFIX_UNKNOWN ? commonPrefix(inputs) : knownLength;
    for (SequenceInput s : inputs) length = Math.min(length, s.length() - 1);
    if (length <= 0) return null;
    SequenceInput prefix =
        first.ids() != null
            ? SequenceInput.ofIds(Arrays.copyOf(first.ids(), length))
            : SequenceInput.ofEmbeddings(Arrays.copyOf(first.embeddings(), length));
    KvCache cache = transformer.newCache();
    Transformer.StepOutput r;
    try {
      r =
          transformer.forward(
              List.of(stepInput(cache, prefix)), numBlocks, capture, Transformer.LogitRows.NONE);
    } catch (RuntimeException e) {
      cache.close();
      throw e;
    }
    return new SharedPrefix(prefix, cache, r.captured()[0], knownLength != PREFIX_UNKNOWN);
  }

  /** How many leading positions every input has in common ({@link #sameToken}). */
  private static int commonPrefix(List<SequenceInput> inputs) {
    SequenceInput first = inputs.get(0);
    int length = first.length();
    for (SequenceInput s : inputs) {
      int n = Math.min(length, s.length());
      int t = 0;
      while (t < n && sameToken(first, s, t)) t++;
      length = t;
    }
    return length;
  }

  /**
   * Position {@code t} of both inputs is the same token: equal ids, or embedding rows that are the
   * same array (an AV batch's prompts share the prompt's rows up to the injected one; values are
   * never compared).
   */
  private static boolean sameToken(SequenceInput a, SequenceInput b, int t) {
    if (a.ids() != null && b.ids() != null) return a.ids()[t] == b.ids()[t];
    if (a.ids() == null && b.ids() == null) return a.embeddings()[t] == b.embeddings()[t];
    return false;
  }

  /**
   * Runs one step and chooses each request's next token from its last logits, on the backend. Each
   * request draws from its own generator (once per sampled token, none when greedy), so its tokens
   * do not depend on the batch.
   */
  int[] chooseNext(List<Transformer.StepInput> steps, List<TokenChoice> choices) {
    return transformer
        .forward(steps, config.numLayers(), new int[0], Transformer.LogitRows.LAST, choices)
        .chosen();
  }

  static TokenChoice choice(SamplingParams p, SplittableRandom rng) {
    int[] ids = new int[p.logitBias().size()];
    float[] values = new float[ids.length];
    int k = 0;
    for (Map.Entry<Integer, Float> e : p.logitBias().entrySet()) {
      ids[k] = e.getKey();
      values[k++] = e.getValue();
    }
    double uniform = p.temperature() > 0 ? rng.nextDouble() : 0;
    return new TokenChoice(p.temperature(), p.topP(), p.topK(), ids, values, uniform);
  }

  boolean isEos(int token) {
    for (int e : config.eosTokenIds()) if (e == token) return true;
    return false;
  }

  Transformer.StepInput stepInput(KvCache cache, SequenceInput s) {
    validate(s);
    return new Transformer.StepInput(cache, s.ids(), s.embeddings());
  }

  private List<List<SequenceInput>> prefillGroups(List<SequenceInput> batch) {
    List<List<SequenceInput>> groups = new ArrayList<>();
    List<SequenceInput> cur = new ArrayList<>();
    int tokens = 0;
    for (SequenceInput s : batch) {
      if (!cur.isEmpty() && tokens + s.length() > PREFILL_TOKEN_BUDGET) {
        groups.add(cur);
        cur = new ArrayList<>();
        tokens = 0;
      }
      cur.add(s);
      tokens += s.length();
    }
    if (!cur.isEmpty()) groups.add(cur);
    return groups;
  }

  /**
   * The one check of an input, made where it enters ({@link #hiddenStates}, {@link #logits}, {@link
   * #generate}): non-empty, ids in the vocabulary, embedding rows of the hidden size and finite.
   */
  private void validate(SequenceInput s) {
    if (s.length() == 0) throw new UserError("empty input sequence");
    if (s.ids() != null) {
      checkIds(s.ids(), "token ids");
      return;
    }
    for (int t = 0; t < s.embeddings().length; t++) {
      float[] row = s.embeddings()[t];
      if (row.length != config.hiddenSize()) {
        throw new UserError(
            "input embedding row "
                + t
                + " has "
                + row.length
                + " values, the model's hidden size is "
                + config.hiddenSize());
      }
      for (int j = 0; j < row.length; j++) {
        if (!Float.isFinite(row[j])) {
          throw new UserError("input embedding row " + t + " has a non-finite value at " + j);
        }
      }
    }
  }

  private void checkIds(int[] ids, String what) {
    for (int id : ids) {
      if (id < 0 || id >= config.vocabSize()) {
        throw new UserError(
            what
                + ": id "
                + id
                + " is out of the vocabulary (0.."
                + (config.vocabSize() - 1)
                + ")");
      }
    }
  }

  private void checkBias(Map<Integer, Float> bias) {
    for (int id : bias.keySet()) {
      if (id < 0 || id >= config.vocabSize()) {
        throw new UserError("logit bias: id " + id + " is out of the vocabulary");
      }
    }
  }

  @Override
  public void close() {
    for (Backend b : backends) b.close();
    weights.close();
  }
}
