package nla.text.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import nla.text.jinja.Ast.*;
import nla.text.jinja.Lexer.Kind;
import nla.text.jinja.Lexer.Segment;
import nla.text.jinja.Lexer.Token;

/**
 * Recursive descent over the lexer's segments. Statement nesting is parsed by {@link #body},
 * expressions with Jinja's precedence: conditional, or, and, not, comparisons, {@code + -}, {@code
 * ~}, {@code * / // %}, {@code **}, unary minus, then primaries with postfix ({@code . [] ()}) and
 * filters/tests ({@code | is}), which bind tightest: {@code x|length - 1} is {@code (x|length) -
 * 1}.
 */
final class Parser {
  private final List<Segment> segments;
  private int next;

  // Expression state: the tokens of the tag being parsed.
  private List<Token> tokens;
  private int at;

  private Parser(List<Segment> segments) {
    this.segments = segments;
  }

  static List<Node> parse(String source) {
    Parser p = new Parser(Lexer.lex(source));
    List<Node> nodes = new ArrayList<>();
    String end = p.body(nodes, Set.of());
    if (end != null) throw new TemplateError("unexpected '" + end + "'");
    return nodes;
  }

  /**
   * Parses nodes into {@code into} until a tag whose name is in {@code enders}; returns that name
   * (its tag's tokens are left current for the caller), or null at the end of the template.
   */
  private String body(List<Node> into, Set<String> enders) {
    while (next < segments.size()) {
      Segment seg = segments.get(next++);
      switch (seg) {
        case Lexer.Text t -> into.add(new TextNode(t.text()));
        case Lexer.Print p -> {
          begin(p.tokens());
          Expr e = expression();
          expectEnd();
          into.add(new PrintNode(e, p.line()));
        }
        case Lexer.Tag t -> {
          begin(t.tokens());
          Token head = peek();
          if (head.kind() != Kind.NAME) throw error("expected a statement name");
          if (enders.contains(head.text())) {
            advance();
            return head.text();
          }
          into.add(statement(t.line()));
        }
      }
    }
    if (!enders.isEmpty()) throw new TemplateError("missing one of " + enders + " at the end");
    return null;
  }

  private Node statement(int line) {
    Token head = advance();
    return switch (head.text()) {
      case "if" -> ifStatement();
      case "for" -> forStatement(line);
      case "set" -> setStatement(line);
      case "macro" -> macroStatement();
      case "break" -> {
        expectEnd();
        yield new BreakNode();
      }
      case "continue" -> {
        expectEnd();
        yield new ContinueNode();
      }
      case "generation" -> {
        // Hugging Face's AssistantTracker marks assistant spans for masks; it renders its body.
        expectEnd();
        List<Node> b = new ArrayList<>();
        body(b, Set.of("endgeneration"));
        expectEnd();
        yield new IfNode(List.of(new Literal(true)), List.of(b), List.of());
      }
      default -> throw error("unsupported statement '" + head.text() + "'");
    };
  }

  private Node ifStatement() {
    List<Expr> conditions = new ArrayList<>();
    List<List<Node>> bodies = new ArrayList<>();
    List<Node> elseBody = new ArrayList<>();
    conditions.add(expression());
    expectEnd();
    while (true) {
      List<Node> b = new ArrayList<>();
      String end = body(b, Set.of("elif", "else", "endif"));
      bodies.add(b);
      if (end.equals("elif")) {
        conditions.add(expression());
        expectEnd();
      } else if (end.equals("else")) {
        expectEnd();
        body(elseBody, Set.of("endif"));
        expectEnd();
        break;
      } else {
        expectEnd();
        break;
      }
    }
    return new IfNode(conditions, bodies, elseBody);
  }

  private Node forStatement(int line) {
    List<String> targets = new ArrayList<>();
    targets.add(name());
    while (peek().is(",")) {
      advance();
      targets.add(name());
    }
    if (!advance().isName("in")) throw error("expected 'in'");
    Expr iterable = orExpr();
    Expr filter = null;
    if (peek().isName("if")) {
      advance();
      filter = orExpr();
    }
    if (peek().isName("recursive")) throw error("recursive loops are not supported");
    expectEnd();
    List<Node> b = new ArrayList<>();
    List<Node> elseBody = new ArrayList<>();
    String end = body(b, Set.of("else", "endfor"));
    expectEnd();
    if (end.equals("else")) {
      body(elseBody, Set.of("endfor"));
      expectEnd();
    }
    return new ForNode(targets, iterable, filter, b, elseBody, line);
  }

  private Node setStatement(int line) {
    String first = name();
    if (peek().is(".")) {
      advance();
      String attr = name();
      expect("=");
      Expr value = expression();
      expectEnd();
      return new SetNode(List.of(first), attr, value, line);
    }
    List<String> targets = new ArrayList<>(List.of(first));
    while (peek().is(",")) {
      advance();
      targets.add(name());
    }
    if (peek().kind() == Kind.EOF && targets.size() == 1) {
      List<Node> b = new ArrayList<>();
      body(b, Set.of("endset"));
      expectEnd();
      return new SetBlockNode(first, b);
    }
    expect("=");
    Expr value = expression();
    expectEnd();
    return new SetNode(targets, null, value, line);
  }

  private Node macroStatement() {
    String macroName = name();
    expect("(");
    List<String> params = new ArrayList<>();
    List<Expr> defaults = new ArrayList<>();
    while (!peek().is(")")) {
      params.add(name());
      if (peek().is("=")) {
        advance();
        defaults.add(expression());
      } else {
        defaults.add(null);
      }
      if (!peek().is(",")) break;
      advance();
    }
    expect(")");
    expectEnd();
    List<Node> b = new ArrayList<>();
    body(b, Set.of("endmacro"));
    expectEnd();
    return new MacroNode(macroName, params, defaults, b);
  }

  // ---- expressions ----

  private void begin(List<Token> tagTokens) {
    tokens = tagTokens;
    at = 0;
  }

  private Token peek() {
    return tokens.get(at);
  }

  private Token peek(int ahead) {
    return tokens.get(Math.min(at + ahead, tokens.size() - 1));
  }

  private Token advance() {
    Token t = tokens.get(at);
    if (t.kind() != Kind.EOF) at++;
    return t;
  }

  private void expect(String op) {
    Token t = advance();
    if (!t.is(op)) throw error("expected '" + op + "' but found '" + t.text() + "'");
  }

  private void expectEnd() {
    if (peek().kind() != Kind.EOF) throw error("unexpected '" + peek().text() + "'");
  }

  private String name() {
    Token t = advance();
    if (t.kind() != Kind.NAME) throw error("expected a name but found '" + t.text() + "'");
    return t.text();
  }

  private TemplateError error(String message) {
    return new TemplateError("line " + peek().line() + ": " + message);
  }

  /** A full expression; a bare {@code a, b} is a tuple. */
  private Expr expression() {
    Expr first = conditional();
    if (!peek().is(",")) return first;
    List<Expr> items = new ArrayList<>(List.of(first));
    while (peek().is(",")) {
      advance();
      if (peek().kind() == Kind.EOF) break;
      items.add(conditional());
    }
    return new TupleExpr(items);
  }

  private Expr conditional() {
    Expr value = orExpr();
    while (peek().isName("if")) {
      advance();
      Expr condition = orExpr();
      Expr otherwise = null;
      if (peek().isName("else")) {
        advance();
        otherwise = conditional();
      }
      value = new CondExpr(condition, value, otherwise);
    }
    return value;
  }

  private Expr orExpr() {
    Expr left = andExpr();
    while (peek().isName("or")) {
      int line = advance().line();
      left = new Binary("or", left, andExpr(), line);
    }
    return left;
  }

  private Expr andExpr() {
    Expr left = notExpr();
    while (peek().isName("and")) {
      int line = advance().line();
      left = new Binary("and", left, notExpr(), line);
    }
    return left;
  }

  private Expr notExpr() {
    if (peek().isName("not")) {
      int line = advance().line();
      return new Unary("not", notExpr(), line);
    }
    return compare();
  }

  private Expr compare() {
    int line = peek().line();
    Expr first = math1();
    List<String> ops = new ArrayList<>();
    List<Expr> rest = new ArrayList<>();
    while (true) {
      Token t = peek();
      if (t.kind() == Kind.OP && Set.of("==", "!=", "<", ">", "<=", ">=").contains(t.text())) {
        advance();
        ops.add(t.text());
      } else if (t.isName("in")) {
        advance();
        ops.add("in");
      } else if (t.isName("not") && peek(1).isName("in")) {
        advance();
        advance();
        ops.add("notin");
      } else {
        break;
      }
      rest.add(math1());
    }
    return ops.isEmpty() ? first : new Compare(first, ops, rest, line);
  }

  private Expr math1() {
    Expr left = concat();
    while (peek().kind() == Kind.OP && (peek().is("+") || peek().is("-"))) {
      Token op = advance();
      left = new Binary(op.text(), left, concat(), op.line());
    }
    return left;
  }

  private Expr concat() {
    Expr left = math2();
    while (peek().is("~")) {
      int line = advance().line();
      left = new Binary("~", left, math2(), line);
    }
    return left;
  }

  private Expr math2() {
    Expr left = pow();
    while (peek().kind() == Kind.OP && Set.of("*", "/", "//", "%").contains(peek().text())) {
      Token op = advance();
      left = new Binary(op.text(), left, pow(), op.line());
    }
    return left;
  }

  private Expr pow() {
    Expr left = unary(true);
    while (peek().is("**")) {
      int line = advance().line();
      left = new Binary("**", left, unary(true), line);
    }
    return left;
  }

  private Expr unary(boolean withFilter) {
    Token t = peek();
    Expr node;
    if (t.kind() == Kind.OP && t.is("-")) {
      advance();
      node = new Unary("-", unary(false), t.line());
    } else if (t.kind() == Kind.OP && t.is("+")) {
      advance();
      node = new Unary("+", unary(false), t.line());
    } else {
      node = primary();
    }
    node = postfix(node);
    return withFilter ? filtersAndTests(node) : node;
  }

  private Expr primary() {
    Token t = advance();
    switch (t.kind()) {
      case NAME -> {
        return switch (t.text()) {
          case "true", "True" -> new Literal(true);
          case "false", "False" -> new Literal(false);
          case "none", "None" -> new Literal(null);
          default -> new Name(t.text(), t.line());
        };
      }
      case STRING -> {
        StringBuilder s = new StringBuilder((String) t.value());
        while (peek().kind() == Kind.STRING) s.append((String) advance().value());
        return new Literal(s.toString());
      }
      case INT, FLOAT -> {
        return new Literal(t.value());
      }
      case OP -> {
        switch (t.text()) {
          case "(" -> {
            if (peek().is(")")) {
              advance();
              return new TupleExpr(List.of());
            }
            Expr inner = conditional();
            if (peek().is(",")) {
              List<Expr> items = new ArrayList<>(List.of(inner));
              while (peek().is(",")) {
                advance();
                if (peek().is(")")) break;
                items.add(conditional());
              }
              expect(")");
              return new TupleExpr(items);
            }
            expect(")");
            return inner;
          }
          case "[" -> {
            List<Expr> items = new ArrayList<>();
            while (!peek().is("]")) {
              items.add(conditional());
              if (!peek().is(",")) break;
              advance();
            }
            expect("]");
            return new ListExpr(items);
          }
          case "{" -> {
            List<Expr> keys = new ArrayList<>();
            List<Expr> values = new ArrayList<>();
            while (!peek().is("}")) {
              keys.add(conditional());
              expect(":");
              values.add(conditional());
              if (!peek().is(",")) break;
              advance();
            }
            expect("}");
            return new DictExpr(keys, values);
          }
          default -> {}
        }
      }
      default -> {}
    }
    throw new TemplateError("line " + t.line() + ": unexpected '" + t.text() + "'");
  }

  private Expr postfix(Expr node) {
    while (true) {
      Token t = peek();
      if (t.is(".") && t.kind() == Kind.OP) {
        advance();
        Token attr = advance();
        if (attr.kind() == Kind.NAME) {
          node = new GetAttr(node, attr.text(), t.line());
        } else if (attr.kind() == Kind.INT) {
          node = new GetItem(node, new Literal(attr.value()), t.line());
        } else {
          throw error("expected an attribute name after '.'");
        }
      } else if (t.is("[") && t.kind() == Kind.OP) {
        advance();
        node = subscript(node, t.line());
      } else if (t.is("(") && t.kind() == Kind.OP) {
        advance();
        node = call(node, t.line());
      } else {
        return node;
      }
    }
  }

  private Expr subscript(Expr target, int line) {
    Expr start = null, stop = null, step = null;
    boolean slice = false;
    if (!peek().is(":")) start = conditional();
    if (peek().is(":")) {
      slice = true;
      advance();
      if (!peek().is(":") && !peek().is("]")) stop = conditional();
      if (peek().is(":")) {
        advance();
        if (!peek().is("]")) step = conditional();
      }
    }
    expect("]");
    return slice ? new Slice(target, start, stop, step, line) : new GetItem(target, start, line);
  }

  private record Args(List<Expr> args, List<String> kwNames, List<Expr> kwValues) {}

  private Args arguments() {
    List<Expr> args = new ArrayList<>();
    List<String> kwNames = new ArrayList<>();
    List<Expr> kwValues = new ArrayList<>();
    while (!peek().is(")")) {
      if (peek().kind() == Kind.NAME && peek(1).is("=") && peek(1).kind() == Kind.OP) {
        kwNames.add(advance().text());
        advance();
        kwValues.add(conditional());
      } else {
        if (!kwNames.isEmpty()) throw error("positional argument after keyword argument");
        args.add(conditional());
      }
      if (!peek().is(",")) break;
      advance();
    }
    expect(")");
    return new Args(args, kwNames, kwValues);
  }

  private Expr call(Expr function, int line) {
    Args a = arguments();
    return new Call(function, a.args, a.kwNames, a.kwValues, line);
  }

  private Expr filtersAndTests(Expr node) {
    while (true) {
      Token t = peek();
      if (t.is("|") && t.kind() == Kind.OP) {
        advance();
        String filterName = dottedName();
        Args a = new Args(List.of(), List.of(), List.of());
        if (peek().is("(") && peek().kind() == Kind.OP) {
          advance();
          a = arguments();
        }
        node = new Filter(node, filterName, a.args, a.kwNames, a.kwValues, t.line());
      } else if (t.isName("is")) {
        advance();
        boolean negated = false;
        if (peek().isName("not")) {
          advance();
          negated = true;
        }
        String testName = dottedName();
        List<Expr> args = new ArrayList<>();
        Token n = peek();
        if (n.is("(") && n.kind() == Kind.OP) {
          advance();
          Args a = arguments();
          args = a.args;
        } else if ((n.kind() == Kind.NAME
                || n.kind() == Kind.STRING
                || n.kind() == Kind.INT
                || n.kind() == Kind.FLOAT
                || (n.kind() == Kind.OP && (n.is("[") || n.is("{"))))
            && !n.isName("else")
            && !n.isName("or")
            && !n.isName("and")
            && !n.isName("if")
            && !n.isName("in")
            && !n.isName("not")
            && !n.isName("is")) {
          // A one-argument test without parentheses: "x is divisibleby 3", "x is sameas false".
          args = List.of(postfix(primary()));
        }
        Expr test = new Test(node, testName, args, t.line());
        node = negated ? new Unary("not", test, t.line()) : test;
      } else {
        return node;
      }
    }
  }

  private String dottedName() {
    StringBuilder s = new StringBuilder(name());
    while (peek().is(".") && peek(1).kind() == Kind.NAME) {
      advance();
      s.append('.').append(advance().text());
    }
    return s.toString();
  }
}
