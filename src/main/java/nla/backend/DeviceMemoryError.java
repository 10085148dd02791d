package nla.backend;

import nla.io.UserError;

/**
 * The device ran out of memory: the work asked for more than the GPU has free (a larger model,
 * batch or document than it holds, or another process using it). A type of its own, not only a
 * {@link UserError}, so that a resumable job can catch it and add what it kept and how to resume (a
 * rerun of the same command, with a smaller batch where that needs less memory); the CLI prints it
 * as one line, as any {@link UserError}.
 */
public class DeviceMemoryError extends UserError {
  public DeviceMemoryError(String message) {
    super(message);
  }

  public DeviceMemoryError(String message, Throwable cause) {
    super(message, cause);
  }
}
