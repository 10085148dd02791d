package nla.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import nla.study.Spans;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code nla spans}: the §4 quote-span parser on one text. */
@Command(
    name = "spans",
    mixinStandardHelpOptions = true,
    description = {
      "List the quote spans of a text (contract §4).",
      "A span is text inside matched double/single quotes or corner brackets; apostrophes inside"
          + " words are not delimiters; nested quotes belong to the outer span. Offsets are code"
          + " points and include the delimiters."
    })
final class SpansCommand implements Callable<Integer> {
  @Option(names = "--text", required = true, paramLabel = "T", description = "The text to parse.")
  String text;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Spans.Parsed p = Spans.parse(text);
    var out = spec.commandLine().getOut();
    if (json) {
      List<Map<String, Object>> spans = new ArrayList<>();
      for (Spans.Span s : p.spans()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", s.kind());
        m.put("start", s.start());
        m.put("end", s.end());
        m.put("text", s.text());
        spans.add(m);
      }
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("spans", spans);
      o.put("count", p.count());
      o.put("char_fraction", p.charFraction());
      out.println(Json.line(o));
    } else {
      for (Spans.Span s : p.spans())
        out.printf("%-7s %5d %5d  %s%n", s.kind(), s.start(), s.end(), s.text());
      out.printf("%d spans, %.1f%% of characters%n", p.count(), 100 * p.charFraction());
    }
    return 0;
  }
}
