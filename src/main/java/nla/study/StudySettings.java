package nla.study;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import nla.io.UserError;

/**
 * One study's settings in a plan ({@code studies.<name>}), read by the study's {@link Study#parse}:
 * typed reads whose errors name the plan file and {@code studies.<name>.<field>}, checks that the
 * NLAs and activation sets it names are defined, and the input files it names (checked to exist
 * before the first study runs).
 */
public final class StudySettings {
  private final PlanFields fields;
  private final Map<String, Object> root;
  private final Map<String, Object> settings;
  private final String where;
  private final Map<String, Path> inputFiles = new LinkedHashMap<>();

  StudySettings(PlanFields fields, Map<String, Object> root, String study, Map<String, Object> s) {
    this.fields = fields;
    this.root = root;
    this.settings = s;
    this.where = "studies." + study;
  }

  /** {@code studies.<name>}: where in the plan these settings are. */
  public String where() {
    return where;
  }

  /** A user error about these settings: the plan file, then {@code message}. */
  public UserError error(String message) {
    return fields.error(message);
  }

  public boolean has(String field) {
    return settings.containsKey(field);
  }

  /** The field as the YAML gave it (null when absent). */
  public Object raw(String field) {
    return settings.get(field);
  }

  /** The field as text; absent: {@code dflt}, or (null) an error. */
  public String string(String field, String dflt) {
    return fields.str(settings, field, where, dflt);
  }

  public double number(String field, double dflt) {
    return fields.num(settings, field, where, dflt);
  }

  /** A whole number in [min, max], as {@link PlanFields#integer} reads it. */
  public long integer(String field, long dflt, long min, long max) {
    return fields.integer(settings, field, where, dflt, min, max);
  }

  /** A required list, each element as text. */
  public List<String> list(String field) {
    return fields.list(settings, field, where);
  }

  public Map<String, Object> mapping(String field, boolean required) {
    return fields.map(settings, field, required);
  }

  /** The name of an NLA pair the plan defines under {@code nlas} (absent: {@code dflt}). */
  public String nla(String field, String dflt) {
    String name = string(field, dflt);
    requireNla(name, where + "." + field);
    return name;
  }

  /** The name of an activation set the plan defines under {@code activations}. */
  public String activations(String field, String dflt) {
    String name = string(field, dflt);
    requireActivations(name, where + "." + field);
    return name;
  }

  /** Fails unless the plan defines an NLA pair {@code name}; the error says where it was named. */
  public void requireNla(String name, String namedAt) {
    Map<String, Object> nlas = fields.map(root, "nlas", false);
    if (!nlas.containsKey(name))
      throw error(
          namedAt
              + ": no NLA named '"
              + name
              + "' under nlas (the plan has "
              + nlas.keySet()
              + ")");
  }

  /** Fails unless the plan defines an activation set {@code name}. */
  public void requireActivations(String name, String namedAt) {
    Map<String, Object> sets = fields.map(root, "activations", false);
    if (!sets.containsKey(name))
      throw error(
          namedAt
              + ": no activation set named '"
              + name
              + "' under activations (the plan has "
              + sets.keySet()
              + ")");
  }

  /** A setting of an NLA pair itself ({@code nlas.<name>.<field>}), as the YAML gave it. */
  public Object nlaSetting(String nla, String field) {
    return fields.map(fields.map(root, "nlas", true), nla, true).get(field);
  }

  /**
   * A file the study reads, named at {@code studies.<name>.<field>}: resolved against the plan's
   * folder and recorded, so that the plan checks it exists before any study runs.
   */
  public Path inputFile(String field, String path) {
    Path p = fields.path(path);
    inputFiles.put(where + "." + field, p);
    return p;
  }

  /** The files {@link #inputFile} recorded, by where the plan names them. */
  Map<String, Path> inputFiles() {
    return inputFiles;
  }
}
