package dev.sluice.kinesis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.HashKeyRange;
import dev.sluice.Shard;
import dev.sluice.spi.HashRouting;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Keys and partition keys")
class PartitionKeysTest {

  @Test
  @DisplayName("printable UTF-8 keys are used as they are")
  void plainKeys() {
    for (String key : List.of("user-42", "ünïcödé ✓", "a", "x".repeat(188))) {
      byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
      assertThat(PartitionKeys.toPartitionKey(bytes)).isEqualTo(key);
      assertThat(PartitionKeys.fromPartitionKey(key)).isEqualTo(bytes);
    }
  }

  @Test
  @DisplayName("binary, empty, control-character and '~' keys are base64url with a prefix")
  void encodedKeys() {
    byte[][] keys = {
      {},
      {0, 1, 2},
      {(byte) 0xFF, (byte) 0xFE},
      "tab\there".getBytes(StandardCharsets.UTF_8),
      "~b64:AAAA".getBytes(StandardCharsets.UTF_8),
      "~null".getBytes(StandardCharsets.UTF_8),
    };
    for (byte[] key : keys) {
      String partitionKey = PartitionKeys.toPartitionKey(key);
      assertThat(partitionKey).startsWith(PartitionKeys.ENCODED_PREFIX);
      assertThat(PartitionKeys.fromPartitionKey(partitionKey)).isEqualTo(key);
    }
    assertThat(PartitionKeys.toPartitionKey(new byte[] {(byte) 0xFB, (byte) 0xFF}))
        .isEqualTo("~b64:-_8");
  }

  @Test
  @DisplayName("no key is ~null and reads back as none")
  void noKey() {
    assertThat(PartitionKeys.toPartitionKey(null)).isEqualTo("~null");
    assertThat(PartitionKeys.fromPartitionKey("~null")).isNull();
  }

  @Test
  @DisplayName("every key up to maxKeyBytes maps to at most 256 characters and back")
  void longestKeys() {
    Random random = new Random(7);
    for (int length = 0; length <= PartitionKeys.MAX_KEY_BYTES; length++) {
      byte[] key = new byte[length];
      random.nextBytes(key);
      String partitionKey = PartitionKeys.toPartitionKey(key);
      assertThat(partitionKey.length()).isLessThanOrEqualTo(256);
      assertThat(PartitionKeys.fromPartitionKey(partitionKey)).isEqualTo(key);
    }
    byte[] tooLong = new byte[PartitionKeys.MAX_KEY_BYTES + 1];
    tooLong[0] = (byte) 0xFF;
    assertThat(PartitionKeys.toPartitionKey(tooLong).length()).isGreaterThan(256);
  }

  @Test
  @DisplayName("other producers' keys read as their UTF-8 bytes, even odd ones starting with ~")
  void foreignKeys() {
    assertThat(PartitionKeys.fromPartitionKey("~b64:not base64!"))
        .isEqualTo("~b64:not base64!".getBytes(StandardCharsets.UTF_8));
    assertThat(PartitionKeys.fromPartitionKey("~tilde"))
        .isEqualTo("~tilde".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  @DisplayName("routing is MD5 of the partition key's UTF-8 bytes over the open shards' ranges")
  void routing() throws Exception {
    List<ShardMap.Entry> entries = new ArrayList<>();
    List<HashKeyRange> ranges = HashRouting.evenRanges(4);
    for (int i = 0; i < ranges.size(); i++) {
      entries.add(
          new ShardMap.Entry(Shard.of("shardId-00000000000" + (i + 2)), ranges.get(i), true));
    }
    entries.add(new ShardMap.Entry(Shard.of("shardId-000000000000"), ranges.get(0), false));
    ShardMap map = new ShardMap(entries);
    MessageDigest md5 = MessageDigest.getInstance("MD5");
    Random random = new Random(1);
    for (int i = 0; i < 1000; i++) {
      byte[] key = new byte[1 + random.nextInt(20)];
      random.nextBytes(key);
      String partitionKey = PartitionKeys.toPartitionKey(key);
      BigInteger hash =
          new BigInteger(1, md5.digest(partitionKey.getBytes(StandardCharsets.UTF_8)));
      Shard expected = null;
      for (int s = 0; s < ranges.size(); s++) {
        if (ranges.get(s).contains(hash)) {
          expected = Shard.of("shardId-00000000000" + (s + 2));
        }
      }
      assertThat(map.route(ShardMap.hashKey(partitionKey))).isEqualTo(expected);
    }
    assertThat(map.route(BigInteger.ZERO)).isEqualTo(Shard.of("shardId-000000000002"));
    assertThat(map.route(HashKeyRange.MAX)).isEqualTo(Shard.of("shardId-000000000005"));
  }
}
