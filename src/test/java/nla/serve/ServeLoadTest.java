package nla.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import nla.GoldenFixtures;
import org.junit.jupiter.api.Test;

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
      List<ServeLoad.Call> calls = ServeLoad.mixedCalls(engine.dModel(), 24, 12);
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
      // Every decode ran to its end (none cancelled).
      String metrics = ServeEndToEndTest.get(server, "/metrics").body();
      assertTrue(metrics.contains("nla_decodes_cancelled_total 0"), metrics);
    } finally {
      server.close();
    }
  }
}
