package dev.sluice.spi;

import java.util.Objects;

/** What a producer driver is made for. */
public final class ProducerSpec {
  private final String stream;
  private final String clientId;

  /**
   * What a producer driver is made for.
   *
   * @param stream the stream to write to
   * @param clientId a name unique in this JVM, for the native client's logs and metrics
   */
  public ProducerSpec(String stream, String clientId) {
    this.stream = Objects.requireNonNull(stream, "stream");
    this.clientId = Objects.requireNonNull(clientId, "clientId");
  }

  /**
   * The stream to write to.
   *
   * @return the stream's name
   */
  public String stream() {
    return stream;
  }

  /**
   * A name unique in this JVM, for the native client's logs and metrics.
   *
   * @return a name unique in this JVM, for the native client's logs and metrics
   */
  public String clientId() {
    return clientId;
  }
}
