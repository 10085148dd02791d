package nla.model;

import java.util.ArrayList;
import java.util.List;
import nla.backend.KvCache;

/**
 * One sequence's cache for a model spread over several devices: one part per partition of its
 * blocks, each on that partition's backend, all advancing together.
 */
final class PartitionedKvCache implements KvCache {
  private final List<KvCache> parts;

  PartitionedKvCache(List<KvCache> parts) {
    this.parts = List.copyOf(parts);
  }

  KvCache part(int partition) {
    return parts.get(partition);
  }

  @Override
  public int length() {
    return parts.getFirst().length();
  }

  @Override
  public void advance(int tokens) {
    for (KvCache p : parts) p.advance(tokens);
  }

  @Override
  public KvCache copy() {
    List<KvCache> copies = new ArrayList<>(parts.size());
    for (KvCache p : parts) copies.add(p.copy());
    return new PartitionedKvCache(copies);
  }

  @Override
  public void reserve(int positions) {
    for (KvCache p : parts) p.reserve(positions);
  }

  @Override
  public void close() {
    for (KvCache p : parts) p.close();
  }
}
