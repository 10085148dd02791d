package nla.cli;

import nla.io.UserError;

/** Small parsers for flag values, failing with a message that names the flag. */
final class Args {
  private Args() {}

  static String readText(java.nio.file.Path file, String flag) {
    try {
      return java.nio.file.Files.readString(file);
    } catch (java.nio.charset.MalformedInputException e) {
      throw new UserError(flag + " " + file + ": not UTF-8 text");
    } catch (java.io.IOException e) {
      throw new UserError(flag + " " + file + ": cannot read (" + e.getMessage() + ")");
    }
  }

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
