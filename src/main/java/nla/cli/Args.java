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

  /** Ids given on the command line, checked against the model's vocabulary under their flag. */
  static void requireInVocabulary(int[] ids, int vocabSize, String flag) {
    for (int id : ids)
      if (id < 0 || id >= vocabSize)
        throw new UserError(
            flag + ": id " + id + " is out of the vocabulary (0.." + (vocabSize - 1) + ")");
  }

  /**
   * An output file that can be written: not a folder, and under a folder (not a plain file).
   * Commands check it before computing, so a bad path never costs the computed result.
   */
  static void requireOutputFile(java.nio.file.Path file, String flag) {
    if (java.nio.file.Files.isDirectory(file))
      throw new UserError(flag + ": " + file + " is a directory; give the file to write");
    for (java.nio.file.Path p = file.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
      if (java.nio.file.Files.isDirectory(p)) return;
      if (java.nio.file.Files.exists(p))
        throw new UserError(flag + ": " + file + ": " + p + " is a file, not a folder");
    }
  }

  /**
   * An output that is not one of the same command's inputs (a null input is an absent flag):
   * writing it would destroy the input, e.g. {@code reconstruct --out} over its own {@code --gold}.
   * Paths are compared as the files they name, through links and relative spellings.
   */
  static void requireNotAnInput(
      java.nio.file.Path out, String outFlag, java.nio.file.Path input, String inputFlag) {
    if (out != null && input != null && sameFile(out, input))
      throw new UserError(
          outFlag
              + ": "
              + out
              + " is also the "
              + inputFlag
              + " input; writing it would destroy that input, so give another file");
  }

  private static boolean sameFile(java.nio.file.Path a, java.nio.file.Path b) {
    try {
      if (java.nio.file.Files.exists(a) && java.nio.file.Files.exists(b))
        return java.nio.file.Files.isSameFile(a, b);
    } catch (java.io.IOException e) {
      // Unreadable: compare the spellings below.
    }
    return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
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
