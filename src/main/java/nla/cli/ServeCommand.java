package nla.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import nla.io.ModelPaths;
import nla.io.UserError;
import nla.serve.Engine;
import nla.serve.NlaServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code nla serve}: an NLA server with Neuronpedia's API. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Serve a base model and its NLA pair over HTTP with the API of Neuronpedia's NLA server:"
          + " POST /explain, /describe, /score, /extract, /tokenize, /compare (SSE streaming where"
          + " Neuronpedia streams), GET / and /health, and /metrics for Prometheus.",
      "Requests carry X-SECRET-KEY when SECRET is set. SIGTERM (Ctrl-C) stops it gracefully:"
          + " requests in progress finish first. See docs/serve-api.md.",
      "Every DIR may also be a Hugging Face repo id (owner/name[@revision])."
    })
final class ServeCommand implements Callable<Integer> {
  @Option(
      names = "--base",
      paramLabel = "DIR",
      description = "The base model the NLA reads (default: $NLA_SOURCE_MODEL).")
  String base;

  @Option(
      names = "--av",
      paramLabel = "DIR",
      description = "The AV checkpoint (default: $NLA_VERBALIZER_MODEL).")
  String av;

  @Option(
      names = "--ar",
      paramLabel = "DIR",
      description =
          "The AR checkpoint (default: $NLA_RECONSTRUCTOR_MODEL); without one, /score answers 503"
              + " and descriptions carry no scores.")
  String ar;

  @Option(
      names = "--host",
      paramLabel = "HOST",
      defaultValue = "127.0.0.1",
      description =
          "Address to listen on (0.0.0.0 for every interface). Default: ${DEFAULT-VALUE}.")
  String host;

  @Option(
      names = "--port",
      paramLabel = "PORT",
      defaultValue = "" + NlaServer.Options.DEFAULT_PORT,
      description = "Port to listen on (0: any free port). Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(
      names = "--max-concurrent",
      paramLabel = "N",
      defaultValue = "16",
      description =
          "Requests each endpoint runs at once; their decodes share one running batch of the"
              + " verbalizer (16 decodes at once on the CPU, 256 on a GPU). Default: ${DEFAULT-VALUE}.")
  int maxConcurrent;

  @Option(
      names = "--max-queue",
      paramLabel = "N",
      defaultValue = "16",
      description =
          "Requests each endpoint lets wait for a slot; one more is answered 429 at once. Default:"
              + " ${DEFAULT-VALUE}.")
  int maxQueue;

  @Option(
      names = "--max-text-chars",
      paramLabel = "N",
      defaultValue = "" + NlaServer.Options.DEFAULT_MAX_TEXT_CHARS,
      description =
          "Longest text (or rendered chat) a request may send. Default: ${DEFAULT-VALUE}.")
  int maxTextChars;

  /** The environment the fallbacks are read from (tests replace it). */
  Map<String, String> env = System.getenv();

  @Override
  public Integer call() throws Exception {
    String baseName = orEnv(base, "NLA_SOURCE_MODEL", "--base");
    String avName = orEnv(av, "NLA_VERBALIZER_MODEL", "--av");
    String arName = ar != null ? ar : blankToNull(env.get("NLA_RECONSTRUCTOR_MODEL"));
    NlaServer.Options options =
        new NlaServer.Options(
            host,
            port,
            maxConcurrent,
            maxQueue,
            maxTextChars,
            blankToNull(env.get("SECRET")),
            NlaServer.Options.DEFAULT_MAX_BODY_BYTES,
            30_000);
    NlaServer server =
        new NlaServer(options, new NlaServer.Names(baseName, avName, arName), System.err);
    server.start();
    Thread hook = new Thread(server::close, "nla-serve-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      Path baseDir = ModelPaths.resolve(baseName);
      Path avDir = ModelPaths.resolve(avName);
      Path arDir = arName == null ? null : ModelPaths.resolve(arName);
      server.ready(Engine.open(baseDir, avDir, arDir));
    } catch (RuntimeException e) {
      server.failed(e.getMessage());
      Runtime.getRuntime().removeShutdownHook(hook);
      server.close();
      throw e;
    }
    server.join();
    return 0;
  }

  private String orEnv(String given, String variable, String flag) {
    if (given != null) return given;
    String v = blankToNull(env.get(variable));
    if (v == null) throw new UserError(flag + ": required (or set " + variable + ")");
    return v;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
