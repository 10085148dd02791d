package nla.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import nla.io.UserError;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * The dataset sidecar {@code FILE.parquet.nla_meta.yaml} (contract §3, §6), with the keys and order
 * of the reference's {@code NLADatasetMeta}, so the reference's {@code read_sidecar} accepts ours
 * ({@code kind: nla_dataset}, {@code schema_version: 1}).
 */
public record DatasetSidecar(
    String datasetId,
    String stage,
    long rowCount,
    Extraction extraction,
    List<String> parentDatasets,
    String createdAt,
    String createdBy) {

  public static final String SUFFIX = ".nla_meta.yaml";
  public static final String KIND = "nla_dataset";
  public static final int SCHEMA_VERSION = 1;

  /** What was extracted: vectors are always stored raw ({@code norm: none}). */
  public record Extraction(
      String baseModel,
      int dModel,
      int layerIndex,
      String norm,
      String corpus,
      long sliceStart,
      long sliceLength,
      int positionsPerDoc) {}

  public DatasetSidecar {
    parentDatasets = List.copyOf(parentDatasets);
  }

  public static Path pathFor(Path parquet) {
    return parquet.resolveSibling(parquet.getFileName() + SUFFIX);
  }

  public DatasetSidecar withRowCount(long rows) {
    return new DatasetSidecar(
        datasetId, stage, rows, extraction, parentDatasets, createdAt, createdBy);
  }

  /**
   * The reference's dataset id: {@code base_{model tag}_L{layer}_{hash}} with the first 8 hex
   * digits of sha256 over {@code "{base_model}|{layer}|{corpus}|{corpus_slice}"}, where the slice
   * is Python's repr of the dict {@code {'start': S, 'length': L}}.
   */
  public static String datasetId(String baseModel, int layer, String corpus, long start, long len) {
    String modelTag = baseModel.substring(baseModel.lastIndexOf('/') + 1);
    String slice = "{'start': " + start + ", 'length': " + len + "}";
    byte[] hash =
        PositionSampler.sha256(
            (baseModel + "|" + layer + "|" + corpus + "|" + slice)
                .getBytes(StandardCharsets.UTF_8));
    return "base_" + modelTag + "_L" + layer + "_" + java.util.HexFormat.of().formatHex(hash, 0, 4);
  }

  public static String now() {
    return Instant.now().toString();
  }

  public String toYaml() {
    Map<String, Object> ex = new LinkedHashMap<>();
    ex.put("base_model", extraction.baseModel());
    ex.put("d_model", extraction.dModel());
    ex.put("layer_index", extraction.layerIndex());
    ex.put("norm", extraction.norm());
    ex.put("corpus", extraction.corpus());
    Map<String, Object> slice = new LinkedHashMap<>();
    slice.put("start", extraction.sliceStart());
    slice.put("length", extraction.sliceLength());
    ex.put("corpus_slice", slice);
    ex.put("positions_per_doc", extraction.positionsPerDoc());
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dataset_id", datasetId);
    m.put("stage", stage);
    m.put("row_count", rowCount);
    m.put("extraction", ex);
    m.put("kind", KIND);
    m.put("schema_version", SCHEMA_VERSION);
    m.put("keep_debug_metadata", true);
    m.put("prompt_templates", Map.of());
    m.put("parent_datasets", parentDatasets);
    m.put("created_at", createdAt);
    m.put("created_by", createdBy);
    m.put("git_commit", "");
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    options.setAllowUnicode(true);
    return new Yaml(options).dump(m);
  }

  /** Writes the sidecar beside {@code parquet}, atomically (a temp file renamed into place). */
  public void writeFor(Path parquet) {
    Path target = pathFor(parquet);
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    try {
      Files.writeString(tmp, toYaml(), StandardCharsets.UTF_8);
      FileSync.moveAtomically(tmp, target);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The sidecar beside {@code parquet}, or null when there is none. */
  public static DatasetSidecar readFor(Path parquet) {
    Path path = pathFor(parquet);
    if (!Files.isRegularFile(path)) return null;
    return read(path);
  }

  public static DatasetSidecar read(Path path) {
    Map<?, ?> m;
    try {
      Object doc =
          new Yaml(new SafeConstructor(new LoaderOptions()))
              .load(Files.readString(path, StandardCharsets.UTF_8));
      if (!(doc instanceof Map<?, ?> map)) throw new UserError(path + ": not a YAML mapping");
      m = map;
    } catch (IOException e) {
      throw new UserError(path + ": cannot read: " + e.getMessage(), e);
    } catch (YAMLException e) {
      throw new UserError(path + ": not valid YAML: " + e.getMessage(), e);
    }
    if (!KIND.equals(m.get("kind"))) {
      throw new UserError(path + ": kind is " + m.get("kind") + ", expected " + KIND);
    }
    Map<?, ?> ex = map(m, "extraction", path);
    Map<?, ?> slice = map(ex, "corpus_slice", path);
    List<String> parents = new ArrayList<>();
    if (m.get("parent_datasets") instanceof List<?> list) list.forEach(p -> parents.add("" + p));
    return new DatasetSidecar(
        string(m, "dataset_id", path),
        string(m, "stage", path),
        number(m, "row_count", path).longValue(),
        new Extraction(
            string(ex, "base_model", path),
            number(ex, "d_model", path).intValue(),
            number(ex, "layer_index", path).intValue(),
            string(ex, "norm", path),
            string(ex, "corpus", path),
            number(slice, "start", path).longValue(),
            number(slice, "length", path).longValue(),
            number(ex, "positions_per_doc", path).intValue()),
        parents,
        m.get("created_at") == null ? "" : "" + m.get("created_at"),
        m.get("created_by") == null ? "" : "" + m.get("created_by"));
  }

  private static Map<?, ?> map(Map<?, ?> m, String key, Path path) {
    if (m.get(key) instanceof Map<?, ?> v) return v;
    throw new UserError(path + ": field " + key + " is missing or not a mapping");
  }

  private static String string(Map<?, ?> m, String key, Path path) {
    Object v = m.get(key);
    if (v == null) throw new UserError(path + ": field " + key + " is missing");
    return v.toString();
  }

  private static Number number(Map<?, ?> m, String key, Path path) {
    if (m.get(key) instanceof Number n) return n;
    throw new UserError(path + ": field " + key + " is missing or not a number");
  }
}
