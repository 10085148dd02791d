package nla.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import nla.backend.Backends;
import nla.io.UserError;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * {@code nla serve}: Neuronpedia's NLA server API over HTTP (Jetty's core handlers), on the models
 * of one {@link Engine}. It listens at once and answers {@code /health} while the models load (503
 * until they are ready); every other endpoint answers 503 until then. See docs/serve-api.md.
 */
public final class NlaServer implements AutoCloseable {
  /** How the server is set up. {@code secret} null: no X-SECRET-KEY check. */
  public record Options(
      String host,
      int port,
      int maxConcurrent,
      int maxQueue,
      int maxTextChars,
      String secret,
      long maxBodyBytes,
      long stopTimeoutMillis) {
    public static final int DEFAULT_PORT = 5009;
    public static final int DEFAULT_MAX_TEXT_CHARS = 65536;
    public static final long DEFAULT_MAX_BODY_BYTES = 64L << 20;

    public Options {
      if (port < 0 || port > 65535) throw new UserError("--port: must be 0..65535, got " + port);
      if (maxConcurrent < 1) {
        throw new UserError("--max-concurrent: must be >= 1, got " + maxConcurrent);
      }
      if (maxQueue < 0) throw new UserError("--max-queue: must be >= 0, got " + maxQueue);
      if (maxTextChars < 1) {
        throw new UserError("--max-text-chars: must be >= 1, got " + maxTextChars);
      }
      if (secret != null && secret.isEmpty()) secret = null;
    }
  }

  /** What the models are called in {@code GET /} (the names given on the command line). */
  public record Names(String base, String av, String ar) {}

  private static final ObjectMapper MAPPER =
      JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
  private static final Pattern CLIENT_REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
  private static final String[] POST_ENDPOINTS = {
    "/tokenize", "/extract", "/explain", "/describe", "/score", "/compare", "/completion"
  };

  private final Options options;
  private final Names names;
  private final PrintStream log;
  private final Server server;
  private final ServerConnector connector;
  private final Map<String, Gate> gates = new LinkedHashMap<>();
  private final ServeMetrics metrics = new ServeMetrics();
  private volatile Engine engine;
  private volatile Api api;
  private volatile String state = "loading";
  private volatile String failure;

  /** Called inside a request's gate before its work runs (tests hold requests there). */
  volatile Consumer<String> beforeWork = endpoint -> {};

  public NlaServer(Options options, Names names, PrintStream log) {
    this.options = options;
    this.names = names;
    this.log = log;
    for (String e : POST_ENDPOINTS) {
      gates.put(e, new Gate(e, options.maxConcurrent(), options.maxQueue()));
    }
    QueuedThreadPool pool = new QueuedThreadPool(Math.max(64, 8 + 2 * gates.size() * slots()));
    pool.setName("nla-serve");
    server = new Server(pool);
    connector = new ServerConnector(server);
    connector.setHost(options.host());
    connector.setPort(options.port());
    server.addConnector(connector);
    GracefulHandler graceful = new GracefulHandler(new Router());
    server.setHandler(graceful);
    server.setStopTimeout(options.stopTimeoutMillis());
    server.setStopAtShutdown(false);
  }

  private int slots() {
    return options.maxConcurrent() + options.maxQueue();
  }

  /** Starts listening (the models may still be loading). */
  public NlaServer start() {
    try {
      server.start();
    } catch (IOException e) {
      throw new UserError(
          "--host/--port: cannot listen on "
              + options.host()
              + ":"
              + options.port()
              + ": "
              + e.getMessage());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    log("listening on http://" + options.host() + ":" + port());
    return this;
  }

  /** The port it listens on (the one the system chose for port 0). */
  public int port() {
    return connector.getLocalPort();
  }

  /** The models are loaded: every endpoint answers from now on. */
  public void ready(Engine engine) {
    this.engine = engine;
    this.api = new Api(engine, options.maxTextChars());
    this.state = "ready";
    log(
        "ready: layer "
            + engine.layer()
            + ", d_model "
            + engine.dModel()
            + ", "
            + engine.device()
            + (engine.hasReconstructor() ? "" : ", no reconstructor (/score answers 503)"));
  }

  /** Loading failed: /health says so until the server stops. */
  public void failed(String message) {
    this.failure = message;
    this.state = "failed";
  }

  /** Blocks until the server has stopped. */
  public void join() throws InterruptedException {
    server.join();
  }

  /**
   * Stops gracefully: new requests are refused (503), the ones in progress finish (up to the stop
   * timeout), then the models are closed.
   */
  @Override
  public void close() {
    if (!"stopped".equals(state)) {
      state = "stopping";
      log("stopping: finishing requests in progress");
    }
    try {
      server.stop();
    } catch (Exception e) {
      log("stop: " + e);
    }
    Engine e = engine;
    engine = null;
    if (e != null) e.close();
    state = "stopped";
    log("stopped");
  }

  private void log(String message) {
    synchronized (log) {
      log.println(Instant.now() + " nla serve: " + message);
      log.flush();
    }
  }

  private void log(String requestId, String message) {
    log("[" + requestId + "] " + message);
  }

  // ---- routing ----

  private final class Router extends Handler.Abstract {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      long start = System.nanoTime();
      String path = Request.getPathInContext(request);
      String method = request.getMethod();
      String rid = requestId(request);
      response.getHeaders().put("X-Request-Id", rid);
      String endpoint = endpointLabel(path);
      int status = 500;
      Throwable failure = null;
      try {
        status = dispatch(request, response, path, method, rid, endpoint);
      } catch (ClientGone gone) {
        // Nginx's "client closed request": the answer was cut short by the client, not by us.
        status = 499;
        failure = gone.getCause();
      } catch (Throwable t) {
        // Nothing may escape: the connection is answered or closed, the server goes on.
        failure = t;
        log(rid, "unexpected: " + t);
      }
      // Counted and logged before the exchange completes, so a client that has its answer
      // finds it in the log and the metrics.
      double seconds = (System.nanoTime() - start) / 1e9;
      metrics.record(endpoint, status, seconds);
      if (!path.equals("/metrics") && !path.equals("/health")) {
        log(
            rid,
            String.format(
                java.util.Locale.ROOT,
                "%s %s -> %d (%.1f ms)",
                method,
                path,
                status,
                seconds * 1e3));
      }
      if (failure == null) callback.succeeded();
      else callback.failed(failure);
      return true;
    }
  }

  private static String endpointLabel(String path) {
    return switch (path) {
      case "/", "/health", "/metrics" -> path;
      default -> {
        for (String e : POST_ENDPOINTS) if (e.equals(path)) yield path;
        yield "other";
      }
    };
  }

  private static String requestId(Request request) {
    String given = request.getHeaders().get("X-Request-Id");
    if (given != null && CLIENT_REQUEST_ID.matcher(given).matches()) return given;
    return String.format("%012x", ThreadLocalRandom.current().nextLong() & 0xffffffffffffL);
  }

  /** Answers one request; returns its status. */
  private int dispatch(
      Request request, Response response, String path, String method, String rid, String endpoint)
      throws IOException {
    try {
      if (path.equals("/health")) {
        if (!method.equals("GET")) throw new ApiError(405, "Method Not Allowed");
        return health(response);
      }
      if (path.equals("/metrics")) {
        if (!method.equals("GET")) throw new ApiError(405, "Method Not Allowed");
        return metrics(response);
      }
      if (path.equals("/")) {
        // A browser gets the lens page, any other client Neuronpedia's JSON (or its 401/403).
        response.getHeaders().put(HttpHeader.VARY, "Accept");
        // The page is served without the key: it holds no data and sends the key the user pastes.
        if (method.equals("GET") && LensPage.wanted(request)) return LensPage.send(response);
      }
      checkSecret(request);
      if (path.equals("/")) {
        if (!method.equals("GET")) throw new ApiError(405, "Method Not Allowed");
        return root(response);
      }
      Gate gate = gates.get(path);
      if (gate == null) throw new ApiError(404, "Not Found");
      if (!method.equals("POST")) throw new ApiError(405, "Method Not Allowed");
      Api a = api;
      if (a == null || !"ready".equals(state)) {
        throw new ApiError(503, "Models are " + state + "; try again when GET /health says ready");
      }
      Body body = new Body(readJson(request));
      Api.Work work =
          switch (path) {
            case "/tokenize" -> a.tokenize(body);
            case "/extract" -> a.extract(body);
            case "/explain" -> a.explain(body);
            case "/describe" -> a.describe(body);
            case "/score" -> a.score(body);
            case "/compare" -> a.compare(body);
            case "/completion" -> a.completion(body);
            default -> throw new ApiError(404, "Not Found");
          };
      try (Gate.Slot slot = gate.enter()) {
        beforeWork.accept(path);
        Api.Answer answer = run(work);
        if (answer.stream() == null) return send(response, 200, answer.body());
        return stream(response, answer.stream(), rid, endpoint);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ApiError(503, "Server is stopping");
      }
    } catch (ApiError e) {
      if (e.retryAfter != null) response.getHeaders().put(HttpHeader.RETRY_AFTER, e.retryAfter);
      if (e.status >= 500 && e.status != 503) log(rid, "error: " + e.getMessage());
      return send(response, e.status, e.body());
    }
  }

  /**
   * Runs a request's work; a user error from the engine (a bad text for the chat template, say) is
   * a 400, anything else a 500 that names the failure without taking the server down.
   */
  private Api.Answer run(Api.Work work) {
    try {
      return work.run();
    } catch (ApiError e) {
      throw e;
    } catch (UserError e) {
      throw new ApiError(400, e.getMessage());
    } catch (RuntimeException | OutOfMemoryError e) {
      throw new ApiError(500, "Internal error: " + e);
    }
  }

  private void checkSecret(Request request) {
    String secret = options.secret();
    if (secret == null) return;
    String given = request.getHeaders().get("X-SECRET-KEY");
    if (given == null) throw new ApiError(401, "X-SECRET-KEY header required");
    boolean same =
        MessageDigest.isEqual(
            given.getBytes(StandardCharsets.UTF_8), secret.getBytes(StandardCharsets.UTF_8));
    if (!same) throw new ApiError(403, "Invalid secret key");
  }

  private JsonNode readJson(Request request) throws IOException {
    long declared = request.getLength();
    if (declared > options.maxBodyBytes()) {
      throw new ApiError(413, "Request body over " + options.maxBodyBytes() + " bytes");
    }
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (InputStream in = Content.Source.asInputStream(request)) {
      byte[] chunk = new byte[65536];
      int n;
      while ((n = in.read(chunk)) > 0) {
        buf.write(chunk, 0, n);
        if (buf.size() > options.maxBodyBytes()) {
          throw new ApiError(413, "Request body over " + options.maxBodyBytes() + " bytes");
        }
      }
    }
    try {
      JsonNode root = MAPPER.readTree(buf.toByteArray());
      if (root == null || root.isMissingNode()) {
        throw ApiError.invalid("missing", "Field required");
      }
      return root;
    } catch (JsonProcessingException e) {
      long offset = e.getLocation() == null ? -1 : e.getLocation().getCharOffset();
      throw new ApiError(
          422,
          Api.JSON
              .arrayNode()
              .add(
                  ApiError.item(
                      "json_invalid",
                      "JSON decode error: " + e.getOriginalMessage(),
                      (int) Math.max(0, offset))),
          null);
    }
  }

  // ---- answers ----

  private int send(Response response, int status, JsonNode body) throws IOException {
    byte[] bytes = MAPPER.writeValueAsBytes(body);
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
    try (OutputStream out = Content.Sink.asOutputStream(response)) {
      out.write(bytes);
    }
    return status;
  }

  private int sendText(Response response, int status, String type, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
    try (OutputStream out = Content.Sink.asOutputStream(response)) {
      out.write(bytes);
    }
    return status;
  }

  /**
   * Server-sent events: one {@code data: <json>} frame per message, then {@code data: [DONE]}. A
   * failure part-way is an {@code {"error": ..., "status": ...}} frame, then {@code [DONE]}, and
   * the stream ends (Neuronpedia's leaves it open). A client that goes away makes the next frame's
   * write fail: the request's remaining decodes are cancelled (see {@link Engine.Progress}) and the
   * exchange ends as {@link ClientGone}.
   */
  private int stream(Response response, Api.Streamed body, String rid, String endpoint)
      throws IOException {
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
    response.getHeaders().put("X-Accel-Buffering", "no");
    boolean[] gone = {false};
    try (OutputStream out = Content.Sink.asOutputStream(response)) {
      Api.Sse sse =
          frame -> {
            try {
              out.write(("data: " + MAPPER.writeValueAsString(frame) + "\n\n").getBytes(UTF8));
              out.flush();
            } catch (IOException e) {
              gone[0] = true;
              throw e;
            }
          };
      try {
        try {
          body.run(sse);
        } catch (ApiError e) {
          throw e;
        } catch (UserError e) {
          throw new ApiError(400, e.getMessage());
        } catch (RuntimeException | OutOfMemoryError e) {
          throw new ApiError(500, "Internal error: " + e);
        }
      } catch (ApiError e) {
        log(rid, "error mid-stream: " + e.getMessage());
        ObjectNode frame = Api.JSON.objectNode();
        frame.set("error", e.detail);
        frame.put("status", e.status);
        sse.send(frame);
      }
      gone[0] = true; // from here a failed write is the client's going too
      out.write("data: [DONE]\n\n".getBytes(UTF8));
      out.flush();
      gone[0] = false;
    } catch (IOException e) {
      if (!gone[0]) throw e;
      metrics.clientGone(endpoint);
      log(rid, "client went away mid-stream: its remaining decodes were cancelled");
      throw new ClientGone(e);
    }
    return 200;
  }

  /** The client closed its connection before its streamed answer ended. */
  private static final class ClientGone extends RuntimeException {
    ClientGone(IOException cause) {
      super(cause);
    }
  }

  private static final java.nio.charset.Charset UTF8 = StandardCharsets.UTF_8;

  private int health(Response response) throws IOException {
    ObjectNode out = Api.JSON.objectNode();
    out.put("status", state);
    if (failure != null) out.put("detail", failure);
    Engine e = engine;
    if (e != null) {
      out.put("d_model", e.dModel());
      out.put("extraction_layer", e.layer());
      out.put("reconstructor_available", e.hasReconstructor());
    }
    return send(response, "ready".equals(state) ? 200 : 503, out);
  }

  private int metrics(Response response) throws IOException {
    return sendText(
        response,
        200,
        "text/plain; version=0.0.4; charset=utf-8",
        metrics.render(gates, "ready".equals(state), engine));
  }

  /** Neuronpedia's {@code GET /} (HealthResponse): the models and the limits. */
  private int root(Response response) throws IOException {
    Engine e = engine;
    if (e == null) {
      ObjectNode out = Api.JSON.objectNode();
      out.put("status", state);
      return send(response, 503, out);
    }
    ObjectNode out = Api.JSON.objectNode();
    out.put("status", "ok");
    out.put("verbalizer_model", names.av());
    out.put("d_model", e.dModel());
    out.put("verbalizer_device", e.device());
    out.put("reconstructor_available", e.hasReconstructor());
    if (e.hasReconstructor()) out.put("reconstructor_device", e.device());
    else out.putNull("reconstructor_device");
    out.put("reconstructor_model", names.ar());
    out.put("source_model", names.base());
    out.put("extraction_layer", e.layer());
    out.put("source_truncated", false);
    out.put("source_device", e.device());
    // The base is loaded whole (NP's default truncated load drops its head), so it can generate.
    out.put("completion_available", true);
    // NP's field: the GPUs the process sees (torch.cuda.device_count()), whichever the models use.
    out.put("num_cuda_devices", Backends.gpuCount());
    out.put("max_concurrent", options.maxConcurrent());
    out.put("max_concurrent_explains", options.maxConcurrent());
    out.put("source_max_concurrent", options.maxConcurrent());
    out.put("reconstructor_max_concurrent", options.maxConcurrent());
    out.put("max_describe_requests", options.maxConcurrent());
    out.put("max_queue", options.maxQueue());
    ObjectNode limits = out.putObject("limits");
    limits.put("max_input_chars", options.maxTextChars());
    limits.put("max_positions_per_request", Api.MAX_POSITIONS_PER_REQUEST);
    limits.put("max_new_tokens", Api.MAX_NEW_TOKENS);
    limits.put("max_describe_batch", Api.MAX_DESCRIBE_BATCH);
    limits.put("max_description_chars", Api.MAX_DESCRIPTION_CHARS);
    limits.put("max_completion_tokens", Api.MAX_COMPLETION_TOKENS);
    return send(response, 200, out);
  }
}
