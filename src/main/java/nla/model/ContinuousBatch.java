package nla.model;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import nla.backend.DeviceMemoryError;
import nla.backend.KvCache;
import nla.backend.TokenChoice;
import nla.model.LanguageModel.SharedPrefix;

/**
 * The step loop of continuous batching on one model: at most {@code maxActive} requests decode
 * together; at each step, finished and cancelled requests give their caches back and waiting
 * requests take the free places, their prompts prefilled in the same forward as the others' next
 * tokens. {@link LanguageModel#generate(List, int)} runs it to the end on a fixed batch; {@link
 * GenerationScheduler} keeps one running and adds requests as they arrive. Each request has its own
 * cache and generator, so its tokens do not depend on what else is in the step (on the CPU).
 *
 * <p>Not thread-safe: one thread adds and steps; only {@link Entry#cancel()} may come from another.
 */
final class ContinuousBatch implements AutoCloseable {
  /** Why a cancelled request stopped (beside "eos" and "length"). */
  static final String CANCELLED = "cancelled";

  /** One request in the batch, from waiting to finished. */
  static final class Entry {
    final GenerationRequest request;
    final IntConsumer onToken; // told of each new token; null = nobody listens
    final Consumer<Entry> onFinished; // null = nobody listens
    final SplittableRandom rng;
    final List<Integer> output = new ArrayList<>();
    private KvCache cache;
    private int next; // its next token, chosen from its latest logits, not yet fed
    private String finish;
    private Throwable failure; // the failed step that ended it, or null
    private volatile boolean cancelled;

    Entry(GenerationRequest request, IntConsumer onToken, Consumer<Entry> onFinished) {
      this.request = request;
      this.onToken = onToken;
      this.onFinished = onFinished;
      this.rng = new SplittableRandom(request.params().seed());
    }

    /** Stops it at the next step (its cache is given back then); safe from any thread. */
    void cancel() {
      cancelled = true;
    }

    boolean cancelled() {
      return cancelled;
    }

    /** The failed step that ended it, or null. */
    Throwable failure() {
      return failure;
    }

    Generation generation() {
      return new Generation(output.stream().mapToInt(Integer::intValue).toArray(), finish);
    }
  }

  private final LanguageModel model;
  private final int maxActive;
  private final boolean adaptivePrefix;
  private final ArrayDeque<Entry> waiting = new ArrayDeque<>();
  private List<Entry> active = new ArrayList<>(); // next token chosen, not yet fed
  private SharedPrefix prefix; // the prefix waiting requests may start from, or null
  private boolean prefixUsed; // its first use is the one that paid for it
  private SequenceInput recentPrompt; // the last prompt admitted, to find a prefix with the next
  private volatile long tokens; // read by other threads (metrics)

  /**
   * A batch whose requests all start from {@code fixedPrefix} (null: none), computed by the caller
   * over the whole batch up front, as {@link LanguageModel#generate(List, int)} does.
   */
  static ContinuousBatch withPrefix(LanguageModel model, int maxActive, SharedPrefix fixedPrefix) {
    ContinuousBatch b = new ContinuousBatch(model, maxActive, false);
    b.prefix = fixedPrefix;
    return b;
  }

  /**
   * A batch for requests that arrive over time: whenever the waiting requests do not start with the
   * current shared prefix, the prefix they share with each other and with the last admitted prompt
   * is computed once and kept (every AV prompt is the same up to its injection slot, so in practice
   * this happens once).
   */
  static ContinuousBatch adaptive(LanguageModel model, int maxActive) {
    return new ContinuousBatch(model, maxActive, true);
  }

  private ContinuousBatch(LanguageModel model, int maxActive, boolean adaptivePrefix) {
    if (maxActive < 1) throw new IllegalArgumentException("maxActive " + maxActive);
    this.model = model;
    this.maxActive = maxActive;
    this.adaptivePrefix = adaptivePrefix;
  }

  /** Queues a request (checked by the caller); a request with no token budget finishes at once. */
  void add(Entry e) {
    if (e.request.params().maxNewTokens() == 0) finish(e, "length");
    else waiting.add(e);
  }

  /** Nothing waits or decodes. */
  boolean idle() {
    return waiting.isEmpty() && active.isEmpty();
  }

  int activeCount() {
    return active.size();
  }

  int waitingCount() {
    return waiting.size();
  }

  /** New tokens appended to requests so far (any thread may read it). */
  long tokens() {
    return tokens;
  }

  /**
   * One round: each active request takes its chosen token (finishing at EOS or its budget, or when
   * cancelled), waiting requests fill the free places (prompts bounded by the prefill budget), and
   * one forward chooses every remaining request's next token.
   */
  void step() {
    List<Transformer.StepInput> steps = new ArrayList<>();
    List<Entry> stepEntries = new ArrayList<>();
    List<Entry> still = new ArrayList<>();
    for (Entry e : active) {
      if (e.cancelled()) {
        finish(e, CANCELLED);
        continue;
      }
      SamplingParams p = e.request.params();
      int token = e.next;
      e.output.add(token);
      tokens = tokens + 1; // one writer: the stepping thread
      if (e.onToken != null) e.onToken.accept(token);
      if (!p.ignoreEos() && model.isEos(token)) finish(e, "eos");
      else if (e.output.size() >= p.maxNewTokens()) finish(e, "length");
      else {
        still.add(e);
        steps.add(new Transformer.StepInput(e.cache, new int[] {token}, null));
        stepEntries.add(e);
      }
    }
    active = still;
    waiting.removeIf(
        e -> {
          if (!e.cancelled()) return false;
          finish(e, CANCELLED);
          return true;
        });
    if (adaptivePrefix) refreshPrefix();
    int promptTokens = 0;
    while (!waiting.isEmpty() && active.size() < maxActive) {
      Entry e = waiting.peek();
      SequenceInput prompt = e.request.prompt();
      boolean shared = prefix != null && prefix.covers(prompt);
      SequenceInput rest = shared ? prefix.suffix(prompt) : prompt;
      if (promptTokens > 0 && promptTokens + rest.length() > LanguageModel.PREFILL_TOKEN_BUDGET) {
        break;
      }
      KvCache cache = admit(shared, prompt.length() + e.request.params().maxNewTokens());
      if (cache == null) break; // the device's memory is full: it waits for running ones to end
      waiting.poll();
      if (shared) {
        if (prefixUsed) model.addPrefillTokensSaved(prefix.length());
        prefixUsed = true;
      }
      e.cache = cache;
      steps.add(model.stepInput(e.cache, rest));
      stepEntries.add(e);
      active.add(e);
      recentPrompt = prompt;
      promptTokens += rest.length();
    }
    if (steps.isEmpty()) return; // every active request finished this round
    List<TokenChoice> choices = new ArrayList<>(stepEntries.size());
    for (Entry e : stepEntries) choices.add(LanguageModel.choice(e.request.params(), e.rng));
    int[] chosen = model.chooseNext(steps, choices);
    for (int s = 0; s < chosen.length; s++) stepEntries.get(s).next = chosen[s];
  }

  /**
   * A cache with room for {@code positions}, or null when the device has no memory left for it
   * while other requests decode: like a serving engine's scheduler, the batch then runs with the
   * requests it holds and admits more as they finish and give their blocks back. Not even one
   * request's room is the device's out-of-memory error.
   */
  private KvCache admit(boolean shared, int positions) {
    KvCache cache = null;
    try {
      cache = shared ? prefix.cache().copy() : model.newCache();
      cache.reserve(positions);
      return cache;
    } catch (DeviceMemoryError full) {
      if (cache != null) cache.close();
      if (active.isEmpty()) throw full;
      return null;
    }
  }

  /**
   * When the first waiting request does not start with the current prefix, the prefix the waiting
   * requests (as many as may be admitted) share with each other and the last admitted prompt.
   */
  private void refreshPrefix() {
    if (waiting.isEmpty()) return;
    if (prefix != null && prefix.covers(waiting.peek().request.prompt())) return;
    List<SequenceInput> prompts = new ArrayList<>();
    if (recentPrompt != null) prompts.add(recentPrompt);
    for (Entry e : waiting) {
      if (prompts.size() > maxActive) break;
      prompts.add(e.request.prompt());
    }
    SharedPrefix found =
        model.sharePrefix(
            prompts, LanguageModel.PREFIX_UNKNOWN, model.config().numLayers(), new int[0]);
    if (found == null) return;
    if (prefix != null) prefix.cache().close(); // requests that used it hold copies
    prefix = found;
    prefixUsed = false;
  }

  private void finish(Entry e, String reason) {
    if (e.finish != null) return; // ended already (a step that failed part-way)
    e.finish = reason;
    if (e.cache != null) {
      e.cache.close(); // its blocks go to the requests still waiting
      e.cache = null;
    }
    if (e.onFinished != null) e.onFinished.accept(e);
  }

  /**
   * Ends every request still waiting or decoding as cancelled, giving their caches back: after a
   * failed step ({@code cause} says which), or when the batch's owner stops ({@code cause} null).
   */
  void cancelAll(Throwable cause) {
    List<Entry> all = new ArrayList<>(active);
    all.addAll(waiting);
    active = new ArrayList<>();
    waiting.clear();
    for (Entry e : all) {
      e.failure = cause;
      finish(e, CANCELLED);
    }
  }

  /** Ends a request that never joined a batch as cancelled. */
  static void cancelUnstarted(Entry e) {
    e.cancel();
    e.finish = CANCELLED;
    if (e.onFinished != null) e.onFinished.accept(e);
  }

  /** Gives back every cache, including the shared prefix's. */
  @Override
  public void close() {
    cancelAll(null);
    if (prefix != null) prefix.cache().close();
    prefix = null;
  }
}
