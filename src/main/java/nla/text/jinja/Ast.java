package nla.text.jinja;

import java.util.List;

/** The parsed template: statements ({@link Node}) holding expressions ({@link Expr}). */
final class Ast {
  private Ast() {}

  sealed interface Node {}

  record TextNode(String text) implements Node {}

  record PrintNode(Expr expr, int line) implements Node {}

  record IfNode(List<Expr> conditions, List<List<Node>> bodies, List<Node> elseBody)
      implements Node {}

  /** {@code {% for a, b in iter if filter %}...{% else %}...{% endfor %}} */
  record ForNode(
      List<String> targets,
      Expr iterable,
      Expr filter,
      List<Node> body,
      List<Node> elseBody,
      int line)
      implements Node {}

  /** {@code {% set a = v %}}, {@code {% set a, b = v %}} or {@code {% set ns.attr = v %}}. */
  record SetNode(List<String> targets, String namespaceAttr, Expr value, int line)
      implements Node {}

  /** {@code {% set name %}...{% endset %}} */
  record SetBlockNode(String name, List<Node> body) implements Node {}

  record MacroNode(String name, List<String> params, List<Expr> defaults, List<Node> body)
      implements Node {}

  record BreakNode() implements Node {}

  record ContinueNode() implements Node {}

  sealed interface Expr {}

  record Literal(Object value) implements Expr {}

  record Name(String name, int line) implements Expr {}

  record ListExpr(List<Expr> items) implements Expr {}

  record TupleExpr(List<Expr> items) implements Expr {}

  record DictExpr(List<Expr> keys, List<Expr> values) implements Expr {}

  record GetAttr(Expr target, String attr, int line) implements Expr {}

  record GetItem(Expr target, Expr index, int line) implements Expr {}

  record Slice(Expr target, Expr start, Expr stop, Expr step, int line) implements Expr {}

  record Call(Expr function, List<Expr> args, List<String> kwNames, List<Expr> kwValues, int line)
      implements Expr {}

  record Filter(
      Expr value, String name, List<Expr> args, List<String> kwNames, List<Expr> kwValues, int line)
      implements Expr {}

  record Test(Expr value, String name, List<Expr> args, int line) implements Expr {}

  record Unary(String op, Expr operand, int line) implements Expr {}

  /** Arithmetic, {@code ~}, {@code and}, {@code or}. */
  record Binary(String op, Expr left, Expr right, int line) implements Expr {}

  /** A chain {@code a < b <= c}; ops are {@code == != < > <= >= in notin}. */
  record Compare(Expr first, List<String> ops, List<Expr> rest, int line) implements Expr {}

  record CondExpr(Expr condition, Expr then, Expr otherwise) implements Expr {}
}
