package nla.backend;

import java.util.Arrays;
import java.util.Locale;
import nla.io.UserError;

/**
 * Where a model runs, as the user writes it: {@code auto} (the first GPU when one is usable and the
 * model fits, else the CPU), {@code cpu}, {@code cuda} (= {@code cuda:0}), {@code cuda:N}, or
 * {@code cuda:N,M,...} for a model spread over several GPUs.
 */
public record DeviceSpec(Kind kind, int[] gpus) {
  public enum Kind {
    AUTO,
    CPU,
    CUDA
  }

  public static final DeviceSpec AUTO = new DeviceSpec(Kind.AUTO, new int[0]);
  public static final DeviceSpec CPU = new DeviceSpec(Kind.CPU, new int[0]);

  /**
   * What a command uses when it names no device: {@code NLA_DEVICE} (or the system property {@code
   * nla.device}) when set, else {@code auto}. The CPU test suite sets it to {@code cpu}, so its
   * exact-parity tests mean the same on a machine with a GPU.
   */
  public static DeviceSpec processDefault() {
    String s = System.getProperty("nla.device", System.getenv("NLA_DEVICE"));
    if (s == null || s.isBlank()) return AUTO;
    try {
      return parse(s);
    } catch (UserError e) {
      throw new UserError("NLA_DEVICE: " + e.getMessage());
    }
  }

  public static DeviceSpec parse(String text) {
    String s = text.strip().toLowerCase(Locale.ROOT);
    switch (s) {
      case "auto":
        return AUTO;
      case "cpu":
        return CPU;
      case "cuda", "gpu":
        return new DeviceSpec(Kind.CUDA, new int[] {0});
      default:
        break;
    }
    if (s.startsWith("cuda:")) {
      String[] parts = s.substring(5).split(",", -1);
      int[] gpus = new int[parts.length];
      for (int i = 0; i < parts.length; i++) {
        try {
          gpus[i] = Integer.parseInt(parts[i].strip());
        } catch (NumberFormatException e) {
          gpus[i] = -1;
        }
        if (gpus[i] < 0) throw bad(text);
      }
      return new DeviceSpec(Kind.CUDA, gpus);
    }
    throw bad(text);
  }

  private static UserError bad(String text) {
    return new UserError(
        "--device: expected auto, cpu, cuda, cuda:N or cuda:N,M (got '" + text + "')");
  }

  @Override
  public String toString() {
    return switch (kind) {
      case AUTO -> "auto";
      case CPU -> "cpu";
      case CUDA ->
          "cuda:" + String.join(",", Arrays.stream(gpus).mapToObj(Integer::toString).toList());
    };
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DeviceSpec d && d.kind == kind && Arrays.equals(d.gpus, gpus);
  }

  @Override
  public int hashCode() {
    return kind.hashCode() * 31 + Arrays.hashCode(gpus);
  }
}
