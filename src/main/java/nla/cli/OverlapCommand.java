package nla.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import nla.study.WordOverlap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code nla overlap}: the §3 longest common word run of two texts. */
@Command(
    name = "overlap",
    mixinStandardHelpOptions = true,
    description = {
      "Find the longest contiguous run of words two texts share (contract §3).",
      "Words are lower-cased runs of letters, digits and apostrophes."
    })
final class OverlapCommand implements Callable<Integer> {
  @Option(names = "--a", required = true, paramLabel = "T1", description = "First text.")
  String a;

  @Option(names = "--b", required = true, paramLabel = "T2", description = "Second text.")
  String b;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    WordOverlap.Run r = WordOverlap.longest(a, b);
    var out = spec.commandLine().getOut();
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("longest", r.length());
      o.put("words", r.words());
      out.println(Json.line(o));
    } else {
      out.println(r.length() + " words: " + String.join(" ", r.words()));
    }
    return 0;
  }
}
