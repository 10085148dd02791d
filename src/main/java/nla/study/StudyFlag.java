package nla.study;

import java.util.List;

/**
 * A flag of a one-study command ({@code nla study <name>}), declared by its study. The command line
 * layer turns it into a picocli option of this {@link Type}; picocli converts the value, so a
 * malformed one is refused with the flag's name before anything runs.
 *
 * @param defaultValue as picocli takes it (null: none); {@code ${DEFAULT-VALUE}} in the description
 *     shows it
 */
public record StudyFlag(
    String name,
    String label,
    Type type,
    boolean required,
    String defaultValue,
    String description) {

  /** The value a flag holds once parsed. */
  public enum Type {
    /** One string. */
    TEXT,
    /** One path. */
    PATH,
    /** One int. */
    INTEGER,
    /** One double. */
    NUMBER,
    /** Comma-separated ints: a {@code List<Integer>}. */
    INTEGERS,
    /** Comma-separated strings: a {@code List<String>}. */
    TEXTS,
    /** Repeatable {@code KEY=VALUE}: a {@code Map<String, String>} in the order given. */
    KEY_VALUES
  }

  public static StudyFlag optional(String name, String label, Type type, String description) {
    return new StudyFlag(name, label, type, false, null, description);
  }

  public static StudyFlag required(String name, String label, Type type, String description) {
    return new StudyFlag(name, label, type, true, null, description);
  }

  public static StudyFlag withDefault(
      String name, String label, Type type, String defaultValue, String description) {
    return new StudyFlag(name, label, type, false, defaultValue, description);
  }

  /** The parsed flags of one command: a flag's value by its name (null when not given). */
  @FunctionalInterface
  public interface Values {
    Object get(String flag);
  }

  /**
   * The flags naming one NLA pair and its eval activations, shared by the studies of one pair: the
   * pair becomes the plan's only NLA and activation set, both under {@code --name}.
   */
  public static final List<StudyFlag> PAIR =
      List.of(
          required("--av", "DIR", Type.PATH, "AV checkpoint directory."),
          required("--ar", "DIR", Type.PATH, "AR checkpoint directory."),
          required(
              "--activations",
              "FILE",
              Type.PATH,
              "Eval activations (.parquet, or .npy without contexts)."),
          withDefault(
              "--name",
              "NAME",
              Type.TEXT,
              "nla",
              "Label of this NLA in tables. Default: ${DEFAULT-VALUE}."));
}
