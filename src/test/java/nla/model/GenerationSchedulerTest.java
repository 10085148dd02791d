package nla.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import nla.GoldenFixtures;
import org.junit.jupiter.api.Test;

/**
 * The running batch ({@link GenerationScheduler}): requests submitted from many threads, at any
 * moment, get exactly the tokens {@link LanguageModel#generate(List)} gives them; a cancelled
 * request stops and gives its place to the next; closing ends what is left as cancelled.
 */
class GenerationSchedulerTest {

  static List<GenerationRequest> requests() {
    return requests(12);
  }

  /**
   * {@code n} requests of mixed lengths that share their first three ids: greedy, sampled with a
   * seed, biased, with and without EOS.
   */
  static List<GenerationRequest> requests(int n) {
    List<GenerationRequest> requests = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      int[] prompt = new int[3 + (r * 7) % 11];
      for (int t = 0; t < prompt.length; t++) prompt[t] = t < 3 ? 100 + t : 500 + 37 * r + t;
      SamplingParams p =
          switch (r % 4) {
            case 0 -> SamplingParams.greedy().withMaxNewTokens(3 + r);
            case 1 -> new SamplingParams(0.8, 0.9, 50, 1000 + r, 6, true, Map.of());
            case 2 -> new SamplingParams(0, 1, 0, 0, 9, false, Map.of(93952, -1e9f));
            default -> new SamplingParams(1.2, 1, 0, 7 * r, 1 + r % 5, false, Map.of(15664, 3f));
          };
      requests.add(new GenerationRequest(SequenceInput.ofIds(prompt), p));
    }
    return requests;
  }

  @Test
  void requestsFromManyThreadsGetTheirTokensAlone() throws Exception {
    try (LanguageModel m = LanguageModel.load(GoldenFixtures.modelDir("qwen2"))) {
      List<GenerationRequest> requests = requests();
      List<Generation> want = m.generate(requests);
      ExecutorService pool = Executors.newFixedThreadPool(requests.size());
      try (GenerationScheduler s = m.scheduler(3, "test-decode")) {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Generation>> got = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
          GenerationRequest r = requests.get(i);
          int delayMillis = 5 * (i % 4); // some arrive while others decode
          got.add(
              pool.submit(
                  () -> {
                    go.await();
                    Thread.sleep(delayMillis);
                    AtomicInteger told = new AtomicInteger();
                    Generation g =
                        s.submit(r, token -> told.incrementAndGet())
                            .result()
                            .get(1, TimeUnit.MINUTES);
                    assertEquals(g.outputIds().length, told.get(), "every token is told");
                    return g;
                  }));
        }
        go.countDown();
        for (int i = 0; i < requests.size(); i++) {
          Generation g = got.get(i).get(2, TimeUnit.MINUTES);
          assertArrayEquals(want.get(i).outputIds(), g.outputIds(), "request " + i);
          assertEquals(want.get(i).finishReason(), g.finishReason(), "request " + i);
        }
        assertEquals(requests.size(), s.completed());
        assertEquals(0, s.cancelled());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while ((s.active() > 0 || s.waiting() > 0) && System.nanoTime() < deadline) {
          Thread.sleep(5); // the gauges follow the step that finished the last request
        }
        assertEquals(0, s.active());
        assertEquals(0, s.waiting());
        long tokens = 0;
        for (Generation g : want) tokens += g.outputIds().length;
        assertEquals(tokens, s.tokens());
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void aCancelledRequestStopsAndTheNextIsServed() throws Exception {
    try (LanguageModel m = LanguageModel.load(GoldenFixtures.modelDir("qwen2"));
        GenerationScheduler s = m.scheduler(1, "test-decode")) {
      GenerationRequest endless =
          new GenerationRequest(
              SequenceInput.ofIds(new int[] {100, 101, 102}),
              SamplingParams.greedy().withMaxNewTokens(4_000).withIgnoreEos(true));
      CountDownLatch started = new CountDownLatch(3);
      GenerationScheduler.Ticket t = s.submit(endless, token -> started.countDown());
      // Waits behind it: one place only.
      GenerationRequest next = requests().get(4);
      GenerationScheduler.Ticket after = s.submit(next, null);
      assertTrue(started.await(1, TimeUnit.MINUTES));
      t.cancel();
      Generation g = t.result().get(1, TimeUnit.MINUTES);
      assertEquals("cancelled", g.finishReason());
      assertTrue(g.outputIds().length >= 3 && g.outputIds().length < 4_000);
      Generation n = after.result().get(1, TimeUnit.MINUTES);
      assertArrayEquals(m.generate(List.of(next)).get(0).outputIds(), n.outputIds());
      assertEquals(1, s.cancelled());
      assertEquals(1, s.completed());
    }
  }

  @Test
  void closingEndsWhatIsLeftAsCancelledAndRefusesMore() throws Exception {
    try (LanguageModel m = LanguageModel.load(GoldenFixtures.modelDir("qwen2"))) {
      GenerationScheduler s = m.scheduler(2, "test-decode");
      GenerationRequest endless =
          new GenerationRequest(
              SequenceInput.ofIds(new int[] {100, 101, 102}),
              SamplingParams.greedy().withMaxNewTokens(4_000).withIgnoreEos(true));
      CountDownLatch started = new CountDownLatch(1);
      GenerationScheduler.Ticket t = s.submit(endless, token -> started.countDown());
      assertTrue(started.await(1, TimeUnit.MINUTES));
      s.close();
      assertEquals("cancelled", t.result().get(1, TimeUnit.MINUTES).finishReason());
      assertThrows(IllegalStateException.class, () -> s.submit(endless, null));
    }
  }
}
