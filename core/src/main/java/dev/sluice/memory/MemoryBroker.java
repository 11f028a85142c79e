package dev.sluice.memory;

import dev.sluice.ErrorCode;
import dev.sluice.SluiceException;
import dev.sluice.StreamSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The streams of one namespace. Lives as long as the JVM. */
final class MemoryBroker {
  private static final Map<String, MemoryBroker> NAMESPACES = new ConcurrentHashMap<>();

  private final String namespace;
  private final Map<String, MemoryStream> streams = new ConcurrentHashMap<>();

  /** The epoch of each transactional identity: a new writer with the id fences older ones. */
  private final Map<String, java.util.concurrent.atomic.AtomicLong> epochs =
      new ConcurrentHashMap<>();

  private MemoryBroker(String namespace) {
    this.namespace = namespace;
  }

  static MemoryBroker forNamespace(String namespace) {
    return NAMESPACES.computeIfAbsent(namespace, MemoryBroker::new);
  }

  MemoryStream create(String name, StreamSpec spec) {
    MemoryStream stream =
        new MemoryStream(name, spec.shards(), spec.retention(), spec.cleanupPolicy());
    if (streams.putIfAbsent(name, stream) != null) {
      throw new SluiceException(
          ErrorCode.ALREADY_EXISTS,
          "Stream '" + name + "' already exists in memory namespace '" + namespace + "'");
    }
    return stream;
  }

  /** The stream, or a {@code NOT_FOUND} error. */
  MemoryStream stream(String name) {
    MemoryStream stream = streams.get(name);
    if (stream == null) {
      throw notFound(name);
    }
    return stream;
  }

  /** Takes over a transactional identity; returns the new epoch. */
  long fence(String transactionalId) {
    return epochs
        .computeIfAbsent(transactionalId, id -> new java.util.concurrent.atomic.AtomicLong())
        .incrementAndGet();
  }

  /** True if {@code epoch} is still the newest of {@code transactionalId}. */
  boolean holds(String transactionalId, long epoch) {
    return epochs.get(transactionalId).get() == epoch;
  }

  boolean exists(String name) {
    return streams.containsKey(name);
  }

  void delete(String name) {
    MemoryStream stream = streams.remove(name);
    if (stream == null) {
      throw notFound(name);
    }
    stream.markDeleted();
  }

  List<String> names() {
    List<String> names = new ArrayList<>(streams.keySet());
    Collections.sort(names);
    return names;
  }

  SluiceException notFound(String name) {
    return new SluiceException(
        ErrorCode.NOT_FOUND,
        "Stream '" + name + "' does not exist in memory namespace '" + namespace + "'");
  }
}
