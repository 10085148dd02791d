package nla.io.hub;

import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code --include} patterns with the semantics huggingface_hub gives {@code allow_patterns}:
 * Python's {@code fnmatch.fnmatchcase} on the '/'-separated repo path ({@code *} also crosses '/'),
 * and a pattern ending in '/' matches everything below that folder.
 */
public final class Glob {
  private final List<Pattern> patterns;

  public Glob(List<String> globs) {
    this.patterns = globs.stream().map(Glob::compile).toList();
  }

  /** True when there are no patterns, or one of them matches. */
  public boolean matches(String path) {
    return patterns.isEmpty() || patterns.stream().anyMatch(p -> p.matcher(path).matches());
  }

  static Pattern compile(String glob) {
    String g = glob.replace('\\', '/');
    if (g.endsWith("/")) g = g + "*";
    StringBuilder re = new StringBuilder();
    int i = 0;
    int n = g.length();
    while (i < n) {
      char c = g.charAt(i++);
      if (c == '*') {
        re.append(".*");
      } else if (c == '?') {
        re.append('.');
      } else if (c == '[') {
        int j = i;
        if (j < n && g.charAt(j) == '!') j++;
        if (j < n && g.charAt(j) == ']') j++;
        while (j < n && g.charAt(j) != ']') j++;
        if (j >= n) {
          re.append("\\[");
        } else {
          String set = g.substring(i, j).replace("\\", "\\\\");
          i = j + 1;
          if (set.startsWith("!")) set = "^" + set.substring(1);
          else if (set.startsWith("^")) set = "\\" + set;
          re.append('[').append(set.replace("[", "\\[")).append(']');
        }
      } else {
        re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(re.toString(), Pattern.DOTALL);
  }
}
