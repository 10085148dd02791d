package nla.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import nla.data.DatasetSidecar;
import nla.data.PositionSampler;
import nla.io.UserError;
import picocli.CommandLine.Option;

/**
 * The corpus slice and position-sampling flags shared by {@code extract-corpus} and {@code align}.
 */
final class CorpusExtractionFlags {
  @Option(
      names = "--corpus",
      required = true,
      paramLabel = "FILE|DIR",
      description = ".jsonl[.gz], .parquet, or a folder of .parquet shards or .txt files.")
  Path corpusPath;

  @Option(
      names = "--text-field",
      defaultValue = "text",
      paramLabel = "NAME",
      description = "JSONL field or Parquet column holding the text. Default: text.")
  String textField;

  @Option(
      names = "--corpus-name",
      required = true,
      paramLabel = "NAME",
      description = "Corpus name in doc_id = NAME:SPLIT:INDEX and in the sidecar.")
  String corpusName;

  @Option(
      names = "--split",
      defaultValue = "train",
      paramLabel = "NAME",
      description =
          "Split name in doc_id and the sidecar (the corpus is read as given). Default: train.")
  String split;

  @Option(
      names = "--start",
      defaultValue = "0",
      paramLabel = "S",
      description = "First document of the slice (0-based). Default: 0.")
  long start;

  @Option(
      names = "--length",
      paramLabel = "L",
      description = "Documents in the slice (default: to the end).")
  Long length;

  @Option(
      names = "--positions-per-doc",
      defaultValue = "10",
      paramLabel = "N",
      description = "Positions sampled per document. Default: 10.")
  int positionsPerDoc;

  @Option(
      names = "--seed",
      defaultValue = "42",
      paramLabel = "S",
      description = "Position-sampling seed. Default: 42.")
  long seed;

  @Option(
      names = "--max-length",
      defaultValue = "2048",
      paramLabel = "M",
      description = "Tokens kept per document (longer ones are truncated). Default: 2048.")
  int maxLength;

  @Option(
      names = "--chunk-docs",
      defaultValue = "256",
      paramLabel = "N",
      description = "Documents per resumable chunk. Default: 256.")
  int chunkDocs;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "Compute threads (default: all processors).")
  Integer threads;

  @Option(
      names = "--batch",
      defaultValue = "4",
      paramLabel = "N",
      description = "Documents per forward. Default: 4.")
  int batch;

  int threads() {
    if (threads != null && threads < 1) throw new UserError("--threads must be >= 1");
    return threads != null ? threads : Runtime.getRuntime().availableProcessors();
  }

  PositionSampler sampler() {
    return new PositionSampler(seed, positionsPerDoc);
  }

  /** The run description's corpus keys (a resumed run must match them). */
  void describeCorpus(Map<String, Object> description) {
    description.put("corpus", corpusPath.toAbsolutePath().normalize().toString());
    description.put("text_field", textField);
    description.put("corpus_name", corpusName);
    description.put("split", split);
  }

  /** The run description's sampling keys (a resumed run must match them). */
  void describeSampling(Map<String, Object> description) {
    description.put("positions_per_doc", positionsPerDoc);
    description.put("seed", seed);
    description.put("max_length", maxLength);
  }

  /** The sidecar of block {@code k} of model {@code name} over the {@code len}-document slice. */
  DatasetSidecar sidecar(String name, int d, int k, long len, String createdBy) {
    return new DatasetSidecar(
        DatasetSidecar.datasetId(name, k, corpusName, start, len),
        "base",
        0,
        new DatasetSidecar.Extraction(name, d, k, "none", corpusName, start, len, positionsPerDoc),
        List.of(),
        "",
        createdBy);
  }
}
