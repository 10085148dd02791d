package nla.serve;

import static nla.Bf16Agreement.Kind.COS;
import static nla.Bf16Agreement.Kind.EXACT;
import static nla.Bf16Agreement.Kind.MSE_NRM;
import static nla.Bf16Agreement.Kind.NORM;
import static nla.Bf16Agreement.Kind.VECTOR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import nla.Bf16Agreement;
import nla.backend.DeviceSpec;
import nla.model.LanguageModel;
import nla.study.DemoKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code nla serve --device cuda} on the bundled demo pair beside the same server on the CPU, each
 * on a free loopback port in this JVM: /health and / answer, every model endpoint (/extract, the
 * lens's /explain greedy and sampled, /describe, /score, /compare) gives the CPU server's tokens
 * and explanations and its vectors and scores within the bf16 bound of {@link Bf16Agreement}, and
 * the GPU server shuts down cleanly.
 */
@Tag("gpu")
class ServeGpuTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final String TEXT =
      "The lighthouse keeper climbed the spiral stairs each evening at dusk.";

  /** The endpoints' numeric fields. */
  static final Map<String, Bf16Agreement.Kind> KINDS =
      Map.of(
          "activation", VECTOR,
          "l2_norm", NORM,
          "mse", MSE_NRM,
          "cosine_similarity", COS,
          // activation_a − activation_b, computed from the request
          "diff_norm", EXACT);

  @TempDir static Path tmp;
  static DemoKit.Paths kit;
  static NlaServer cpu;
  static NlaServer gpu;
  static final ByteArrayOutputStream log = new ByteArrayOutputStream();
  static Bf16Agreement.Comparison comparison;

  @BeforeAll
  static void startBoth() {
    kit = DemoKit.materialise(tmp.resolve("demo"));
    cpu = serve(DeviceSpec.CPU);
    gpu = serve(DeviceSpec.parse("cuda"));
    // FVE is not served; the scores are mse and cos, so no denominator enters the bound.
    comparison = new Bf16Agreement.Comparison(KINDS, 4.0, 16, 1);
  }

  /**
   * What {@code nla --device DEVICE serve --port 0} does: the global option makes DEVICE where
   * every model the command loads goes, and the server loads its three once (then the option is
   * reset, as {@code Main} resets it after a command).
   */
  static NlaServer serve(DeviceSpec device) {
    NlaServer.Options o = new NlaServer.Options("127.0.0.1", 0, 4, 16, 200, null, 1 << 20, 30_000);
    String av = kit.av().toString();
    NlaServer server =
        new NlaServer(
                o,
                new NlaServer.Names(av, av, kit.ar().toString()),
                new PrintStream(log, true, StandardCharsets.UTF_8))
            .start();
    LanguageModel.setDefaultDevice(device);
    try {
      server.ready(Engine.open(kit.av(), kit.av(), kit.ar()));
    } finally {
      LanguageModel.setDefaultDevice(null);
    }
    return server;
  }

  @AfterAll
  static void stop() {
    if (cpu != null) cpu.close();
    if (gpu != null) gpu.close();
    if (comparison != null) System.out.println("serve, GPU against CPU: " + comparison.summary());
  }

  static JsonNode get(NlaServer s, String path) {
    return send(s, HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path)).GET());
  }

  static JsonNode post(NlaServer s, String path, JsonNode body) {
    return send(
        s,
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
  }

  private static JsonNode send(NlaServer s, HttpRequest.Builder request) {
    try {
      HttpResponse<String> r = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), r.body());
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The same request to both servers; the answers compared. Returns the CPU's. */
  static JsonNode same(String path, JsonNode body) {
    JsonNode a = post(cpu, path, body);
    JsonNode b = post(gpu, path, body);
    comparison.json(a, b, path + " " + body);
    return a;
  }

  @Test
  void healthAndRootSayReadyAndTheGpuServesOnTheGpu() {
    assertEquals("ready", get(gpu, "/health").get("status").asText());
    JsonNode root = get(gpu, "/");
    for (String model : new String[] {"source_device", "verbalizer_device", "reconstructor_device"})
      assertTrue(root.get(model).asText().startsWith("cuda:"), model + ": " + root);
    JsonNode cpuRoot = get(cpu, "/");
    assertTrue(cpuRoot.get("verbalizer_device").asText().startsWith("cpu"), cpuRoot.toString());
    assertTrue(root.get("num_cuda_devices").asInt() >= 1, root.toString());
    assertEquals(cpuRoot.get("d_model"), root.get("d_model"));
    assertEquals(cpuRoot.get("extraction_layer"), root.get("extraction_layer"));
    assertTrue(log.toString(StandardCharsets.UTF_8).contains("ready: layer 1, d_model 16, cuda:"));
  }

  @Test
  void extractGivesTheCpusTokensAndActivations() {
    int before = comparison.compared(VECTOR);
    JsonNode a = same("/extract", JSON.createObjectNode().put("text", TEXT));
    assertTrue(a.get("tokens").size() >= 10, a.toString());
    assertEquals(a.get("tokens").size(), comparison.compared(VECTOR) - before);
  }

  @Test
  void explainGreedyAndSampledGivesTheCpusExplanationsAndScores() {
    int before = comparison.compared(COS);
    ObjectNode greedy =
        JSON.createObjectNode()
            .put("text", TEXT)
            .put("temperature", 0)
            .put("max_new_tokens", 24)
            .put("reverse", false);
    JsonNode a = same("/explain", greedy);
    assertTrue(a.at("/results/0/description").asText().contains("hello"), a.toString());
    ObjectNode sampled =
        JSON.createObjectNode()
            .put("text", TEXT)
            .put("temperature", 0.9)
            .put("seed", 7)
            .put("max_new_tokens", 24);
    sampled.putArray("positions").add(-1).add(3);
    same("/explain", sampled);
    assertEquals(a.get("results").size() + 2, comparison.compared(COS) - before);
  }

  @Test
  void describeScoreAndCompareGiveTheCpusAnswers() {
    JsonNode tokens =
        post(cpu, "/extract", JSON.createObjectNode().put("text", TEXT)).get("tokens");
    ArrayNode vectors = JSON.createArrayNode();
    for (int p : new int[] {5, 9, 12}) vectors.add(tokens.get(p).get("activation"));
    ObjectNode describe = JSON.createObjectNode().put("temperature", 0).put("max_new_tokens", 24);
    describe.set("activations", vectors);
    JsonNode described = same("/describe", describe);
    assertEquals(3, described.get("results").size());

    int before = comparison.compared(COS);
    for (int i = 0; i < vectors.size(); i++) {
      ObjectNode score =
          JSON.createObjectNode()
              .put("description", described.get("results").get(i).get("description").asText());
      score.set("activation", vectors.get(i));
      same("/score", score);
    }
    ObjectNode compare = JSON.createObjectNode().put("temperature", 0).put("max_new_tokens", 24);
    compare.set("activation_a", vectors.get(0));
    compare.set("activation_b", vectors.get(1));
    same("/compare", compare);
    assertEquals(4, comparison.compared(COS) - before);
  }

  @Test
  void theGpuServerShutsDownCleanly() throws Exception {
    NlaServer second = serve(DeviceSpec.parse("cuda"));
    int port = second.port();
    assertEquals("ready", get(second, "/health").get("status").asText());
    second.close();
    assertTrue(log.toString(StandardCharsets.UTF_8).contains("stopping"), log.toString());
    HttpRequest health =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).GET().build();
    assertThrows(IOException.class, () -> HTTP.send(health, HttpResponse.BodyHandlers.ofString()));
  }
}
