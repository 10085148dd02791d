package nla.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import nla.io.ModelPaths;
import nla.io.UserError;
import nla.model.bench.Benchmark;
import nla.serve.Engine;
import nla.serve.NlaServer;
import nla.serve.ServeLoad;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code nla bench serve}: a bounded load on an in-process {@code nla serve}, on loopback. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Measure nla serve under a bounded load: start it on a free loopback port with the given"
          + " pair, send each of --distinct calls (explain, streamed explain, describe, compare,"
          + " score, tokenize) alone for its expected answer, then --requests requests from"
          + " --clients concurrent clients, each answer checked against the expected one.",
      "Prints requests/s and p50/p90/p99 latency, and lost, duplicated and wrong answers (the"
          + " command fails when there are any)."
    })
final class BenchServeCommand implements Callable<Integer> {
  @Option(
      names = "--base",
      required = true,
      paramLabel = "DIR",
      description = "The base model the NLA reads.")
  String base;

  @Mixin CheckpointFlags.Av av;

  @Mixin CheckpointFlags.Ar ar;

  @Option(
      names = "--clients",
      paramLabel = "N",
      defaultValue = "32",
      description = "Concurrent clients. Default: ${DEFAULT-VALUE}.")
  int clients;

  @Option(
      names = "--requests",
      paramLabel = "N",
      defaultValue = "320",
      description = "Requests in all. Default: ${DEFAULT-VALUE}.")
  int requests;

  @Option(
      names = "--distinct",
      paramLabel = "N",
      defaultValue = "24",
      description = "Different calls the requests cycle through. Default: ${DEFAULT-VALUE}.")
  int distinct;

  @Option(
      names = "--max-new-tokens",
      paramLabel = "N",
      defaultValue = "12",
      description = "Generation budget of each decode. Default: ${DEFAULT-VALUE}.")
  int maxNewTokens;

  @Mixin BenchResultFlags results;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (clients < 1) throw new UserError("--clients: must be >= 1, got " + clients);
    if (requests < 1) throw new UserError("--requests: must be >= 1, got " + requests);
    if (distinct < 1) throw new UserError("--distinct: must be >= 1, got " + distinct);
    if (maxNewTokens < 1 || maxNewTokens > 1024) {
      throw new UserError("--max-new-tokens: must be 1..1024, got " + maxNewTokens);
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter say = results.json ? err : out;
    // The server's own log (one line per request) would drown the result: kept, shown on failure.
    ByteArrayOutputStream serverLog = new ByteArrayOutputStream();
    // Limits as wide as the load, so that every request is admitted (a 429 would be retried).
    NlaServer.Options options =
        new NlaServer.Options(
            "127.0.0.1",
            0,
            clients,
            clients,
            NlaServer.Options.DEFAULT_MAX_TEXT_CHARS,
            null,
            NlaServer.Options.DEFAULT_MAX_BODY_BYTES,
            30_000);
    try (NlaServer server =
        new NlaServer(
                options,
                new NlaServer.Names(base, av.dir, ar.dir),
                new PrintStream(serverLog, true, StandardCharsets.UTF_8))
            .start()) {
      Engine engine =
          Engine.open(
              ModelPaths.resolve(base), ModelPaths.resolve(av.dir), ModelPaths.resolve(ar.dir));
      server.ready(engine);
      say.printf(
          Locale.ROOT,
          "nla serve on %s, %d clients, %d requests over %d calls, %d new tokens each%n",
          engine.device(),
          clients,
          requests,
          distinct,
          maxNewTokens);
      ServeLoad.Result r =
          ServeLoad.run(
              new ServeLoad.Plan(
                  URI.create("http://127.0.0.1:" + server.port()),
                  clients,
                  requests,
                  ServeLoad.mixedCalls(engine.dModel(), distinct, maxNewTokens),
                  Duration.ofMinutes(10)));
      say.printf(
          Locale.ROOT,
          "%d ok, %d lost, %d duplicated, %d wrong, %d busy (429, retried) in %.2f s%n",
          r.ok(),
          r.lost(),
          r.duplicated(),
          r.wrong(),
          r.busy(),
          r.seconds());
      say.printf(
          Locale.ROOT,
          "%.1f requests/s; latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms%n",
          r.requestsPerSecond(),
          r.p50Ms(),
          r.p90Ms(),
          r.p99Ms(),
          r.maxMs());
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("benchmark", "serve-load");
      result.put("date", Instant.now().toString());
      result.put("machine", Benchmark.machine(Runtime.getRuntime().availableProcessors()));
      // Other work on the machine slows the server: its one-minute load average says how much.
      result.put(
          "load_average_1m", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
      result.put("device", engine.device());
      result.put("base", base);
      result.put("av", av.dir);
      result.put("ar", ar.dir);
      result.put("distinct_calls", distinct);
      result.put("max_new_tokens", maxNewTokens);
      result.putAll(r.toMap());
      results.emit(
          result,
          "_serve-load_" + Path.of(av.dir).getFileName() + "_c" + clients,
          out::println,
          say::println);
      say.flush();
      if (!r.clean()) {
        for (String p : r.problems().subList(0, Math.min(10, r.problems().size()))) {
          err.println("  " + p);
        }
        serverLog.toString(StandardCharsets.UTF_8).lines().limit(40).forEach(err::println);
        throw new UserError(
            "the load lost, duplicated or mixed up answers (listed above, then the server's log)");
      }
    }
    return 0;
  }
}
