package nla.io;

/**
 * A problem with what the user gave us (a file, a field, a flag), as opposed to a bug. The CLI
 * prints its message as one line and exits with code 2; anything else that escapes is a bug and
 * gets a stack trace. Messages name the file, field or flag and say what is wrong.
 */
public class UserError extends RuntimeException {
  public UserError(String message) {
    super(message);
  }

  public UserError(String message, Throwable cause) {
    super(message, cause);
  }
}
