package nla.core;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import nla.io.UserError;
import nla.model.Generation;
import nla.model.GenerationRequest;
import nla.model.GenerationScheduler;
import nla.model.LanguageModel;
import nla.model.SamplingParams;
import nla.model.SequenceInput;
import nla.text.Tokenizer;

/**
 * The AV (contract §4): injects each vector as one token embedding of the canonical prompt and
 * generates its explanation. Generation goes through {@link LanguageModel#generate(List, int)}'s
 * continuous batching, at most {@link #batchSize()} decodes at once, each with its own KV cache and
 * seed; a server submits the same {@link Decode}s to a {@link GenerationScheduler} instead.
 */
public final class ActivationVerbalizer implements Verbalizer, AutoCloseable {
  private final Sidecar sidecar;
  private final Tokenizer tokenizer;
  private final LanguageModel model;
  private final AvPrompt canonical;
  private final float[][] canonicalEmbeddings; // read-only: a server builds prompts beside a step
  private final BannedTokens banned;
  private final boolean ownsModel;
  // Until withBatchSize: the default for the device the model is on (LanguageModel.defaultBatch).
  private int batchSize;

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
    this.batchSize = LanguageModel.defaultBatch(model.onGpu());
    this.canonical = LiveChecks.checkAv(sidecar, tokenizer, model.config());
    this.canonicalEmbeddings = model.embed(canonical.ids());
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

  /**
   * One decode {@link #verbalize} runs: a (row, sample), the prompt its vector was injected into,
   * and its generation request (the injected embeddings and the (row, sample)'s own seed).
   */
  public record Decode(int row, int sample, AvPrompt prompt, GenerationRequest request) {}

  /**
   * The decodes that verbalize {@code vectors}: one per usable vector and sample, in order. An
   * unusable vector goes to {@code options.onRowError()}, or without one is a UserError up front.
   */
  public List<Decode> decodes(List<float[]> vectors, VerbalizeOptions options) {
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
    float[][] base = prompt == canonical ? canonicalEmbeddings : model.embed(prompt.ids());
    Map<Integer, Float> bias = banned.logitBias(options.banChars());
    List<Decode> out = new ArrayList<>(usable.size() * options.samples());
    for (int i : usable) {
      int row = options.rowLabel(i);
      // One input for all of a row's samples: the model sees that they share the whole prompt.
      SequenceInput input =
          SequenceInput.ofEmbeddings(inject(base, prompt.injectionPosition(), vectors.get(i)));
      for (int s = 0; s < options.samples(); s++) {
        SamplingParams params =
            new SamplingParams(
                options.temperature(),
                options.topP(),
                options.topK(),
                options.sampleSeed(row, s),
                options.maxNewTokens(),
                options.ignoreEos(),
                bias);
        out.add(new Decode(row, s, prompt, new GenerationRequest(input, params)));
      }
    }
    return out;
  }

  /** What a finished decode wrote: its text and explanation. */
  public Verbalization verbalization(Decode d, Generation g) {
    String text = decode(g);
    return new Verbalization(
        d.row(),
        d.sample(),
        d.prompt().ids(),
        d.prompt().injectionPosition(),
        g.outputIds(),
        text,
        Explanations.extract(text));
  }

  /**
   * Verbalizes through continuous batching: at most {@link #batchSize()} decodes run at once, and a
   * finished one's place goes to the next at the following step.
   */
  @Override
  public List<Verbalization> verbalize(List<float[]> vectors, VerbalizeOptions options) {
    List<Decode> decodes = decodes(vectors, options);
    List<Generation> gens = model.generate(requests(decodes), batchSize);
    List<Verbalization> out = new ArrayList<>(decodes.size());
    for (int k = 0; k < decodes.size(); k++) out.add(verbalization(decodes.get(k), gens.get(k)));
    return out;
  }

  /**
   * {@link #verbalize} through the same continuous batching, each verbalization handed over as its
   * decode finishes: every decode is submitted at once, so a finished one's place is taken at the
   * next step until none is left waiting.
   */
  @Override
  public void verbalizeEach(
      List<float[]> vectors, VerbalizeOptions options, Consumer<Verbalization> onEach) {
    List<Decode> decodes = decodes(vectors, options);
    model.generate(
        requests(decodes), batchSize, (g, k) -> onEach.accept(verbalization(decodes.get(k), g)));
  }

  private static List<GenerationRequest> requests(List<Decode> decodes) {
    List<GenerationRequest> requests = new ArrayList<>(decodes.size());
    for (Decode d : decodes) requests.add(d.request());
    return requests;
  }

  /**
   * A scheduler that batches this AV's decodes as they are submitted, from any thread, up to {@link
   * #batchSize()} at once (the server's; the caller closes it before this AV).
   */
  public GenerationScheduler scheduler(String name) {
    return model.scheduler(batchSize, name);
  }

  /**
   * The text of the tokens a decode has written so far, as {@link #verbalization} would show it: an
   * EOS it has just chosen is not text (it may be the one that ends it).
   */
  public String partialText(int[] ids) {
    int n = ids.length;
    if (n > 0) {
      for (int eos : model.config().eosTokenIds()) {
        if (ids[n - 1] == eos) {
          n--;
          break;
        }
      }
    }
    return text(Arrays.copyOf(ids, n));
  }

  /** Special tokens kept; ids past the tokenizer skipped. */
  private String text(int[] ids) {
    int vocab = tokenizer.vocabSize();
    return tokenizer.decode(Arrays.stream(ids).filter(id -> id < vocab).toArray(), false);
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
    return text(ids);
  }

  @Override
  public void close() {
    if (ownsModel) model.close();
  }
}
