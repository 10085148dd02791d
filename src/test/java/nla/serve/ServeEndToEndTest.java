package nla.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import nla.GoldenFixtures;
import nla.cli.CliRun;
import nla.io.Npy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code nla serve} on the bundled demo pair, on a free loopback port: every endpoint answers what
 * the CLI answers for the same input (the same ids, vectors, explanations and scores).
 */
class ServeEndToEndTest {
  static final ObjectMapper MAPPER = new ObjectMapper();
  static final String TEXT =
      "The lighthouse keeper climbed the spiral stairs each evening at dusk.";

  static Path av;
  static Path ar;
  static NlaServer server;
  static ByteArrayOutputStream log = new ByteArrayOutputStream();
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir static Path tmp;

  @BeforeAll
  static void start() {
    av = GoldenFixtures.demoDir("av");
    ar = GoldenFixtures.demoDir("ar");
    server = start(4, 64, null);
    server.ready(Engine.open(av, av, ar));
  }

  static NlaServer start(int maxConcurrent, int maxQueue, String secret) {
    NlaServer.Options o =
        new NlaServer.Options("127.0.0.1", 0, maxConcurrent, maxQueue, 200, secret, 1 << 20, 5000);
    return new NlaServer(
            o,
            new NlaServer.Names(av.toString(), av.toString(), ar.toString()),
            new PrintStream(log, true, StandardCharsets.UTF_8))
        .start();
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  record Reply(int status, String body, HttpResponse<String> raw) {
    JsonNode json() {
      try {
        return MAPPER.readTree(body);
      } catch (Exception e) {
        throw new AssertionError("not JSON: " + body, e);
      }
    }
  }

  static Reply post(NlaServer s, String path, String body, String... headers) {
    try {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(body));
      for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
      HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Reply(r.statusCode(), r.body(), r);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static Reply post(String path, String body) {
    return post(server, path, body);
  }

  static Reply get(NlaServer s, String path, String... headers) {
    try {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path)).GET();
      for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
      HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Reply(r.statusCode(), r.body(), r);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static String json(Object o) {
    try {
      return MAPPER.writeValueAsString(o);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static List<JsonNode> lines(String out) {
    List<JsonNode> l = new ArrayList<>();
    for (String s : out.split("\n")) {
      if (s.isBlank()) continue;
      try {
        l.add(MAPPER.readTree(s));
      } catch (Exception e) {
        throw new AssertionError(s, e);
      }
    }
    return l;
  }

  /** The data: frames of an SSE body, the last being [DONE]. */
  static List<String> frames(String body) {
    List<String> out = new ArrayList<>();
    for (String event : body.split("\n\n")) {
      if (event.isBlank()) continue;
      assertTrue(event.startsWith("data: "), event);
      out.add(event.substring("data: ".length()));
    }
    assertEquals("[DONE]", out.get(out.size() - 1), body);
    return out;
  }

  static JsonNode ok(Reply r) {
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  // ---- health, root, metrics ----

  @Test
  void healthRootAndMetrics() {
    JsonNode h = ok(get(server, "/health"));
    assertEquals("ready", h.get("status").asText());
    JsonNode root = ok(get(server, "/"));
    assertEquals("ok", root.get("status").asText());
    assertEquals(16, root.get("d_model").asInt());
    assertEquals(1, root.get("extraction_layer").asInt());
    assertTrue(root.get("reconstructor_available").asBoolean());
    assertEquals(200, root.at("/limits/max_input_chars").asInt());
    assertTrue(root.get("completion_available").asBoolean());
    assertEquals(512, root.at("/limits/max_completion_tokens").asInt());
    post("/tokenize", "{\"text\": \"hi\"}");
    Reply m = get(server, "/metrics");
    assertEquals(200, m.status());
    assertTrue(m.raw().headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
    assertTrue(m.body().contains("nla_ready 1"), m.body());
    assertTrue(!m.body().contains("nla_gpu_memory"), "no GPU memory gauge on the CPU");
    assertTrue(m.body().contains("nla_requests_total{endpoint=\"/tokenize\",status=\"200\"}"));
    assertTrue(m.body().contains("nla_queue_length{endpoint=\"/explain\"} 0"));
    assertTrue(
        m.body()
            .contains("nla_request_duration_seconds_bucket{endpoint=\"/tokenize\",le=\"+Inf\"}"));
  }

  @Test
  void requestIdsAreEchoedAndLogged() {
    Reply r = post(server, "/tokenize", "{\"text\": \"hello\"}", "X-Request-Id", "trace-abc.123");
    assertEquals(200, r.status());
    assertEquals("trace-abc.123", r.raw().headers().firstValue("X-Request-Id").orElse(null));
    assertLogged("[trace-abc.123] POST /tokenize -> 200");
    Reply generated = post("/tokenize", "{\"text\": \"hello\"}");
    String id = generated.raw().headers().firstValue("X-Request-Id").orElseThrow();
    assertLogged("[" + id + "] POST /tokenize");
  }

  /** The server logs a request once its answer is on its way, so the line may trail the reply. */
  private static void assertLogged(String line) {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (!log.toString(StandardCharsets.UTF_8).contains(line) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    String logged = log.toString(StandardCharsets.UTF_8);
    assertTrue(logged.contains(line), logged);
  }

  // ---- tokenize, extract ----

  @Test
  void tokenizeGivesTheIdsOfNlaTokenize() {
    JsonNode got = ok(post("/tokenize", json(java.util.Map.of("text", TEXT))));
    CliRun cli = CliRun.run("tokenize", "--model", av.toString(), "--text", TEXT, "--json");
    assertEquals(0, cli.code(), cli.err());
    JsonNode want = lines(cli.out()).get(0);
    assertEquals(want.get("ids").size(), got.get("prompt_length").asInt());
    assertEquals(TEXT, got.get("text").asText());
    for (int i = 0; i < want.get("ids").size(); i++) {
      JsonNode t = got.get("tokens").get(i);
      assertEquals(want.get("ids").get(i).asInt(), t.get("token_id").asInt());
      assertEquals(i, t.get("position").asInt());
    }
    StringBuilder joined = new StringBuilder();
    for (JsonNode t : got.get("tokens")) joined.append(t.get("token").asText());
    assertEquals(TEXT, joined.toString());
  }

  @Test
  void tokenizeFragmentsShowTheWholeCharacter() {
    JsonNode got = ok(post("/tokenize", json(java.util.Map.of("text", "🫠🦜𝄞龘 東京"))));
    boolean merged = false;
    for (JsonNode t : got.get("tokens")) {
      assertFalse(t.get("token").asText().contains("\uFFFD"), got.toString());
      if (t.get("fragment_count").asInt() > 1) merged = true;
    }
    assertTrue(merged, "expected a byte-fragment run in " + got);
  }

  @Test
  void extractGivesTheVectorsOfNlaExtract() throws Exception {
    JsonNode got = ok(post("/extract", json(java.util.Map.of("text", TEXT))));
    Path npy = tmp.resolve("extract.npy");
    CliRun cli =
        CliRun.run(
            "extract",
            "--model",
            av.toString(),
            "--text",
            TEXT,
            "--layer",
            "1",
            "--out",
            npy.toString());
    assertEquals(0, cli.code(), cli.err());
    float[][] want = Npy.read(npy);
    assertEquals(1, got.get("layer_index").asInt());
    assertEquals(want.length, got.get("tokens").size());
    for (int i = 0; i < want.length; i++) {
      JsonNode t = got.get("tokens").get(i);
      assertEquals(i, t.get("position").asInt());
      for (int j = 0; j < want[i].length; j++) {
        assertEquals(want[i][j], (float) t.get("activation").get(j).asDouble(), 0f);
      }
      assertEquals(Api.norm(want[i]), t.get("l2_norm").asDouble(), 1e-12);
    }
  }

  // ---- explain ----

  /** The lens on the same text and sampling, one JSON object per position. */
  static List<JsonNode> lens(String... sampling) {
    return lensOn(TEXT, sampling);
  }

  static void assertSameAsLens(JsonNode lensItem, JsonNode result) {
    assertEquals(lensItem.get("position").asInt(), result.get("position").asInt());
    String explanation =
        lensItem.get("explanation").isNull()
            ? lensItem.get("text").asText().strip()
            : lensItem.get("explanation").asText();
    assertEquals(explanation, result.get("description").asText());
    assertEquals(lensItem.get("explanation").isNull(), result.get("missing_tag").asBoolean());
    assertEquals(lensItem.get("mse_nrm").asDouble(), result.get("mse").asDouble(), 0.0);
    assertEquals(lensItem.get("cos").asDouble(), result.get("cosine_similarity").asDouble(), 0.0);
    assertEquals(lensItem.get("norm").asDouble(), result.get("l2_norm").asDouble(), 1e-12);
  }

  @Test
  void explainGivesWhatTheLensGives() {
    List<JsonNode> want = lens("--temperature", "0");
    ObjectNode req = MAPPER.createObjectNode();
    req.put("text", TEXT);
    req.put("temperature", 0);
    req.put("max_new_tokens", 24);
    req.put("reverse", false);
    JsonNode got = ok(post("/explain", req.toString()));
    assertEquals(1, got.get("layer_index").asInt());
    assertEquals(want.size(), got.get("results").size());
    for (int i = 0; i < want.size(); i++) assertSameAsLens(want.get(i), got.get("results").get(i));
    assertTrue(got.at("/results/0/description").asText().contains("hello"), got.toString());
  }

  @Test
  void explainSamplesAsTheLensSamplesWithTheSameSeed() {
    List<JsonNode> want = lens("--temperature", "0.9", "--seed", "7", "--positions", "3,-1");
    ObjectNode req = MAPPER.createObjectNode();
    req.put("text", TEXT);
    req.put("temperature", 0.9);
    req.put("seed", 7);
    req.put("max_new_tokens", 24);
    req.putArray("positions").add(-1).add(3);
    JsonNode got = ok(post("/explain", req.toString()));
    // reverse (the default) turns [-1, 3] into [3, last].
    assertEquals(2, got.get("results").size());
    assertSameAsLens(want.get(0), got.get("results").get(0));
    assertSameAsLens(want.get(1), got.get("results").get(1));
  }

  /** The lens on {@code text}, one JSON object per position. */
  static List<JsonNode> lensOn(String text, String... sampling) {
    return lens(av, ar, text, 24, sampling);
  }

  /**
   * {@code nla lens --json} on the pair (av as base and verbalizer, ar), {@code maxNewTokens} per
   * explanation, with {@code more} options: one JSON object per position.
   */
  static List<JsonNode> lens(Path av, Path ar, String text, int maxNewTokens, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "lens",
                "--base",
                av.toString(),
                "--av",
                av.toString(),
                "--ar",
                ar.toString(),
                "--text",
                text,
                "--json",
                "--max-new-tokens",
                String.valueOf(maxNewTokens)));
    args.addAll(List.of(more));
    CliRun cli = CliRun.run(args.toArray(String[]::new));
    assertTrue(cli.code() == 0 || cli.code() == 2, cli.err());
    return lines(cli.out());
  }

  /**
   * {@code nla reconstruct --json} of the texts in {@code jsonl} against {@code gold}: one score
   * per text.
   */
  static List<JsonNode> reconstructScores(Path jsonl, Path gold, Path predictions) {
    CliRun cli =
        CliRun.run(
            "reconstruct",
            "--ar",
            ar.toString(),
            "--texts",
            jsonl.toString(),
            "--out",
            predictions.toString(),
            "--gold",
            gold.toString(),
            "--json");
    assertEquals(0, cli.code(), cli.err());
    return lines(cli.out());
  }

  /**
   * Clients that ask at once have their decodes batched together in the engine, and each gets
   * exactly what the lens gives for its text and seed alone.
   */
  @Test
  void concurrentClientsGetWhatTheLensGivesEachAlone() throws Exception {
    int clients = 6;
    String[] texts = new String[clients];
    List<List<JsonNode>> want = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      texts[c] = "Client " + c + " reads about the " + List.of("sea", "moon", "forest").get(c % 3);
      want.add(lensOn(texts[c], "--temperature", "0.8", "--seed", "" + (40 + c)));
    }
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(clients);
    try {
      java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
      List<java.util.concurrent.Future<JsonNode>> got = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        ObjectNode req = MAPPER.createObjectNode();
        req.put("text", texts[c]);
        req.put("temperature", 0.8);
        req.put("seed", 40 + c);
        req.put("max_new_tokens", 24);
        req.put("reverse", false);
        for (int k = 0; k < 2; k++) {
          got.add(
              pool.submit(
                  () -> {
                    go.await();
                    return ok(post("/explain", req.toString()));
                  }));
        }
      }
      go.countDown();
      for (int i = 0; i < got.size(); i++) {
        JsonNode answer = got.get(i).get(5, java.util.concurrent.TimeUnit.MINUTES);
        List<JsonNode> lens = want.get(i / 2);
        assertEquals(lens.size(), answer.get("results").size(), answer.toString());
        for (int p = 0; p < lens.size(); p++) {
          assertSameAsLens(lens.get(p), answer.get("results").get(p));
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void explainStreamsMetaProgressResultsThenDone() {
    ObjectNode req = MAPPER.createObjectNode();
    req.put("text", TEXT);
    req.put("temperature", 0);
    req.put("max_new_tokens", 24);
    req.putArray("positions").add(2).add(5).add(-1);
    JsonNode whole = ok(post("/explain", req.toString()));
    req.put("stream", true);
    Reply r = post("/explain", req.toString());
    assertEquals(200, r.status(), r.body());
    assertTrue(
        r.raw().headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
    List<String> frames = frames(r.body());
    JsonNode meta = parse(frames.get(0));
    assertEquals(1, meta.get("layer_index").asInt());
    assertEquals(3, meta.get("total").asInt());
    List<JsonNode> finals = new ArrayList<>();
    // A position's text grows from frame to frame, and its result follows its whole decode.
    java.util.Map<Integer, String> sofar = new java.util.HashMap<>();
    JsonNode previous = null;
    for (String f : frames.subList(1, frames.size() - 1)) {
      JsonNode n = parse(f);
      int position = n.get("position").asInt();
      if (n.has("description")) {
        finals.add(n);
        assertEquals(position, previous.get("position").asInt(), f);
        assertFalse(previous.has("description"), f);
      } else {
        assertFalse(n.get("done").asBoolean());
        String text = n.get("text").asText();
        assertTrue(text.startsWith(sofar.getOrDefault(position, "")), text);
        assertFalse(text.contains("<|im_end|>"), text);
        sofar.put(position, text);
      }
      previous = n;
    }
    assertEquals(3, finals.size());
    for (int i = 0; i < 3; i++) assertEquals(whole.get("results").get(i), finals.get(i));
  }

  static JsonNode parse(String s) {
    try {
      return MAPPER.readTree(s);
    } catch (Exception e) {
      throw new AssertionError(s, e);
    }
  }

  // ---- describe, score, compare ----

  /** Two of the text's vectors, also written to an .npy for the CLI. */
  static float[][] twoVectors(Path npy) {
    JsonNode ex = ok(post("/extract", json(java.util.Map.of("text", TEXT))));
    float[][] v = new float[2][16];
    int[] at = {4, 9};
    for (int r = 0; r < 2; r++) {
      for (int j = 0; j < 16; j++) {
        v[r][j] = (float) ex.at("/tokens/" + at[r] + "/activation/" + j).asDouble();
      }
    }
    Npy.write(npy, v);
    return v;
  }

  static ArrayNode vectorsJson(float[][] v) {
    ArrayNode a = MAPPER.createArrayNode();
    for (float[] row : v) {
      ArrayNode r = a.addArray();
      for (float x : row) r.add(x);
    }
    return a;
  }

  @Test
  void describeGivesWhatVerbalizeAndReconstructGive() throws Exception {
    Path npy = tmp.resolve("two.npy");
    float[][] v = twoVectors(npy);
    CliRun verbalize =
        CliRun.run(
            "verbalize",
            "--av",
            av.toString(),
            "--vectors",
            npy.toString(),
            "--json",
            "--temperature",
            "0.8",
            "--seed",
            "3",
            "--max-new-tokens",
            "24");
    assertEquals(0, verbalize.code(), verbalize.err());
    List<JsonNode> decodes = lines(verbalize.out());
    StringBuilder texts = new StringBuilder();
    List<String> explanations = new ArrayList<>();
    for (JsonNode d : decodes) {
      String e =
          d.get("explanation").isNull()
              ? d.get("text").asText().strip()
              : d.get("explanation").asText();
      explanations.add(e);
      texts.append(json(java.util.Map.of("text", e))).append('\n');
    }
    Path jsonl = tmp.resolve("texts.jsonl");
    Files.writeString(jsonl, texts);
    List<JsonNode> scores = reconstructScores(jsonl, npy, tmp.resolve("pred.npy"));

    ObjectNode req = MAPPER.createObjectNode();
    req.set("activations", vectorsJson(v));
    req.put("temperature", 0.8);
    req.put("seed", 3);
    req.put("max_new_tokens", 24);
    JsonNode got = ok(post("/describe", req.toString()));
    for (int i = 0; i < 2; i++) {
      JsonNode r = got.get("results").get(i);
      assertEquals(explanations.get(i), r.get("description").asText());
      assertEquals(scores.get(i).get("mse_nrm").asDouble(), r.get("mse").asDouble(), 0.0);
      assertEquals(scores.get(i).get("cos").asDouble(), r.get("cosine_similarity").asDouble(), 0.0);
    }

    req.put("stream", true);
    Reply s = post("/describe", req.toString());
    List<String> frames = frames(s.body());
    List<JsonNode> finals = new ArrayList<>();
    for (String f : frames.subList(0, frames.size() - 1)) {
      JsonNode n = parse(f);
      if (n.has("description")) finals.add(n);
    }
    assertEquals(2, finals.size());
    for (int i = 0; i < 2; i++) {
      assertEquals(i, finals.get(i).get("index").asInt());
      assertEquals(got.get("results").get(i).get("description"), finals.get(i).get("description"));
      assertEquals(got.get("results").get(i).get("mse"), finals.get(i).get("mse"));
    }
  }

  @Test
  void scoreGivesWhatReconstructGives() throws Exception {
    Path npy = tmp.resolve("score.npy");
    float[][] v = twoVectors(npy);
    String description = "The text is about a lighthouse at dusk.";
    Path jsonl = tmp.resolve("score.jsonl");
    Files.writeString(
        jsonl,
        json(java.util.Map.of("text", description))
            + "\n"
            + json(java.util.Map.of("text", description))
            + "\n");
    List<JsonNode> want = reconstructScores(jsonl, npy, tmp.resolve("score-pred.npy"));
    for (int i = 0; i < 2; i++) {
      ObjectNode req = MAPPER.createObjectNode();
      req.put("description", description);
      req.set("activation", vectorsJson(v).get(i));
      JsonNode got = ok(post("/score", req.toString()));
      assertEquals(want.get(i).get("mse_nrm").asDouble(), got.get("mse").asDouble(), 0.0);
      assertEquals(want.get(i).get("cos").asDouble(), got.get("cosine_similarity").asDouble(), 0.0);
    }
  }

  @Test
  void compareDescribesTheDifference() {
    float[][] v = twoVectors(tmp.resolve("cmp.npy"));
    float[] diff = new float[16];
    for (int j = 0; j < 16; j++) diff[j] = v[0][j] - v[1][j];
    ObjectNode req = MAPPER.createObjectNode();
    req.set("activation_a", vectorsJson(v).get(0));
    req.set("activation_b", vectorsJson(v).get(1));
    req.put("temperature", 0);
    req.put("max_new_tokens", 24);
    JsonNode got = ok(post("/compare", req.toString()));
    ObjectNode d = MAPPER.createObjectNode();
    d.set("activations", vectorsJson(new float[][] {diff}));
    d.put("temperature", 0);
    d.put("max_new_tokens", 24);
    JsonNode described = ok(post("/describe", d.toString())).get("results").get(0);
    assertEquals(described.get("description"), got.get("description"));
    assertEquals(described.get("mse"), got.get("mse"));
    assertEquals(Api.norm(diff), got.get("diff_norm").asDouble(), 1e-12);
  }

  // ---- the secret ----

  @Test
  void secretIsCheckedAs401And403ButNotOnHealth() {
    NlaServer s = start(1, 0, "s3cret");
    try {
      Reply missing = post(s, "/tokenize", "{\"text\": \"x\"}");
      assertEquals(401, missing.status());
      assertEquals("X-SECRET-KEY header required", missing.json().get("detail").asText());
      Reply wrong = post(s, "/tokenize", "{\"text\": \"x\"}", "X-SECRET-KEY", "nope");
      assertEquals(403, wrong.status());
      assertEquals(403, get(s, "/", "X-SECRET-KEY", "nope").status());
      // Right secret, models not loaded yet: 503, and /health says loading.
      Reply loading = post(s, "/tokenize", "{\"text\": \"x\"}", "X-SECRET-KEY", "s3cret");
      assertEquals(503, loading.status(), loading.body());
      Reply health = get(s, "/health");
      assertEquals(503, health.status());
      assertEquals("loading", health.json().get("status").asText());
    } finally {
      s.close();
    }
  }

  // ---- completion ----

  /** {@code nla generate} on the base (the demo's base is its AV), as JSON. */
  static JsonNode generate(String text, String... sampling) {
    List<String> args =
        new ArrayList<>(List.of("generate", "--model", av.toString(), "--prompt", text, "--json"));
    args.addAll(List.of(sampling));
    CliRun cli = CliRun.run(args.toArray(String[]::new));
    assertEquals(0, cli.code(), cli.err());
    return lines(cli.out()).get(0);
  }

  /** The ids of a TokenizeResponse's tokens, each at its position. */
  static List<Integer> tokenIds(JsonNode tokens) {
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < tokens.size(); i++) {
      assertEquals(i, tokens.get(i).get("position").asInt(), tokens.toString());
      ids.add(tokens.get(i).get("token_id").asInt());
    }
    return ids;
  }

  static List<Integer> ints(JsonNode array) {
    List<Integer> out = new ArrayList<>();
    for (JsonNode x : array) out.add(x.asInt());
    return out;
  }

  @Test
  void completionGivesWhatGenerateGives() {
    JsonNode want = generate(TEXT, "--max-new-tokens", "12");
    ObjectNode req = MAPPER.createObjectNode();
    req.put("text", TEXT);
    req.put("completion_tokens", 12);
    req.put("temperature", 0);
    JsonNode got = ok(post("/completion", req.toString()));
    List<Integer> prompt = ints(want.get("prompt_ids"));
    List<Integer> all = new ArrayList<>(prompt);
    all.addAll(ints(want.get("output_ids")));
    assertFalse(want.get("output_ids").isEmpty(), want.toString());
    assertEquals(all, tokenIds(got.get("tokens")));
    assertEquals(prompt.size(), got.get("prompt_length").asInt());
    // NP's text: prompt and continuation decoded together, special tokens kept (generate's
    // text is the continuation without them: here the demo's <|im_end|> is left out).
    String text = got.get("text").asText();
    assertEquals(
        nla.text.Tokenizer.load(av)
            .decode(all.stream().mapToInt(Integer::intValue).toArray(), false),
        text);
    assertTrue(text.startsWith(TEXT + want.get("text").asText()), got + " vs " + want);
    // The tokens of the prompt are /tokenize's.
    JsonNode tokenized = ok(post("/tokenize", json(java.util.Map.of("text", TEXT))));
    for (int i = 0; i < prompt.size(); i++) {
      assertEquals(tokenized.get("tokens").get(i), got.get("tokens").get(i));
    }
    // Sampled with a seed: what generate samples with the same --seed, every time.
    JsonNode sampled =
        generate(TEXT, "--max-new-tokens", "12", "--temperature", "0.9", "--seed", "5");
    req.put("temperature", 0.9);
    req.put("seed", 5);
    List<Integer> wantSampled = new ArrayList<>(prompt);
    wantSampled.addAll(ints(sampled.get("output_ids")));
    assertEquals(wantSampled, tokenIds(ok(post("/completion", req.toString())).get("tokens")));
    assertEquals(wantSampled, tokenIds(ok(post("/completion", req.toString())).get("tokens")));
  }

  @Test
  void completionBudgetIsClampedTo512AsNeuronpediaDoes() {
    ObjectNode req = MAPPER.createObjectNode();
    req.put("text", "Hi");
    req.put("completion_tokens", 100_000);
    req.put("temperature", 0);
    JsonNode got = ok(post("/completion", req.toString()));
    int generated = got.get("tokens").size() - got.get("prompt_length").asInt();
    assertTrue(generated >= 1 && generated <= Api.MAX_COMPLETION_TOKENS, got.toString());
    JsonNode want = generate("Hi", "--max-new-tokens", "" + Api.MAX_COMPLETION_TOKENS);
    assertEquals(want.get("output_ids").size(), generated);
  }

  @Test
  void completionStreamsPromptTokensDoneThenDone() {
    ObjectNode req = MAPPER.createObjectNode();
    req.put("text", TEXT);
    req.put("completion_tokens", 12);
    req.put("temperature", 0);
    JsonNode whole = ok(post("/completion", req.toString()));
    req.put("stream", true);
    Reply r = post("/completion", req.toString());
    assertEquals(200, r.status(), r.body());
    assertTrue(
        r.raw().headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
    List<String> frames = frames(r.body());
    int promptLength = whole.get("prompt_length").asInt();
    int generated = whole.get("tokens").size() - promptLength;
    // prompt, one frame per generated token, done, [DONE]
    assertEquals(1 + generated + 1 + 1, frames.size(), r.body());
    JsonNode prompt = parse(frames.get(0));
    assertEquals("prompt", prompt.get("type").asText());
    assertEquals(promptLength, prompt.get("prompt_length").asInt());
    ArrayNode tokens = MAPPER.createArrayNode();
    tokens.addAll((ArrayNode) prompt.get("tokens"));
    for (String f : frames.subList(1, 1 + generated)) {
      JsonNode n = parse(f);
      assertEquals("token", n.get("type").asText(), f);
      tokens.add(n.get("token"));
    }
    assertEquals(whole.get("tokens"), tokens);
    JsonNode done = parse(frames.get(1 + generated));
    assertEquals("done", done.get("type").asText());
    assertEquals(whole.get("text"), done.get("text"));
  }

  @Test
  void unknownPathsAre404() {
    Reply nf = post("/nope", "{}");
    assertEquals(404, nf.status());
    assertEquals("Not Found", nf.json().get("detail").asText());
    assertEquals(405, get(server, "/score").status());
  }

  @Test
  void anUnreadyServerStillAnswersHealthAndMetrics() {
    NlaServer s = start(1, 0, null);
    try {
      assertEquals(503, get(s, "/health").status());
      assertTrue(get(s, "/metrics").body().contains("nla_ready 0"));
      assertNotNull(get(s, "/").json().get("status"));
    } finally {
      s.close();
    }
  }
}
