package nla;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import nla.core.Sidecar;
import nla.io.Npy;
import nla.io.SafeTensors;
import nla.io.UserError;
import nla.text.jinja.Template;
import nla.text.jinja.TemplateError;

/**
 * The hand-written parsers under a coverage-guided fuzzer (Jazzer): whatever the bytes, each either
 * parses or refuses with the one-line user error the CLI prints; any other exception (an index out
 * of bounds, a negative allocation, a stack overflow) is a finding and fails the test.
 */
class ParserFuzzTest {
  private static final Path SCRATCH;

  static {
    try {
      SCRATCH = Files.createTempDirectory("nla-fuzz");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static Path file(String name, byte[] bytes) throws IOException {
    return Files.write(SCRATCH.resolve(name), bytes);
  }

  @FuzzTest(maxDuration = "5s")
  void safetensorsHeader(byte[] bytes) throws IOException {
    try {
      SafeTensors.readHeader(file("x.safetensors", bytes));
    } catch (UserError expected) {
      // a refusal naming the file: what the CLI prints
    }
  }

  @FuzzTest(maxDuration = "5s")
  void npyFile(byte[] bytes) throws IOException {
    try {
      Npy.read(file("x.npy", bytes));
    } catch (UserError expected) {
      // a refusal naming the file
    }
  }

  @FuzzTest(maxDuration = "5s")
  void nlaMetaYaml(byte[] bytes) {
    String yaml = new String(bytes, StandardCharsets.UTF_8);
    for (boolean valueHead : new boolean[] {false, true}) {
      try {
        Sidecar.parse(yaml, Path.of(Sidecar.FILE_NAME), valueHead);
      } catch (UserError expected) {
        // a refusal naming the field
      }
    }
  }

  @FuzzTest(maxDuration = "5s")
  void jinjaTemplate(byte[] bytes) {
    try {
      Template.parse(new String(bytes, StandardCharsets.UTF_8));
    } catch (TemplateError expected) {
      // a syntax error with its line, which the tokenizer turns into a user error naming the file
    }
  }
}
