package dev.sluice.kinesis.internal;

import dev.sluice.HashKeyRange;
import dev.sluice.Shard;
import dev.sluice.StartPosition;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.StartingPosition;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEventStream;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardRequest;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

/**
 * Reads one shard by enhanced fan-out: {@code SubscribeToShard} over HTTP/2, Kinesis pushing events
 * of records as they arrive. One subscription at a time, each asked for one event at a time, so a
 * paused shard asks for nothing more and HTTP/2 flow control holds Kinesis back.
 *
 * <p>A subscription lasts at most five minutes; when it ends, and after an error (with backoff;
 * {@code ResourceInUseException}, another subscription of this stream consumer to the shard still
 * open, is waited out the same way), the reader subscribes again after the last record received
 * ({@link #nextStart()}). An event without a continuation sequence number marks the shard's end.
 * Because a closed shard's end might not be announced (the kinesis-local emulator never does), a
 * subscription that brings nothing checks at most every {@code shard.sync.interval.ms} with one
 * {@code GetRecords} whether the shard is closed and read to its end.
 */
final class FanOutShardReader extends ShardReader {
  private static final Logger LOG = LoggerFactory.getLogger(FanOutShardReader.class);

  private final String consumerArn;
  private final Duration endCheckInterval;

  /** Ends every subscription after this long (0: only when Kinesis ends it); for tests. */
  private final Duration resubscribeAfter;

  private @Nullable EventSubscriber current;
  private int subscriptions;
  private long lastEndCheck = System.nanoTime();
  private boolean checkingEnd;

  FanOutShardReader(
      StandaloneConsumer consumer,
      Shard shard,
      HashKeyRange range,
      StartPosition start,
      String consumerArn,
      KinesisSettings settings) {
    super(consumer, shard, range, start);
    this.consumerArn = consumerArn;
    this.endCheckInterval = settings.shardSyncInterval;
    this.resubscribeAfter = settings.resubscribeAfter;
  }

  /** Subscribes unless paused, stopped or subscribed already. */
  @Override
  void step() {
    SubscribeToShardRequest request;
    EventSubscriber subscriber;
    synchronized (this) {
      if (current != null || !mayRead()) {
        return;
      }
      subscriber = new EventSubscriber(++subscriptions);
      current = subscriber;
      Start from = nextStart();
      request =
          SubscribeToShardRequest.builder()
              .consumerARN(consumerArn)
              .shardId(shard.id())
              .startingPosition(
                  StartingPosition.builder()
                      .type(from.type)
                      .sequenceNumber(from.sequenceNumber)
                      .timestamp(from.timestamp)
                      .build())
              .build();
    }
    LOG.debug(
        "Subscription {} to shard {} of '{}' from {}",
        subscriber.id,
        shard,
        stream(),
        request.startingPosition());
    SubscribeToShardResponseHandler handler =
        SubscribeToShardResponseHandler.builder()
            .onEventStream(events -> events.subscribe(subscriber))
            .onError(e -> {}) // seen in whenComplete below
            .build();
    consumer
        .kinesis
        .subscribeToShard(request, handler)
        .whenComplete((ignored, error) -> subscriptionEnded(subscriber, error));
    if (!resubscribeAfter.isZero()) {
      consumer.schedule(() -> endEarly(subscriber), resubscribeAfter.toMillis());
    }
  }

  /**
   * Ends the current subscription and subscribes again at the new position; events of the old
   * subscription that still come are dropped (it is no longer {@code current}). {@code latest}
   * becomes {@code AT_TIMESTAMP} of the moment of the seek, so that it means the records sent after
   * the seek returns although the new subscription starts later.
   */
  @Override
  void seek(StartPosition target) {
    Instant askedAt = Instant.now();
    EventSubscriber old;
    synchronized (this) {
      checkSeekable(consumer.reads(this));
      moved(target, askedAt);
      old = current;
      current = null;
      checkingEnd = false;
      lastEndCheck = System.nanoTime();
    }
    if (old != null) {
      old.cancel();
    }
    consumer.schedule(this::step, 0);
  }

  /** A subscription ended: normally (its five minutes are up), or with an error. */
  private void subscriptionEnded(EventSubscriber subscriber, @Nullable Throwable error) {
    synchronized (this) {
      if (subscriber != current || stopped || consumer.isClosed()) {
        return; // replaced, or the shard's end was seen
      }
      current = null;
      if (error == null) {
        LOG.debug("Subscription {} to shard {} of '{}' ended", subscriber.id, shard, stream());
        // Its time is up: go on at once, unless it ended without a single event (no hot loop).
        if (subscriber.events == 0) {
          attempts++;
        }
        consumer.schedule(
            this::step, subscriber.events == 0 ? StandaloneConsumer.backoffMillis(attempts) : 0);
        return;
      }
      Throwable cause = KinesisErrors.unwrap(error);
      LOG.debug("Subscription to shard {} of '{}' failed: {}", shard, stream(), cause.toString());
      if (cause instanceof ResourceInUseException) {
        // The previous subscription of this stream consumer to the shard is not released yet
        // (or the consumer is not ACTIVE yet): wait it out.
        attempts++;
        consumer.schedule(this::step, StandaloneConsumer.backoffMillis(attempts));
        return;
      }
      retryOrFail(cause);
    }
  }

  /** The test setting's early end: as if Kinesis had ended the subscription. */
  private void endEarly(EventSubscriber subscriber) {
    synchronized (this) {
      if (subscriber != current || stopped) {
        return;
      }
      current = null;
    }
    subscriber.cancel();
    consumer.schedule(this::step, 0);
  }

  private void event(EventSubscriber subscriber, SubscribeToShardEvent event) {
    boolean end;
    boolean checkEnd = false;
    boolean ask = false;
    synchronized (this) {
      if (subscriber != current || stopped || consumer.isClosed()) {
        return;
      }
      attempts = 0;
      subscriber.events++;
      deliver(event.records(), event.millisBehindLatest());
      end = event.continuationSequenceNumber() == null;
      if (end) {
        current = null;
        ending = true;
      } else {
        if (event.records().isEmpty()
            && !checkingEnd
            && System.nanoTime() - lastEndCheck >= endCheckInterval.toNanos()) {
          checkingEnd = true;
          checkEnd = true;
        }
        if (paused) {
          subscriber.withheld = true;
        } else {
          ask = true;
        }
      }
    }
    if (ask) {
      subscriber.request();
    }
    if (end) {
      subscriber.cancel();
      consumer.ended(this);
    } else if (checkEnd) {
      checkEnd(subscriber);
    }
  }

  /**
   * Whether the shard is closed and nothing is left after the last record received: then its end
   * will not come by the subscription.
   */
  private void checkEnd(EventSubscriber subscriber) {
    Start from;
    synchronized (this) {
      from = nextStart();
    }
    consumer
        .kinesis
        .getShardIterator(PollingShardReader.iteratorRequest(stream(), shard.id(), from))
        .thenCompose(
            it -> consumer.kinesis.getRecords(b -> b.shardIterator(it.shardIterator()).limit(1)))
        .whenComplete((response, error) -> endChecked(subscriber, response, error));
  }

  private void endChecked(
      EventSubscriber subscriber,
      @Nullable GetRecordsResponse response,
      @Nullable Throwable error) {
    boolean end;
    synchronized (this) {
      checkingEnd = false;
      lastEndCheck = System.nanoTime();
      if (subscriber != current || stopped || consumer.isClosed()) {
        return;
      }
      if (error != null) {
        LOG.debug("Checking shard {} of '{}' for its end failed: {}", shard, stream(), error);
        return; // the next idle event checks again
      }
      end = response.records().isEmpty() && response.nextShardIterator() == null;
      if (end) {
        current = null;
        ending = true;
      }
    }
    if (end) {
      LOG.debug("Shard {} of '{}' is closed and read to its end", shard, stream());
      subscriber.cancel();
      consumer.ended(this);
    }
  }

  @Override
  void resume() {
    EventSubscriber withheld = null;
    synchronized (this) {
      if (current != null && current.withheld) {
        current.withheld = false;
        withheld = current;
      }
    }
    super.resume();
    if (withheld != null) {
      withheld.request();
    }
  }

  @Override
  void stop() {
    EventSubscriber subscriber;
    synchronized (this) {
      stopped = true;
      subscriber = current;
      current = null;
    }
    if (subscriber != null) {
      subscriber.cancel();
    }
  }

  private String stream() {
    return consumer.stream;
  }

  /** One subscription's events, asked for one at a time. */
  private final class EventSubscriber implements Subscriber<SubscribeToShardEventStream> {
    final int id;
    private @Nullable Subscription upstream;
    private boolean cancelled;

    /** An event is due, but the shard is paused; asked for at resume. Under the reader's lock. */
    boolean withheld;

    /** Events received. Under the reader's lock. */
    int events;

    EventSubscriber(int id) {
      this.id = id;
    }

    @Override
    public void onSubscribe(Subscription subscription) {
      boolean cancel;
      synchronized (this) {
        upstream = subscription;
        cancel = cancelled;
      }
      if (cancel) {
        subscription.cancel();
      } else {
        subscription.request(1);
      }
    }

    @Override
    public void onNext(SubscribeToShardEventStream item) {
      if (item instanceof SubscribeToShardEvent) {
        event(this, (SubscribeToShardEvent) item);
      } else {
        request(); // not records (the stream's initial response): go on
      }
    }

    @Override
    public void onError(Throwable t) {
      // The subscription's future fails too; handled there.
    }

    @Override
    public void onComplete() {
      // The subscription's future completes too; handled there.
    }

    void request() {
      Subscription s;
      synchronized (this) {
        s = cancelled ? null : upstream;
      }
      if (s != null) {
        s.request(1);
      }
    }

    void cancel() {
      Subscription s;
      synchronized (this) {
        cancelled = true;
        s = upstream;
      }
      if (s != null) {
        s.cancel();
      }
    }
  }
}
