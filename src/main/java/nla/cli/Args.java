package nla.cli;

import nla.io.UserError;

/** Small parsers for flag values, failing with a message that names the flag. */
final class Args {
  private Args() {}

  static int[] tokenIds(String text, String flag) {
    String[] parts = text.strip().split("\\s*,\\s*");
    if (text.isBlank()) throw new UserError(flag + ": no token ids given");
    int[] ids = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        ids[i] = Integer.parseInt(parts[i]);
      } catch (NumberFormatException e) {
        throw new UserError(flag + ": '" + parts[i] + "' is not a token id");
      }
    }
    return ids;
  }
}
