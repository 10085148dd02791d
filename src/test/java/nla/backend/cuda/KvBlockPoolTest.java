package nla.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import nla.backend.DeviceMemoryError;
import org.junit.jupiter.api.Test;

/**
 * How far the paged KV cache grows when its blocks run out (a pure function of the free memory; the
 * pools themselves are the GPU suite's).
 */
class KvBlockPoolTest {
  static final long MIB = 1L << 20;
  static final long GIB = 1L << 30;

  /** Gemma-3-27B's: 62 layers, 16 KV heads of 128, bf16 keys and values, 16-token blocks. */
  static final int LAYERS = 62;

  static final long LAYER_BLOCK = 2L * 2 * KvBlockPool.BLOCK * 16 * 128;

  @Test
  void withRoomItDoublesFromItsFirstSize() {
    assertEquals(
        KvBlockPool.INITIAL_BLOCKS, KvBlockPool.grownCapacity(0, LAYERS, LAYER_BLOCK, 70 * GIB));
    assertEquals(4096, KvBlockPool.grownCapacity(2048, LAYERS, LAYER_BLOCK, 70 * GIB));
  }

  @Test
  void whereDoubleDoesNotFitItTakesWhatLeavesTheWorkspaceItsRoom() {
    // 32,768 tokens held, 6 GiB free (a 54 GB model at batch 128 on an 80 GB card): double would
    // need 16.6 GB more; it takes what leaves 512 MiB, counting one layer's old pools during the
    // move.
    long free = 6 * GIB;
    int next = KvBlockPool.grownCapacity(2048, LAYERS, LAYER_BLOCK, free);
    long perBlock = LAYERS * LAYER_BLOCK;
    assertEquals(2048 + (free - KvBlockPool.WORKSPACE_ROOM - 2048 * LAYER_BLOCK) / perBlock, next);
    long grownBy = (next - 2048L) * perBlock + 2048 * LAYER_BLOCK;
    assertEquals(true, free - grownBy >= KvBlockPool.WORKSPACE_ROOM);
    assertEquals(true, next * KvBlockPool.BLOCK > 128 * 275, "a batch of 128 of 275 tokens fits");
  }

  @Test
  void withLessThanTheWorkspacesRoomItStillTakesWhatFits() {
    // A small model on a nearly full GPU: today's first allocation (256 blocks) still comes.
    assertEquals(KvBlockPool.INITIAL_BLOCKS, KvBlockPool.grownCapacity(0, 2, 512, 300 * MIB));
    int next = KvBlockPool.grownCapacity(2048, LAYERS, LAYER_BLOCK, 400 * MIB);
    assertEquals(2048 + (400 * MIB - 2048 * LAYER_BLOCK) / (LAYERS * LAYER_BLOCK), next);
  }

  @Test
  void notOneMoreBlockIsOneLineWithTheNumbers() {
    DeviceMemoryError e =
        assertThrows(
            DeviceMemoryError.class,
            () -> KvBlockPool.grownCapacity(2048, LAYERS, LAYER_BLOCK, 200 * MIB));
    assertEquals(
        "GPU out of memory: the KV cache holds 32768 tokens and has no room for 16 more (0.26 GiB"
            + " needed, 0.20 GiB free)",
        e.getMessage());
  }
}
