package dev.sluice.kinesis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.ErrorCode;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Kinesis configuration")
class KinesisSettingsTest {

  @Test
  @DisplayName("a missing region fails INVALID_CONFIG and says which key to set")
  void missingRegion() {
    assertThatThrownBy(() -> Sluice.open(Map.of("sluice.backend", "kinesis")))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
        .hasMessageContaining("sluice.kinesis.region");
  }

  @Test
  @DisplayName("a misspelled key gets a did-you-mean hint")
  void didYouMean() {
    Map<String, String> config = new HashMap<>(base());
    config.put("sluice.kinesis.regoin", "us-east-1");
    assertThatThrownBy(() -> Sluice.open(config))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
        .hasMessageContaining("did you mean 'sluice.kinesis.region'");
    Map<String, String> other = new HashMap<>(base());
    other.put("sluice.kinesis.poll.intervall.ms", "100");
    assertThatThrownBy(() -> Sluice.open(other))
        .hasMessageContaining("did you mean 'sluice.kinesis.poll.interval.ms'");
  }

  @Test
  @DisplayName(
      "http.protocol takes http2 or http1.1, and refuses http1.1 with fan-out, which needs HTTP/2")
  void httpProtocol() {
    Map<String, String> http1 = new HashMap<>(base());
    http1.put("sluice.kinesis.http.protocol", "http1.1");
    Sluice.open(http1).close();
    Map<String, String> fanout = new HashMap<>(http1);
    fanout.put("sluice.kinesis.consumer.type", "fanout");
    assertThatThrownBy(() -> Sluice.open(fanout))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
        .hasMessageContaining("SubscribeToShard needs HTTP/2");
    Map<String, String> bogus = new HashMap<>(base());
    bogus.put("sluice.kinesis.http.protocol", "spdy");
    assertThatThrownBy(() -> Sluice.open(bogus))
        .hasMessageContaining("must be 'http2' or 'http1.1'");
  }

  @Test
  @DisplayName(
      "no connection from the SDK's pool in time (an unreachable endpoint) is UNAVAILABLE, not TIMEOUT")
  void acquireTimeoutIsUnavailable() {
    SluiceException e =
        KinesisErrors.translate(
            software.amazon.awssdk.core.exception.SdkClientException.create(
                "Unable to execute HTTP request: Acquire operation took longer than the configured"
                    + " maximum time.",
                new Throwable(
                    "Acquire operation took longer than the configured maximum time. This"
                        + " indicates that a request cannot get a connection from the pool")));
    assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(e.isRetryable()).isTrue();
  }

  @Test
  @DisplayName("the typed options produce exactly the keys the backend reads")
  void optionsProduceKnownKeys() {
    Map<String, String> map =
        KinesisOptions.builder()
            .region("eu-west-1")
            .endpoint(URI.create("http://127.0.0.1:4567"))
            .dynamoDbEndpoint(URI.create("http://127.0.0.1:8000"))
            .staticCredentials("AKIDEXAMPLE", "secret")
            .leaseTablePrefix("svc-")
            .consumerType(KinesisOptions.ConsumerType.POLLING)
            .pollInterval(Duration.ofMillis(250))
            .maxBatchRecords(500)
            .linger(Duration.ofMillis(3))
            .deliveryTimeout(Duration.ofSeconds(30))
            .retryBackoff(Duration.ofMillis(50), Duration.ofSeconds(1))
            .bufferMaxBytes(8 << 20)
            .shutdownTimeout(Duration.ofSeconds(5))
            .fastGroupTimingsForTests()
            .build()
            .toMap();
    for (String key : map.keySet()) {
      if (!key.equals("sluice.backend")) {
        assertThat(KinesisSettings.KEYS).contains(key);
      }
    }
    KinesisSettings settings = KinesisSettings.parse(map);
    assertThat(settings.region).isEqualTo("eu-west-1");
    assertThat(settings.leaseTable("orders")).isEqualTo("svc-orders");
    assertThat(settings.pollInterval).isEqualTo(Duration.ofMillis(250));
    assertThat(settings.failoverTime).isEqualTo(Duration.ofSeconds(2));
    assertThat(KinesisOptions.builder().staticCredentials("id", "very-secret").build().toString())
        .doesNotContain("very-secret");
  }

  @Test
  @DisplayName("contradictory or malformed values fail with clear messages")
  void badValues() {
    assertInvalid(
        "sluice.kinesis.credentials",
        "static",
        "secret is missing",
        "sluice.kinesis.access.key.id",
        "id");
    assertInvalid("sluice.kinesis.consumer.type", "push", "'polling' or 'fanout'", null, null);
    assertInvalid("sluice.kinesis.linger.ms", "soon", "whole number", null, null);
    assertInvalid("sluice.kinesis.max.batch.records", "20000", "between 1 and 10000", null, null);
    assertInvalid("sluice.kinesis.endpoint", "localhost", "must be a URL", null, null);
  }

  private static void assertInvalid(
      String key, String value, String message, String key2, String value2) {
    Map<String, String> config = new HashMap<>(base());
    config.put(key, value);
    if (key2 != null) {
      config.put(key2, value2);
    }
    assertThatThrownBy(() -> KinesisSettings.parse(config))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
        .hasMessageContaining(message);
  }

  private static Map<String, String> base() {
    return Map.of("sluice.backend", "kinesis", "sluice.kinesis.region", "us-east-1");
  }
}
