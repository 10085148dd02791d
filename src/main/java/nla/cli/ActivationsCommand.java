package nla.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import nla.data.ActivationParquet;
import nla.data.ActivationRow;
import nla.data.DatasetSidecar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code nla activations}: what an activation parquet holds, as a summary or as JSON lines. */
@Command(
    name = "activations",
    mixinStandardHelpOptions = true,
    description = {
      "Show an activation parquet (contract §6 schema): a summary (rows, documents, d, layers,"
          + " vector norms), or one JSON line per row with --json."
    })
public final class ActivationsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "FILE.parquet", description = "The activation parquet.")
  Path file;

  @Option(
      names = "--json",
      description =
          "One JSON line per row: doc_id, n_raw_tokens, activation_layer,"
              + " detokenized_text_truncated.")
  boolean json;

  @Option(names = "--vectors", description = "With --json: include activation_vector.")
  boolean vectors;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      printJson(out);
    } else {
      printSummary(out);
    }
    out.flush();
    return 0;
  }

  private void printJson(PrintWriter out) throws IOException {
    ObjectMapper mapper = new ObjectMapper();
    ActivationParquet.scan(
        file,
        row -> {
          try {
            JsonGenerator g = mapper.getFactory().createGenerator(out);
            g.writeStartObject();
            g.writeStringField("doc_id", row.docId());
            g.writeNumberField("n_raw_tokens", row.nRawTokens());
            g.writeNumberField("activation_layer", row.activationLayer());
            g.writeStringField("detokenized_text_truncated", row.detokenizedTextTruncated());
            if (vectors) {
              g.writeArrayFieldStart("activation_vector");
              for (float v : row.activationVector()) g.writeNumber(v);
              g.writeEndArray();
            }
            g.writeEndObject();
            g.flush();
            out.println();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  private void printSummary(PrintWriter out) {
    ActivationParquet.Info info = ActivationParquet.info(file);
    Set<String> docs = new HashSet<>();
    Set<Long> layers = new TreeSet<>();
    double[] norm = {Double.MAX_VALUE, 0, 0};
    long[] tokens = {Long.MAX_VALUE, 0};
    long rows =
        ActivationParquet.scan(
            file,
            (ActivationRow row) -> {
              docs.add(row.docId());
              layers.add(row.activationLayer());
              double s = 0;
              for (float v : row.activationVector()) s += (double) v * v;
              double n = Math.sqrt(s);
              norm[0] = Math.min(norm[0], n);
              norm[1] = Math.max(norm[1], n);
              norm[2] += n;
              tokens[0] = Math.min(tokens[0], row.nRawTokens());
              tokens[1] = Math.max(tokens[1], row.nRawTokens());
            });
    String vectorType = info.arrowVectorType();
    out.printf("file        %s%n", file);
    out.printf("rows        %d%n", rows);
    out.printf("documents   %d%n", docs.size());
    out.printf("d           %d%n", info.dModel());
    out.printf("layers      %s%n", layers);
    out.printf("vector      %s%n", vectorType);
    if (rows > 0) {
      out.printf("L2 norm     min %.4g  mean %.4g  max %.4g%n", norm[0], norm[2] / rows, norm[1]);
      out.printf("n_raw_tokens %d..%d%n", tokens[0], tokens[1]);
    }
    DatasetSidecar sidecar = DatasetSidecar.readFor(file);
    if (sidecar == null) {
      out.printf("sidecar     none%n");
    } else {
      var ex = sidecar.extraction();
      out.printf(
          "sidecar     %s (stage %s): %s layer %d, corpus %s [%d, +%d), %d positions/doc%n",
          sidecar.datasetId(),
          sidecar.stage(),
          ex.baseModel(),
          ex.layerIndex(),
          ex.corpus(),
          ex.sliceStart(),
          ex.sliceLength(),
          ex.positionsPerDoc());
    }
  }
}
