package nla.text.jinja;

/**
 * A template that cannot be parsed or rendered: a syntax error, an unsupported construct, a type
 * error at render time, or the template's own {@code raise_exception(...)}. The message names the
 * template line where it is known; callers add which file the template came from.
 */
public class TemplateError extends RuntimeException {
  public TemplateError(String message) {
    super(message);
  }

  /** Raised by the template itself through {@code raise_exception(message)}. */
  public static final class Raised extends TemplateError {
    public Raised(String message) {
      super(message);
    }
  }
}
