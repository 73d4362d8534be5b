package dev.tenantfold.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.management.ListenerNotFoundException;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Driver heap while one path runs (in Spark local mode the executor tasks share this JVM, so it is
 * the whole job's heap). Two figures: the peak of heap used, sampled every 10 ms, which mostly
 * shows how lazily the collector runs; and the peak of heap still used right after a collection,
 * taken from GC notifications, which is what the work actually retains. The second is the one to
 * compare across table sizes: it stays flat when rows stream and grows when rows are held.
 */
final class HeapMonitor implements AutoCloseable {
  private static final long SAMPLE_MILLIS = 10;

  /** Peak heap figures of one measured path, in bytes. */
  record Reading(long peakUsed, long peakAfterGc, int collections) {}

  private final AtomicLong peakUsed = new AtomicLong();
  private final AtomicLong peakAfterGc = new AtomicLong();
  private final AtomicInteger collections = new AtomicInteger();
  private final Set<String> heapPools;
  private final List<NotificationEmitter> emitters = new ArrayList<>();
  private final NotificationListener listener =
      (notification, handback) -> {
        if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(
            notification.getType())) {
          onCollection(
              GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData()));
        }
      };
  private final Thread sampler;
  private volatile boolean running = true;

  private HeapMonitor(long baseline) {
    peakUsed.set(baseline);
    peakAfterGc.set(baseline);
    heapPools =
        ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP)
            .map(MemoryPoolMXBean::getName)
            .collect(Collectors.toUnmodifiableSet());
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof NotificationEmitter emitter) {
        emitter.addNotificationListener(listener, null, null);
        emitters.add(emitter);
      }
    }
    sampler = new Thread(this::sample, "tenantfold-bench-heap");
    sampler.setDaemon(true);
    sampler.start();
  }

  /**
   * Collects garbage first, so each path starts from the same retained heap, then starts watching;
   * that retained heap is the floor of both figures.
   */
  static HeapMonitor start() {
    System.gc();
    return new HeapMonitor(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
  }

  Reading stop() {
    running = false;
    sampler.interrupt();
    try {
      sampler.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (NotificationEmitter emitter : emitters) {
      try {
        emitter.removeNotificationListener(listener);
      } catch (ListenerNotFoundException e) {
        // Never added: nothing to remove.
      }
    }
    emitters.clear();
    return new Reading(peakUsed.get(), peakAfterGc.get(), collections.get());
  }

  @Override
  public void close() {
    if (running) {
      stop();
    }
  }

  private void sample() {
    var memory = ManagementFactory.getMemoryMXBean();
    while (running) {
      peakUsed.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
      try {
        Thread.sleep(SAMPLE_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void onCollection(GarbageCollectionNotificationInfo info) {
    collections.incrementAndGet();
    long after = 0;
    for (Map.Entry<String, MemoryUsage> pool :
        info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
      if (heapPools.contains(pool.getKey())) {
        after += pool.getValue().getUsed();
      }
    }
    peakAfterGc.accumulateAndGet(after, Math::max);
    long before = 0;
    for (Map.Entry<String, MemoryUsage> pool :
        info.getGcInfo().getMemoryUsageBeforeGc().entrySet()) {
      if (heapPools.contains(pool.getKey())) {
        before += pool.getValue().getUsed();
      }
    }
    // The sampler can miss the instant before a collection; the notification cannot.
    peakUsed.accumulateAndGet(before, Math::max);
  }
}
