package nla.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class MainTest {
  @Test
  void helpListsUsageAndExitsZero() {
    StringWriter out = new StringWriter();
    var cl = Main.commandLine();
    cl.setOut(new PrintWriter(out));
    assertEquals(0, cl.execute("--help"));
    assertTrue(out.toString().contains("Usage: nla"), out.toString());
  }

  @Test
  void unknownFlagIsAUserErrorWithExitCode2() {
    StringWriter err = new StringWriter();
    var cl = Main.commandLine();
    cl.setErr(new PrintWriter(err));
    assertEquals(Main.EXIT_USER_ERROR, cl.execute("--no-such-flag"));
    assertTrue(err.toString().startsWith("nla: "), err.toString());
  }
}
