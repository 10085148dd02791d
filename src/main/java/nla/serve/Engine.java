package nla.serve;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.IntConsumer;
import java.util.function.Supplier;
import nla.core.ActivationReconstructor;
import nla.core.ActivationVerbalizer;
import nla.core.Metrics;
import nla.core.RoundTrip;
import nla.core.Verbalization;
import nla.core.VerbalizeOptions;
import nla.model.Generation;
import nla.model.GenerationRequest;
import nla.model.GenerationScheduler;
import nla.model.LanguageModel;
import nla.model.SamplingParams;
import nla.model.SequenceInput;
import nla.study.lens.Lens;
import nla.text.ChatMessage;
import nla.text.Tokenizer;

/**
 * The three models a server holds (base, AV, AR) and what the endpoints ask of them, through the
 * same API the CLI commands use ({@link Lens} for the pair check and the base's input, the AV's
 * {@link ActivationVerbalizer#decodes}, the AR's {@link ActivationReconstructor#reconstruct},
 * {@link RoundTrip#arInput} and {@link Metrics}). Every request's decodes join one running batch on
 * the AV ({@link GenerationScheduler}: continuous batching across requests, the step loop {@code
 * verbalize} runs for the CLI, so a request gets the CLI's tokens whoever else decodes); the base
 * and the AR run one request's forward at a time (a forward already uses every core), side by side
 * with the decoding. Continuations of the base ({@code /completion}) are batched the same way on a
 * scheduler of their own, taking turns with the base's forwards (one model runs one thing at a
 * time).
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
  private final GenerationScheduler decoder;
  private final GenerationScheduler completer;

  /**
   * The base model's turns: a forward for activations holds it exclusively (write), the
   * continuations hold it shared (read) while they decode, since they all step on {@link
   * #completer}'s one thread. So the base never runs two things at once (a backend's scopes, caches
   * and recorded graphs are one thread's at a time), and a waiting forward goes before later
   * continuations (fair).
   */
  private final ReentrantReadWriteLock baseLock = new ReentrantReadWriteLock(true);

  private final ReentrantLock arLock = new ReentrantLock(true);
  private final AtomicLong abandoned = new AtomicLong();

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
    this.decoder = av.scheduler("nla-serve-decode");
    // Continuations of the base decode together as many as the AV's decodes: the device's default.
    this.completer = base.scheduler(av.batchSize(), "nla-serve-complete");
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
        baseLock.writeLock(),
        () -> base.hiddenStates(List.of(SequenceInput.ofIds(ids)), new int[] {layer}).get(0)[0]);
  }

  /** Told of a continuation's tokens as they come, on the request's thread. */
  public interface TokenListener {
    /** One new token; an IOException (the client has gone) cancels the rest of the decode. */
    void token(int id) throws IOException;
  }

  /**
   * The base model's continuation of {@code prompt} ({@code params}: temperature, seed, budget;
   * stopping at the base's EOS), what {@code nla generate} gives for it: it decodes in the running
   * batch of continuations, each with its own cache and random stream. {@code listener} (may be
   * null) is told of each token as it comes; when it throws, the decode is cancelled and the
   * exception goes on.
   */
  public Generation complete(int[] prompt, SamplingParams params, TokenListener listener)
      throws IOException {
    LinkedBlockingQueue<Integer> arrived = new LinkedBlockingQueue<>();
    baseLock.readLock().lock();
    GenerationScheduler.Ticket ticket = null;
    try {
      ticket =
          completer.submit(
              new GenerationRequest(SequenceInput.ofIds(prompt), params),
              listener == null ? null : arrived::add);
      if (listener != null) {
        // The scheduler tells each token before it ends the decode, so once the result is done
        // every token is in the queue.
        while (true) {
          boolean ended = ticket.result().isDone();
          Integer first = arrived.poll(ended ? 0 : 1, TimeUnit.SECONDS);
          if (first == null) {
            if (ended) break;
            continue;
          }
          List<Integer> tokens = new ArrayList<>(List.of(first));
          arrived.drainTo(tokens);
          for (int id : tokens) listener.token(id);
        }
      }
      return await(ticket);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while decoding");
    } catch (IOException e) {
      if (!ticket.result().isDone()) abandoned.incrementAndGet();
      throw e;
    } finally {
      // The base is the activations' again only once the scheduler has let go of this decode.
      if (ticket != null) endTurn(ticket);
      baseLock.readLock().unlock();
    }
  }

  /** {@link #complete(int[], SamplingParams, TokenListener)} told of nothing until it ends. */
  public Generation complete(int[] prompt, SamplingParams params) {
    try {
      return complete(prompt, params, null);
    } catch (IOException e) { // with no listener, only an interrupt
      throw new IllegalStateException("interrupted while decoding", e);
    }
  }

  /** Cancels a continuation still running and waits until the scheduler has ended it. */
  private static void endTurn(GenerationScheduler.Ticket ticket) {
    if (ticket.result().isDone()) return;
    ticket.cancel();
    boolean interrupted = false;
    while (true) {
      try {
        ticket.result().get();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      } catch (ExecutionException e) {
        break; // the step failed: it has ended the decode all the same
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
  }

  /**
   * One described vector: the decode (null for an unusable vector, {@code error} says why), what
   * the AR read, and its score (null without an AR).
   */
  public record Described(
      int row, Verbalization decode, String description, Metrics.Score score, String error) {}

  /**
   * Told of a request's decodes as they go, on the request's thread: the text so far of a decode
   * that has new tokens (coalesced: not every token), and each finished item, in request order. An
   * IOException (the client has gone) cancels the request's remaining decodes.
   */
  public interface Progress {
    void partial(int row, String text) throws IOException;

    void described(Described d) throws IOException;
  }

  /**
   * Verbalizes the vectors (row labels and seeds from {@code options}) in the running batch, then,
   * with an AR, scores each decode against its vector: mse_nrm at the AR's mse_scale and cos, as
   * {@code nla roundtrip} and {@code nla lens} do. An unusable vector yields an item with an error
   * and no decode.
   */
  public List<Described> describe(List<float[]> vectors, VerbalizeOptions options) {
    Map<Integer, String> errors = new HashMap<>();
    List<ActivationVerbalizer.Decode> decodes =
        av.decodes(vectors, options.withRowErrors(e -> errors.put(e.row(), e.message())));
    List<GenerationScheduler.Ticket> tickets = submit(decodes, null);
    List<Verbalization> verbalized = new ArrayList<>(decodes.size());
    try {
      for (int k = 0; k < decodes.size(); k++) {
        verbalized.add(av.verbalization(decodes.get(k), await(tickets.get(k))));
      }
    } catch (InterruptedIOException e) {
      cancel(tickets);
      throw new IllegalStateException("interrupted while decoding", e);
    }
    Map<Integer, Verbalization> byRow = new HashMap<>();
    for (Verbalization v : verbalized) byRow.put(v.row(), v);
    Map<Integer, Metrics.Score> scores = new HashMap<>();
    if (ar != null && !verbalized.isEmpty()) {
      List<String> inputs = new ArrayList<>();
      for (Verbalization v : verbalized) inputs.add(RoundTrip.arInput(v));
      float[][] preds = locked(arLock, () -> ar.reconstruct(inputs));
      Map<Integer, float[]> vectorOfRow = new HashMap<>();
      for (int i = 0; i < vectors.size(); i++) vectorOfRow.put(options.rowLabel(i), vectors.get(i));
      for (int i = 0; i < verbalized.size(); i++) {
        int row = verbalized.get(i).row();
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

  /**
   * {@link #describe(List, VerbalizeOptions)} told to {@code progress} as it goes: the same items
   * (each scored on its own as it finishes), in the same order. When {@code progress} throws (the
   * client has gone), the request's decodes still waiting or running are cancelled and the
   * exception goes on.
   */
  public void describe(List<float[]> vectors, VerbalizeOptions options, Progress progress)
      throws IOException {
    Map<Integer, String> errors = new HashMap<>();
    List<ActivationVerbalizer.Decode> decodes =
        av.decodes(vectors, options.withRowErrors(e -> errors.put(e.row(), e.message())));
    Map<Integer, Integer> decodeOfRow = new HashMap<>();
    for (int k = 0; k < decodes.size(); k++) decodeOfRow.put(decodes.get(k).row(), k);
    // Decodes with news (new tokens or the end), as the scheduler's thread reports them.
    LinkedBlockingQueue<Integer> news = new LinkedBlockingQueue<>();
    List<TokensSoFar> sofar = new ArrayList<>();
    for (int k = 0; k < decodes.size(); k++) sofar.add(new TokensSoFar(k, news));
    List<GenerationScheduler.Ticket> tickets = submit(decodes, sofar);
    for (int k = 0; k < tickets.size(); k++) {
      int index = k;
      tickets.get(k).result().whenComplete((g, t) -> news.add(index));
    }
    try {
      int nextRow = 0; // items are told in request order
      while (nextRow < vectors.size()) {
        int row = options.rowLabel(nextRow);
        Integer k = decodeOfRow.get(row);
        if (k == null) { // an unusable vector: told at its place
          progress.described(new Described(row, null, null, null, errors.get(row)));
          nextRow++;
          continue;
        }
        if (tickets.get(k).result().isDone()) {
          Verbalization v = av.verbalization(decodes.get(k), await(tickets.get(k)));
          progress.partial(row, v.text());
          progress.described(scored(v, vectors.get(nextRow)));
          nextRow++;
          continue;
        }
        Integer first = news.poll(1, TimeUnit.SECONDS);
        if (first == null) continue;
        List<Integer> arrived = new ArrayList<>(List.of(first));
        news.drainTo(arrived);
        for (int j : new java.util.TreeSet<>(arrived)) {
          int[] ids = sofar.get(j).takeIfChanged();
          if (ids != null && !tickets.get(j).result().isDone()) {
            progress.partial(decodes.get(j).row(), av.partialText(ids));
          }
        }
      }
    } catch (InterruptedException e) {
      cancel(tickets);
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while decoding");
    } catch (IOException e) {
      if (cancel(tickets) > 0) abandoned.incrementAndGet();
      throw e;
    } catch (RuntimeException e) {
      cancel(tickets);
      throw e;
    }
  }

  /** A decode's tokens so far, filled on the scheduler's thread, read on the request's. */
  private static final class TokensSoFar implements IntConsumer {
    private final int index;
    private final LinkedBlockingQueue<Integer> news;
    private int[] ids = new int[16];
    private int length;
    private boolean changed;

    TokensSoFar(int index, LinkedBlockingQueue<Integer> news) {
      this.index = index;
      this.news = news;
    }

    @Override
    public synchronized void accept(int token) {
      if (length == ids.length) ids = Arrays.copyOf(ids, 2 * length);
      ids[length++] = token;
      if (!changed) news.add(index); // once until read: the reader takes all tokens at once
      changed = true;
    }

    synchronized int[] takeIfChanged() {
      if (!changed) return null;
      changed = false;
      return Arrays.copyOf(ids, length);
    }
  }

  private List<GenerationScheduler.Ticket> submit(
      List<ActivationVerbalizer.Decode> decodes, List<TokensSoFar> listeners) {
    List<GenerationScheduler.Ticket> tickets = new ArrayList<>(decodes.size());
    try {
      for (int k = 0; k < decodes.size(); k++) {
        tickets.add(
            decoder.submit(decodes.get(k).request(), listeners == null ? null : listeners.get(k)));
      }
    } catch (RuntimeException e) {
      cancel(tickets);
      throw e;
    }
    return tickets;
  }

  /** Cancels the tickets still running; returns how many were. */
  private static int cancel(List<GenerationScheduler.Ticket> tickets) {
    int n = 0;
    for (GenerationScheduler.Ticket t : tickets) {
      if (!t.result().isDone()) {
        t.cancel();
        n++;
      }
    }
    return n;
  }

  private static Generation await(GenerationScheduler.Ticket t) throws InterruptedIOException {
    try {
      Generation g = t.result().get();
      if ("cancelled".equals(g.finishReason())) {
        throw new IllegalStateException("the decode was cancelled (the server is stopping)");
      }
      return g;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while decoding");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) throw r;
      if (e.getCause() instanceof Error err) throw err;
      throw new IllegalStateException(e.getCause());
    }
  }

  /** One finished decode, scored on its own (the AR reads each text alone, as in a batch). */
  private Described scored(Verbalization v, float[] vector) {
    String input = RoundTrip.arInput(v);
    Metrics.Score score = null;
    if (ar != null) {
      float[][] pred = locked(arLock, () -> ar.reconstruct(List.of(input)));
      score = Metrics.score(pred[0], vector, ar.mseNorm(), null);
    }
    return new Described(v.row(), v, input, score, null);
  }

  /** The running batch's state, for /metrics. */
  /**
   * Memory in use on the source model's GPU (every process's, as the driver counts it; -1 on the
   * CPU): the weights, the KV cache and the workspaces, which grow to their high-water mark.
   */
  public long deviceBytesInUse() {
    return base.deviceBytesInUse();
  }

  public GenerationScheduler decoder() {
    return decoder;
  }

  /** The running batch of continuations, for /metrics. */
  public GenerationScheduler completer() {
    return completer;
  }

  /** Streamed requests whose client went away with decodes still to run (they were cancelled). */
  public long abandonedRequests() {
    return abandoned.get();
  }

  /** The AR's score of a text against a vector (mse_nrm at the AR's mse_scale, cos). */
  public Metrics.Score score(String description, float[] vector) {
    if (ar == null) throw new IllegalStateException("no reconstructor");
    float[][] pred = locked(arLock, () -> ar.reconstruct(List.of(description)));
    return Metrics.score(pred[0], vector, ar.mseNorm(), null);
  }

  private static <T> T locked(Lock lock, Supplier<T> work) {
    lock.lock();
    try {
      return work.get();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    decoder.close(); // requests still decoding end cancelled; its thread stops before the AV closes
    completer.close(); // the same for continuations, before the base closes
    List<Lock> locks = List.of(baseLock.writeLock(), arLock);
    for (var l : locks) l.lock();
    try {
      if (ar != null) ar.close();
      av.close();
      base.close();
    } finally {
      for (var l : locks) l.unlock();
    }
  }
}
