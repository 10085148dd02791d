package nla.model.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import nla.backend.Backends;
import nla.backend.MachineProbe;
import nla.io.DType;
import nla.io.SafeTensorsWriter;
import nla.io.UserError;
import nla.model.GenerationRequest;
import nla.model.LanguageModel;
import nla.model.SamplingParams;
import nla.model.SequenceInput;

/**
 * Measures the engine against the machine's own roofs: read bandwidth and peak FMA rate first, then
 * prefill and decode throughput on a model, with the decode roofline (weight bytes per step over
 * bandwidth) beside each batch size. Timings come from wall-clock runs after a warm-up, never from
 * assertions.
 */
public final class Benchmark {
  /** What to run. {@code modelDir} null means a random model of {@code shape}. */
  public record Plan(
      BenchShape shape,
      Path modelDir,
      List<Integer> batches,
      int promptLength,
      int newTokens,
      int threads,
      boolean bf16Activations,
      long bandwidthBufferBytes,
      Consumer<String> log) {}

  public record Decode(
      int batch,
      double tokensPerS,
      double rooflineTokensPerS,
      double rooflineFraction,
      long gpuBytes,
      double gpuBusyFraction) {}

  private static final int PREFILL_RUNS = 3;

  private Benchmark() {}

  /**
   * Runs the plan and returns every number as a JSON-ready map (the shape of {@code nla bench
   * --json}).
   */
  public static Map<String, Object> run(Plan plan) {
    Backends.requireUsable(LanguageModel.defaultDevice());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("machine", machine(plan.threads()));
    String device = LanguageModel.describeDefaultDevice();
    out.put("device", device);
    // On the CPU both roofs are measured here; on a GPU the bandwidth is the card's specification
    // (read once the model is on it) and prefill is reported as throughput only.
    boolean cpu = Backends.isCpu(device);
    double bandwidth = Double.NaN;
    double peak = Double.NaN;
    if (cpu) {
      plan.log().accept("measuring memory read bandwidth...");
      bandwidth = MachineProbe.readBandwidthGBs(plan.bandwidthBufferBytes(), plan.threads(), 5);
      out.put("bandwidth_gbs", bandwidth);
      plan.log().accept(String.format("  %.1f GB/s; measuring peak fp32 FMA rate...", bandwidth));
      peak = MachineProbe.peakGflops(plan.threads(), 2);
      out.put("peak_gflops", peak);
      plan.log().accept(String.format("  %.1f GFLOP/s", peak));
    }

    Path dir = plan.modelDir() != null ? plan.modelDir() : randomModel(plan.shape(), plan.log());
    // The probe's buffer and the random model's creation are not the engine's memory: peak RSS is
    // measured from here on where Linux lets the high-water mark be reset.
    out.put("peak_rss_scope", resetPeakRss() ? "engine" : "process");
    out.put(
        "precision",
        !cpu ? "bf16 (GPU)" : plan.bf16Activations() ? "bf16 activations (AMX)" : "fp32");
    try (LanguageModel model = LanguageModel.load(dir, plan.threads(), plan.bf16Activations())) {
      var cfg = model.config();
      long weightBytes = 2L * matmulParams(cfg); // bf16 weights
      out.put("model", plan.modelDir() != null ? dir.toString() : plan.shape().name());
      out.put("weight_bytes_per_step", weightBytes);
      out.put("prompt_len", plan.promptLength());
      out.put("new_tokens", plan.newTokens());

      int[] prompt = promptIds(plan.promptLength(), cfg.vocabSize());
      timeGenerate(model, prompt, 1, 1); // warm-up: JIT and page-in of the mapped weights
      // A prompt's prefill is a fraction of a second: the best of a few runs, not one noisy sample
      // (tools/bench/hf_bench.py times transformers the same way).
      double prefillS = Double.MAX_VALUE;
      for (int run = 0; run < PREFILL_RUNS; run++) {
        prefillS = Math.min(prefillS, timeGenerate(model, prompt, 1, 1));
      }
      double prefillTps = plan.promptLength() / prefillS;
      out.put("prefill_tokens_per_s", prefillTps);
      double prefillGflops = 2.0 * matmulParams(cfg) * plan.promptLength() / prefillS / 1e9;
      out.put("prefill_gflops", prefillGflops);
      if (cpu) {
        out.put("prefill_peak_fraction", prefillGflops / peak);
        plan.log()
            .accept(
                String.format(
                    "prefill: %.1f tokens/s (%.0f%% of the fp32 FMA peak)",
                    prefillTps, 100 * prefillGflops / peak));
      } else {
        plan.log()
            .accept(
                String.format(
                    "prefill: %.1f tokens/s (%.1f TFLOP/s)", prefillTps, prefillGflops / 1e3));
      }

      if (!cpu) {
        bandwidth = model.memoryBandwidthGBs();
        out.put("bandwidth_gbs", bandwidth);
        out.put("bandwidth_source", "device specification (memory clock × bus width)");
      }
      double roofline = bandwidth * 1e9 / weightBytes;
      List<Decode> decodes = new ArrayList<>();
      for (int batch : plan.batches()) {
        long gpu0 = model.deviceStepNanos();
        double withPrefill = timeGenerate(model, prompt, batch, 1);
        long gpu1 = model.deviceStepNanos();
        double total = timeGenerate(model, prompt, batch, plan.newTokens() + 1);
        long gpu2 = model.deviceStepNanos();
        double tps = (double) batch * plan.newTokens() / Math.max(1e-9, total - withPrefill);
        // The decode steps' own GPU time over their wall time; the rest the GPU waited on the host.
        double busy =
            gpu0 < 0
                ? Double.NaN
                : ((gpu2 - gpu1) - (gpu1 - gpu0)) / 1e9 / Math.max(1e-9, total - withPrefill);
        double rooflineTps = roofline * batch; // one weight pass per step serves the whole batch
        // The GPU's pools only grow: memory in use after a batch is its peak so far (-1: CPU).
        long used = model.deviceBytesInUse();
        decodes.add(new Decode(batch, tps, rooflineTps, tps / rooflineTps, used, busy));
        String memory =
            (used < 0 ? "" : String.format(", %.1f GiB of GPU memory", used / 1073741824.0))
                + (Double.isNaN(busy)
                    ? ""
                    : String.format(", the GPU busy %.0f%% of the time", 100 * busy));
        plan.log()
            .accept(
                Double.isNaN(rooflineTps)
                    ? String.format("decode batch %d: %.1f tokens/s%s", batch, tps, memory)
                    : String.format(
                        "decode batch %d: %.1f tokens/s (%.0f%% of the roofline %.1f)%s",
                        batch, tps, 100 * tps / rooflineTps, rooflineTps, memory));
      }
      List<Map<String, Object>> rows = new ArrayList<>();
      for (Decode d : decodes) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("batch", d.batch());
        r.put("tokens_per_s", d.tokensPerS());
        if (!Double.isNaN(d.rooflineTokensPerS())) {
          r.put("roofline_tokens_per_s", d.rooflineTokensPerS());
          r.put("roofline_fraction", d.rooflineFraction());
        }
        if (d.gpuBytes() >= 0) r.put("peak_gpu_bytes", d.gpuBytes());
        if (!Double.isNaN(d.gpuBusyFraction())) r.put("gpu_busy_fraction", d.gpuBusyFraction());
        rows.add(r);
      }
      out.put("decode", rows);
      Decode one = decodes.stream().filter(d -> d.batch() == 1).findFirst().orElse(null);
      Decode b32 = decodes.stream().filter(d -> d.batch() == 32).findFirst().orElse(null);
      if (one != null && b32 != null)
        out.put("batch32_over_batch1", b32.tokensPerS() / one.tokensPerS());
      out.put("mapped_weight_bytes", dirBytes(dir));
    }
    out.put("peak_rss_bytes", peakRssBytes());
    return out;
  }

  private static long matmulParams(nla.model.ModelConfig c) {
    long attn =
        (long) c.hiddenSize() * c.headDim() * (c.numHeads() + 2L * c.numKvHeads())
            + (long) c.numHeads() * c.headDim() * c.hiddenSize();
    long mlp = 3L * c.hiddenSize() * c.intermediateSize();
    return c.numLayers() * (attn + mlp) + (long) c.vocabSize() * c.hiddenSize();
  }

  private static double timeGenerate(LanguageModel model, int[] prompt, int batch, int newTokens) {
    List<GenerationRequest> requests = new ArrayList<>();
    SamplingParams greedy = SamplingParams.greedy().withMaxNewTokens(newTokens).withIgnoreEos(true);
    for (int b = 0; b < batch; b++) {
      int[] ids = prompt.clone();
      ids[ids.length - 1] =
          (ids[ids.length - 1] + b) % model.config().vocabSize(); // distinct sequences
      requests.add(new GenerationRequest(SequenceInput.ofIds(ids), greedy));
    }
    long t0 = System.nanoTime();
    model.generate(requests);
    return (System.nanoTime() - t0) / 1e9;
  }

  private static int[] promptIds(int length, int vocab) {
    int[] ids = new int[length];
    long x = 0x9E3779B97F4A7C15L;
    for (int i = 0; i < length; i++) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
      ids[i] = (int) Math.floorMod(x, (long) Math.min(vocab, 100_000)) + 3;
    }
    return ids;
  }

  /**
   * A random bf16 model of the shape, created once and cached (several GB for the larger shapes).
   */
  public static Path randomModel(BenchShape shape, Consumer<String> log) {
    Path dir = cacheRoot().resolve("bench").resolve(shape.name());
    Path weights = dir.resolve("model.safetensors");
    if (Files.isRegularFile(weights) && Files.isRegularFile(dir.resolve("config.json"))) return dir;
    log.accept(
        String.format(
            "creating a random %s model (%.2f GB) in %s ...",
            shape.name(), 2.0 * shape.storedParams() / 1e9, dir));
    return writeRandomModel(shape, dir);
  }

  /** A random bf16 model of the shape written into {@code dir} (config.json, model.safetensors). */
  public static Path writeRandomModel(BenchShape shape, Path dir) {
    Path weights = dir.resolve("model.safetensors");
    try {
      Files.createDirectories(dir);
      SafeTensorsWriter w = new SafeTensorsWriter();
      long[] counter = {0};
      String p = "model.";
      w.add(
          p + "embed_tokens.weight",
          DType.BF16,
          new long[] {shape.vocab(), shape.hidden()},
          random(counter, 0.02f));
      int q = shape.heads() * shape.headDim();
      int kv = shape.kvHeads() * shape.headDim();
      for (int i = 0; i < shape.layers(); i++) {
        String l = p + "layers." + i + ".";
        w.add(
            l + "input_layernorm.weight",
            DType.BF16,
            new long[] {shape.hidden()},
            ones(shape.gemma()));
        w.add(
            l + "post_attention_layernorm.weight",
            DType.BF16,
            new long[] {shape.hidden()},
            ones(shape.gemma()));
        w.add(
            l + "self_attn.q_proj.weight",
            DType.BF16,
            new long[] {q, shape.hidden()},
            random(counter, 0.02f));
        w.add(
            l + "self_attn.k_proj.weight",
            DType.BF16,
            new long[] {kv, shape.hidden()},
            random(counter, 0.02f));
        w.add(
            l + "self_attn.v_proj.weight",
            DType.BF16,
            new long[] {kv, shape.hidden()},
            random(counter, 0.02f));
        w.add(
            l + "self_attn.o_proj.weight",
            DType.BF16,
            new long[] {shape.hidden(), q},
            random(counter, 0.02f));
        if (shape.modelType().equals("qwen2")) {
          w.add(l + "self_attn.q_proj.bias", DType.BF16, new long[] {q}, random(counter, 0.02f));
          w.add(l + "self_attn.k_proj.bias", DType.BF16, new long[] {kv}, random(counter, 0.02f));
          w.add(l + "self_attn.v_proj.bias", DType.BF16, new long[] {kv}, random(counter, 0.02f));
        }
        if (shape.gemma()) {
          w.add(
              l + "pre_feedforward_layernorm.weight",
              DType.BF16,
              new long[] {shape.hidden()},
              ones(true));
          w.add(
              l + "post_feedforward_layernorm.weight",
              DType.BF16,
              new long[] {shape.hidden()},
              ones(true));
          w.add(
              l + "self_attn.q_norm.weight", DType.BF16, new long[] {shape.headDim()}, ones(true));
          w.add(
              l + "self_attn.k_norm.weight", DType.BF16, new long[] {shape.headDim()}, ones(true));
        }
        w.add(
            l + "mlp.gate_proj.weight",
            DType.BF16,
            new long[] {shape.intermediate(), shape.hidden()},
            random(counter, 0.02f));
        w.add(
            l + "mlp.up_proj.weight",
            DType.BF16,
            new long[] {shape.intermediate(), shape.hidden()},
            random(counter, 0.02f));
        w.add(
            l + "mlp.down_proj.weight",
            DType.BF16,
            new long[] {shape.hidden(), shape.intermediate()},
            random(counter, 0.02f));
      }
      w.add(p + "norm.weight", DType.BF16, new long[] {shape.hidden()}, ones(shape.gemma()));
      if (!shape.tied()) {
        w.add(
            "lm_head.weight",
            DType.BF16,
            new long[] {shape.vocab(), shape.hidden()},
            random(counter, 0.02f));
      }
      Path tmp = dir.resolve("model.safetensors.part");
      w.write(tmp);
      new ObjectMapper()
          .writerWithDefaultPrettyPrinter()
          .writeValue(dir.resolve("config.json").toFile(), shape.config());
      Files.move(tmp, weights, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return dir;
    } catch (IOException e) {
      throw new UserError(dir + ": cannot create the benchmark model: " + e.getMessage(), e);
    }
  }

  // Gemma stores norm weights as offsets from 1 (it multiplies by 1 + w), the others as the scale
  // itself.
  private static SafeTensorsWriter.Values ones(boolean gemma) {
    return i -> gemma ? 0f : 1f;
  }

  /**
   * Uniform values in [-a, a) from a counter-based hash: fast, deterministic, no state per tensor.
   */
  private static SafeTensorsWriter.Values random(long[] counter, float a) {
    long base = counter[0];
    counter[0] += 1L << 40;
    return i -> {
      long z = base + i + 0x9E3779B97F4A7C15L;
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      z ^= z >>> 31;
      return a * (((z >>> 40) * 0x1.0p-24f) * 2f - 1f);
    };
  }

  public static Path cacheRoot() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    return (xdg != null && !xdg.isBlank()
            ? Path.of(xdg)
            : Path.of(System.getProperty("user.home"), ".cache"))
        .resolve("nla");
  }

  private static long dirBytes(Path dir) {
    try (var files = Files.list(dir)) {
      return files
          .filter(f -> f.toString().endsWith(".safetensors"))
          .mapToLong(f -> f.toFile().length())
          .sum();
    } catch (IOException e) {
      return -1;
    }
  }

  /**
   * Resets this process's peak RSS to its current RSS (Linux ≥ 4.0: "5" into clear_refs); false
   * where that is not possible, and the peak then covers the whole process.
   */
  static boolean resetPeakRss() {
    System.gc(); // return the probe's garbage first, so it is not counted as current RSS
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
      return true;
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return false;
    }
  }

  /** Peak resident set size of this process (VmHWM), or -1 where /proc is not there. */
  public static long peakRssBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }

  /** The machine a measurement ran on: CPU, cores, threads, vector width, Java, OS, heap. */
  public static Map<String, Object> machine(int threads) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cpu", cpuModel());
    m.put("cores", Runtime.getRuntime().availableProcessors());
    m.put("threads", threads);
    m.put("vector_bits", jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize());
    m.put("java", Runtime.version().toString());
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    m.put("max_heap_bytes", Runtime.getRuntime().maxMemory());
    return m;
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).strip();
      }
    } catch (IOException e) {
      return "unknown";
    }
    return "unknown";
  }
}
