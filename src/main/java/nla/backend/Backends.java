package nla.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import nla.backend.cpu.CpuBackend;
import nla.backend.cuda.CudaBackend;
import nla.backend.cuda.GpuInfo;
import nla.io.UserError;

/**
 * The one place a concrete backend is chosen: from a {@link DeviceSpec}, for a model of a given
 * size. {@code auto} takes the first GPU when one is usable and the model fits in its free memory,
 * else the CPU. The choice of a GPU (or why auto left one unused) is printed on stderr once per
 * process.
 */
public final class Backends {
  private static final AtomicBoolean announced = new AtomicBoolean();

  private Backends() {}

  /**
   * The backends for a model whose weights take {@code weightBytes} on a GPU ({@code model} names
   * it in messages): one, or one per GPU of {@code cuda:N,M,...} (the model's blocks are then
   * spread over them in that order); {@code threads} and {@code bf16Activations} configure the CPU
   * backend.
   */
  public static List<Backend> open(
      DeviceSpec spec, int threads, boolean bf16Activations, long weightBytes, String model) {
    return switch (spec.kind()) {
      case CPU -> List.of(new CpuBackend(threads, bf16Activations));
      case CUDA -> openGpus(spec);
      case AUTO -> List.of(openAuto(threads, bf16Activations, weightBytes, model));
    };
  }

  private static List<Backend> openGpus(DeviceSpec spec) {
    List<Backend> gpus = new ArrayList<>();
    try {
      for (int ordinal : spec.gpus()) gpus.add(new CudaBackend(ordinal));
    } catch (RuntimeException e) {
      for (Backend b : gpus) b.close();
      throw e;
    }
    announce(
        "nla: running on " + String.join(" + ", gpus.stream().map(Backend::describe).toList()));
    return gpus;
  }

  private static Backend openAuto(
      int threads, boolean bf16Activations, long weightBytes, String model) {
    if (GpuInfo.count() == 0) return new CpuBackend(threads, bf16Activations);
    CudaBackend gpu;
    try {
      gpu = new CudaBackend(0);
    } catch (UserError e) {
      announce("nla: running on the CPU; the GPU is not usable: " + e.getMessage());
      return new CpuBackend(threads, bf16Activations);
    }
    long free = gpu.freeMemory();
    if (weightBytes + CudaBackend.WORKSPACE_RESERVE > free) {
      gpu.close();
      announce(
          "nla: running on the CPU; "
              + model
              + " does not fit the free memory of "
              + gpu.info().label()
              + " ("
              + (weightBytes >> 20)
              + " MiB of weights, "
              + (free >> 20)
              + " MiB free)");
      return new CpuBackend(threads, bf16Activations);
    }
    announce("nla: running on " + gpu.describe());
    return gpu;
  }

  /**
   * What {@code spec} resolves to on this machine, without loading anything (for manifests): the
   * GPU's description, or the CPU.
   */
  public static String describe(DeviceSpec spec) {
    return switch (spec.kind()) {
      case CPU -> "cpu";
      case CUDA -> {
        try {
          yield GpuInfo.probe(spec.gpus()[0]).describe();
        } catch (UserError e) {
          yield spec + " (unavailable: " + e.getMessage() + ")";
        }
      }
      case AUTO -> {
        if (GpuInfo.count() == 0) yield "cpu (auto: no GPU)";
        try {
          yield "auto: " + GpuInfo.probe(0).describe();
        } catch (UserError e) {
          yield "cpu (auto: " + e.getMessage() + ")";
        }
      }
    };
  }

  /**
   * Whether a description, {@link #describe}'s or a backend's own, is of the CPU: the one place
   * that reads where a model runs from how it is described.
   */
  public static boolean isCpu(String description) {
    return description.startsWith("cpu");
  }

  /**
   * Refuses, in the one line a model's load would give, a {@code spec} naming GPUs this machine
   * cannot use: for commands with work before their first model (a benchmark's random model, the
   * demo's unpacking), so that they stop before it instead of after. CPU and auto pass.
   */
  public static void requireUsable(DeviceSpec spec) {
    if (spec.kind() == DeviceSpec.Kind.CUDA) for (int ordinal : spec.gpus()) GpuInfo.probe(ordinal);
  }

  /** How many GPUs this machine's driver shows (0 without a usable driver). */
  public static int gpuCount() {
    return GpuInfo.count();
  }

  private static void announce(String line) {
    if (announced.compareAndSet(false, true)) System.err.println(line);
  }
}
