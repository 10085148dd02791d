package nla.core;

import java.util.Map;
import nla.io.UserError;

/**
 * Python {@code str.format(**kwargs)} for the sidecar's prompt templates: {@code {name}} is
 * replaced by the named argument, {@code {{} and {@code }}} are literal braces. The templates were
 * filled by Python in training, so a template that Python would refuse (an unknown name, a lone
 * brace, a positional field) is refused here too rather than rendered differently.
 */
public final class PyFormat {
  private PyFormat() {}

  /**
   * Formats {@code template} with {@code args}; {@code field} names the template in errors (e.g.
   * {@code prompt_templates.av}).
   */
  public static String format(String template, Map<String, String> args, String field) {
    StringBuilder out = new StringBuilder(template.length() + 64);
    int i = 0;
    int n = template.length();
    while (i < n) {
      char c = template.charAt(i);
      if (c == '{') {
        if (i + 1 < n && template.charAt(i + 1) == '{') {
          out.append('{');
          i += 2;
          continue;
        }
        int close = template.indexOf('}', i + 1);
        if (close < 0) {
          throw new UserError(field + ": Single '{' encountered in format string");
        }
        String name = template.substring(i + 1, close);
        if (name.indexOf('{') >= 0) {
          throw new UserError(field + ": nested '{' in field {" + name + "} is not supported");
        }
        out.append(lookup(name, args, field));
        i = close + 1;
      } else if (c == '}') {
        if (i + 1 < n && template.charAt(i + 1) == '}') {
          out.append('}');
          i += 2;
          continue;
        }
        throw new UserError(field + ": Single '}' encountered in format string");
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }

  private static String lookup(String name, Map<String, String> args, String field) {
    if (name.isEmpty() || Character.isDigit(name.charAt(0))) {
      throw new UserError(
          field
              + ": positional field {"
              + name
              + "}; the template is filled with named arguments only ("
              + String.join(", ", args.keySet())
              + ")");
    }
    for (char bad : new char[] {'!', ':', '.', '['}) {
      if (name.indexOf(bad) >= 0) {
        throw new UserError(
            field + ": field {" + name + "} uses a conversion, format spec or index; unsupported");
      }
    }
    String value = args.get(name);
    if (value == null) {
      throw new UserError(
          field
              + ": unknown placeholder {"
              + name
              + "} (Python would raise KeyError); known: "
              + String.join(", ", args.keySet()));
    }
    return value;
  }
}
