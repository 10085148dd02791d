package nla.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bounded load on a running server: {@code clients} threads send {@code requests} requests in
 * all, drawn in turn from a list of calls, and every answer is checked against the answer the same
 * call got when sent alone first (a request's answer does not depend on what else runs). It counts
 * lost (no answer, or an error), duplicated (an answer carrying another request's id, or one id
 * answered twice) and wrong answers, and measures latency and requests per second. A 429 is retried
 * after its Retry-After (counted as busy, not lost). Used by the load test and {@code nla bench
 * serve}.
 */
public final class ServeLoad {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** One request: a POST path and its JSON body. */
  public record Call(String path, String body) {}

  /** The load: where, how many clients, how many requests in all, which calls. */
  public record Plan(
      URI server, int clients, int requests, List<Call> calls, Duration requestTimeout) {
    public Plan {
      if (clients < 1) throw new nla.io.UserError("--clients: must be >= 1, got " + clients);
      if (requests < 1) throw new nla.io.UserError("--requests: must be >= 1, got " + requests);
      if (calls.isEmpty()) throw new IllegalArgumentException("no calls");
    }
  }

  /** What happened; latencies in milliseconds, from sending to the last byte of the answer. */
  public record Result(
      int requests,
      int clients,
      int ok,
      int lost,
      int duplicated,
      int wrong,
      int busy,
      double seconds,
      double requestsPerSecond,
      double p50Ms,
      double p90Ms,
      double p99Ms,
      double maxMs,
      List<String> problems) {

    /** Every request answered once, with its own right answer. */
    public boolean clean() {
      return ok == requests && lost == 0 && duplicated == 0 && wrong == 0;
    }

    public Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("requests", requests);
      m.put("clients", clients);
      m.put("ok", ok);
      m.put("lost", lost);
      m.put("duplicated", duplicated);
      m.put("wrong", wrong);
      m.put("busy_429_retried", busy);
      m.put("seconds", seconds);
      m.put("requests_per_s", requestsPerSecond);
      m.put("latency_ms", Map.of("p50", p50Ms, "p90", p90Ms, "p99", p99Ms, "max", maxMs));
      m.put("problems", problems.subList(0, Math.min(20, problems.size())));
      return m;
    }
  }

  private ServeLoad() {}

  /**
   * A mix of the model endpoints on a pair of width {@code dModel}: explain (whole and streamed),
   * describe, compare, score and tokenize, each on its own text or vectors and seed.
   */
  public static List<Call> mixedCalls(int dModel, int distinct, int maxNewTokens) {
    List<Call> calls = new ArrayList<>();
    String[] words = {"lighthouse", "river", "violin", "glacier", "market", "comet", "orchard"};
    for (int i = 0; i < distinct; i++) {
      String text =
          "Request "
              + i
              + ": the "
              + words[i % words.length]
              + " was quiet before the "
              + words[(i + 3) % words.length]
              + ".";
      ObjectNode sampling = MAPPER.createObjectNode();
      sampling.put("temperature", i % 3 == 0 ? 0 : 0.7);
      sampling.put("seed", 100 + i);
      sampling.put("max_new_tokens", maxNewTokens);
      switch (i % 6) {
        case 0, 1 -> {
          ObjectNode b = sampling.deepCopy();
          b.put("text", text);
          b.putArray("positions").add(-1).add(-2).add(3);
          if (i % 6 == 1) b.put("stream", true);
          calls.add(new Call("/explain", b.toString()));
        }
        case 2 -> {
          ObjectNode b = sampling.deepCopy();
          ArrayNode vs = b.putArray("activations");
          for (int r = 0; r < 3; r++) vs.add(vector(dModel, i * 7 + r));
          calls.add(new Call("/describe", b.toString()));
        }
        case 3 -> {
          ObjectNode b = sampling.deepCopy();
          b.set("activation_a", vector(dModel, i));
          b.set("activation_b", vector(dModel, i + 1000));
          calls.add(new Call("/compare", b.toString()));
        }
        case 4 -> {
          ObjectNode b = MAPPER.createObjectNode();
          b.put("description", "A note about the " + words[i % words.length] + ".");
          b.set("activation", vector(dModel, i));
          calls.add(new Call("/score", b.toString()));
        }
        default -> {
          ObjectNode b = MAPPER.createObjectNode();
          b.put("text", text);
          calls.add(new Call("/tokenize", b.toString()));
        }
      }
    }
    return calls;
  }

  /** A deterministic vector with no zero direction. */
  private static ArrayNode vector(int d, int seed) {
    ArrayNode a = MAPPER.createArrayNode();
    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
    for (int j = 0; j < d; j++) a.add((float) (r.nextDouble() * 2 - 1));
    return a;
  }

  /**
   * Sends each call alone (its expected answer), then the load. Returns once every request has its
   * answer or its timeout; never hangs (each request is bounded by {@code requestTimeout}).
   */
  public static Result run(Plan plan) throws IOException, InterruptedException {
    ExecutorService io = Executors.newFixedThreadPool(Math.min(8, plan.clients()));
    HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .executor(io)
            .build();
    try {
      List<JsonNode> expected = new ArrayList<>();
      for (int c = 0; c < plan.calls().size(); c++) {
        Attempt a = send(http, plan, plan.calls().get(c), "expected-" + c);
        if (a.status != 200) {
          throw new IllegalStateException(
              plan.calls().get(c).path() + " alone answered " + a.status + ": " + a.body);
        }
        expected.add(comparable(plan.calls().get(c), a.body));
      }
      List<String> problems = Collections.synchronizedList(new ArrayList<>());
      Set<String> answered = ConcurrentHashMap.newKeySet();
      double[] latencies = new double[plan.requests()];
      Arrays.fill(latencies, Double.NaN);
      AtomicInteger next = new AtomicInteger();
      AtomicInteger ok = new AtomicInteger();
      AtomicInteger lost = new AtomicInteger();
      AtomicInteger duplicated = new AtomicInteger();
      AtomicInteger wrong = new AtomicInteger();
      AtomicInteger busy = new AtomicInteger();
      ExecutorService clients = Executors.newFixedThreadPool(plan.clients());
      long start = System.nanoTime();
      for (int c = 0; c < plan.clients(); c++) {
        clients.execute(
            () -> {
              for (int i; (i = next.getAndIncrement()) < plan.requests(); ) {
                int which = i % plan.calls().size();
                Call call = plan.calls().get(which);
                String id = "load-" + i;
                long t0 = System.nanoTime();
                Attempt a;
                try {
                  a = send(http, plan, call, id);
                  while (a.status == 429) {
                    busy.incrementAndGet();
                    Thread.sleep(100);
                    a = send(http, plan, call, id);
                  }
                } catch (IOException | InterruptedException | RuntimeException e) {
                  lost.incrementAndGet();
                  problems.add(id + " " + call.path() + ": " + e);
                  continue;
                }
                latencies[i] = (System.nanoTime() - t0) / 1e6;
                if (a.status != 200) {
                  lost.incrementAndGet();
                  problems.add(id + " " + call.path() + ": " + a.status + " " + a.body);
                } else if (!id.equals(a.requestId) || !answered.add(id)) {
                  duplicated.incrementAndGet();
                  problems.add(id + " " + call.path() + ": answered as " + a.requestId);
                } else if (!expected.get(which).equals(comparable(call, a.body))) {
                  wrong.incrementAndGet();
                  problems.add(id + " " + call.path() + ": " + a.body);
                } else {
                  ok.incrementAndGet();
                }
              }
            });
      }
      clients.shutdown();
      long bound = plan.requestTimeout().toMillis() * (plan.requests() / plan.clients() + 2);
      if (!clients.awaitTermination(bound, TimeUnit.MILLISECONDS)) {
        clients.shutdownNow();
        problems.add("the clients did not finish within " + bound + " ms");
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      double[] done = Arrays.stream(latencies).filter(x -> !Double.isNaN(x)).sorted().toArray();
      int answeredCount = ok.get() + wrong.get() + duplicated.get();
      int unaccounted = plan.requests() - answeredCount - lost.get();
      return new Result(
          plan.requests(),
          plan.clients(),
          ok.get(),
          lost.get() + Math.max(0, unaccounted),
          duplicated.get(),
          wrong.get(),
          busy.get(),
          seconds,
          ok.get() / seconds,
          percentile(done, 0.50),
          percentile(done, 0.90),
          percentile(done, 0.99),
          done.length == 0 ? Double.NaN : done[done.length - 1],
          List.copyOf(problems));
    } finally {
      http.close();
      io.shutdownNow();
    }
  }

  private record Attempt(int status, String body, String requestId) {}

  private static Attempt send(HttpClient http, Plan plan, Call call, String id)
      throws IOException, InterruptedException {
    HttpRequest r =
        HttpRequest.newBuilder(plan.server().resolve(call.path()))
            .timeout(plan.requestTimeout())
            .header("Content-Type", "application/json")
            .header("X-Request-Id", id)
            .POST(HttpRequest.BodyPublishers.ofString(call.body()))
            .build();
    HttpResponse<String> a = http.send(r, HttpResponse.BodyHandlers.ofString());
    return new Attempt(a.statusCode(), a.body(), a.headers().firstValue("X-Request-Id").orElse(""));
  }

  /**
   * What must be the same each time: the JSON answer, or of a stream its frames without the
   * progress frames (how often a decode's partial text is sent depends on timing).
   */
  static JsonNode comparable(Call call, String body) {
    try {
      if (!body.startsWith("data: ")) return MAPPER.readTree(body);
      ArrayNode frames = MAPPER.createArrayNode();
      for (String event : body.split("\n\n")) {
        if (event.isBlank()) continue;
        String data = event.substring("data: ".length());
        if (data.equals("[DONE]")) {
          frames.add(data);
          continue;
        }
        JsonNode f = MAPPER.readTree(data);
        if (f.has("done") && !f.has("description")) continue; // a progress frame
        frames.add(f);
      }
      return frames;
    } catch (IOException e) {
      return MAPPER.getNodeFactory().textNode("unreadable: " + body);
    }
  }

  private static double percentile(double[] sorted, double q) {
    if (sorted.length == 0) return Double.NaN;
    int i = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }
}
