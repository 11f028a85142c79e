package dev.sluice.memory;

import dev.sluice.Shard;
import dev.sluice.StreamAdmin;
import dev.sluice.StreamDescription;
import dev.sluice.StreamSpec;
import java.time.Duration;
import java.util.List;

/** Admin for memory streams: every operation takes effect at once. */
final class MemoryAdmin implements StreamAdmin {
  private final MemoryBroker broker;

  MemoryAdmin(MemoryBroker broker) {
    this.broker = broker;
  }

  @Override
  public void createStream(String stream, StreamSpec spec) {
    broker.create(stream, spec);
  }

  @Override
  public StreamDescription describeStream(String stream) {
    return broker.stream(stream).describe();
  }

  @Override
  public boolean exists(String stream) {
    return broker.exists(stream);
  }

  @Override
  public List<String> listStreams() {
    return broker.names();
  }

  @Override
  public void deleteStream(String stream) {
    broker.delete(stream);
  }

  @Override
  public void setShardCount(String stream, int shards) {
    broker.stream(stream).setShardCount(shards);
  }

  @Override
  public void setRetention(String stream, Duration retention) {
    broker.stream(stream).setRetention(retention);
  }

  @Override
  public void splitShard(String stream, Shard shard) {
    broker.stream(stream).split(shard);
  }

  @Override
  public void mergeShards(String stream, Shard first, Shard second) {
    broker.stream(stream).merge(first, second);
  }
}
