package nla.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import nla.io.UserError;
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

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    if (rows < 4) throw new UserError("--rows must be at least 4");
    var say = spec.commandLine().getOut();
    long t0 = System.nanoTime();
    say.println(
        "nla demo: a tiny random-initialised NLA pair (Qwen2.5 tokenizer, d = 16, layer K = 1).");
    say.println(
        "          Its explanations are noise: the demo shows the machinery, not a finding.");
    DemoKit.Paths kit = DemoKit.materialise(out);
    say.println("          pair and corpus unpacked into " + out);
    say.println();

    Path activations = out.resolve("activations.parquet");
    Path eval = out.resolve("eval.parquet");
    Path run = out.resolve("run");
    step(
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
        "1",
        "--positions-per-doc",
        "4",
        "--seed",
        "42",
        "--out",
        activations.toString());
    step(
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
    Files.writeString(plan, yaml);
    return plan;
  }

  /** Runs one real command as the user would type it, echoing it first. */
  private void step(String... args) {
    var say = spec.commandLine().getOut();
    List<String> shown = new ArrayList<>();
    for (String a : args) shown.add(a.contains(" ") ? "'" + a + "'" : a);
    say.println("$ nla " + String.join(" ", shown));
    say.flush();
    int code = Main.commandLine().execute(args);
    if (code != 0)
      throw new UserError("demo step 'nla " + args[0] + "' failed (exit " + code + ")");
  }
}
