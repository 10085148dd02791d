package nla.study;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import nla.study.Steps.Decode;

/**
 * The registry of studies: every {@link Study}, in the report's order. {@code nla study <name>},
 * {@code nla study all}, the plan's {@code studies} fields, the run order and the report's sections
 * are all read from here, so adding a study is its class and one line in {@link #ALL}.
 */
public final class Studies {
  private Studies() {}

  /** Every study, in the order they run and appear in the report (§1–§8). */
  public static final List<Study<?>> ALL =
      List.of(
          new EvalStudy(),
          new QuoteBanStudy(),
          new ConfabStudy(),
          new RedactStudy(),
          new BestOfNStudy(),
          new LayersStudy(),
          new CrossStudy(),
          new RidgeStudy());

  /** The study called {@code name}, or null. */
  public static Study<?> named(String name) {
    for (Study<?> s : ALL) if (s.name().equals(name)) return s;
    return null;
  }

  /** Every study's name, in order. */
  public static List<String> names() {
    return ALL.stream().map(Study::name).toList();
  }

  // ---------------------------------------------------------------- shared by the studies

  static ObjectNode obj() {
    return RunDir.JSON.createObjectNode();
  }

  static ArrayNode arr() {
    return RunDir.JSON.createArrayNode();
  }

  static ArrayNode arr(double[] xs) {
    ArrayNode a = arr();
    for (double x : xs) a.add(x);
    return a;
  }

  /** The journal keys of the first sample of rows 0..n−1. */
  static List<String> rowKeys(int n) {
    List<String> k = new ArrayList<>();
    for (int r = 0; r < n; r++) k.add(Steps.key(r, 0));
    return k;
  }

  /** What the AR reads for each row's first sample. */
  static List<String> arInputs(Decode[][] d) {
    List<String> t = new ArrayList<>();
    for (Decode[] row : d) t.add(row[0].arInput());
    return t;
  }

  /** The manifest's inputs of a study of one NLA pair on one activation set. */
  static Map<String, String> inputs(
      String nlaName, Nla nla, String activationsName, ActivationSet acts) {
    Map<String, String> inputs = new LinkedHashMap<>();
    inputs.put("nla:" + nlaName, nla.hash());
    inputs.put("activations:" + activationsName, acts.hash());
    return inputs;
  }

  /** {@code flags} followed by {@code more}. */
  static List<StudyFlag> concat(List<StudyFlag> flags, StudyFlag... more) {
    List<StudyFlag> out = new ArrayList<>(flags);
    out.addAll(List.of(more));
    return List.copyOf(out);
  }
}
