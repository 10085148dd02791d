package nla.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import nla.data.EvalSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code nla eval-set}: N rows drawn with a seed from an activation parquet. */
@Command(
    name = "eval-set",
    mixinStandardHelpOptions = true,
    description = {
      "Draw N activation rows with a seed and write them, in file order, with a sidecar.",
      "The rows drawn are Python's sorted(random.Random(S).sample(range(rows), N)), as the"
          + " reference."
    })
public final class EvalSetCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--from",
      required = true,
      paramLabel = "FILE.parquet",
      description = "The activation parquet to draw from.")
  Path from;

  @Option(names = "--n", required = true, paramLabel = "N", description = "Rows to draw.")
  int n;

  @Option(
      names = "--seed",
      defaultValue = "42",
      paramLabel = "S",
      description = "Sampling seed. Default: 42.")
  long seed;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "FILE.parquet",
      description = "Where the eval set goes (a sidecar is written beside it).")
  Path out;

  @Override
  public Integer call() {
    if (java.nio.file.Files.exists(out)) {
      throw new nla.io.UserError(out + " already exists (--out); remove it first");
    }
    long rows = EvalSet.build(from, n, seed, out);
    spec.commandLine().getOut().printf("wrote %d rows -> %s%n", rows, out);
    return 0;
  }
}
