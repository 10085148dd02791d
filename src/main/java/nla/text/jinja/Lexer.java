package nla.text.jinja;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits template source into text and tags, applying Jinja's whitespace rules as Hugging Face
 * configures them ({@code trim_blocks=True, lstrip_blocks=True}, no trailing newline kept), then
 * splits each tag's inside into tokens.
 *
 * <p>Rules, as in Jinja's own lexer: {@code {%-}/{{-}/{#-} strip all whitespace before the tag,
 * {@code -%}} (etc.) all whitespace after it; {@code lstrip_blocks} removes spaces and tabs between
 * the start of a line and a block or comment tag (not a {@code {{}); {@code trim_blocks} removes
 * the first newline after a block or comment tag; {@code +} on either side turns those two off.
 */
final class Lexer {
  /** One piece of the template: literal text, a {@code {{ }}} or a {@code {% %}}. */
  sealed interface Segment {}

  record Text(String text) implements Segment {}

  record Print(List<Token> tokens, int line) implements Segment {}

  record Tag(List<Token> tokens, int line) implements Segment {}

  enum Kind {
    NAME,
    STRING,
    INT,
    FLOAT,
    OP,
    EOF
  }

  record Token(Kind kind, String text, Object value, int line) {
    boolean is(String op) {
      return (kind == Kind.OP || kind == Kind.NAME) && text.equals(op);
    }

    boolean isName(String name) {
      return kind == Kind.NAME && text.equals(name);
    }
  }

  private static final String[] OPERATORS = {
    "**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[",
    "]", "{", "}", ",", ".", ":", "|"
  };

  private final String src;
  private int pos;
  private final List<Segment> out = new ArrayList<>();

  private Lexer(String source) {
    // Jinja normalises newlines to \n and drops one trailing newline (keep_trailing_newline=False).
    String s = source.replace("\r\n", "\n").replace('\r', '\n');
    if (s.endsWith("\n")) s = s.substring(0, s.length() - 1);
    this.src = s;
  }

  static List<Segment> lex(String source) {
    Lexer lexer = new Lexer(source);
    lexer.run();
    return lexer.out;
  }

  private int line(int at) {
    int n = 1;
    for (int i = 0; i < at && i < src.length(); i++) if (src.charAt(i) == '\n') n++;
    return n;
  }

  private void run() {
    boolean stripNextLeading = false; // a previous "-%}" asks to strip whitespace after it
    boolean lineStarting = true; // the previous tag ended a line (its trimmed newline)
    while (pos <= src.length()) {
      int open = nextOpen(pos);
      String text = src.substring(pos, open < 0 ? src.length() : open);
      if (stripNextLeading) text = stripLeading(text);
      if (open < 0) {
        addText(text);
        return;
      }
      char kind = src.charAt(open + 1);
      int inner = open + 2;
      char sign = inner < src.length() ? src.charAt(inner) : 0;
      if (sign == '-') {
        text = stripTrailing(text);
        inner++;
      } else if (sign == '+') {
        inner++;
      } else if (kind != '{') {
        text = lstripBlock(text, lineStarting || text.contains("\n") || pos == 0);
      }
      addText(text);
      int line = line(open);
      if (kind == '#') {
        int close = src.indexOf("#}", inner);
        if (close < 0) throw new TemplateError("line " + line + ": unclosed comment");
        boolean minus = close > inner && src.charAt(close - 1) == '-';
        boolean plus = close > inner && src.charAt(close - 1) == '+';
        pos = close + 2;
        stripNextLeading = minus;
        lineStarting = afterTagEnd(minus, plus);
        continue;
      }
      String closer = kind == '{' ? "}}" : "%}";
      List<Token> tokens = new ArrayList<>();
      int close = tokenize(inner, closer, tokens, line);
      boolean minus = false, plus = false;
      if (!tokens.isEmpty()) {
        Token last = tokens.getLast();
        // "-" or "+" touching the closer is whitespace control, not an operator.
        if ((last.is("-") || last.is("+"))
            && close > 0
            && src.charAt(close - 1) == last.text.charAt(0)) {
          minus = last.is("-");
          plus = last.is("+");
          tokens.removeLast();
        }
      }
      tokens.add(new Token(Kind.EOF, "", null, line));
      pos = close + 2;
      stripNextLeading = minus;
      if (kind == '{') {
        out.add(new Print(tokens, line));
        lineStarting = false;
      } else if (isRaw(tokens)) {
        lineStarting = afterTagEnd(minus, plus);
        readRaw(line);
        stripNextLeading = false;
      } else {
        out.add(new Tag(tokens, line));
        lineStarting = afterTagEnd(minus, plus);
      }
    }
  }

  /** Applies trim_blocks after a block or comment tag; says whether the next text starts a line. */
  private boolean afterTagEnd(boolean minus, boolean plus) {
    if (!minus && !plus && pos < src.length() && src.charAt(pos) == '\n') {
      pos++;
      return true;
    }
    return false;
  }

  private static boolean isRaw(List<Token> tokens) {
    return tokens.size() == 2 && tokens.get(0).isName("raw");
  }

  /** {@code {% raw %}...{% endraw %}}: everything in between is text. */
  private void readRaw(int line) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("\\{%([-+]?)\\s*endraw\\s*([-+]?)%}").matcher(src);
    if (!m.find(pos)) throw new TemplateError("line " + line + ": raw block without endraw");
    String text = src.substring(pos, m.start());
    if (m.group(1).equals("-")) text = stripTrailing(text);
    addText(text);
    pos = m.end();
    if (m.group(2).equals("-")) {
      int p = pos;
      while (p < src.length() && Character.isWhitespace(src.charAt(p))) p++;
      pos = p;
    } else if (m.group(2).isEmpty() && pos < src.length() && src.charAt(pos) == '\n') {
      pos++;
    }
  }

  private void addText(String text) {
    if (!text.isEmpty()) out.add(new Text(text));
  }

  private int nextOpen(int from) {
    for (int i = from; i + 1 < src.length(); i++) {
      if (src.charAt(i) == '{') {
        char c = src.charAt(i + 1);
        if (c == '{' || c == '%' || c == '#') return i;
      }
    }
    return -1;
  }

  private static String stripTrailing(String s) {
    int end = s.length();
    while (end > 0 && Character.isWhitespace(s.charAt(end - 1))) end--;
    return s.substring(0, end);
  }

  private static String stripLeading(String s) {
    int start = 0;
    while (start < s.length() && Character.isWhitespace(s.charAt(start))) start++;
    return s.substring(start);
  }

  /** lstrip_blocks: spaces and tabs between the line start and the tag go. */
  private static String lstripBlock(String text, boolean atLineStartPossible) {
    int lineStart = text.lastIndexOf('\n') + 1;
    if (lineStart == 0 && !atLineStartPossible) return text;
    for (int i = lineStart; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c != ' ' && c != '\t') return text;
    }
    return text.substring(0, lineStart);
  }

  /** Tokens of a tag's inside up to its closer; returns the closer's index. */
  private int tokenize(int from, String closer, List<Token> tokens, int line) {
    int i = from;
    int depth = 0; // open brackets: a "}}" inside a dict literal does not close the tag
    while (true) {
      while (i < src.length() && Character.isWhitespace(src.charAt(i))) {
        if (src.charAt(i) == '\n') line++;
        i++;
      }
      if (i >= src.length()) throw new TemplateError("line " + line + ": unclosed tag");
      if (depth == 0 && src.startsWith(closer, i)) return i;
      char c = src.charAt(i);
      if (c == '\'' || c == '"') {
        StringBuilder sb = new StringBuilder();
        int j = i + 1;
        while (true) {
          if (j >= src.length()) throw new TemplateError("line " + line + ": unclosed string");
          char d = src.charAt(j);
          if (d == c) break;
          if (d == '\\' && j + 1 < src.length()) {
            j = unescape(j + 1, sb);
            continue;
          }
          if (d == '\n') line++;
          sb.append(d);
          j++;
        }
        tokens.add(new Token(Kind.STRING, src.substring(i, j + 1), sb.toString(), line));
        i = j + 1;
      } else if (Character.isDigit(c)) {
        int j = i;
        while (j < src.length() && (Character.isDigit(src.charAt(j)) || src.charAt(j) == '_')) j++;
        boolean isFloat = false;
        if (j + 1 < src.length() && src.charAt(j) == '.' && Character.isDigit(src.charAt(j + 1))) {
          isFloat = true;
          j++;
          while (j < src.length() && (Character.isDigit(src.charAt(j)) || src.charAt(j) == '_'))
            j++;
        }
        if (j < src.length() && (src.charAt(j) == 'e' || src.charAt(j) == 'E')) {
          int k = j + 1;
          if (k < src.length() && (src.charAt(k) == '+' || src.charAt(k) == '-')) k++;
          if (k < src.length() && Character.isDigit(src.charAt(k))) {
            isFloat = true;
            j = k;
            while (j < src.length() && Character.isDigit(src.charAt(j))) j++;
          }
        }
        String text = src.substring(i, j).replace("_", "");
        tokens.add(
            isFloat
                ? new Token(Kind.FLOAT, text, Double.parseDouble(text), line)
                : new Token(Kind.INT, text, parseInt(text, line), line));
        i = j;
      } else if (Character.isLetter(c) || c == '_') {
        int j = i;
        while (j < src.length()
            && (Character.isLetterOrDigit(src.charAt(j)) || src.charAt(j) == '_')) j++;
        tokens.add(new Token(Kind.NAME, src.substring(i, j), null, line));
        i = j;
      } else {
        String op = null;
        for (String candidate : OPERATORS) {
          if (src.startsWith(candidate, i)) {
            op = candidate;
            break;
          }
        }
        if (op == null) {
          throw new TemplateError("line " + line + ": unexpected character '" + c + "'");
        }
        if (op.equals("(") || op.equals("[") || op.equals("{")) depth++;
        if (op.equals(")") || op.equals("]") || op.equals("}")) depth = Math.max(0, depth - 1);
        tokens.add(new Token(Kind.OP, op, null, line));
        i += op.length();
      }
    }
  }

  /** Python string-literal escapes; {@code at} is just after the backslash. */
  private int unescape(int at, StringBuilder sb) {
    char e = src.charAt(at);
    switch (e) {
      case 'n' -> sb.append('\n');
      case 't' -> sb.append('\t');
      case 'r' -> sb.append('\r');
      case '0' -> sb.append('\0');
      case 'b' -> sb.append('\b');
      case 'f' -> sb.append('\f');
      case 'v' -> sb.append('\u000B');
      case 'a' -> sb.append('\u0007');
      case '\\', '\'', '"' -> sb.append(e);
      case '\n' -> {} // a backslash-newline continues the literal
      case 'x', 'u', 'U' -> {
        int len = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (at + 1 + len > src.length()) throw new TemplateError("bad \\" + e + " escape");
        String hex = src.substring(at + 1, at + 1 + len);
        // Python refuses what is not hex or beyond U+10FFFF; so does this, as a template error.
        if (!hex.matches("[0-9A-Fa-f]+")) throw new TemplateError("bad \\" + e + hex + " escape");
        long cp = Long.parseLong(hex, 16);
        if (cp > Character.MAX_CODE_POINT)
          throw new TemplateError("\\" + e + hex + " is beyond U+10FFFF");
        sb.appendCodePoint((int) cp);
        return at + 1 + len;
      }
      default -> sb.append('\\').append(e);
    }
    return at + 1;
  }

  /**
   * An integer literal: Python's are unbounded, this interpreter's are 64-bit, so a longer one is a
   * template error rather than a silent wrap.
   */
  private static long parseInt(String digits, int line) {
    try {
      return Long.parseLong(digits);
    } catch (NumberFormatException e) {
      throw new TemplateError("line " + line + ": integer literal " + digits + " beyond 64 bits");
    }
  }
}
