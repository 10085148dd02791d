package nla.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import nla.GoldenFixtures;
import nla.cli.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded load on loopback: 32 clients send 320 requests of every model endpoint (streams too) to
 * the demo pair; each answer is checked against the one its request got alone. Correctness only:
 * nothing lost, duplicated or mixed up, and it ends by itself (timings are the benchmark's, {@code
 * nla bench serve}).
 */
class ServeLoadTest {

  @Test
  void thirtyTwoClientsGetEveryAnswerOnceAndRight() throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    NlaServer server =
        new NlaServer(
                new NlaServer.Options("127.0.0.1", 0, 32, 32, 2000, null, 1 << 20, 10_000),
                new NlaServer.Names("base", "av", "ar"),
                new PrintStream(log, true, StandardCharsets.UTF_8))
            .start();
    try {
      Engine engine =
          Engine.open(
              GoldenFixtures.demoDir("av"),
              GoldenFixtures.demoDir("av"),
              GoldenFixtures.demoDir("ar"));
      server.ready(engine);
      List<ServeLoad.Call> calls = new ArrayList<>(ServeLoad.mixedCalls(engine.dModel(), 24, 12));
      // Continuations of the base too, whose decodes take turns with /explain's activations.
      for (int i = 0; i < 4; i++) {
        calls.add(
            new ServeLoad.Call(
                "/completion",
                "{\"text\": \"Completion "
                    + i
                    + " of the load\", \"completion_tokens\": 12, \"temperature\": "
                    + (i % 2 == 0 ? "0" : "0.9, \"seed\": " + i)
                    + ", \"stream\": "
                    + (i >= 2)
                    + "}"));
      }
      ServeLoad.Result r =
          ServeLoad.run(
              new ServeLoad.Plan(
                  URI.create("http://127.0.0.1:" + server.port()),
                  32,
                  320,
                  calls,
                  Duration.ofSeconds(120)));
      assertEquals(List.of(), r.problems());
      assertEquals(320, r.ok());
      assertEquals(0, r.lost());
      assertEquals(0, r.duplicated());
      assertEquals(0, r.wrong());
      assertTrue(r.clean());
      // Every decode ran to its end (none cancelled), and requests shared steps: no request has
      // more than 3 decodes, so a step of more held several requests'.
      String metrics = ServeEndToEndTest.get(server, "/metrics").body();
      assertTrue(metrics.contains("nla_decodes_cancelled_total 0"), metrics);
      assertTrue(metrics.contains("nla_completions_cancelled_total 0"), metrics);
      assertTrue(ServeRobustnessTest.metric(metrics, "nla_completion_tokens_total") > 0, metrics);
      assertTrue(ServeRobustnessTest.metric(metrics, "nla_decode_active_max") > 3, metrics);
    } finally {
      server.close();
    }
  }

  @Test
  void benchServePrintsAndSavesItsMeasurement(@TempDir Path dir) throws Exception {
    String av = GoldenFixtures.demoDir("av").toString();
    String ar = GoldenFixtures.demoDir("ar").toString();
    CliRun bad =
        CliRun.run("bench", "serve", "--base", av, "--av", av, "--ar", ar, "--clients", "0");
    assertEquals(2, bad.code());
    assertEquals("nla: --clients: must be >= 1, got 0", bad.err().strip());
    CliRun r =
        CliRun.run(
            "bench",
            "serve",
            "--base",
            av,
            "--av",
            av,
            "--ar",
            ar,
            "--clients",
            "4",
            "--requests",
            "16",
            "--distinct",
            "6",
            "--max-new-tokens",
            "4",
            "--save",
            dir.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("16 ok, 0 lost, 0 duplicated, 0 wrong"), r.out());
    assertTrue(r.out().contains("requests/s; latency p50"), r.out());
    List<Path> saved;
    try (var files = Files.list(dir)) {
      saved = files.toList();
    }
    assertEquals(1, saved.size(), saved.toString());
    JsonNode json = ServeEndToEndTest.MAPPER.readTree(saved.get(0).toFile());
    assertEquals(16, json.get("ok").asInt());
    assertEquals(4, json.get("clients").asInt());
    assertTrue(json.at("/latency_ms/p99").asDouble() > 0, json.toString());
    assertTrue(json.at("/machine/cores").asInt() > 0, json.toString());
  }
}
