package nla.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import nla.core.Metrics;
import nla.core.VerbalizeOptions;
import nla.io.UserError;
import nla.model.Generation;
import nla.model.SamplingParams;
import nla.text.ChatMessage;

/**
 * The endpoints of Neuronpedia's NLA server (apps/nla/server.py, openapi.json): each reads and
 * checks its body first (a {@link Body} problem is a 422, a contradiction Neuronpedia answers with
 * 400 is a 400), then returns the {@link Work} to run once the endpoint's gate admits it.
 */
final class Api {
  static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  /** Neuronpedia's request-size limits (their defaults; /health's {@code limits} says them). */
  static final int MAX_POSITIONS_PER_REQUEST = 512;

  static final int MAX_NEW_TOKENS = 1024;
  static final int MAX_DESCRIBE_BATCH = 512;
  static final int MAX_DESCRIPTION_CHARS = 8192;
  static final double MAX_TEMPERATURE = 5.0;
  static final double DEFAULT_TEMPERATURE = 0.7;

  /** /completion's budget: asked for in {@code completion_tokens}, clamped to this (NP). */
  static final int MAX_COMPLETION_TOKENS = 512;

  static final int DEFAULT_COMPLETION_TOKENS = 16;

  /** Where a streamed answer writes its {@code data:} frames. */
  interface Sse {
    void send(JsonNode frame) throws IOException;
  }

  /** An answer: a JSON body, or frames sent as they come ({@link #stream} non-null). */
  record Answer(JsonNode body, Streamed stream) {
    static Answer json(JsonNode body) {
      return new Answer(body, null);
    }
  }

  interface Streamed {
    void run(Sse out) throws IOException;
  }

  /** The part of a request that runs inside its gate. */
  interface Work {
    Answer run();
  }

  private final Engine engine;
  private final int maxTextChars;

  Api(Engine engine, int maxTextChars) {
    this.engine = engine;
    this.maxTextChars = maxTextChars;
  }

  // ---- /tokenize, /extract: the base model's input ----

  /** The text a request names: {@code text}, or {@code messages} through the chat template. */
  private String text(Body b) {
    String text = b.string("text", false, maxTextChars);
    JsonNode messages = b.raw("messages");
    boolean addGenerationPrompt = b.bool("add_generation_prompt", true);
    boolean continueFinal = b.bool("continue_final_message", false);
    Boolean thinking = b.optionalBool("enable_thinking");
    List<ChatMessage> chat = null;
    if (messages != null) {
      if (!messages.isArray()) {
        b.problem("list_type", "Input should be a valid list", "messages");
      } else {
        chat = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
          JsonNode m = messages.get(i);
          if (!m.isObject()) {
            b.problem("model_attributes_type", "Input should be a valid object", "messages", i);
            continue;
          }
          JsonNode role = m.get("role");
          JsonNode content = m.get("content");
          if (role == null || role.isNull()) {
            b.problem("missing", "Field required", "messages", i, "role");
          } else if (!role.isTextual()) {
            b.problem("string_type", "Input should be a valid string", "messages", i, "role");
          } else if (content != null && !content.isNull() && !content.isTextual()) {
            b.problem("string_type", "Input should be a valid string", "messages", i, "content");
          } else {
            chat.add(
                new ChatMessage(
                    role.asText(), content == null || content.isNull() ? "" : content.asText()));
          }
        }
      }
    }
    b.done();
    if (chat != null && !chat.isEmpty()) {
      if (continueFinal) {
        throw new ApiError(400, "continue_final_message is not supported by this server yet.");
      }
      if (!engine.tokenizer().hasChatTemplate()) {
        throw new ApiError(
            400, "Source model tokenizer has no chat template; send `text` instead of `messages`.");
      }
      Map<String, Object> vars = new LinkedHashMap<>();
      if (thinking != null) vars.put("enable_thinking", thinking);
      String rendered;
      try {
        rendered = engine.renderChat(chat, addGenerationPrompt, vars);
      } catch (UserError e) {
        throw new ApiError(400, "Failed to apply chat template: " + e.getMessage());
      }
      if (rendered.length() > maxTextChars) {
        throw new ApiError(400, "Rendered chat exceeds " + maxTextChars + " chars.");
      }
      return rendered;
    }
    if (text == null || text.isEmpty()) {
      throw new ApiError(400, "Provide either `text` or `messages`.");
    }
    return text;
  }

  private int[] ids(String text) {
    int[] ids = engine.encode(text);
    if (ids.length == 0) throw new ApiError(400, "No tokens extracted");
    return ids;
  }

  Work tokenize(Body b) {
    String text = text(b);
    return () -> {
      int[] ids = ids(text);
      ObjectNode out = JSON.objectNode();
      out.set("tokens", tokenInfos(ids));
      out.put("prompt_length", ids.length);
      out.put("text", text);
      return Answer.json(out);
    };
  }

  private ArrayNode tokenInfos(int[] ids) {
    List<TokenText.Piece> pieces = TokenText.of(engine.tokenizer(), ids);
    ArrayNode tokens = JSON.arrayNode();
    for (int i = 0; i < ids.length; i++) tokens.add(tokenInfo(pieces.get(i), ids[i], i));
    return tokens;
  }

  /** NP's TokenInfo. */
  private static ObjectNode tokenInfo(TokenText.Piece piece, int id, int position) {
    ObjectNode t = JSON.objectNode();
    t.put("token", piece.text());
    t.put("token_id", id);
    t.put("position", position);
    t.put("fragment_index", piece.fragmentIndex());
    t.put("fragment_count", piece.fragmentCount());
    t.putNull("role");
    t.putNull("section");
    t.putNull("channel");
    t.putNull("message_index");
    return t;
  }

  // ---- /completion: the base model continues the text ----

  Work completion(Body b) {
    // Read before the text, whose check answers every problem of the body so far in one 422
    // (pydantic validates all fields before NP's handler answers its 400s).
    long asked = b.integer("completion_tokens", DEFAULT_COMPLETION_TOKENS, 1, Long.MAX_VALUE);
    double temperature = b.number("temperature", DEFAULT_TEMPERATURE, 0, false, MAX_TEMPERATURE);
    long seed = b.integer("seed", 0, Long.MIN_VALUE, Long.MAX_VALUE);
    boolean stream = b.bool("stream", false);
    String text = text(b);
    // NP clamps a larger budget silently rather than refusing it.
    int budget = (int) Math.min(MAX_COMPLETION_TOKENS, asked);
    SamplingParams params = new SamplingParams(temperature, 1, 0, seed, budget, false, Map.of());
    return () -> {
      int[] prompt = ids(text);
      if (!stream) {
        int[] all = concat(prompt, engine.complete(prompt, params).outputIds());
        ObjectNode out = JSON.objectNode();
        out.set("tokens", tokenInfos(all));
        out.put("prompt_length", prompt.length);
        out.put("text", engine.tokenizer().decode(all, false));
        return Answer.json(out);
      }
      return new Answer(
          null,
          sse -> {
            ObjectNode first = JSON.objectNode();
            first.put("type", "prompt");
            first.put("prompt_length", prompt.length);
            first.set("tokens", tokenInfos(prompt));
            sse.send(first);
            // A token's piece may wait for the next tokens (a character split over several).
            TokenText.Pending pending = new TokenText.Pending(engine.tokenizer());
            List<Integer> generated = new ArrayList<>();
            int[] told = {0};
            Engine.TokenListener tell =
                id -> {
                  generated.add(id);
                  sendTokens(sse, pending.add(id), generated, prompt.length, told);
                };
            Generation g = engine.complete(prompt, params, tell);
            sendTokens(sse, pending.finish(), generated, prompt.length, told);
            ObjectNode done = JSON.objectNode();
            done.put("type", "done");
            done.put("text", engine.tokenizer().decode(concat(prompt, g.outputIds()), false));
            sse.send(done);
          });
    };
  }

  /** One {@code {"type": "token", "token": TokenInfo}} frame per piece, in order. */
  private static void sendTokens(
      Sse sse, List<TokenText.Piece> pieces, List<Integer> generated, int promptLength, int[] told)
      throws IOException {
    for (TokenText.Piece piece : pieces) {
      int k = told[0]++;
      ObjectNode frame = JSON.objectNode();
      frame.put("type", "token");
      frame.set("token", tokenInfo(piece, generated.get(k), promptLength + k));
      sse.send(frame);
    }
  }

  private static int[] concat(int[] a, int[] b) {
    int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  Work extract(Body b) {
    String text = text(b);
    return () -> {
      int[] ids = ids(text);
      float[][] states = engine.states(ids);
      ObjectNode out = JSON.objectNode();
      out.put("layer_index", engine.layer());
      ArrayNode tokens = out.putArray("tokens");
      for (int i = 0; i < ids.length; i++) {
        ObjectNode t = tokens.addObject();
        t.put("token", engine.tokenizer().tokenText(ids[i]));
        t.put("token_id", ids[i]);
        t.put("position", i);
        ArrayNode a = t.putArray("activation");
        for (float x : states[i]) a.add(x);
        t.put("l2_norm", norm(states[i]));
      }
      return Answer.json(out);
    };
  }

  // ---- sampling fields shared by /explain, /describe, /compare ----

  private VerbalizeOptions sampling(Body b) {
    double temperature = b.number("temperature", DEFAULT_TEMPERATURE, 0, false, MAX_TEMPERATURE);
    long maxNewTokens = b.integer("max_new_tokens", 200, 1, MAX_NEW_TOKENS);
    long seed = b.integer("seed", 0, Long.MIN_VALUE, Long.MAX_VALUE);
    return VerbalizeOptions.greedy()
        .withSampling(temperature, 1, 0, seed)
        .withMaxNewTokens((int) maxNewTokens, false);
  }

  // ---- /explain ----

  Work explain(Body b) {
    String text = text(b);
    List<Integer> positions = b.integers("positions", MAX_POSITIONS_PER_REQUEST);
    boolean reverse = b.bool("reverse", true);
    boolean stream = b.bool("stream", false);
    VerbalizeOptions options = sampling(b);
    b.done();
    return () -> {
      int[] ids = ids(text);
      int[] chosen = positions(positions, ids.length, reverse);
      if (chosen.length > MAX_POSITIONS_PER_REQUEST) {
        throw new ApiError(
            400,
            "resolved "
                + chosen.length
                + " positions from text of "
                + ids.length
                + " tokens, but max is "
                + MAX_POSITIONS_PER_REQUEST
                + " per request. Pass an explicit `positions` list to scope it down.");
      }
      float[][] states = engine.states(ids);
      List<TokenText.Piece> pieces = TokenText.of(engine.tokenizer(), ids);
      if (!stream) {
        List<float[]> vectors = new ArrayList<>();
        for (int p : chosen) vectors.add(states[p]);
        List<Engine.Described> items = engine.describe(vectors, options.withRowLabels(chosen));
        ObjectNode out = JSON.objectNode();
        out.put("layer_index", engine.layer());
        ArrayNode results = out.putArray("results");
        for (Engine.Described d : items) {
          results.add(explainResult(d, ids, states, pieces));
        }
        return Answer.json(out);
      }
      return new Answer(
          null,
          sse -> {
            ObjectNode meta = JSON.objectNode();
            meta.put("layer_index", engine.layer());
            meta.put("total", chosen.length);
            meta.put("prompt_length", ids.length);
            sse.send(meta);
            List<float[]> vectors = new ArrayList<>();
            for (int p : chosen) vectors.add(states[p]);
            engine.describe(
                vectors,
                options.withRowLabels(chosen),
                new Engine.Progress() {
                  @Override
                  public void partial(int row, String text) throws IOException {
                    sse.send(progress("position", row, text));
                  }

                  @Override
                  public void described(Engine.Described d) throws IOException {
                    sse.send(explainResult(d, ids, states, pieces));
                  }
                });
          });
    };
  }

  /** A decode's text so far: {@code {KEY: row, "text", "done": false}} (Neuronpedia's). */
  private static ObjectNode progress(String key, int row, String text) {
    ObjectNode progress = JSON.objectNode();
    progress.put(key, row);
    progress.put("text", text);
    progress.put("done", false);
    return progress;
  }

  private ObjectNode explainResult(
      Engine.Described d, int[] ids, float[][] states, List<TokenText.Piece> pieces) {
    int p = d.row();
    ObjectNode r = JSON.objectNode();
    r.put("token", pieces.get(p).text());
    r.put("token_id", ids[p]);
    r.put("position", p);
    r.put("l2_norm", norm(states[p]));
    putDescription(r, d);
    r.put("generated", false);
    r.put("fragment_index", pieces.get(p).fragmentIndex());
    r.put("fragment_count", pieces.get(p).fragmentCount());
    r.putNull("role");
    r.putNull("section");
    r.putNull("channel");
    r.putNull("message_index");
    return r;
  }

  /** {@code description, mse, cosine_similarity}, and ours: {@code missing_tag}, {@code error}. */
  private void putDescription(ObjectNode r, Engine.Described d) {
    r.put("description", d.description() == null ? "" : d.description());
    putScore(r, d.score());
    r.put("missing_tag", d.decode() != null && d.decode().missingTag());
    if (d.error() != null) r.put("error", d.error());
  }

  private static void putScore(ObjectNode r, Metrics.Score s) {
    if (s == null) {
      r.putNull("mse");
      r.putNull("cosine_similarity");
    } else {
      putFinite(r, "mse", s.mseNrm());
      putFinite(r, "cosine_similarity", s.cos());
    }
  }

  private static void putFinite(ObjectNode r, String name, double x) {
    if (Double.isFinite(x)) r.put(name, x);
    else r.putNull(name);
  }

  /** Python-style positions (negative from the end); none or empty = all; duplicates dropped. */
  static int[] positions(List<Integer> requested, int n, boolean reverse) {
    List<Integer> out = new ArrayList<>();
    if (requested == null || requested.isEmpty()) {
      for (int i = 0; i < n; i++) out.add(i);
    } else {
      LinkedHashSet<Integer> seen = new LinkedHashSet<>();
      for (int p : requested) {
        int idx = p >= 0 ? p : n + p;
        if (idx < 0 || idx >= n) {
          throw new ApiError(400, "Position " + p + " out of range (0.." + (n - 1) + ")");
        }
        seen.add(idx);
      }
      out.addAll(seen);
    }
    if (reverse) java.util.Collections.reverse(out);
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  // ---- /describe ----

  Work describe(Body b) {
    List<float[]> vectors = b.vectors("activations", engine.dModel(), MAX_DESCRIBE_BATCH);
    boolean stream = b.bool("stream", false);
    VerbalizeOptions options = sampling(b);
    b.done();
    return () -> {
      if (!stream) {
        ObjectNode out = JSON.objectNode();
        ArrayNode results = out.putArray("results");
        for (Engine.Described d : engine.describe(vectors, options)) {
          ObjectNode r = results.addObject();
          putDescription(r, d);
        }
        return Answer.json(out);
      }
      return new Answer(
          null,
          sse ->
              engine.describe(
                  vectors,
                  options,
                  new Engine.Progress() {
                    @Override
                    public void partial(int row, String text) throws IOException {
                      sse.send(progress("index", row, text));
                    }

                    @Override
                    public void described(Engine.Described d) throws IOException {
                      ObjectNode r = JSON.objectNode();
                      r.put("index", d.row());
                      putDescription(r, d);
                      sse.send(r);
                    }
                  }));
    };
  }

  // ---- /score ----

  Work score(Body b) {
    if (!engine.hasReconstructor()) throw new ApiError(503, "NLA reconstructor not loaded");
    String description = b.string("description", true, MAX_DESCRIPTION_CHARS);
    float[] v = b.vector("activation", engine.dModel());
    b.done();
    return () -> {
      Metrics.Score s = engine.score(description, v);
      ObjectNode out = JSON.objectNode();
      putFinite(out, "mse", s.mseNrm());
      putFinite(out, "cosine_similarity", s.cos());
      return Answer.json(out);
    };
  }

  // ---- /compare ----

  Work compare(Body b) {
    float[] a = b.vector("activation_a", engine.dModel());
    float[] c = b.vector("activation_b", engine.dModel());
    VerbalizeOptions options = sampling(b);
    b.done();
    float[] diff = new float[a.length];
    for (int i = 0; i < diff.length; i++) diff[i] = a[i] - c[i];
    double diffNorm = norm(diff);
    if (!(diffNorm > 0) || !Double.isFinite(diffNorm)) {
      throw new ApiError(
          400, "activation_a - activation_b is zero or not finite: nothing to describe");
    }
    return () -> {
      Engine.Described d = engine.describe(List.of(diff), options).get(0);
      ObjectNode out = JSON.objectNode();
      out.put("description", d.description() == null ? "" : d.description());
      out.put("diff_norm", diffNorm);
      putScore(out, d.score());
      out.put("missing_tag", d.decode() != null && d.decode().missingTag());
      return Answer.json(out);
    };
  }

  static double norm(float[] v) {
    double s = 0;
    for (float x : v) s += (double) x * x;
    return Math.sqrt(s);
  }
}
