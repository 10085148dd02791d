package nla.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import nla.study.Report;
import nla.study.RunDir;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code nla report}: the §9 report of a run directory. */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description = {
      "Write one self-contained HTML report of the studies in a run directory.",
      "Inline CSS and SVG figures (it opens offline), plus results.json beside it with every"
          + " number it shows."
    })
final class ReportCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "RUN_DIR", description = "A run directory of nla study.")
  Path runDir;

  @Option(
      names = "--out",
      paramLabel = "FILE",
      description = "Where to write the HTML. Default: RUN_DIR/report.html.")
  Path out;

  @Option(
      names = "--prereg",
      paramLabel = "YAML",
      description =
          "Pre-registered predictions to score: predictions: [{claim, study, metric, expected: [low, high]}].")
  Path prereg;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Path html = out != null ? out : runDir.resolve("report.html");
    Path results = html.toAbsolutePath().resolveSibling("results.json");
    for (Path written : new Path[] {html, results}) {
      String flag = written == html ? "--out" : "--out (results.json beside it)";
      Args.requireNotAnInput(written, flag, prereg, "--prereg");
      Args.requireNotAnInput(written, flag, runDir.resolve(RunDir.MANIFEST), "RUN_DIR manifest");
    }
    Report.Built b = Report.write(runDir, prereg, html);
    spec.commandLine()
        .getOut()
        .println(
            "wrote "
                + html
                + " and "
                + results
                + " ("
                + b.results().get("studies").size()
                + " studies)");
    return 0;
  }
}
