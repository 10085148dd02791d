package nla.cli;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import nla.io.ModelPaths;
import nla.io.UserError;
import nla.model.LanguageModel;
import nla.model.bench.BenchShape;
import nla.model.bench.Benchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    subcommands = BenchServeCommand.class,
    description = {
      "Measure the engine: bandwidth, peak FMA, prefill and decode throughput.",
      "First the memory bandwidth and peak FMA of this JVM, then prefill and decode throughput"
          + " with the decode roofline per batch size. With --random, a random-initialised bf16"
          + " model of a real shape is created locally (cached under ~/.cache/nla/bench).",
      "nla bench serve: a bounded load on nla serve (see nla bench serve --help)."
    })
public final class BenchCommand implements Callable<Integer> {
  @Option(
      names = "--shape",
      paramLabel = "SHAPE",
      description = "A real model shape: ${COMPLETION-CANDIDATES}.",
      completionCandidates = Shapes.class)
  String shape = "qwen2.5-0.5b";

  @Option(
      names = "--model",
      paramLabel = "DIR",
      description = "Benchmark this checkpoint instead of a shape.")
  String model;

  @Option(
      names = "--random",
      description = "Use a random-initialised model of --shape (the default without --model).")
  boolean random;

  @Option(
      names = "--batch",
      paramLabel = "N",
      split = ",",
      description = "Decode batch sizes (default: ${DEFAULT-VALUE}).")
  List<Integer> batches = List.of(1, 8, 32);

  @Option(
      names = "--prompt-len",
      paramLabel = "N",
      description = "Prompt tokens (default: ${DEFAULT-VALUE}).")
  int promptLength = 64;

  @Option(
      names = "--new-tokens",
      paramLabel = "N",
      description = "Decoded tokens per sequence (default: ${DEFAULT-VALUE}).")
  int newTokens = 16;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "Worker threads (default: all cores).")
  int threads = Runtime.getRuntime().availableProcessors();

  @Option(
      names = "--bandwidth-buffer-mb",
      paramLabel = "MB",
      description = "Size of the bandwidth probe's buffer (default: ${DEFAULT-VALUE}).")
  int bandwidthBufferMb = 1024;

  @Mixin BenchResultFlags results;

  static final class Shapes implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      return BenchShape.ALL.stream().map(BenchShape::name).iterator();
    }
  }

  @Override
  public Integer call() throws Exception {
    if (model != null && random) throw new UserError("--model and --random exclude each other");
    if (promptLength < 1 || newTokens < 1)
      throw new UserError("--prompt-len and --new-tokens must be >= 1");
    if (batches.stream().anyMatch(b -> b < 1)) throw new UserError("--batch sizes must be >= 1");
    var plan =
        new Benchmark.Plan(
            BenchShape.named(shape),
            model == null ? null : ModelPaths.resolve(model),
            batches,
            promptLength,
            newTokens,
            threads,
            LanguageModel.bf16ByDefault(),
            (long) bandwidthBufferMb << 20,
            results.json ? s -> System.err.println(s) : s -> System.out.println(s));
    Map<String, Object> result = Benchmark.run(plan);
    results.emit(
        result,
        "-" + result.get("model") + (LanguageModel.bf16ByDefault() ? "-bf16" : ""),
        System.out::println,
        (results.json ? System.err : System.out)::println);
    return 0;
  }
}
