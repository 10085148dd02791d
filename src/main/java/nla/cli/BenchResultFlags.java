package nla.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Map;
import java.util.function.Consumer;
import nla.io.AtomicFiles;
import picocli.CommandLine.Option;

/**
 * Where a benchmark's result goes, for every {@code nla bench} command: one JSON object on stdout
 * ({@code --json}) and a file of its own under {@code --save DIR}, named by the day and what was
 * measured, written atomically.
 */
final class BenchResultFlags {
  @Option(
      names = "--save",
      paramLabel = "DIR",
      description = "Also write the JSON result under DIR (e.g. bench/results).")
  Path saveDir;

  @Option(names = "--json", description = "Print the result as one JSON object.")
  boolean json;

  /**
   * Prints {@code result} as JSON to {@code out} with {@code --json}; with {@code --save}, writes
   * it as {@code DIR/<date><name>.json} ({@code name}'s characters made safe for a file name) and
   * says so to {@code say}.
   */
  void emit(Map<String, Object> result, String name, Consumer<String> out, Consumer<String> say)
      throws IOException {
    ObjectMapper mapper = new ObjectMapper();
    if (json) out.accept(mapper.writeValueAsString(result));
    if (saveDir != null) {
      Path file =
          saveDir.resolve(LocalDate.now() + name.replaceAll("[^A-Za-z0-9._-]", "_") + ".json");
      AtomicFiles.write(
          file, mapper.enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(result));
      say.accept("saved " + file);
    }
  }
}
