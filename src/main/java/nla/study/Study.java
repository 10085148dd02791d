package nla.study;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * One study of the report (§1–§8), whole in one class: its name, its parameters (a typed record,
 * parsed once from a plan's settings), its command-line flags, its run over a run directory and its
 * part of the report. {@link Studies#ALL} lists them; {@code nla study <name>}, {@code nla study
 * all}, the plan's fields, the manifest and the report all come from that list, so a new study is
 * one class and one line there.
 *
 * @param <P> its parameters
 */
public interface Study<P> {
  /**
   * The study's name: its {@code nla study} subcommand, its key under the plan's {@code studies},
   * its folder in the run directory and its entry in the manifest and {@code results.json}.
   */
  String name();

  /** What it measures, for {@code nla study <name> --help} (a picocli format string). */
  String description();

  /** The settings a plan may give it; any other is refused as a typo. */
  List<String> settings();

  /**
   * The flags of {@code nla study <name>} besides those every study takes (--out, --seed, --batch,
   * --limit, --max-new-tokens).
   */
  List<StudyFlag> flags();

  /**
   * The one-study plan those flags describe: the NLA pairs and activation sets they define and this
   * study's settings. It is then read by {@link #parse} like any plan, so a value given as a flag
   * and the same value in a plan file meet the same checks.
   */
  void plan(StudyFlag.Values flags, OneStudyPlan plan);

  /**
   * Its parameters from its settings in a plan; an error names the plan and the field. Runs when
   * the plan loads, so a bad setting of the last study fails before the first one starts.
   */
  P parse(StudySettings settings);

  /** Runs it into {@code context}'s run directory (resuming what is there); writes its summary. */
  void run(P params, StudyContext context);

  /** Its section of the report, from its {@code summary.json}. */
  void report(JsonNode summary, ReportPage page);

  /** Its cards in the report's headline row, if it has a headline number. */
  default void headline(JsonNode summary, ReportPage page) {}
}
