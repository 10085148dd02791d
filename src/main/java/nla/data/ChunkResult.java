package nla.data;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one chunk of documents produced: rows for each named output (e.g. {@code L20}), optional
 * report lines (JSON, one per row, for alignment errors), and the document counts.
 */
public record ChunkResult(
    Map<String, List<ActivationRow>> rows, List<String> reportLines, ExtractionStats stats) {
  public ChunkResult {
    rows = new LinkedHashMap<>(rows);
    reportLines = List.copyOf(reportLines);
  }
}
