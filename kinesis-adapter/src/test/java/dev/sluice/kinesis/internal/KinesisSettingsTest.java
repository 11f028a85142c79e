package dev.sluice.kinesis.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.ErrorCode;
import dev.sluice.Sluice;
import dev.sluice.SluiceException;
import dev.sluice.kinesis.KinesisOptions;
import dev.sluice.kinesis.KinesisOptions.ConsumerType;
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
      "a Kinesis endpoint without a DynamoDB endpoint (or the reverse) is refused at open, naming"
          + " both keys, unless allow.split.endpoints=true says it is meant")
  void splitEndpoints() {
    Map<String, String> kinesisOnly = new HashMap<>(base());
    kinesisOnly.put("sluice.kinesis.endpoint", "http://127.0.0.1:4567");
    Map<String, String> dynamoOnly = new HashMap<>(base());
    dynamoOnly.put("sluice.kinesis.dynamodb.endpoint", "http://127.0.0.1:8000");
    for (Map<String, String> config : java.util.List.of(kinesisOnly, dynamoOnly)) {
      assertThatThrownBy(() -> Sluice.open(config))
          .isInstanceOfSatisfying(
              SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
          .hasMessageContaining("sluice.kinesis.endpoint")
          .hasMessageContaining("sluice.kinesis.dynamodb.endpoint")
          .hasMessageContaining("sluice.kinesis.allow.split.endpoints=true");
      Map<String, String> allowed = new HashMap<>(config);
      allowed.put("sluice.kinesis.allow.split.endpoints", "true");
      Sluice.open(allowed).close();
    }
    assertThatThrownBy(() -> Sluice.open(kinesisOnly))
        .hasMessageContaining("is set but sluice.kinesis.dynamodb.endpoint is not");
    assertThatThrownBy(() -> Sluice.open(dynamoOnly))
        .hasMessageContaining("is set but sluice.kinesis.endpoint is not");

    Map<String, String> both = new HashMap<>(kinesisOnly);
    both.put("sluice.kinesis.dynamodb.endpoint", "http://127.0.0.1:8000");
    Sluice.open(both).close();
    Map<String, String> explicitNo = new HashMap<>(kinesisOnly);
    explicitNo.put("sluice.kinesis.allow.split.endpoints", "false");
    assertThatThrownBy(() -> Sluice.open(explicitNo))
        .hasMessageContaining("sluice.kinesis.dynamodb.endpoint");
    Map<String, String> bogus = new HashMap<>(kinesisOnly);
    bogus.put("sluice.kinesis.allow.split.endpoints", "yes");
    assertThatThrownBy(() -> Sluice.open(bogus))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
        .hasMessageContaining("sluice.kinesis.allow.split.endpoints must be 'true' or 'false'");
  }

  @Test
  @DisplayName(
      "an unknown region fails at open with a did-you-mean hint; with a custom endpoint any region"
          + " goes")
  void unknownRegion() {
    Map<String, String> typo = new HashMap<>(base());
    typo.put("sluice.kinesis.region", "us-esat-1");
    assertThatThrownBy(() -> Sluice.open(typo))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
        .hasMessageContaining("unknown region 'us-esat-1', did you mean 'us-east-1'?")
        .hasMessageContaining("sluice.kinesis.region");
    Map<String, String> upper = new HashMap<>(base());
    upper.put("sluice.kinesis.region", "EU-WEST-1");
    assertThatThrownBy(() -> Sluice.open(upper))
        .hasMessageContaining("unknown region 'EU-WEST-1', did you mean 'eu-west-1'?");
    Map<String, String> far = new HashMap<>(base());
    far.put("sluice.kinesis.region", "mars");
    assertThatThrownBy(() -> Sluice.open(far))
        .isInstanceOfSatisfying(
            SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
        .hasMessageContaining("unknown region 'mars'")
        .hasMessageNotContaining("did you mean");

    for (String known : new String[] {"eu-west-1", "ap-southeast-2", "us-gov-west-1"}) {
      Map<String, String> config = new HashMap<>(base());
      config.put("sluice.kinesis.region", known);
      Sluice.open(config).close();
    }
    Map<String, String> emulator = new HashMap<>(base());
    emulator.put("sluice.kinesis.region", "local");
    emulator.put("sluice.kinesis.endpoint", "http://127.0.0.1:4567");
    emulator.put("sluice.kinesis.dynamodb.endpoint", "http://127.0.0.1:8000");
    Sluice.open(emulator).close();

    // Kinesis on an emulator, leases in AWS DynamoDB, as allowed: open accepts any region, but a
    // group consumer, which needs DynamoDB, is refused one AWS does not know.
    Map<String, String> split = new HashMap<>(base());
    split.put("sluice.kinesis.region", "local");
    split.put("sluice.kinesis.endpoint", "http://127.0.0.1:4567");
    split.put("sluice.kinesis.allow.split.endpoints", "true");
    try (Sluice sluice = Sluice.open(split)) {
      assertThatThrownBy(() -> sluice.consumer("orders").group("billing").start(r -> {}))
          .isInstanceOfSatisfying(
              SluiceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
          .hasMessageContaining("unknown region 'local'")
          .hasMessageContaining("sluice.kinesis.dynamodb.endpoint is not set");
    }
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
            .allowSplitEndpoints()
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
    Map<String, String> kinesisOnly =
        KinesisOptions.builder()
            .region("local")
            .endpoint(URI.create("http://127.0.0.1:4567"))
            .allowSplitEndpoints()
            .build()
            .toMap();
    assertThat(kinesisOnly).containsEntry("sluice.kinesis.allow.split.endpoints", "true");
    assertThat(KinesisSettings.parse(kinesisOnly).endpoint).hasPort(4567);
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
    assertInvalid("sluice.kinesis.consumer.name", "my app", "stream consumer name", null, null);
  }

  @Test
  @DisplayName(
      "a fan-out consumer without a group registers the configured name, else a fresh one each")
  void fanOutConsumerNames() {
    KinesisSettings unnamed =
        KinesisSettings.parse(
            KinesisOptions.builder()
                .region("us-east-1")
                .consumerType(ConsumerType.FANOUT)
                .build()
                .toMap());
    String first = FanOutRegistration.standaloneName(unnamed, "sluice-consumer-7 (orders)");
    assertThat(first).matches("sluice-sluice-consumer-7--orders--[0-9a-f]{8}");
    assertThat(FanOutRegistration.standaloneName(unnamed, "sluice-consumer-7 (orders)"))
        .isNotEqualTo(first);
    KinesisSettings named =
        KinesisSettings.parse(
            KinesisOptions.builder()
                .region("us-east-1")
                .consumerType(ConsumerType.FANOUT)
                .consumerName("orders-audit")
                .build()
                .toMap());
    assertThat(FanOutRegistration.standaloneName(named, "any")).isEqualTo("orders-audit");
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
