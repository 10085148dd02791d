package nla.text.jinja;

import java.time.ZonedDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A Jinja template as Hugging Face renders chat templates: {@code trim_blocks} and {@code
 * lstrip_blocks} on, no autoescaping, Python value semantics, HF's {@code tojson}, {@code
 * raise_exception} and {@code strftime_now} globals. It covers the Jinja subset that published chat
 * templates use (Qwen 2.5/3, Gemma 3, Llama 3.x); anything else is a {@link TemplateError} at parse
 * time, never a silent difference.
 *
 * <p>Pipeline: {@link Lexer} (text and tags, whitespace control) → {@link Parser} (tree) → {@link
 * Interpreter} (output), with {@link Py}/{@link Builtins} supplying Python and Jinja semantics.
 */
public final class Template {
  private final List<Ast.Node> nodes;

  private Template(List<Ast.Node> nodes) {
    this.nodes = nodes;
  }

  /** Parses {@code source}; throws {@link TemplateError} on a syntax error. */
  public static Template parse(String source) {
    return new Template(Parser.parse(source));
  }

  /**
   * Renders with {@code variables} (Java maps, lists, strings, numbers, booleans and null; records
   * are not converted) and {@code now} as the clock behind {@code strftime_now}.
   */
  public String render(Map<String, ?> variables, Supplier<ZonedDateTime> now) {
    Map<String, Object> globals = new HashMap<>(Builtins.globals(now));
    variables.forEach((k, v) -> globals.put(k, Py.fromJava(v)));
    return new Interpreter(globals).render(nodes);
  }

  /** Renders with the system clock behind {@code strftime_now}. */
  public String render(Map<String, ?> variables) {
    return render(variables, ZonedDateTime::now);
  }
}
