package nla.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import nla.GoldenFixtures;
import nla.backend.AttentionSlice;
import nla.backend.Backend;
import nla.backend.DeviceMemoryError;
import nla.backend.KvCache;
import nla.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

/**
 * Continuous batching ({@link LanguageModel#generate(List, int)}): however few requests decode at
 * once, and so whichever requests share a step, each request gets the tokens and finish reason it
 * gets in one big batch — greedy, sampled with its seed, biased, stopping at EOS or length, with
 * prompts sharing a prefix.
 */
class ContinuousBatchingTest {

  @Test
  void requestsGetTheSameTokensHoweverManyDecodeAtOnce() {
    try (LanguageModel m = LanguageModel.load(GoldenFixtures.modelDir("qwen2"))) {
      List<GenerationRequest> requests = GenerationSchedulerTest.requests(10);
      List<Generation> all = m.generate(requests);
      for (int maxActive : new int[] {1, 3, 7}) {
        List<Generation> some = m.generate(requests, maxActive);
        for (int i = 0; i < requests.size(); i++) {
          String where = "request " + i + ", " + maxActive + " at once";
          assertArrayEquals(all.get(i).outputIds(), some.get(i).outputIds(), where);
          assertEquals(all.get(i).finishReason(), some.get(i).finishReason(), where);
        }
      }
    }
  }

  @Test
  void eachRequestIsReportedOnceAsItFinishesWithItsOwnResult() {
    try (LanguageModel m = LanguageModel.load(GoldenFixtures.modelDir("qwen2"))) {
      List<GenerationRequest> requests = GenerationSchedulerTest.requests(10);
      List<Generation> all = m.generate(requests);
      List<Integer> order = new ArrayList<>();
      Map<Integer, Generation> reported = new ConcurrentHashMap<>();
      Thread caller = Thread.currentThread();
      List<Generation> returned =
          m.generate(
              requests,
              3,
              (g, i) -> {
                assertEquals(caller, Thread.currentThread(), "reported on the calling thread");
                assertEquals(null, reported.put(i, g), "request " + i + " reported twice");
                order.add(i);
              });
      assertEquals(requests.size(), reported.size());
      for (int i = 0; i < requests.size(); i++) {
        assertArrayEquals(all.get(i).outputIds(), reported.get(i).outputIds(), "request " + i);
        assertEquals(all.get(i).finishReason(), reported.get(i).finishReason(), "request " + i);
        assertArrayEquals(all.get(i).outputIds(), returned.get(i).outputIds(), "request " + i);
      }
      // Three at once, of different lengths: they finish out of submission order.
      assertNotEquals(order.stream().sorted().toList(), order, "finish order " + order);
    }
  }

  @Test
  void aFailingListenerEndsTheCall() {
    try (LanguageModel m = LanguageModel.load(GoldenFixtures.modelDir("qwen2"))) {
      List<GenerationRequest> requests = GenerationSchedulerTest.requests(6);
      AtomicInteger told = new AtomicInteger();
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () ->
                  m.generate(
                      requests,
                      2,
                      (g, i) -> {
                        if (told.incrementAndGet() == 2) throw new IllegalStateException("disk");
                      }));
      assertEquals("disk", e.getMessage());
      assertEquals(2, told.get(), "no request is reported after the failure");
    }
  }

  @Test
  void aDeviceWithRoomForFewerCachesRunsTheRestAsTheFirstFinish() {
    List<GenerationRequest> requests = GenerationSchedulerTest.requests(10);
    List<Generation> all;
    try (LanguageModel m = LanguageModel.load(GoldenFixtures.modelDir("qwen2"))) {
      all = m.generate(requests);
    }
    // Room for about three requests' caches at once, where seven may decode together: the others
    // wait for memory, and every request still gets its tokens.
    MemoryBoundBackend device = new MemoryBoundBackend(60);
    try (LanguageModel m =
        LanguageModel.load(GoldenFixtures.modelDir("qwen2"), List.of(device.backend()))) {
      List<Generation> some = m.generate(requests, 7);
      for (int i = 0; i < requests.size(); i++) {
        assertArrayEquals(all.get(i).outputIds(), some.get(i).outputIds(), "request " + i);
        assertEquals(all.get(i).finishReason(), some.get(i).finishReason(), "request " + i);
      }
      assertTrue(device.refused.get() > 0, "some request waited for memory");
      assertTrue(device.peak.get() <= 60, device.peak + " positions held at once");
    }
  }

  @Test
  void aDeviceWithoutRoomForOneRequestIsItsOutOfMemoryError() {
    MemoryBoundBackend device = new MemoryBoundBackend(8);
    try (LanguageModel m =
        LanguageModel.load(GoldenFixtures.modelDir("qwen2"), List.of(device.backend()))) {
      DeviceMemoryError e =
          assertThrows(
              DeviceMemoryError.class, () -> m.generate(GenerationSchedulerTest.requests(3), 3));
      assertTrue(e.getMessage().startsWith("out of cache positions"), e.getMessage());
    }
  }

  @Test
  void aStepEmbedsAllItsSequencesTokensInOneCall() {
    // On a GPU each embedding call is an upload and a launch: a step of 128 sequences made 128.
    CpuBackend cpu = new CpuBackend(1);
    AtomicInteger steps = new AtomicInteger();
    List<Integer> embedded = new ArrayList<>();
    Backend counting =
        (Backend)
            Proxy.newProxyInstance(
                Backend.class.getClassLoader(),
                new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("prepareStep")) steps.incrementAndGet();
                  if (method.getName().equals("embed")) embedded.add(((int[]) args[1]).length);
                  return MemoryBoundBackend.forward(cpu, method, args);
                });
    List<GenerationRequest> requests = new ArrayList<>();
    for (int r = 0; r < 4; r++) {
      int[] prompt = new int[3 + 2 * r];
      for (int t = 0; t < prompt.length; t++) prompt[t] = 700 + 31 * r + t;
      requests.add(
          new GenerationRequest(
              SequenceInput.ofIds(prompt), new SamplingParams(0, 1, 0, 0, 6, true, Map.of())));
    }
    try (LanguageModel m =
        LanguageModel.load(GoldenFixtures.modelDir("qwen2"), List.of(counting))) {
      m.generate(requests, 4);
    }
    assertEquals(steps.get(), embedded.size(), "embedding calls " + embedded);
    // Every prompt's ids, then the first five of each request's six new tokens.
    assertEquals((3 + 5 + 7 + 9) + 4 * 5, embedded.stream().mapToInt(Integer::intValue).sum());
  }

  /**
   * The CPU backend with a device's limit on its caches: {@code positions} reserved at once over
   * all caches, beyond which a reservation fails as a full GPU's does ({@link DeviceMemoryError}).
   */
  static final class MemoryBoundBackend {
    final int positions;
    final AtomicInteger held = new AtomicInteger();
    final AtomicInteger peak = new AtomicInteger();
    final AtomicInteger refused = new AtomicInteger();
    final CpuBackend cpu = new CpuBackend(1);
    final Map<KvCache, KvCache> inner = new ConcurrentHashMap<>();

    MemoryBoundBackend(int positions) {
      this.positions = positions;
    }

    Backend backend() {
      return (Backend)
          Proxy.newProxyInstance(
              Backend.class.getClassLoader(),
              new Class<?>[] {Backend.class},
              (proxy, method, args) -> {
                Object result = forward(cpu, method, unwrapped(args));
                return method.getName().equals("newCache") ? bounded((KvCache) result, 0) : result;
              });
    }

    /** The CPU backend's own caches in place of their bounded wrappers (it reads their rows). */
    private Object[] unwrapped(Object[] args) {
      if (args == null) return null;
      Object[] out = args.clone();
      for (int i = 0; i < out.length; i++) {
        if (out[i] instanceof List<?> list
            && !list.isEmpty()
            && list.get(0) instanceof AttentionSlice) {
          out[i] =
              list.stream()
                  .map(o -> (AttentionSlice) o)
                  .map(a -> new AttentionSlice(inner.get(a.cache()), a.firstRow(), a.count()))
                  .toList();
        }
      }
      return out;
    }

    private KvCache bounded(KvCache cache, int initial) {
      int[] mine = {initial};
      held.addAndGet(initial);
      KvCache wrapper =
          (KvCache)
              Proxy.newProxyInstance(
                  KvCache.class.getClassLoader(),
                  new Class<?>[] {KvCache.class},
                  (proxy, method, args) ->
                      switch (method.getName()) {
                        case "reserve" -> {
                          int more = Math.max(0, (int) args[0] - mine[0]);
                          if (held.get() + more > positions) {
                            refused.incrementAndGet();
                            throw new DeviceMemoryError(
                                "out of cache positions: " + held + " held");
                          }
                          mine[0] += more;
                          peak.accumulateAndGet(held.addAndGet(more), Math::max);
                          yield forward(cache, method, args);
                        }
                        case "copy" -> bounded(cache.copy(), cache.length());
                        case "close" -> {
                          held.addAndGet(-mine[0]);
                          mine[0] = 0;
                          yield forward(cache, method, args);
                        }
                        default -> forward(cache, method, args);
                      });
      inner.put(wrapper, cache);
      return wrapper;
    }

    static Object forward(Object target, Method method, Object[] args) throws Throwable {
      try {
        return method.invoke(target, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    }
  }
}
