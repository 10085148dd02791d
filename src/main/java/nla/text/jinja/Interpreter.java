package nla.text.jinja;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import nla.text.jinja.Ast.*;
import nla.text.jinja.Py.Callable;
import nla.text.jinja.Py.Namespace;
import nla.text.jinja.Py.Undefined;

/**
 * Walks the tree and writes the output. Scoping follows Jinja: a {@code for} body (each iteration)
 * and a macro call get their own frame, so a {@code set} inside a loop is not seen after it (which
 * is why templates use {@code namespace}); {@code if} opens no frame.
 */
final class Interpreter {
  private final Deque<Map<String, Object>> frames = new ArrayDeque<>();
  private final StringBuilder out = new StringBuilder();

  private static final class BreakSignal extends RuntimeException {
    BreakSignal() {
      super(null, null, false, false);
    }
  }

  private static final class ContinueSignal extends RuntimeException {
    ContinueSignal() {
      super(null, null, false, false);
    }
  }

  Interpreter(Map<String, Object> globals) {
    frames.push(new HashMap<>(globals));
    frames.push(new HashMap<>());
  }

  String render(List<Node> nodes) {
    run(nodes);
    return out.toString();
  }

  // ---- statements ----

  private void run(List<Node> nodes) {
    for (Node n : nodes) run(n);
  }

  private void run(Node node) {
    switch (node) {
      case TextNode t -> out.append(t.text());
      case PrintNode p -> out.append(Py.str(eval(p.expr())));
      case IfNode i -> {
        for (int k = 0; k < i.conditions().size(); k++) {
          if (Py.truthy(eval(i.conditions().get(k)))) {
            run(i.bodies().get(k));
            return;
          }
        }
        run(i.elseBody());
      }
      case ForNode f -> runFor(f);
      case SetNode s -> runSet(s);
      case SetBlockNode s -> {
        int mark = out.length();
        run(s.body());
        String captured = out.substring(mark);
        out.setLength(mark);
        frames.peek().put(s.name(), captured);
      }
      case MacroNode m -> frames.peek().put(m.name(), macro(m));
      case BreakNode b -> throw new BreakSignal();
      case ContinueNode c -> throw new ContinueSignal();
    }
  }

  private void runFor(ForNode f) {
    List<Object> items = Py.iterate(eval(f.iterable()));
    if (f.filter() != null) {
      List<Object> kept = new ArrayList<>();
      for (Object item : items) {
        frames.push(new HashMap<>());
        try {
          bindTargets(f.targets(), item, f.line());
          if (Py.truthy(eval(f.filter()))) kept.add(item);
        } finally {
          frames.pop();
        }
      }
      items = kept;
    }
    if (items.isEmpty()) {
      run(f.elseBody());
      return;
    }
    for (int i = 0; i < items.size(); i++) {
      Map<String, Object> frame = new HashMap<>();
      frame.put("loop", new Loop(items, i));
      frames.push(frame);
      try {
        bindTargets(f.targets(), items.get(i), f.line());
        run(f.body());
      } catch (ContinueSignal c) {
        // next item
      } catch (BreakSignal b) {
        break;
      } finally {
        frames.pop();
      }
    }
  }

  private void bindTargets(List<String> targets, Object value, int line) {
    if (targets.size() == 1) {
      frames.peek().put(targets.getFirst(), value);
      return;
    }
    List<Object> parts = Py.iterate(value);
    if (parts.size() != targets.size()) {
      throw new TemplateError(
          "line " + line + ": cannot unpack " + parts.size() + " values into " + targets.size());
    }
    for (int k = 0; k < targets.size(); k++) frames.peek().put(targets.get(k), parts.get(k));
  }

  private void runSet(SetNode s) {
    Object value = eval(s.value());
    if (s.namespaceAttr() != null) {
      Object target = lookup(s.targets().getFirst());
      if (!(target instanceof Namespace ns)) {
        throw new TemplateError(
            "line " + s.line() + ": cannot assign attribute on non-namespace object");
      }
      ns.attrs.put(s.namespaceAttr(), value);
      return;
    }
    bindTargets(s.targets(), value, s.line());
  }

  private Callable macro(MacroNode m) {
    return (args, kwargs) -> {
      Map<String, Object> frame = new HashMap<>();
      for (int k = 0; k < m.params().size(); k++) {
        String p = m.params().get(k);
        Object v;
        if (k < args.size()) v = args.get(k);
        else if (kwargs.containsKey(p)) v = kwargs.get(p);
        else if (m.defaults().get(k) != null) v = eval(m.defaults().get(k));
        else v = new Undefined(p);
        frame.put(p, v);
      }
      int mark = out.length();
      frames.push(frame);
      try {
        run(m.body());
      } finally {
        frames.pop();
      }
      String result = out.substring(mark);
      out.setLength(mark);
      return result;
    };
  }

  private Object lookup(String name) {
    for (Map<String, Object> frame : frames) {
      if (frame.containsKey(name)) return frame.get(name);
    }
    return new Undefined(name);
  }

  // ---- expressions ----

  Object eval(Expr e) {
    return switch (e) {
      case Literal l -> l.value();
      case Name n -> lookup(n.name());
      case ListExpr l -> {
        List<Object> items = new ArrayList<>();
        for (Expr x : l.items()) items.add(eval(x));
        yield items;
      }
      case TupleExpr t -> {
        List<Object> items = new ArrayList<>();
        for (Expr x : t.items()) items.add(eval(x));
        yield items;
      }
      case DictExpr d -> {
        Map<Object, Object> map = new LinkedHashMap<>();
        for (int k = 0; k < d.keys().size(); k++)
          map.put(eval(d.keys().get(k)), eval(d.values().get(k)));
        yield map;
      }
      case GetAttr g -> Builtins.getAttr(eval(g.target()), g.attr());
      case GetItem g -> {
        Object target = eval(g.target());
        Object key = eval(g.index());
        Object v = Py.index(target, key);
        // Jinja's subscript falls back to an attribute of the same name (e.g. a method).
        if (v instanceof Undefined && key instanceof String k && !(target instanceof Undefined)) {
          Object attr = Builtins.getAttr(target, k);
          if (!(attr instanceof Undefined)) yield attr;
        }
        yield v;
      }
      case Slice s ->
          Py.slice(
              eval(s.target()),
              s.start() == null ? null : eval(s.start()),
              s.stop() == null ? null : eval(s.stop()),
              s.step() == null ? null : eval(s.step()));
      case Call c -> call(c);
      case Filter f -> {
        List<Object> args = new ArrayList<>();
        for (Expr a : f.args()) args.add(eval(a));
        Map<String, Object> kwargs = new LinkedHashMap<>();
        for (int k = 0; k < f.kwNames().size(); k++)
          kwargs.put(f.kwNames().get(k), eval(f.kwValues().get(k)));
        yield Builtins.filter(f.name(), eval(f.value()), args, kwargs, f.line());
      }
      case Test t -> {
        List<Object> args = new ArrayList<>();
        for (Expr a : t.args()) args.add(eval(a));
        yield Builtins.test(t.name(), eval(t.value()), args, t.line());
      }
      case Unary u -> unary(u);
      case Binary b -> binary(b);
      case Compare c -> compare(c);
      case CondExpr c -> {
        if (Py.truthy(eval(c.condition()))) yield eval(c.then());
        yield c.otherwise() == null ? new Undefined("conditional") : eval(c.otherwise());
      }
    };
  }

  private Object call(Call c) {
    Object fn = eval(c.function());
    List<Object> args = new ArrayList<>();
    for (Expr a : c.args()) args.add(eval(a));
    Map<String, Object> kwargs = new LinkedHashMap<>();
    for (int k = 0; k < c.kwNames().size(); k++)
      kwargs.put(c.kwNames().get(k), eval(c.kwValues().get(k)));
    if (fn instanceof Callable callable) return callable.call(args, kwargs);
    if (fn instanceof Undefined u) {
      throw new TemplateError("line " + c.line() + ": '" + u.name + "' is undefined");
    }
    throw new TemplateError(
        "line " + c.line() + ": '" + Py.typeName(fn) + "' object is not callable");
  }

  private Object unary(Unary u) {
    Object v = eval(u.operand());
    return switch (u.op()) {
      case "not" -> !Py.truthy(v);
      case "-" -> {
        if (v instanceof Double d) yield -d;
        if (Py.isInt(v)) yield -Py.asLong(v);
        throw new TemplateError(
            "line " + u.line() + ": bad operand type for unary -: '" + Py.typeName(v) + "'");
      }
      case "+" -> {
        if (v instanceof Double || Py.isInt(v)) yield v instanceof Boolean ? Py.asLong(v) : v;
        throw new TemplateError(
            "line " + u.line() + ": bad operand type for unary +: '" + Py.typeName(v) + "'");
      }
      default -> throw new IllegalStateException(u.op());
    };
  }

  private Object binary(Binary b) {
    switch (b.op()) {
      case "and" -> {
        Object left = eval(b.left());
        return Py.truthy(left) ? eval(b.right()) : left;
      }
      case "or" -> {
        Object left = eval(b.left());
        return Py.truthy(left) ? left : eval(b.right());
      }
      default -> {}
    }
    Object l = eval(b.left());
    Object r = eval(b.right());
    if (b.op().equals("~")) return Py.str(l) + Py.str(r);
    if (l instanceof Undefined u) throw u.error();
    if (r instanceof Undefined u) throw u.error();
    return Arithmetic.apply(b.op(), l, r, b.line());
  }

  private Object compare(Compare c) {
    Object left = eval(c.first());
    for (int k = 0; k < c.ops().size(); k++) {
      Object right = eval(c.rest().get(k));
      boolean ok =
          switch (c.ops().get(k)) {
            case "==" -> Py.eq(left, right);
            case "!=" -> !Py.eq(left, right);
            case "<" -> Py.compare(left, right) < 0;
            case ">" -> Py.compare(left, right) > 0;
            case "<=" -> Py.compare(left, right) <= 0;
            case ">=" -> Py.compare(left, right) >= 0;
            case "in" -> Py.contains(right, left);
            case "notin" -> !Py.contains(right, left);
            default -> throw new IllegalStateException(c.ops().get(k));
          };
      if (!ok) return false;
      left = right;
    }
    return true;
  }

  /** The {@code loop} variable of a for loop. */
  static final class Loop {
    final List<Object> items;
    final int index0;

    Loop(List<Object> items, int index0) {
      this.items = items;
      this.index0 = index0;
    }

    Object attr(String name) {
      int n = items.size();
      return switch (name) {
        case "index0" -> (long) index0;
        case "index" -> (long) index0 + 1;
        case "revindex" -> (long) (n - index0);
        case "revindex0" -> (long) (n - index0 - 1);
        case "first" -> index0 == 0;
        case "last" -> index0 == n - 1;
        case "length" -> (long) n;
        case "depth" -> 1L;
        case "depth0" -> 0L;
        case "previtem" -> index0 > 0 ? items.get(index0 - 1) : new Undefined("previtem");
        case "nextitem" -> index0 < n - 1 ? items.get(index0 + 1) : new Undefined("nextitem");
        case "cycle" ->
            (Callable)
                (args, kwargs) -> {
                  if (args.isEmpty()) throw new TemplateError("no items for cycling given");
                  return args.get(index0 % args.size());
                };
        default -> new Undefined("loop." + name);
      };
    }
  }
}
