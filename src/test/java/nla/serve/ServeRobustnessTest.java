package nla.serve;

import static nla.serve.ServeEndToEndTest.MAPPER;
import static nla.serve.ServeEndToEndTest.get;
import static nla.serve.ServeEndToEndTest.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import nla.GoldenFixtures;
import nla.cli.CliRun;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bad input never takes {@code nla serve} down (each is a 4xx naming the field, and the next
 * request is served), the gates answer 429 beyond their queue, concurrent clients all get their own
 * right answers, and a stop lets the request in progress finish.
 */
class ServeRobustnessTest {
  static Path av;
  static Path ar;
  static NlaServer server;
  static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();

  @BeforeAll
  static void start() {
    av = GoldenFixtures.demoDir("av");
    ar = GoldenFixtures.demoDir("ar");
    server = server(4, 64);
  }

  static NlaServer server(int maxConcurrent, int maxQueue) {
    NlaServer s =
        new NlaServer(
                new NlaServer.Options(
                    "127.0.0.1", 0, maxConcurrent, maxQueue, 200, null, 1 << 20, 10_000),
                new NlaServer.Names("base", "av", "ar"),
                new PrintStream(LOG, true, StandardCharsets.UTF_8))
            .start();
    s.ready(Engine.open(av, av, ar));
    return s;
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  static String vector(int width, String at3) {
    List<String> xs = new ArrayList<>();
    for (int i = 0; i < width; i++) xs.add(i == 3 ? at3 : "0.5");
    return "[" + String.join(",", xs) + "]";
  }

  /** (path, body, status, a field the answer must name) */
  static final String[][] BAD = {
    {"/score", "{\"description\": \"x\", \"activation\": [1,2", "422", "json_invalid"},
    {"/score", "not json at all", "422", "json_invalid"},
    {"/score", "", "422", "missing"},
    {"/score", "[1, 2, 3]", "422", "model_attributes_type"},
    {"/score", "{\"activation\": " + vector(16, "1") + "}", "422", "description"},
    {
      "/score",
      "{\"description\": 5, \"activation\": " + vector(16, "1") + "}",
      "422",
      "description"
    },
    {
      "/score",
      "{\"description\": \"x\", \"activation\": " + vector(15, "1") + "}",
      "422",
      "activation"
    },
    {
      "/score",
      "{\"description\": \"x\", \"activation\": " + vector(16, "NaN") + "}",
      "422",
      "\"activation\",3"
    },
    {
      "/score",
      "{\"description\": \"x\", \"activation\": " + vector(16, "Infinity") + "}",
      "422",
      "\"activation\",3"
    },
    {
      "/score",
      "{\"description\": \"x\", \"activation\": " + vector(16, "1e39") + "}",
      "422",
      "\"activation\",3"
    },
    {
      "/score",
      "{\"description\": \"x\", \"activation\": " + vector(16, "\"a\"") + "}",
      "422",
      "\"activation\",3"
    },
    {"/score", "{\"description\": \"x\", \"activation\": \"nope\"}", "422", "activation"},
    {
      "/score",
      "{\"description\": \"x\", \"activation\": " + "[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]" + "}",
      "422",
      "zero_vector"
    },
    {
      "/score",
      "{\"description\": \"" + "x".repeat(9000) + "\", \"activation\": " + vector(16, "1") + "}",
      "422",
      "string_too_long"
    },
    {"/describe", "{\"activations\": []}", "422", "too_short"},
    {
      "/describe",
      "{\"activations\": [" + vector(16, "1") + ", " + vector(17, "1") + "]}",
      "422",
      "\"activations\",1"
    },
    {
      "/describe",
      "{\"activations\": [" + vector(16, "1") + "], \"max_new_tokens\": 0}",
      "422",
      "max_new_tokens"
    },
    {
      "/describe",
      "{\"activations\": [" + vector(16, "1") + "], \"max_new_tokens\": 2.5}",
      "422",
      "max_new_tokens"
    },
    {
      "/describe",
      "{\"activations\": [" + vector(16, "1") + "], \"temperature\": 9}",
      "422",
      "temperature"
    },
    {
      "/describe",
      "{\"activations\": [" + vector(16, "1") + "], \"temperature\": \"hot\"}",
      "422",
      "temperature"
    },
    {
      "/describe",
      "{\"activations\": [" + vector(16, "1") + "], \"stream\": \"yes\"}",
      "422",
      "stream"
    },
    {"/explain", "{\"text\": \"" + "a".repeat(201) + "\"}", "422", "string_too_long"},
    {
      "/explain",
      "{\"text\": \"Hello there\", \"positions\": [99]}",
      "400",
      "Position 99 out of range"
    },
    {"/explain", "{\"text\": \"Hello there\", \"positions\": [\"a\"]}", "422", "positions"},
    {"/explain", "{}", "400", "Provide either `text` or `messages`"},
    {"/explain", "{\"text\": \"\"}", "400", "Provide either `text` or `messages`"},
    {"/explain", "{\"messages\": [{\"content\": \"hi\"}]}", "422", "role"},
    {"/tokenize", "{\"text\": 12}", "422", "text"},
    {"/tokenize", "{\"messages\": \"hi\"}", "422", "messages"},
    {"/extract", "{\"text\": null}", "400", "Provide either"},
    {
      "/compare",
      "{\"activation_a\": " + vector(16, "1") + ", \"activation_b\": " + vector(16, "1") + "}",
      "400",
      "zero"
    },
    {"/compare", "{\"activation_a\": " + vector(16, "1") + "}", "422", "activation_b"},
    {"/completion", "{}", "400", "Provide either `text` or `messages`"},
    {"/completion", "{\"text\": \"Hi\", \"completion_tokens\": 0}", "422", "completion_tokens"},
    // Every field's problem comes before the missing text's 400, as pydantic checks first.
    {"/completion", "{\"completion_tokens\": -3}", "422", "completion_tokens"},
    {"/completion", "{\"text\": \"Hi\", \"temperature\": -0.5}", "422", "temperature"},
    {"/completion", "{\"text\": \"Hi\", \"temperature\": 5.5}", "422", "temperature"},
    {"/completion", "{\"text\": \"Hi\", \"seed\": 1.5}", "422", "seed"},
    {"/completion", "{\"text\": \"" + "a".repeat(201) + "\"}", "422", "string_too_long"},
    {"/completion", "{\"text\": \"Hi\", \"stream\": \"yes\"}", "422", "stream"},
  };

  @Test
  void badInputIsA4xxNamingTheFieldAndTheNextRequestIsServed() {
    String good = "{\"description\": \"x\", \"activation\": " + vector(16, "1") + "}";
    for (String[] c : BAD) {
      ServeEndToEndTest.Reply r = post(server, c[0], c[1]);
      String what = c[0] + " " + (c[1].length() > 120 ? c[1].substring(0, 120) : c[1]);
      assertEquals(Integer.parseInt(c[2]), r.status(), what + " -> " + r.body());
      JsonNode detail = r.json().get("detail");
      assertTrue(detail != null, what + " -> " + r.body());
      assertTrue(r.body().contains(c[3]), what + " -> " + r.body() + " lacks " + c[3]);
      if (r.status() == 422) {
        assertTrue(detail.isArray() && detail.get(0).has("loc"), r.body());
        assertEquals("body", detail.get(0).get("loc").get(0).asText());
      }
      assertEquals(200, post(server, "/score", good).status(), "after " + what);
    }
    assertEquals(200, get(server, "/health").status());
  }

  @Test
  void chatMessagesRenderThroughTheTemplate() {
    JsonNode r =
        post(server, "/tokenize", "{\"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}]}")
            .json();
    assertTrue(r.get("text").asText().contains("<|im_start|>user\nHello<|im_end|>"), r.toString());
    assertTrue(r.get("text").asText().endsWith("<|im_start|>assistant\n"), r.toString());
  }

  @Test
  void sixteenClientsEachGetTheirOwnAnswers() throws Exception {
    String[] texts = new String[16];
    JsonNode[] want = new JsonNode[16];
    for (int c = 0; c < 16; c++) {
      texts[c] = "Client " + c + " asks about " + "abcdefghijklmnop".charAt(c) + " things.";
    }
    // The expected answers, one request at a time.
    for (int c = 0; c < 16; c++) want[c] = explain(texts[c]);
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<List<String>>> futures = new ArrayList<>();
      CountDownLatch go = new CountDownLatch(1);
      for (int c = 0; c < 16; c++) {
        int client = c;
        futures.add(
            pool.submit(
                () -> {
                  go.await();
                  List<String> problems = new ArrayList<>();
                  for (int k = 0; k < 3; k++) {
                    JsonNode got = explain(texts[client]);
                    if (!want[client].equals(got)) problems.add(client + "/" + k + ": " + got);
                    ServeEndToEndTest.Reply t =
                        post(server, "/tokenize", "{\"text\": \"" + texts[client] + "\"}");
                    if (t.status() != 200 || !t.json().get("text").asText().equals(texts[client])) {
                      problems.add(client + "/" + k + " tokenize: " + t.body());
                    }
                  }
                  return problems;
                }));
      }
      go.countDown();
      List<String> problems = new ArrayList<>();
      for (Future<List<String>> f : futures) problems.addAll(f.get(5, TimeUnit.MINUTES));
      assertEquals(List.of(), problems);
    } finally {
      pool.shutdownNow();
    }
    String metrics = get(server, "/metrics").body();
    assertTrue(metrics.contains("nla_queue_length{endpoint=\"/explain\"} 0"), metrics);
  }

  static JsonNode explain(String text) {
    ObjectNode req = MAPPER.createObjectNode();
    req.put("text", text);
    req.put("temperature", 0.7);
    req.put("seed", 11);
    req.put("max_new_tokens", 12);
    req.putArray("positions").add(-1).add(-2);
    ServeEndToEndTest.Reply r = post(server, "/explain", req.toString());
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  @Test
  void aFullGateAnswers429AtOnceAndTheQueuedRequestsAreServed() throws Exception {
    NlaServer s = server(1, 1);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    s.beforeWork =
        endpoint -> {
          if (!endpoint.equals("/score")) return;
          entered.countDown();
          try {
            release.await(1, TimeUnit.MINUTES);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        };
    String body = "{\"description\": \"x\", \"activation\": " + vector(16, "1") + "}";
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<ServeEndToEndTest.Reply> running = pool.submit(() -> post(s, "/score", body));
      assertTrue(entered.await(1, TimeUnit.MINUTES));
      Future<ServeEndToEndTest.Reply> queued = pool.submit(() -> post(s, "/score", body));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!get(s, "/metrics").body().contains("nla_queue_length{endpoint=\"/score\"} 1")) {
        assertTrue(System.nanoTime() < deadline, "the second request never queued");
        Thread.sleep(20);
      }
      ServeEndToEndTest.Reply refused = post(s, "/score", body);
      assertEquals(429, refused.status(), refused.body());
      assertTrue(refused.json().get("detail").asText().contains("/score"));
      assertEquals("1", refused.raw().headers().firstValue("Retry-After").orElse(null));
      // A burst of clients at once beyond the limits: every one refused at once, none queued.
      ExecutorService burst = Executors.newFixedThreadPool(12);
      try {
        List<Future<ServeEndToEndTest.Reply>> refusals = new ArrayList<>();
        for (int i = 0; i < 12; i++) refusals.add(burst.submit(() -> post(s, "/score", body)));
        for (Future<ServeEndToEndTest.Reply> f : refusals) {
          assertEquals(429, f.get(1, TimeUnit.MINUTES).status());
        }
      } finally {
        burst.shutdownNow();
      }
      // Other endpoints have their own gates.
      assertEquals(200, post(s, "/tokenize", "{\"text\": \"hi\"}").status());
      release.countDown();
      ServeEndToEndTest.Reply first = running.get(1, TimeUnit.MINUTES);
      assertEquals(200, first.status());
      assertEquals(first.body(), queued.get(1, TimeUnit.MINUTES).body());
      assertTrue(get(s, "/metrics").body().contains("status=\"429\"} 13"));
      // Then normal service: the same answer, one after another, nothing left queued.
      for (int i = 0; i < 3; i++) assertEquals(first.body(), post(s, "/score", body).body());
      assertTrue(get(s, "/metrics").body().contains("nla_queue_length{endpoint=\"/score\"} 0"));
    } finally {
      release.countDown();
      pool.shutdownNow();
      s.close();
    }
  }

  @Test
  void stoppingLetsTheRequestInProgressFinish() throws Exception {
    NlaServer s = server(1, 0);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    s.beforeWork =
        endpoint -> {
          entered.countDown();
          try {
            release.await(1, TimeUnit.MINUTES);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        };
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<ServeEndToEndTest.Reply> inFlight =
          pool.submit(() -> post(s, "/tokenize", "{\"text\": \"still here\"}"));
      assertTrue(entered.await(1, TimeUnit.MINUTES));
      Future<?> stopping = pool.submit(s::close);
      Thread.sleep(200);
      release.countDown();
      ServeEndToEndTest.Reply r = inFlight.get(1, TimeUnit.MINUTES);
      assertEquals(200, r.status(), r.body());
      assertEquals("still here", r.json().get("text").asText());
      stopping.get(1, TimeUnit.MINUTES);
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  /** A metric's value in a /metrics text, or -1 when absent. */
  static double metric(String text, String series) {
    for (String line : text.split("\n")) {
      if (line.startsWith(series + " "))
        return Double.parseDouble(line.substring(series.length() + 1));
    }
    return -1;
  }

  /** Sends a streamed request, reads its first frame, then closes the connection. */
  static JsonNode firstFrameThenLeave(NlaServer s, String path, ObjectNode req) throws IOException {
    byte[] body = req.toString().getBytes(StandardCharsets.UTF_8);
    try (Socket socket = new Socket("127.0.0.1", s.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST "
                  + path
                  + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  + "Content-Length: "
                  + body.length
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream seen = new ByteArrayOutputStream();
      int start = -1;
      while (true) {
        int b = in.read();
        assertTrue(b >= 0, "the stream ended early: " + seen);
        seen.write(b);
        String text = seen.toString(StandardCharsets.UTF_8);
        if (start < 0) start = text.indexOf("data: ");
        if (start >= 0 && text.indexOf("\n\n", start) > 0) {
          return MAPPER.readTree(text.substring(start + 6, text.indexOf("\n\n", start)));
        }
      }
    }
  }

  @Test
  void aClientThatLeavesAStreamHasItsDecodesCancelledAndTheNextIsServed() throws Exception {
    // One slot and no queue: the next request is served only once the left stream gave it back.
    NlaServer s =
        new NlaServer(
                new NlaServer.Options("127.0.0.1", 0, 1, 0, 20_000, null, 1 << 20, 10_000),
                new NlaServer.Names("base", "av", "ar"),
                new PrintStream(LOG, true, StandardCharsets.UTF_8))
            .start();
    s.ready(Engine.open(av, av, ar));
    try {
      ObjectNode req = MAPPER.createObjectNode();
      req.put("text", "The keeper climbed the spiral stairs at dusk. ".repeat(30));
      req.put("temperature", 0);
      req.put("max_new_tokens", 200);
      req.put("stream", true);
      int total = firstFrameThenLeave(s, "/explain", req).get("total").asInt();
      assertTrue(total > 100, "positions: " + total);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      String m = get(s, "/metrics").body();
      // The request's 499 is counted last, once its handler has returned.
      while (metric(m, "nla_requests_cancelled_total") < 1
          || metric(m, "nla_stream_clients_gone_total{endpoint=\"/explain\"}") < 1
          || metric(m, "nla_decodes_cancelled_total") < 1
          || metric(m, "nla_requests_total{endpoint=\"/explain\",status=\"499\"}") < 1) {
        assertTrue(System.nanoTime() < deadline, "the stream was never cancelled:\n" + m);
        Thread.sleep(20);
        m = get(s, "/metrics").body();
      }
      assertTrue(metric(m, "nla_decodes_completed_total") < total, m);
      assertTrue(m.contains("nla_requests_total{endpoint=\"/explain\",status=\"499\"} 1"), m);
      assertTrue(LOG.toString(StandardCharsets.UTF_8).contains("client went away mid-stream"));
      // The engine stopped spending compute on it: no decode of it completes after this.
      double completed = metric(m, "nla_decodes_completed_total");
      Thread.sleep(300);
      m = get(s, "/metrics").body();
      assertEquals(completed, metric(m, "nla_decodes_completed_total"));
      assertEquals(total, completed + metric(m, "nla_decodes_cancelled_total"), m);
      // The next request is served.
      ServeEndToEndTest.Reply next =
          post(s, "/explain", "{\"text\": \"Hello there\", \"max_new_tokens\": 8}");
      assertEquals(200, next.status(), next.body());
      assertEquals(2, next.json().get("results").size());
    } finally {
      s.close();
    }
  }

  @Test
  void aClientThatLeavesACompletionStreamHasItsDecodeCancelledAndTheNextIsServed()
      throws Exception {
    // The demo base ends every text within a few dozen tokens, before a client that leaves is
    // noticed; the golden pair's random-weight base goes on for the whole budget (the CLI shows
    // it), far past that moment.
    Path randomAv = GoldenFixtures.nlaDir("qwen2.5-av");
    Path randomAr = GoldenFixtures.nlaDir("qwen2.5-ar");
    CliRun cli =
        CliRun.run(
            "generate",
            "--model",
            randomAv.toString(),
            "--prompt",
            "Hello there",
            "--json",
            "--temperature",
            "0",
            "--max-new-tokens",
            "512");
    assertEquals(0, cli.code(), cli.err());
    assertEquals(512, MAPPER.readTree(cli.out()).get("output_ids").size(), cli.out());
    NlaServer s =
        new NlaServer(
                new NlaServer.Options("127.0.0.1", 0, 1, 0, 200, null, 1 << 20, 10_000),
                new NlaServer.Names("base", "av", "ar"),
                new PrintStream(LOG, true, StandardCharsets.UTF_8))
            .start();
    s.ready(Engine.open(randomAv, randomAv, randomAr));
    try {
      ObjectNode req = MAPPER.createObjectNode();
      req.put("text", "Hello there");
      req.put("completion_tokens", 512);
      req.put("temperature", 0);
      req.put("stream", true);
      assertEquals("prompt", firstFrameThenLeave(s, "/completion", req).get("type").asText());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      String m = get(s, "/metrics").body();
      // The request's 499 is counted last, once its handler has returned.
      while (metric(m, "nla_completions_cancelled_total") < 1
          || metric(m, "nla_stream_clients_gone_total{endpoint=\"/completion\"}") < 1
          || metric(m, "nla_requests_total{endpoint=\"/completion\",status=\"499\"}") < 1) {
        assertTrue(System.nanoTime() < deadline, "the stream was never cancelled:\n" + m);
        Thread.sleep(20);
        m = get(s, "/metrics").body();
      }
      assertTrue(metric(m, "nla_completion_tokens_total") < 512, m);
      assertTrue(m.contains("nla_requests_total{endpoint=\"/completion\",status=\"499\"} 1"), m);
      assertEquals(1, metric(m, "nla_requests_cancelled_total"), m);
      // The base is free again: the next completion (one slot, no queue) and activations are
      // served.
      ServeEndToEndTest.Reply next =
          post(s, "/completion", "{\"text\": \"Hello there\", \"completion_tokens\": 4}");
      assertEquals(200, next.status(), next.body());
      assertEquals(200, post(s, "/extract", "{\"text\": \"Hello there\"}").status());
    } finally {
      s.close();
    }
  }

  @Test
  void sigtermUnderLoadFinishesOrCleanlyEndsEveryRequest() throws Exception {
    Path childLog = Files.createTempFile("nla-serve-sigterm", ".log");
    String javaBin = ProcessHandle.current().info().command().orElse("java");
    Process child =
        new ProcessBuilder(
                javaBin,
                "--add-modules=jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                "nla.cli.Main",
                "serve",
                "--base",
                av.toString(),
                "--av",
                av.toString(),
                "--ar",
                ar.toString(),
                "--port",
                "0",
                "--max-concurrent",
                "8",
                "--max-queue",
                "64")
            .redirectErrorStream(true)
            .redirectOutput(childLog.toFile())
            .start();
    ExecutorService clients = Executors.newFixedThreadPool(8);
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      Matcher port;
      while (!(port =
              Pattern.compile("listening on http://127.0.0.1:(\\d+)")
                  .matcher(Files.readString(childLog)))
          .find()) {
        assertTrue(child.isAlive() && System.nanoTime() < deadline, Files.readString(childLog));
        Thread.sleep(50);
      }
      URI base = URI.create("http://127.0.0.1:" + port.group(1));
      HttpClient http = HttpClient.newHttpClient();
      String body =
          "{\"text\": \"The keeper climbed the stairs.\", \"temperature\": 0.7, \"seed\": 5,"
              + " \"max_new_tokens\": 16}";
      Supplier<HttpResponse<String>> explain =
          () -> {
            try {
              return http.send(
                  HttpRequest.newBuilder(base.resolve("/explain"))
                      .timeout(Duration.ofSeconds(60))
                      .POST(HttpRequest.BodyPublishers.ofString(body))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
              throw new IllegalStateException(e);
            }
          };
      String want = null;
      while (want == null) {
        assertTrue(child.isAlive() && System.nanoTime() < deadline, Files.readString(childLog));
        try {
          HttpResponse<String> r = explain.get();
          if (r.statusCode() == 200) want = r.body();
          else Thread.sleep(50); // still loading: 503
        } catch (UncheckedIOException e) {
          Thread.sleep(50);
        }
      }
      String expected = want;
      AtomicInteger answered = new AtomicInteger();
      AtomicInteger stopping = new AtomicInteger();
      AtomicInteger refused = new AtomicInteger();
      List<String> problems = Collections.synchronizedList(new ArrayList<>());
      List<Future<?>> running = new ArrayList<>();
      for (int c = 0; c < 8; c++) {
        running.add(
            clients.submit(
                () -> {
                  while (true) {
                    HttpResponse<String> r;
                    try {
                      r = explain.get();
                    } catch (UncheckedIOException e) {
                      refused.incrementAndGet(); // the server has closed: a clean end
                      return;
                    }
                    if (r.statusCode() == 200 && r.body().equals(expected)) {
                      answered.incrementAndGet();
                    } else if (r.statusCode() == 503) {
                      stopping.incrementAndGet();
                    } else {
                      problems.add(r.statusCode() + " " + r.body());
                    }
                  }
                }));
      }
      while (answered.get() < 16) {
        assertTrue(System.nanoTime() < deadline, Files.readString(childLog));
        Thread.sleep(10);
      }
      int beforeTerm = answered.get();
      child.destroy(); // SIGTERM
      assertTrue(child.waitFor(60, TimeUnit.SECONDS), "no exit after SIGTERM");
      assertEquals(143, child.exitValue(), Files.readString(childLog)); // 128 + SIGTERM
      for (Future<?> f : running) f.get(2, TimeUnit.MINUTES);
      assertEquals(List.of(), problems);
      assertEquals(8, refused.get());
      String logged = Files.readString(childLog);
      assertTrue(logged.contains("stopping: finishing requests in progress"), logged);
      assertTrue(logged.contains("stopped"), logged);
      assertTrue(answered.get() >= beforeTerm, "answers after SIGTERM: " + answered.get());
    } finally {
      clients.shutdownNow();
      child.destroyForcibly();
      child.waitFor(30, TimeUnit.SECONDS);
      Files.deleteIfExists(childLog);
    }
  }

  @Test
  void serveNeedsItsModelsFromFlagsOrEnvironment() {
    CliRun r = CliRun.run("serve", "--port", "0");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("--base: required (or set NLA_SOURCE_MODEL)"), r.err());
  }

  @Test
  void anEmptyArrayOfVectorsStillNamesTheField() {
    ArrayNode a = MAPPER.createArrayNode();
    ObjectNode req = MAPPER.createObjectNode();
    req.set("activations", a);
    ServeEndToEndTest.Reply r = post(server, "/describe", req.toString());
    assertEquals(422, r.status());
    assertEquals("activations", r.json().at("/detail/0/loc/1").asText());
  }
}
