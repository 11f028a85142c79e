package dev.sluice.testbrokers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

@ExtendWith(KinesisEmulatorExtension.class)
@DisplayName("The Kinesis emulator and the DynamoDB emulator")
class KinesisEmulatorIT {

  private static KinesisClient kinesisClient;
  private static DynamoDbClient dynamoClient;

  @BeforeAll
  static void connect(KinesisEmulator kinesis, DynamoDbEmulator dynamo) {
    System.out.printf(
        "kinesis-local started in %d ms, the DynamoDB emulator in %d ms%n",
        kinesis.startTime().toMillis(), dynamo.startTime().toMillis());
    kinesisClient =
        KinesisClient.builder()
            .endpointOverride(kinesis.endpoint())
            .region(Region.of(kinesis.region()))
            .credentialsProvider(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(kinesis.accessKeyId(), kinesis.secretAccessKey())))
            .httpClientBuilder(UrlConnectionHttpClient.builder())
            .build();
    dynamoClient = dynamoClient(dynamo);
  }

  private static DynamoDbClient dynamoClient(DynamoDbEmulator dynamo) {
    return DynamoDbClient.builder()
        .endpointOverride(dynamo.endpoint())
        .region(Region.of(dynamo.region()))
        .credentialsProvider(
            StaticCredentialsProvider.create(
                AwsBasicCredentials.create(dynamo.accessKeyId(), dynamo.secretAccessKey())))
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .build();
  }

  @AfterAll
  static void disconnect() {
    kinesisClient.close();
    dynamoClient.close();
  }

  @Test
  @DisplayName("a stream gives back, per shard and in order, the records put into it")
  void streamRoundTrip() {
    String stream = "emulator-round-trip";
    kinesisClient.createStream(b -> b.streamName(stream).shardCount(2));
    awaitActive(stream);

    List<String> sent = new ArrayList<>();
    Map<String, String> shardOfValue = new HashMap<>();
    for (int i = 0; i < 20; i++) {
      String value = "value-" + i;
      String key = "key-" + (i % 5);
      PutRecordResponse put =
          kinesisClient.putRecord(
              b ->
                  b.streamName(stream)
                      .partitionKey(key)
                      .data(SdkBytes.fromString(value, StandardCharsets.UTF_8)));
      sent.add(value);
      shardOfValue.put(value, put.shardId());
    }

    List<Shard> shards = kinesisClient.listShards(b -> b.streamName(stream)).shards();
    assertThat(shards).hasSize(2);
    List<String> received = new ArrayList<>();
    for (Shard shard : shards) {
      List<String> fromShard = readAll(stream, shard.shardId());
      List<String> expected =
          sent.stream()
              .filter(v -> shardOfValue.get(v).equals(shard.shardId()))
              .collect(Collectors.toList());
      assertThat(fromShard).as("records of %s in put order", shard.shardId()).isEqualTo(expected);
      received.addAll(fromShard);
    }
    assertThat(received).containsExactlyInAnyOrderElementsOf(sent);
  }

  // Not the SDK's waiter: it sleeps 10 s after seeing CREATING, and the emulator needs ~50 ms.
  private static void awaitActive(String stream) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (kinesisClient
            .describeStreamSummary(b -> b.streamName(stream))
            .streamDescriptionSummary()
            .streamStatus()
        != StreamStatus.ACTIVE) {
      assertThat(System.nanoTime()).as("stream %s ACTIVE within 10 s", stream).isLessThan(deadline);
      sleep(Duration.ofMillis(20));
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private List<String> readAll(String stream, String shardId) {
    String iterator =
        kinesisClient
            .getShardIterator(
                b ->
                    b.streamName(stream)
                        .shardId(shardId)
                        .shardIteratorType(ShardIteratorType.TRIM_HORIZON))
            .shardIterator();
    List<String> values = new ArrayList<>();
    while (true) {
      String current = iterator;
      GetRecordsResponse response = kinesisClient.getRecords(b -> b.shardIterator(current));
      for (Record record : response.records()) {
        values.add(record.data().asUtf8String());
      }
      if (response.records().isEmpty() || response.millisBehindLatest() == 0) {
        return values;
      }
      iterator = response.nextShardIterator();
    }
  }

  @Test
  @DisplayName("a DynamoDB table stores and returns an item")
  void tableRoundTrip() {
    String table = "emulator-round-trip";
    createTable(table);
    dynamoClient.putItem(
        b ->
            b.tableName(table)
                .item(
                    Map.of(
                        "leaseKey", AttributeValue.fromS("shardId-000000000000"),
                        "checkpoint",
                            AttributeValue.fromS(
                                "49590338271490256608559692538361571095921575989136588898"))));

    Map<String, AttributeValue> item =
        dynamoClient
            .getItem(
                b ->
                    b.tableName(table)
                        .consistentRead(true)
                        .key(Map.of("leaseKey", AttributeValue.fromS("shardId-000000000000"))))
            .item();

    assertThat(item.get("checkpoint").s())
        .isEqualTo("49590338271490256608559692538361571095921575989136588898");
  }

  private static void createTable(String table) {
    dynamoClient.createTable(
        b ->
            b.tableName(table)
                .keySchema(
                    KeySchemaElement.builder()
                        .attributeName("leaseKey")
                        .keyType(KeyType.HASH)
                        .build())
                .attributeDefinitions(
                    AttributeDefinition.builder()
                        .attributeName("leaseKey")
                        .attributeType(ScalarAttributeType.S)
                        .build())
                .billingMode(BillingMode.PAY_PER_REQUEST));
    // As on AWS, a new table is CREATING for a moment (dynalite: 50 ms), and writes to it fail
    // with ResourceNotFoundException until it is ACTIVE.
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (dynamoClient.describeTable(b -> b.tableName(table)).table().tableStatus()
        != TableStatus.ACTIVE) {
      assertThat(System.nanoTime()).as("table %s ACTIVE within 10 s", table).isLessThan(deadline);
      sleep(Duration.ofMillis(20));
    }
  }

  @Test
  @DisplayName(
      "a persistent DynamoDB emulator (dynalite) keeps its tables across a restart on the same port")
  void dynamoRestart(@TempDir Path dir) {
    try (DynamoDbEmulator dynamo = DynamoDbEmulator.startPersistent(dir);
        DynamoDbClient client = dynamoClient(dynamo)) {
      client.createTable(
          b ->
              b.tableName("survives-restart")
                  .keySchema(
                      KeySchemaElement.builder().attributeName("k").keyType(KeyType.HASH).build())
                  .attributeDefinitions(
                      AttributeDefinition.builder()
                          .attributeName("k")
                          .attributeType(ScalarAttributeType.S)
                          .build())
                  .billingMode(BillingMode.PAY_PER_REQUEST));

      long stopStarted = System.nanoTime();
      dynamo.stop();
      long stopMillis = (System.nanoTime() - stopStarted) / 1_000_000;
      assertThat(LoopbackPorts.accepts(dynamo.endpoint().getPort(), Duration.ofMillis(500)))
          .as("the DynamoDB emulator accepts connections while stopped")
          .isFalse();

      dynamo.start();
      System.out.printf(
          "the DynamoDB emulator stopped in %d ms, started again in %d ms%n",
          stopMillis, dynamo.startTime().toMillis());
      assertThat(client.listTables().tableNames()).containsExactly("survives-restart");
      assertThat(dynamo.startTime()).isLessThan(Duration.ofSeconds(10));
    }
  }

  @Test
  @DisplayName(
      "a client that dies in the middle of a request (a KCL worker killed with kill -9) does not"
          + " stop the DynamoDB emulator")
  void survivesARequestCutShort(@TempDir Path dir) throws Exception {
    try (DynamoDbEmulator dynamo = DynamoDbEmulator.startPersistent(dir);
        DynamoDbClient client = dynamoClient(dynamo)) {
      assertThat(client.listTables().tableNames()).isEmpty();
      try (Socket socket = new Socket("127.0.0.1", dynamo.endpoint().getPort())) {
        OutputStream out = socket.getOutputStream();
        out.write(
            ("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.0\r\n"
                    + "X-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 1000\r\n\r\n{\"Li")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        socket.setSoLinger(true, 0); // closed with a reset, as the kernel does for a killed JVM
      }
      // Dynalite throws the request's 'aborted' error from its handler, which used to end the
      // process a moment later; so it must still answer for a while, not just once.
      long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
      while (System.nanoTime() < until) {
        assertThat(dynamo.isRunning()).as("the DynamoDB emulator's process is alive").isTrue();
        assertThat(client.listTables().tableNames()).isEmpty();
        Thread.sleep(100);
      }
    }
  }
}
