package nla.core;

import java.util.List;
import java.util.function.Consumer;

/** Vector → text: the AV half of an NLA (contract §4). */
public interface Verbalizer {
  /**
   * Verbalizes every vector {@code options.samples()} times. Results come in row order, then sample
   * order. A row whose vector is unusable (wrong width, zero, non-finite) yields no result: it is
   * reported through {@link VerbalizeOptions#onRowError()} while the other rows go on (with no
   * handler, the first bad row is a {@link nla.io.UserError} before anything runs).
   */
  List<Verbalization> verbalize(List<float[]> vectors, VerbalizeOptions options);

  /**
   * {@link #verbalize}, handing each result to {@code onEach} as it is done, on the calling thread:
   * an engine with continuous batching reports each decode when it finishes, in no set order, so a
   * caller that keeps results as they come loses only the unfinished ones when it stops. By default
   * every result at the end, in {@link #verbalize}'s order.
   */
  default void verbalizeEach(
      List<float[]> vectors, VerbalizeOptions options, Consumer<Verbalization> onEach) {
    verbalize(vectors, options).forEach(onEach);
  }

  int dModel();
}
