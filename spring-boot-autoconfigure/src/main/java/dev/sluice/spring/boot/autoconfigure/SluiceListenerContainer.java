package dev.sluice.spring.boot.autoconfigure;

import dev.sluice.Consumer;
import dev.sluice.ErrorCode;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import dev.sluice.spring.boot.NewStream;
import dev.sluice.spring.boot.SluiceListener;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Creates the {@link NewStream} beans' streams that are missing, then runs one consumer per {@link
 * SluiceListener} bean. Consumers start when the context has created every bean (like Spring
 * Kafka's listener containers) and close first on shutdown, before the web server and before the
 * {@code Sluice} bean: closing lets the handler calls in progress finish, writes the checkpoints of
 * what was handled and gives the shards up, so the group resumes right after them and no record is
 * handled twice after a clean stop.
 */
public class SluiceListenerContainer implements SmartLifecycle {
  private static final Logger LOG = LoggerFactory.getLogger(SluiceListenerContainer.class);

  /** Starts late, stops early: {@code Integer.MAX_VALUE - 100}, as Spring Kafka's containers. */
  public static final int PHASE = Integer.MAX_VALUE - 100;

  private final Sluice sluice;
  private final Map<String, SluiceListener<?, ?>> listeners;
  private final List<NewStream> streams;
  private final Map<String, Consumer<?, ?>> running = new LinkedHashMap<>(); // guarded by this
  private boolean started; // guarded by this
  private @Nullable Thread keepAlive; // guarded by this

  /**
   * A container for these listeners.
   *
   * @param sluice where the listeners consume from
   * @param listeners the listener beans by name
   * @param streams the streams to create, if missing, before the listeners start
   */
  public SluiceListenerContainer(
      Sluice sluice, Map<String, SluiceListener<?, ?>> listeners, List<NewStream> streams) {
    this.sluice = sluice;
    this.listeners = new LinkedHashMap<>(listeners);
    this.streams = List.copyOf(streams);
  }

  @Override
  public synchronized void start() {
    if (started) {
      return;
    }
    createMissingStreams();
    try {
      listeners.forEach(
          (name, listener) -> {
            running.put(name, listener.start(sluice, name));
            LOG.info("Sluice listener '{}' started on stream {}", name, listener.stream());
          });
    } catch (RuntimeException e) {
      closeAll();
      throw e;
    }
    started = true;
    if (!listeners.isEmpty()) {
      keepAlive = startKeepAlive();
    }
  }

  @Override
  public synchronized void stop() {
    closeAll();
    started = false;
    if (keepAlive != null) {
      keepAlive.interrupt();
      keepAlive = null;
    }
  }

  /**
   * The consumers' threads are daemon threads, so a service whose only work is its listeners (no
   * web server) would end as soon as {@code main} returns, closing them before they handled
   * anything. Like Spring Kafka's listener containers, keep one thread that is not a daemon while
   * the listeners run; the context's shutdown (SIGTERM, {@code SpringApplication.exit}) stops it.
   */
  private static Thread startKeepAlive() {
    Thread thread =
        new Thread(
            () -> {
              try {
                new CountDownLatch(1).await();
              } catch (InterruptedException e) {
                // stop(): the listeners are closed, the JVM may end
              }
            },
            "sluice-listeners-keep-alive");
    thread.setDaemon(false);
    thread.start();
    return thread;
  }

  @Override
  public synchronized boolean isRunning() {
    return started;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }

  /**
   * What each listener is doing now, for the health indicator.
   *
   * @return one entry per listener bean, in declaration order
   */
  public synchronized List<ListenerState> states() {
    List<ListenerState> states = new ArrayList<>();
    listeners.forEach(
        (name, listener) -> {
          Consumer<?, ?> consumer = running.get(name);
          states.add(ListenerState.of(name, listener, consumer));
        });
    return Collections.unmodifiableList(states);
  }

  private void createMissingStreams() {
    for (NewStream stream : streams) {
      try {
        sluice.admin().createStream(stream.name(), stream.spec());
        LOG.info("Sluice stream {} created", stream.name());
      } catch (SluiceException e) {
        if (e.code() != ErrorCode.ALREADY_EXISTS) {
          throw e;
        }
      }
    }
  }

  private void closeAll() {
    List<String> names = new ArrayList<>(running.keySet());
    Collections.reverse(names);
    for (String name : names) {
      Consumer<?, ?> consumer = running.remove(name);
      try {
        consumer.close();
        LOG.info("Sluice listener '{}' closed", name);
      } catch (RuntimeException e) {
        LOG.warn("Closing Sluice listener '{}' failed", name, e);
      }
    }
  }

  /**
   * One listener's state.
   *
   * @param name the listener's bean name
   * @param stream the stream it consumes
   * @param group its consumer group, or null when standalone
   * @param status {@code RUNNING}, {@code STOPPED} (not started, or closed) or {@code FAILED}
   * @param failure why it stopped on its own, or null
   * @param shards the shards it owns now
   */
  public record ListenerState(
      String name,
      String stream,
      @Nullable String group,
      String status,
      @Nullable String failure,
      List<String> shards) {

    static ListenerState of(
        String name, SluiceListener<?, ?> listener, @Nullable Consumer<?, ?> c) {
      String group = listener.group(name);
      if (c == null) {
        return new ListenerState(name, listener.stream(), group, "STOPPED", null, List.of());
      }
      CompletableFuture<Void> termination = c.termination();
      if (termination.isDone()) {
        // Stopped on its own while the container runs: a handler failed past its failure policy,
        // or the backend could not recover the connection.
        String failure = "stopped";
        if (termination.isCompletedExceptionally()) {
          failure = termination.handle((ok, error) -> describe(error)).join();
        }
        return new ListenerState(name, listener.stream(), group, "FAILED", failure, List.of());
      }
      List<String> shards = new ArrayList<>();
      c.assignment().forEach(shard -> shards.add(shard.toString()));
      Collections.sort(shards);
      return new ListenerState(name, listener.stream(), group, "RUNNING", null, shards);
    }

    private static String describe(@Nullable Throwable error) {
      Throwable cause = error;
      while (cause instanceof CompletionException && cause.getCause() != null) {
        cause = cause.getCause();
      }
      if (cause instanceof SluiceException sluice) {
        return sluice.code() + ": " + sluice.getMessage();
      }
      return String.valueOf(cause);
    }
  }
}
