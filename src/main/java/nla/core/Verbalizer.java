package nla.core;

import java.util.List;

/** Vector → text: the AV half of an NLA (contract §4). */
public interface Verbalizer {
  /**
   * Verbalizes every vector {@code options.samples()} times. Results come in row order, then sample
   * order. A row whose vector is unusable (wrong width, zero, non-finite) yields no result: it is
   * reported through {@link VerbalizeOptions#onRowError()} while the other rows go on (with no
   * handler, the first bad row is a {@link nla.io.UserError} before anything runs).
   */
  List<Verbalization> verbalize(List<float[]> vectors, VerbalizeOptions options);

  int dModel();
}
