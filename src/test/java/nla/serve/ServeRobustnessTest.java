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
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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
      // Other endpoints have their own gates.
      assertEquals(200, post(s, "/tokenize", "{\"text\": \"hi\"}").status());
      release.countDown();
      assertEquals(200, running.get(1, TimeUnit.MINUTES).status());
      assertEquals(200, queued.get(1, TimeUnit.MINUTES).status());
      assertTrue(get(s, "/metrics").body().contains("status=\"429\"} 1"));
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
