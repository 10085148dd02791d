package nla.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import nla.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BaselineCommandTest {
  static String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cl = Main.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return new String[] {Integer.toString(code), out.toString(), err.toString()};
  }

  @Test
  void printsBothBaselinesOfTwoOrthogonalVectors(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("v.npy");
    Npy.write(f, new float[][] {{5, 0}, {0, 0.1f}, {7, 7}});
    String[] r = run("baseline", "--vectors", f.toString(), "--rows", "0,1", "--json");
    assertEquals("0", r[0], r[2]);
    JsonNode j = new ObjectMapper().readTree(r[1]);
    assertEquals(2, j.get("n").asInt());
    assertEquals(2, j.get("d").asInt());
    assertEquals(Math.sqrt(2), j.get("mse_scale").asDouble(), 1e-12);
    // v̂ = (√2,0),(0,√2): var_nrm = 0.5, meannorm = 2 − √2 (worked in MetricsTest).
    assertEquals(0.5, j.get("var_nrm").asDouble(), 1e-12);
    assertEquals(2 - Math.sqrt(2), j.get("meannorm").asDouble(), 1e-12);

    String[] raw =
        run("baseline", "--vectors", f.toString(), "--rows", "0-1", "--mse-scale", "raw", "--json");
    JsonNode jr = new ObjectMapper().readTree(raw[1]);
    assertTrue(jr.get("mse_scale").isNull());
    // raw: μ = (2.5, 0.05); var = (2.5² + 0.05² + 2.5² + 0.05²)/4
    assertEquals((2 * 6.25 + 2 * 0.0025) / 4, jr.get("var_nrm").asDouble(), 1e-6);
  }

  @Test
  void readsTheVectorColumnOfAnActivationParquet(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("acts.parquet");
    nla.data.ActivationParquet.write(
        f,
        2,
        java.util.List.of(
            new nla.data.ActivationRow(51, "a", new float[] {5, 0}, 1, "demo:train:0"),
            new nla.data.ActivationRow(52, "b", new float[] {9, 9}, 1, "demo:train:0"),
            new nla.data.ActivationRow(60, "c", new float[] {0, 0.1f}, 1, "demo:train:1")));
    String[] r = run("baseline", "--vectors", f.toString(), "--rows", "0,2", "--json");
    assertEquals("0", r[0], r[2]);
    JsonNode j = new ObjectMapper().readTree(r[1]);
    assertEquals(2, j.get("n").asInt());
    assertEquals(0.5, j.get("var_nrm").asDouble(), 1e-12); // the same two directions as above
    assertEquals(2 - Math.sqrt(2), j.get("meannorm").asDouble(), 1e-12);
  }

  @Test
  void badFlagsAreOneLineUserErrors(@TempDir Path dir) {
    Path f = dir.resolve("v.npy");
    Npy.write(f, new float[][] {{1, 0}});
    String[] r = run("baseline", "--vectors", f.toString(), "--rows", "4", "--json");
    assertEquals("2", r[0]);
    assertTrue(r[2].startsWith("nla: --rows: row 4 is out of range"), r[2]);
    r = run("baseline", "--vectors", f.toString(), "--mse-scale", "big");
    assertEquals("2", r[0]);
    assertTrue(r[2].startsWith("nla: --mse-scale: "), r[2]);
    r = run("baseline", "--vectors", dir.resolve("v.csv").toString());
    assertEquals("2", r[0]);
    assertTrue(r[2].contains("expected a .npy or .parquet file"), r[2]);
  }
}
