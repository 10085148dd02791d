package nla.core;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import nla.io.UserError;
import nla.model.Generation;
import nla.model.GenerationRequest;
import nla.model.LanguageModel;
import nla.model.SamplingParams;
import nla.model.SequenceInput;
import nla.text.Tokenizer;

/**
 * The AV (contract §4): injects each vector as one token embedding of the canonical prompt and
 * generates its explanation. Generation goes through the model's continuous batching: up to {@link
 * #batchSize()} requests decode together, each with its own KV cache and seed, and a finished one
 * is replaced by the next at once.
 */
public final class ActivationVerbalizer implements Verbalizer, AutoCloseable {
  public static final int DEFAULT_BATCH_SIZE = 16;

  /**
   * Requests handed to the model at once, in batches: enough that finished requests are replaced
   * from a queue, few enough that their prompts' rows stay small on the host.
   */
  private static final int QUEUED_BATCHES = 16;

  private final Sidecar sidecar;
  private final Tokenizer tokenizer;
  private final LanguageModel model;
  private final AvPrompt canonical;
  private final BannedTokens banned;
  private final boolean ownsModel;
  private int batchSize = DEFAULT_BATCH_SIZE;

  /** Wraps loaded parts after every load-time check of the sidecar against them. */
  public ActivationVerbalizer(Sidecar sidecar, Tokenizer tokenizer, LanguageModel model) {
    this(sidecar, tokenizer, model, false);
  }

  private ActivationVerbalizer(
      Sidecar sidecar, Tokenizer tokenizer, LanguageModel model, boolean ownsModel) {
    if (sidecar.role() != Sidecar.Role.AV) {
      throw new UserError(
          sidecar.source()
              + ": role: this is an "
              + sidecar.role().spelling()
              + " checkpoint; --av needs an AV");
    }
    this.sidecar = sidecar;
    this.tokenizer = tokenizer;
    this.model = model;
    this.canonical = LiveChecks.checkAv(sidecar, tokenizer, model.config());
    int scanned = Math.min(tokenizer.vocabSize(), model.config().vocabSize());
    this.banned = new BannedTokens(tokenizer::tokenText, scanned);
    this.ownsModel = ownsModel;
  }

  /** Opens an AV checkpoint directory: sidecar, tokenizer, weights, then the checks. */
  public static ActivationVerbalizer open(Path dir) {
    return open(dir, Map.of());
  }

  /**
   * Opens an AV with extra chat-template variables, e.g. {@code date_string} to pin the "Today
   * Date" line that Llama 3.x templates otherwise take from the calendar.
   */
  public static ActivationVerbalizer open(Path dir, Map<String, ?> chatTemplateVariables) {
    Sidecar sidecar = Sidecar.load(dir);
    Tokenizer tokenizer = Tokenizer.load(dir);
    if (!chatTemplateVariables.isEmpty()) {
      tokenizer = tokenizer.withTemplateVariables(chatTemplateVariables);
    }
    LanguageModel model = LanguageModel.load(dir);
    try {
      return new ActivationVerbalizer(sidecar, tokenizer, model, true);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  public Sidecar sidecar() {
    return sidecar;
  }

  public Tokenizer tokenizer() {
    return tokenizer;
  }

  /** The canonical prompt's ids and injection position (checked at load). */
  public AvPrompt canonicalPrompt() {
    return canonical;
  }

  /**
   * The prompt {@code options} asks for: the canonical one, or a custom one with {@code <INJECT>}.
   */
  public AvPrompt prompt(VerbalizeOptions options) {
    return options.customPrompt() == null
        ? canonical
        : LiveChecks.customAvPrompt(sidecar, tokenizer, options.customPrompt());
  }

  public int batchSize() {
    return batchSize;
  }

  /** Requests decoded together (each holds a KV cache for its whole decode). */
  public ActivationVerbalizer withBatchSize(int batchSize) {
    if (batchSize < 1) throw new UserError("--batch-size: must be >= 1, got " + batchSize);
    this.batchSize = batchSize;
    return this;
  }

  /** The ids banned by a character set (computed once per set). */
  public int[] bannedIds(String chars) {
    return banned.bannedIds(chars);
  }

  /**
   * Prompt tokens whose keys and values were reused from the prefix the prompts share (computed
   * once per batch instead of once per prompt), over this instance's life.
   */
  public long prefillTokensSaved() {
    return model.prefillTokensSaved();
  }

  @Override
  public int dModel() {
    return sidecar.dModel();
  }

  /**
   * The prompt's input embeddings with {@code vector} injected: every row is the model's embedding
   * (embed scale included); row p is v·(injection_scale/‖v‖), not multiplied by the embed scale.
   */
  public float[][] inputEmbeddings(AvPrompt prompt, float[] vector) {
    return inject(model.embed(prompt.ids()), prompt.injectionPosition(), vector);
  }

  private float[][] inject(float[][] base, int p, float[] vector) {
    float[][] rows = Arrays.copyOf(base, base.length); // rows shared read-only; only row p differs
    rows[p] = Vectors.scaleForInjection(vector, sidecar.injectionNorm());
    return rows;
  }

  /** One decode to run: a row's vector and which of its samples. */
  private record Job(int row, int sample, float[] vector) {}

  @Override
  public List<Verbalization> verbalize(List<float[]> vectors, VerbalizeOptions options) {
    List<Integer> usable = new ArrayList<>();
    for (int i = 0; i < vectors.size(); i++) {
      String problem = Vectors.problem(vectors.get(i), dModel());
      if (problem == null) {
        usable.add(i);
      } else if (options.onRowError() == null) {
        throw new UserError("row " + options.rowLabel(i) + ": " + problem);
      } else {
        options.onRowError().accept(new RowError(options.rowLabel(i), problem));
      }
    }
    AvPrompt prompt = prompt(options);
    float[][] base = model.embed(prompt.ids());
    Map<Integer, Float> bias = banned.logitBias(options.banChars());

    List<Job> jobs = new ArrayList<>();
    for (int i : usable) {
      for (int s = 0; s < options.samples(); s++) {
        jobs.add(new Job(options.rowLabel(i), s, vectors.get(i)));
      }
    }
    List<Verbalization> out = new ArrayList<>(jobs.size());
    int queued = batchSize * QUEUED_BATCHES;
    for (int from = 0; from < jobs.size(); from += queued) {
      List<Job> chunk = jobs.subList(from, Math.min(jobs.size(), from + queued));
      List<GenerationRequest> requests = new ArrayList<>(chunk.size());
      for (Job j : chunk) {
        SamplingParams params =
            new SamplingParams(
                options.temperature(),
                options.topP(),
                options.topK(),
                options.sampleSeed(j.row(), j.sample()),
                options.maxNewTokens(),
                options.ignoreEos(),
                bias);
        requests.add(
            new GenerationRequest(
                SequenceInput.ofEmbeddings(inject(base, prompt.injectionPosition(), j.vector())),
                params));
      }
      List<Generation> gens =
          model.generateWithSharedPrefix(requests, batchSize, sharedPrefix(prompt, chunk));
      for (int k = 0; k < chunk.size(); k++) {
        Job j = chunk.get(k);
        Generation g = gens.get(k);
        String text = decode(g);
        out.add(
            new Verbalization(
                j.row(),
                j.sample(),
                prompt.ids(),
                prompt.injectionPosition(),
                g.outputIds(),
                text,
                Explanations.extract(text)));
      }
    }
    return out;
  }

  /**
   * How many leading rows every request of a chunk has in common, known without comparing them: the
   * prompt's rows before the injected one, or the whole prompt when every request injects the same
   * vector (samples of one row).
   */
  private static int sharedPrefix(AvPrompt prompt, List<Job> chunk) {
    float[] first = chunk.get(0).vector();
    for (Job j : chunk) if (j.vector() != first) return prompt.injectionPosition();
    return prompt.ids().length;
  }

  /**
   * The decode's text with special tokens kept (the reference asks SGLang for {@code
   * skip_special_tokens: false}); the EOS that ended it is not text (SGLang trims the stop token).
   * Ids past the tokenizer (the padding rows of a model's embedding, e.g. Qwen's 151665..152063)
   * have no text: Hugging Face's decode skips them, and so do we.
   */
  private String decode(Generation g) {
    int[] ids = g.outputIds();
    if ("eos".equals(g.finishReason()) && ids.length > 0) ids = Arrays.copyOf(ids, ids.length - 1);
    int vocab = tokenizer.vocabSize();
    return tokenizer.decode(Arrays.stream(ids).filter(id -> id < vocab).toArray(), false);
  }

  @Override
  public void close() {
    if (ownsModel) model.close();
  }
}
