package nla.backend;

/**
 * The keys and values one sequence has seen, for every layer. {@link #length()} tokens are
 * committed; a forward step writes its new tokens' keys and values behind them at every layer and
 * {@link #advance(int)}s once all layers ran.
 */
public interface KvCache extends AutoCloseable {
  int length();

  void advance(int tokens);

  /**
   * An independent cache holding the same committed positions (a shared prompt prefix computed once
   * and continued by several sequences).
   */
  KvCache copy();

  /**
   * Room for {@code positions} in all, known up front (prompt plus new tokens): the cache is sized
   * once instead of growing by doubling, which would leave up to twice the memory and the copies
   * behind.
   */
  void reserve(int positions);

  /** Gives the cache's memory back (a device backend's blocks); the cache is unusable after. */
  @Override
  default void close() {}
}
