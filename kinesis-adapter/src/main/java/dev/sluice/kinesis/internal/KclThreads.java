package dev.sluice.kinesis.internal;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.kinesis.coordinator.assignment.LeaseAssignmentManager;

/**
 * Lets a JVM that used a KCL group consumer end by itself once Sluice is closed.
 *
 * <p>KCL 3.5.1's {@code LeaseAssignmentManager} writes lease assignments through a static pool,
 * {@code LEASE_ASSIGNMENT_CALL_THREAD_POOL} ({@code Executors.newFixedThreadPool}): shared by every
 * Scheduler of the JVM, never shut down, with non-daemon threads that never time out. Once a group
 * leader has assigned a lease, those threads keep the JVM alive after every Scheduler has stopped,
 * and {@code main} returning no longer ends the process. No KCL setting replaces the pool, and
 * shutting it down would break every later Scheduler of the JVM (it cannot be recreated). So,
 * before the first Scheduler starts, the pool gets a factory of daemon threads and its idle threads
 * time out: a running assignment still completes while the application runs, the pool still serves
 * later Schedulers, and it no longer holds a JVM whose own threads have ended.
 */
final class KclThreads {
  private static final Logger LOG = LoggerFactory.getLogger(KclThreads.class);
  private static final String POOL_FIELD = "LEASE_ASSIGNMENT_CALL_THREAD_POOL";
  private static final long IDLE_SECONDS = 5;

  private KclThreads() {}

  private static boolean patched;

  /** Once per JVM, before the first Scheduler; later calls return at once. */
  static synchronized void letTheJvmExit() {
    if (!patched) {
      patched = true;
      patchLeaseAssignmentPool();
    }
  }

  private static void patchLeaseAssignmentPool() {
    try {
      Field field = LeaseAssignmentManager.class.getDeclaredField(POOL_FIELD);
      if (!Modifier.isStatic(field.getModifiers())) {
        throw new NoSuchFieldException(POOL_FIELD + " is no longer static");
      }
      field.setAccessible(true);
      Object pool = field.get(null);
      if (!(pool instanceof ThreadPoolExecutor)) {
        throw new IllegalStateException(
            POOL_FIELD + " is a " + (pool == null ? "null" : pool.getClass().getName()));
      }
      ThreadPoolExecutor executor = (ThreadPoolExecutor) pool;
      AtomicInteger n = new AtomicInteger();
      executor.setThreadFactory(
          r -> {
            Thread t = new Thread(r, "sluice-kcl-lease-assignment-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
          });
      executor.setKeepAliveTime(IDLE_SECONDS, TimeUnit.SECONDS);
      executor.allowCoreThreadTimeOut(true);
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      // A KCL version without this pool (or with another shape): nothing to do, or the JVM may
      // need System.exit after close; KinesisCloseIT fails on such an upgrade.
      LOG.warn(
          "Could not make the KCL's lease assignment threads daemon threads ({}); a JVM that used a"
              + " Kinesis group consumer may not exit by itself after close",
          e.toString());
    }
  }
}
