package nla.serve;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import nla.core.ActivationReconstructor;
import nla.core.ActivationVerbalizer;
import nla.core.Metrics;
import nla.core.RoundTrip;
import nla.core.Verbalization;
import nla.core.VerbalizeOptions;
import nla.model.LanguageModel;
import nla.model.SequenceInput;
import nla.study.lens.Lens;
import nla.text.ChatMessage;
import nla.text.Tokenizer;

/**
 * The three models a server holds (base, AV, AR) and what the endpoints ask of them, through the
 * same API the CLI commands use ({@link Lens} for the pair check and the base's input, the AV's
 * {@link ActivationVerbalizer#verbalize}, the AR's {@link ActivationReconstructor#reconstruct},
 * {@link RoundTrip#arInput} and {@link Metrics}). Each model is used by one request at a time (a
 * forward already uses every core): requests that need the same model queue on its lock, requests
 * for different models run side by side.
 */
public final class Engine implements AutoCloseable {
  private final Path baseDir;
  private final Path avDir;
  private final Path arDir;
  private final Tokenizer baseTokenizer;
  private final int layer;
  private final LanguageModel base;
  private final ActivationVerbalizer av;
  private final ActivationReconstructor ar;
  private final ReentrantLock baseLock = new ReentrantLock(true);
  private final ReentrantLock avLock = new ReentrantLock(true);
  private final ReentrantLock arLock = new ReentrantLock(true);

  private Engine(
      Path baseDir,
      Path avDir,
      Path arDir,
      Tokenizer baseTokenizer,
      int layer,
      LanguageModel base,
      ActivationVerbalizer av,
      ActivationReconstructor ar) {
    this.baseDir = baseDir;
    this.avDir = avDir;
    this.arDir = arDir;
    this.baseTokenizer = baseTokenizer;
    this.layer = layer;
    this.base = base;
    this.av = av;
    this.ar = ar;
  }

  /**
   * Loads the base model, the AV and (when {@code arDir} is not null) the AR, after the checks the
   * lens makes (the AV reads this base's hidden size and tokenizer, its layer exists).
   */
  public static Engine open(Path baseDir, Path avDir, Path arDir) {
    Tokenizer tokenizer = Tokenizer.load(baseDir);
    int layer = Lens.checkPair(baseDir, avDir, tokenizer);
    LanguageModel base = LanguageModel.load(baseDir);
    ActivationVerbalizer av = null;
    ActivationReconstructor ar = null;
    try {
      av = ActivationVerbalizer.open(avDir);
      if (arDir != null) {
        ar = ActivationReconstructor.open(arDir);
        if (ar.dModel() != av.dModel()) {
          throw new nla.io.UserError(
              "--av/--ar: the AV has d_model " + av.dModel() + " but the AR has " + ar.dModel());
        }
      }
      return new Engine(baseDir, avDir, arDir, tokenizer, layer, base, av, ar);
    } catch (RuntimeException e) {
      if (ar != null) ar.close();
      if (av != null) av.close();
      base.close();
      throw e;
    }
  }

  public int layer() {
    return layer;
  }

  public int dModel() {
    return av.dModel();
  }

  public boolean hasReconstructor() {
    return ar != null;
  }

  public Path baseDir() {
    return baseDir;
  }

  public Path avDir() {
    return avDir;
  }

  public Path arDir() {
    return arDir;
  }

  /** Where the models run, as the engine says it. */
  public String device() {
    return base.device();
  }

  public Tokenizer tokenizer() {
    return baseTokenizer;
  }

  /**
   * The base model's input for a plain text: with the tokenizer's special tokens unless the text
   * already opens with the BOS token (a rendered chat does), so no second BOS is added.
   */
  public int[] encode(String text) {
    Object bos = baseTokenizer.specialTokens().get("bos_token");
    boolean prefixed = bos instanceof String b && !b.isEmpty() && text.startsWith(b);
    return baseTokenizer.encode(text, !prefixed).ids();
  }

  /** A chat rendered through the base model's chat template. */
  public String renderChat(
      List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> variables) {
    Tokenizer t =
        variables.isEmpty() ? baseTokenizer : baseTokenizer.withTemplateVariables(variables);
    return t.renderChat(messages, addGenerationPrompt);
  }

  /** The block-K output of the base model at every position of {@code ids}: [T][d]. */
  public float[][] states(int[] ids) {
    return locked(
        baseLock,
        () -> base.hiddenStates(List.of(SequenceInput.ofIds(ids)), new int[] {layer}).get(0)[0]);
  }

  /**
   * One described vector: the decode (null for an unusable vector, {@code error} says why), what
   * the AR read, and its score (null without an AR).
   */
  public record Described(
      int row, Verbalization decode, String description, Metrics.Score score, String error) {}

  /**
   * Verbalizes the vectors (row labels and seeds from {@code options}), then, with an AR, scores
   * each decode against its vector: mse_nrm at the AR's mse_scale and cos, as {@code nla roundtrip}
   * and {@code nla lens} do. An unusable vector yields an item with an error and no decode.
   */
  public List<Described> describe(List<float[]> vectors, VerbalizeOptions options) {
    Map<Integer, String> errors = new HashMap<>();
    VerbalizeOptions withErrors = options.withRowErrors(e -> errors.put(e.row(), e.message()));
    List<Verbalization> decodes = locked(avLock, () -> av.verbalize(vectors, withErrors));
    Map<Integer, Verbalization> byRow = new HashMap<>();
    for (Verbalization v : decodes) byRow.put(v.row(), v);
    Map<Integer, Metrics.Score> scores = new HashMap<>();
    if (ar != null && !decodes.isEmpty()) {
      List<String> inputs = new ArrayList<>();
      for (Verbalization v : decodes) inputs.add(RoundTrip.arInput(v));
      float[][] preds = locked(arLock, () -> ar.reconstruct(inputs));
      Map<Integer, float[]> vectorOfRow = new HashMap<>();
      for (int i = 0; i < vectors.size(); i++) vectorOfRow.put(options.rowLabel(i), vectors.get(i));
      for (int i = 0; i < decodes.size(); i++) {
        int row = decodes.get(i).row();
        scores.put(row, Metrics.score(preds[i], vectorOfRow.get(row), ar.mseNorm(), null));
      }
    }
    List<Described> out = new ArrayList<>(vectors.size());
    for (int i = 0; i < vectors.size(); i++) {
      int row = options.rowLabel(i);
      Verbalization v = byRow.get(row);
      out.add(
          new Described(
              row, v, v == null ? null : RoundTrip.arInput(v), scores.get(row), errors.get(row)));
    }
    return out;
  }

  /** The AR's score of a text against a vector (mse_nrm at the AR's mse_scale, cos). */
  public Metrics.Score score(String description, float[] vector) {
    if (ar == null) throw new IllegalStateException("no reconstructor");
    float[][] pred = locked(arLock, () -> ar.reconstruct(List.of(description)));
    return Metrics.score(pred[0], vector, ar.mseNorm(), null);
  }

  private static <T> T locked(ReentrantLock lock, Supplier<T> work) {
    lock.lock();
    try {
      return work.get();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    for (ReentrantLock l : List.of(baseLock, avLock, arLock)) l.lock();
    try {
      if (ar != null) ar.close();
      av.close();
      base.close();
    } finally {
      for (ReentrantLock l : List.of(baseLock, avLock, arLock)) l.unlock();
    }
  }
}
