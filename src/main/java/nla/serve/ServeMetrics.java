package nla.serve;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import nla.model.GenerationScheduler;

/**
 * The counters behind {@code GET /metrics}, in Prometheus' text format (version 0.0.4): requests by
 * endpoint and status, a latency histogram by endpoint, and, read when scraped, the requests
 * running and queued per endpoint (the gates), the running batch's decodes and tokens (the engine)
 * and, on a GPU, its memory in use.
 */
final class ServeMetrics {
  /** Latency buckets in seconds: a tokenize is milliseconds, a long /explain on a CPU minutes. */
  static final double[] BUCKETS = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600
  };

  private final Map<String, AtomicLong> requests = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> clientsGone = new ConcurrentHashMap<>();
  private final Map<String, Histogram> latency = new ConcurrentHashMap<>();

  private static final class Histogram {
    final AtomicLong[] counts = new AtomicLong[BUCKETS.length];
    final AtomicLong count = new AtomicLong();
    final DoubleAdder sum = new DoubleAdder();

    Histogram() {
      for (int i = 0; i < counts.length; i++) counts[i] = new AtomicLong();
    }
  }

  void record(String endpoint, int status, double seconds) {
    requests.computeIfAbsent(endpoint + "\u0000" + status, k -> new AtomicLong()).incrementAndGet();
    Histogram h = latency.computeIfAbsent(endpoint, k -> new Histogram());
    for (int i = 0; i < BUCKETS.length; i++)
      if (seconds <= BUCKETS[i]) h.counts[i].incrementAndGet();
    h.count.incrementAndGet();
    h.sum.add(seconds);
  }

  /** A client closed its connection before its streamed answer ended. */
  void clientGone(String endpoint) {
    clientsGone.computeIfAbsent(endpoint, k -> new AtomicLong()).incrementAndGet();
  }

  /** The text format; {@code engine} null while the models load. */
  String render(Map<String, Gate> gates, boolean ready, Engine engine) {
    StringBuilder sb = new StringBuilder();
    sb.append("# HELP nla_ready Whether the models are loaded and the server answers.\n");
    sb.append("# TYPE nla_ready gauge\n");
    sb.append("nla_ready ").append(ready ? 1 : 0).append('\n');
    sb.append("# HELP nla_stream_clients_gone_total Streams whose client left before the end.\n");
    sb.append("# TYPE nla_stream_clients_gone_total counter\n");
    for (var e : new TreeMap<>(clientsGone).entrySet()) {
      sb.append("nla_stream_clients_gone_total{endpoint=\"")
          .append(e.getKey())
          .append("\"} ")
          .append(e.getValue().get())
          .append('\n');
    }
    if (engine != null) {
      GenerationScheduler d = engine.decoder();
      gauge(sb, "nla_decode_active", "Decodes in the running batch (all requests).", d.active());
      gauge(sb, "nla_decode_active_max", "The most decodes in one step so far.", d.peakActive());
      gauge(sb, "nla_decode_waiting", "Decodes waiting for a place in the batch.", d.waiting());
      counter(sb, "nla_generated_tokens_total", "Tokens the verbalizer generated.", d.tokens());
      counter(sb, "nla_decodes_completed_total", "Decodes that ran to the end.", d.completed());
      counter(
          sb,
          "nla_decodes_cancelled_total",
          "Decodes stopped before the end (client gone, server stopping).",
          d.cancelled());
      GenerationScheduler c = engine.completer();
      gauge(
          sb,
          "nla_completion_active",
          "Continuations of the base decoding (/completion).",
          c.active());
      counter(
          sb,
          "nla_completion_tokens_total",
          "Tokens the base model generated (/completion).",
          c.tokens());
      counter(
          sb,
          "nla_completions_cancelled_total",
          "Continuations stopped before the end (client gone, server stopping).",
          c.cancelled());
      counter(
          sb,
          "nla_requests_cancelled_total",
          "Streamed requests whose client left with decodes still to run (they were cancelled).",
          engine.abandonedRequests());
      long gpuBytes = engine.deviceBytesInUse();
      if (gpuBytes >= 0) {
        gauge(
            sb,
            "nla_gpu_memory_used_bytes",
            "Memory in use on the GPU the models run on (as its driver counts it).",
            gpuBytes);
      }
    }
    sb.append("# HELP nla_requests_total HTTP requests answered, by endpoint and status.\n");
    sb.append("# TYPE nla_requests_total counter\n");
    for (var e : new TreeMap<>(requests).entrySet()) {
      String[] k = e.getKey().split("\u0000");
      sb.append("nla_requests_total{endpoint=\"")
          .append(k[0])
          .append("\",status=\"")
          .append(k[1])
          .append("\"} ")
          .append(e.getValue().get())
          .append('\n');
    }
    sb.append("# HELP nla_queue_length Requests waiting for a slot, by endpoint.\n");
    sb.append("# TYPE nla_queue_length gauge\n");
    for (var g : new TreeMap<>(gates).entrySet()) {
      sb.append("nla_queue_length{endpoint=\"")
          .append(g.getKey())
          .append("\"} ")
          .append(g.getValue().queued())
          .append('\n');
    }
    sb.append("# HELP nla_in_flight Requests holding a slot (running), by endpoint.\n");
    sb.append("# TYPE nla_in_flight gauge\n");
    for (var g : new TreeMap<>(gates).entrySet()) {
      sb.append("nla_in_flight{endpoint=\"")
          .append(g.getKey())
          .append("\"} ")
          .append(g.getValue().running())
          .append('\n');
    }
    sb.append("# HELP nla_request_duration_seconds Time from request to the end of its answer.\n");
    sb.append("# TYPE nla_request_duration_seconds histogram\n");
    for (var e : new TreeMap<>(latency).entrySet()) {
      String ep = e.getKey();
      Histogram h = e.getValue();
      for (int i = 0; i < BUCKETS.length; i++) {
        sb.append("nla_request_duration_seconds_bucket{endpoint=\"")
            .append(ep)
            .append("\",le=\"")
            .append(le(BUCKETS[i]))
            .append("\"} ")
            .append(h.counts[i].get())
            .append('\n');
      }
      sb.append("nla_request_duration_seconds_bucket{endpoint=\"")
          .append(ep)
          .append("\",le=\"+Inf\"} ")
          .append(h.count.get())
          .append('\n');
      sb.append("nla_request_duration_seconds_sum{endpoint=\"")
          .append(ep)
          .append("\"} ")
          .append(String.format(Locale.ROOT, "%.6f", h.sum.sum()))
          .append('\n');
      sb.append("nla_request_duration_seconds_count{endpoint=\"")
          .append(ep)
          .append("\"} ")
          .append(h.count.get())
          .append('\n');
    }
    return sb.toString();
  }

  private static void gauge(StringBuilder sb, String name, String help, long value) {
    sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
    sb.append("# TYPE ").append(name).append(" gauge\n");
    sb.append(name).append(' ').append(value).append('\n');
  }

  private static void counter(StringBuilder sb, String name, String help, long value) {
    sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
    sb.append("# TYPE ").append(name).append(" counter\n");
    sb.append(name).append(' ').append(value).append('\n');
  }

  private static String le(double b) {
    return b == Math.rint(b) ? String.format(Locale.ROOT, "%.1f", b) : Double.toString(b);
  }
}
