package nla.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import nla.core.Metrics;
import nla.core.Scale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code nla baseline}: the predict-the-mean baselines of a vector set (contract §5). */
@Command(
    name = "baseline",
    mixinStandardHelpOptions = true,
    description = {
      "Compute the predict-the-mean baselines of a vector set: var_nrm (the FVE denominator) and"
          + " meannorm.",
      "Each vector is scaled to L2 norm mse_scale first (sqrt(d) by default)."
    })
final class BaselineCommand implements Callable<Integer> {
  @Mixin CheckpointFlags.Vectors vectors;

  @Option(
      names = "--mse-scale",
      paramLabel = "S",
      defaultValue = Scale.SQRT_D_MODEL,
      description =
          "Norm each vector is scaled to: a number, sqrt_d_model, or raw. Default: ${DEFAULT-VALUE}.")
  String mseScale;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    VectorInput.Selection sel = vectors.read();
    Scale scale = Scale.parse(mseScale, "--mse-scale");
    int d = sel.vectors().get(0).length;
    Metrics.Baseline b = Metrics.baseline(sel.vectors(), scale.resolve(d));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("n", b.n());
    out.put("d", b.d());
    out.put("mse_scale", b.mseScale());
    out.put("var_nrm", b.varNrm());
    out.put("meannorm", b.meannorm());
    var stdout = spec.commandLine().getOut();
    if (json) {
      stdout.println(Json.line(out));
    } else {
      stdout.printf(
          "vectors   %s (%d x %d)%nmse_scale %s%nvar_nrm   %.6f   (FVE denominator)%nmeannorm  %.6f%n",
          sel.name(),
          b.n(),
          b.d(),
          b.mseScale() == null ? "raw" : b.mseScale(),
          b.varNrm(),
          b.meannorm());
    }
    stdout.flush();
    return 0;
  }
}
