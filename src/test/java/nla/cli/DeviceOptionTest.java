package nla.cli;

import static nla.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import nla.GoldenFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The global {@code --device}: its parsing, and what a machine without an NVIDIA driver does with
 * each choice. The driverless machine is made on any machine by naming an absent driver library in
 * a child JVM ({@code -Dnla.cuda.driver}), so this holds on GPU machines too.
 */
class DeviceOptionTest {
  @TempDir Path tmp;

  @Test
  void anUnknownDeviceIsOneLineAndExitTwo() {
    CliRun r = run("--device", "tpu", "inspect", "x");
    assertEquals(2, r.code(), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith("nla: --device: expected auto, cpu, cuda"), r.err());
  }

  @Test
  void theCpuRunsAsBefore() throws Exception {
    Path out = tmp.resolve("cpu.npy");
    CliRun r = run(concat(new String[] {"--device", "cpu"}, extract(out)));
    assertEquals(0, r.code(), r.err());
    assertTrue(Files.size(out) > 0);
  }

  @Test
  void withoutADriverCudaIsRefusedInOneLineAndAutoRunsOnTheCpu() throws Exception {
    Child cuda = child(concat(new String[] {"--device", "cuda"}, extract(tmp.resolve("a.npy"))));
    assertEquals(2, cuda.code(), cuda.err());
    assertEquals(
        "nla: --device cuda: no NVIDIA driver on this machine (libnla-absent.so.1 is not on the"
            + " loader path)",
        cuda.err().strip());
    assertTrue(Files.notExists(tmp.resolve("a.npy")));

    Child several =
        child(concat(new String[] {"--device", "cuda:0,1"}, extract(tmp.resolve("b.npy"))));
    assertEquals(2, several.code(), several.err());
    assertEquals(1, several.err().strip().lines().count(), several.err());
    assertTrue(several.err().contains("no NVIDIA driver"), several.err());

    Path auto = tmp.resolve("auto.npy");
    Child a = child(concat(new String[] {"--device", "auto"}, extract(auto)));
    assertEquals(0, a.code(), a.err());
    assertTrue(Files.size(auto) > 0);
  }

  @Test
  void withoutADriverBenchAndDemoStopBeforeTheirFirstWork() throws Exception {
    // The benchmark would first write a random model of 0.99 GB, the demo unpack its pair: a
    // machine without a driver is refused before either, in the line a model's load gives.
    Path cache = tmp.resolve("cache");
    Child bench = child("--device", "cuda", "bench", "--shape", "qwen2.5-0.5b");
    assertEquals(2, bench.code(), bench.err());
    assertEquals(
        "nla: --device cuda: no NVIDIA driver on this machine (libnla-absent.so.1 is not on the"
            + " loader path)",
        bench.err().strip());
    assertTrue(Files.notExists(cache), "the benchmark wrote its model before refusing");

    Path demo = tmp.resolve("demo");
    Child d = child("--device", "cuda:0", "demo", "--out", demo.toString());
    assertEquals(2, d.code(), d.err());
    assertEquals(1, d.err().strip().lines().count(), d.err());
    assertTrue(d.err().contains("no NVIDIA driver"), d.err());
    assertTrue(Files.notExists(demo), "the demo unpacked before refusing");
  }

  private static String[] extract(Path out) {
    return new String[] {
      "extract",
      "--model",
      GoldenFixtures.modelDir("qwen2").toString(),
      "--token-ids",
      "1,2,3,4,5",
      "--layer",
      "1",
      "--out",
      out.toString()
    };
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  record Child(int code, String err) {}

  /** Runs nla in a JVM without a driver, its caches (XDG_CACHE_HOME) under {@code tmp/cache}. */
  private Child child(String... args) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>();
    cmd.add(java);
    cmd.add("--add-modules=jdk.incubator.vector");
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.add("-Dnla.cuda.driver=libnla-absent.so.1");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(List.of(args));
    Path err = Files.createTempFile(tmp, "err", ".txt");
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(err.toFile());
    pb.environment().put("XDG_CACHE_HOME", tmp.resolve("cache").toString());
    Process p = pb.start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child timed out");
    String text =
        Files.readString(err)
            .lines()
            .filter(l -> !l.contains("incubator"))
            .reduce("", (x, y) -> x + y + "\n");
    return new Child(p.exitValue(), text);
  }
}
