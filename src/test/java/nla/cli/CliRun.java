package nla.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** One CLI invocation in-process, as the tests see it: exit code, stdout and stderr. */
public record CliRun(int code, String out, String err) {
  public static CliRun run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new CliRun(code, out.toString(), err.toString());
  }
}
