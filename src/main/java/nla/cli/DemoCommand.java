package nla.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import nla.backend.Backends;
import nla.backend.DeviceSpec;
import nla.io.AtomicFiles;
import nla.io.UserError;
import nla.model.LanguageModel;
import nla.study.DemoKit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The first thing a newcomer runs. It runs the real commands, printing each one, so the demo
 * doubles as a walkthrough: extract activations from a corpus, draw an eval set, run the studies
 * (verbalize, reconstruct, score, quote bans, confabulation, redaction, best-of-N), write the
 * report.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Run the whole pipeline on the bundled tiny NLA pair and corpus (no download).",
      "Steps: extract-corpus -> eval-set -> study all (verbalize, reconstruct, score, studies)"
          + " -> report.",
      "The bundled pair is random-initialised: its explanations are noise; it shows the machinery."
    })
public final class DemoCommand implements Callable<Integer> {
  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "Where the demo writes everything (default: ${DEFAULT-VALUE}).")
  Path out = Path.of("runs", "demo");

  @Option(
      names = "--rows",
      paramLabel = "N",
      description = "Activations in the eval set (default: ${DEFAULT-VALUE}).")
  int rows = 24;

  @Option(
      names = "--max-new-tokens",
      paramLabel = "N",
      description = "AV generation budget (default: ${DEFAULT-VALUE}).")
  int maxNewTokens = 32;

  @Option(
      names = "--fresh",
      description = "Start afresh: remove what an earlier demo wrote under --out first.")
  boolean fresh;

  /** Records the settings of the demo in a folder, so a rerun knows whether it may resume it. */
  private static final String SETTINGS_FILE = "demo.json";

  /** What the demo writes beside the unpacked pair and corpus; starting afresh removes these. */
  private static final List<String> OUTPUTS =
      List.of(
          "activations.parquet",
          "activations.parquet.nla_meta.yaml",
          "activations.parquet.partial",
          "eval.parquet",
          "eval.parquet.nla_meta.yaml",
          "plan.yaml",
          "run",
          SETTINGS_FILE);

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    if (rows < 4) throw new UserError("--rows must be at least 4");
    Backends.requireUsable(LanguageModel.defaultDevice());
    globalOptions = globalOptions();
    var say = spec.commandLine().getOut();
    long t0 = System.nanoTime();
    say.println(
        "nla demo: a tiny random-initialised NLA pair (Qwen2.5 tokenizer, d = 16, layer K = 1).");
    say.println(
        "          Its explanations are noise: the demo shows the machinery, not a finding.");
    prepareFolder();
    DemoKit.Paths kit = DemoKit.materialise(out);
    say.println("          pair and corpus unpacked into " + out);
    say.println();

    Path activations = out.resolve("activations.parquet");
    Path eval = out.resolve("eval.parquet");
    Path run = out.resolve("run");
    stepUnlessDone(activations, extractCorpus(kit, 1, activations));
    stepUnlessDone(
        eval,
        "eval-set",
        "--from",
        activations.toString(),
        "--n",
        Integer.toString(rows),
        "--seed",
        "42",
        "--out",
        eval.toString());
    Path plan = writePlan(kit, eval);
    step("study", "all", "--plan", plan.toString(), "--out", run.toString());

    say.println();
    say.printf(
        "Done in %.0f s. The report: %s%n",
        (System.nanoTime() - t0) / 1e9, run.resolve("report.html").toAbsolutePath());
    say.println();
    say.println(
        "The per-token lens on a released pair (fetched into the Hugging Face cache on first use, ~40 GB):");
    say.println("  ./nla lens --base Qwen/Qwen2.5-7B-Instruct --av kitft/nla-qwen2.5-7b-L20-av \\");
    say.println(
        "      --ar kitft/nla-qwen2.5-7b-L20-ar --text \"The cat sat on the mat because it was tired.\"");
    return 0;
  }

  /**
   * Makes a rerun work: a demo left in the folder with the same settings is resumed (its finished
   * steps kept, an interrupted one continued); one with other settings, from an earlier version, or
   * with {@code --fresh} is removed first. Says on stderr which. A folder that holds files of the
   * demo's names but no demo is refused rather than cleared.
   */
  private void prepareFolder() throws IOException {
    var err = spec.commandLine().getErr();
    Path settingsFile = out.resolve(SETTINGS_FILE);
    String settings = "{\"rows\": " + rows + ", \"max_new_tokens\": " + maxNewTokens + "}";
    boolean earlierOutputs = OUTPUTS.stream().anyMatch(name -> Files.exists(out.resolve(name)));
    if (earlierOutputs) {
      String recorded =
          Files.isRegularFile(settingsFile) ? Files.readString(settingsFile).strip() : null;
      if (!fresh && settings.equals(recorded)) {
        err.println(
            "nla demo: resuming the demo in "
                + out
                + " (finished steps are kept; --fresh starts it afresh)");
        err.flush();
        return;
      }
      if (recorded == null && !Files.isDirectory(out.resolve("checkpoints/demo-av")))
        throw new UserError(
            out
                + " holds files of the demo's names but no demo ("
                + out.resolve("checkpoints/demo-av")
                + " is missing); give --out a new folder");
      String why =
          fresh
              ? "--fresh"
              : recorded == null
                  ? "the demo there has no record of its settings"
                  : "the demo there ran with " + recorded + ", this one with " + settings;
      err.println("nla demo: starting " + out + " afresh (" + why + ")");
      err.flush();
      for (String name : OUTPUTS) deleteRecursively(out.resolve(name));
    }
    Files.createDirectories(out);
    AtomicFiles.writeString(settingsFile, settings + "\n");
  }

  private static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path)) return;
    try (var paths = Files.walk(path)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }

  private Path writePlan(DemoKit.Paths kit, Path eval) throws IOException {
    Path plan = out.resolve("plan.yaml");
    String yaml =
        """
        # The demo's study plan; `nla study all --plan` runs it. Paths are relative to this file.
        seed: 42
        batch: 8
        max_new_tokens: %d
        nlas:
          demo: {av: %s, ar: %s}
        activations:
          demo: %s
        studies:
          eval:      {nla: demo}
          quote-ban: {nla: demo}
          confab:    {activations: demo}
          redact:    {nla: demo}
          best-of-n: {nla: demo, samples: 4, temperature: 1.0}
        """
            .formatted(
                maxNewTokens,
                out.relativize(kit.av()),
                out.relativize(kit.ar()),
                out.relativize(eval));
    AtomicFiles.writeString(plan, yaml);
    return plan;
  }

  /**
   * The global options this command was given that its steps must be given too: each step is a
   * command line of its own, and a command line starts from the process defaults.
   */
  private List<String> globalOptions = List.of();

  private static List<String> globalOptions() {
    List<String> options = new ArrayList<>();
    DeviceSpec device = LanguageModel.chosenDevice();
    if (device != null) options.addAll(List.of("--device", device.toString()));
    if (LanguageModel.bf16ByDefault()) options.add("--bf16");
    return List.copyOf(options);
  }

  private void echo(String... args) {
    var say = spec.commandLine().getOut();
    List<String> shown = new ArrayList<>(globalOptions);
    for (String a : args) shown.add(a.contains(" ") ? "'" + a + "'" : a);
    say.println("$ nla " + String.join(" ", shown));
    say.flush();
  }

  /** Runs a step whose output a resumed demo may already hold whole; echoes it either way. */
  /**
   * The demo's extraction: {@code layer}'s activations at four positions per document of the
   * bundled corpus, seed 42, into {@code out} (the end-to-end tests extract the same way).
   */
  static String[] extractCorpus(DemoKit.Paths kit, int layer, Path out) {
    return new String[] {
      "extract-corpus",
      "--model",
      kit.av().toString(),
      "--corpus",
      kit.corpus().toString(),
      "--text-field",
      "text",
      "--corpus-name",
      "demo",
      "--split",
      "train",
      "--layer",
      Integer.toString(layer),
      "--positions-per-doc",
      "4",
      "--seed",
      "42",
      "--out",
      out.toString()
    };
  }

  private void stepUnlessDone(Path output, String... args) {
    if (Files.exists(output)) {
      echo(args);
      spec.commandLine().getOut().println("kept from the earlier run: " + output);
      return;
    }
    step(args);
  }

  /** Runs one real command as the user would type it, echoing it first. */
  private void step(String... args) {
    echo(args);
    List<String> line = new ArrayList<>(globalOptions);
    line.addAll(List.of(args));
    int code = Main.commandLine().execute(line.toArray(String[]::new));
    if (code != 0)
      throw new UserError("demo step 'nla " + args[0] + "' failed (exit " + code + ")");
  }
}
