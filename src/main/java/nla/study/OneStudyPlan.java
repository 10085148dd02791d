package nla.study;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The plan a one-study command describes ({@code nla study <name> ...}): the common settings, the
 * NLA pairs and activation sets its flags define and the study's settings. {@link StudyPlan#of}
 * then reads it as it reads a plan file.
 */
public final class OneStudyPlan {
  private final Map<String, Object> root;
  private final Map<String, Object> nlas = new LinkedHashMap<>();
  private final Map<String, Object> activations = new LinkedHashMap<>();
  private final Map<String, Object> settings = new LinkedHashMap<>();

  /**
   * @param common the top-level settings every study takes (seed, batch, limit, ...)
   */
  public OneStudyPlan(Map<String, Object> common) {
    this.root = new LinkedHashMap<>(common);
  }

  /** Defines an NLA pair; {@code extra} adds fields such as {@code training_var_nrm}. */
  public OneStudyPlan nla(String name, Object av, Object ar, Map<String, Object> extra) {
    Map<String, Object> pair = new LinkedHashMap<>();
    pair.put("av", av);
    pair.put("ar", ar);
    pair.putAll(extra);
    nlas.put(name, pair);
    return this;
  }

  public OneStudyPlan activations(String name, String file) {
    activations.put(name, file);
    return this;
  }

  public OneStudyPlan set(String field, Object value) {
    settings.put(field, value);
    return this;
  }

  /**
   * The {@link StudyFlag#PAIR} flags: their NLA pair and activations, both under {@code --name},
   * and {@code nla: <name>} in the settings. Returns the name.
   */
  public String pair(StudyFlag.Values flags, Map<String, Object> extra) {
    String name = (String) flags.get("--name");
    nla(name, flags.get("--av"), flags.get("--ar"), extra);
    activations(name, flags.get("--activations").toString());
    set("nla", name);
    return name;
  }

  /** The plan as {@link StudyPlan#of} reads it, with this study's settings under {@code study}. */
  public Map<String, Object> root(String study) {
    Map<String, Object> out = new LinkedHashMap<>(root);
    if (!nlas.isEmpty()) out.put("nlas", nlas);
    if (!activations.isEmpty()) out.put("activations", activations);
    out.put("studies", Map.of(study, settings));
    return out;
  }
}
