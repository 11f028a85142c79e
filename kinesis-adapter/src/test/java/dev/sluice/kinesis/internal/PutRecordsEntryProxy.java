package dev.sluice.kinesis.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import dev.sluice.testbrokers.KinesisFaultProxy;
import dev.sluice.testbrokers.KinesisFaultProxy.Answer;
import dev.sluice.testbrokers.KinesisFaultProxy.Upstream;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A loopback HTTP/1.1 proxy in front of the Kinesis emulator that fails chosen entries of a {@code
 * PutRecords} call the way Kinesis does: the call succeeds, the chosen entries are not stored and
 * their results carry an {@code ErrorCode}, the others are stored by the emulator and keep their
 * shard and sequence number. It decodes the SDK's CBOR request, forwards only the entries it lets
 * through and merges the emulator's answer back into one result per entry, in order. Every other
 * call is forwarded as it is. (The emulator does not check request signatures, so the rewritten
 * body goes through.) The HTTP side is {@link KinesisFaultProxy}'s, through its {@code rewrite}.
 *
 * <p>Clients must use HTTP/1.1 through it ({@code sluice.kinesis.http.protocol=http1.1}).
 */
final class PutRecordsEntryProxy implements AutoCloseable {
  /** Decides the fate of each entry of a {@code PutRecords} call. */
  @FunctionalInterface
  interface EntryFaults {
    /**
     * @param call the 1-based number of the PutRecords call
     * @param index the entry's index in the call
     * @param entries how many entries the call has
     * @param partitionKey the entry's partition key (an aggregate's is its first record's)
     * @return the error code to answer the entry with ({@link KinesisFaultProxy#THROTTLED}, {@link
     *     KinesisFaultProxy#INTERNAL_FAILURE}), or null to store it
     */
    @Nullable String errorFor(int call, int index, int entries, String partitionKey);
  }

  /** What happened to one entry: whether it was a KPL aggregate, and its injected error. */
  record Entry(int call, boolean aggregated, @Nullable String error) {}

  private static final byte[] KPL_MAGIC = {(byte) 0xF3, (byte) 0x89, (byte) 0x9A, (byte) 0xC2};
  private static final CBORMapper CBOR = new CBORMapper();

  private final KinesisFaultProxy proxy;
  private final EntryFaults faults;
  private final AtomicInteger putRecordsCalls = new AtomicInteger();
  private final List<Entry> entries = new CopyOnWriteArrayList<>();

  PutRecordsEntryProxy(URI target, EntryFaults faults) throws IOException {
    this.faults = faults;
    this.proxy = new KinesisFaultProxy(target).rewrite("PutRecords", this::putRecords);
  }

  URI endpoint() {
    return proxy.endpoint();
  }

  /** PutRecords calls that reached the proxy. */
  int putRecordsCalls() {
    return putRecordsCalls.get();
  }

  /** Every PutRecords entry seen so far, in arrival order per call. */
  List<Entry> entries() {
    return List.copyOf(entries);
  }

  private Answer putRecords(byte[] body, Upstream emulator) throws IOException {
    int call = putRecordsCalls.incrementAndGet();
    ObjectNode request = (ObjectNode) CBOR.readTree(body);
    ArrayNode records = (ArrayNode) request.get("Records");
    int n = records.size();
    String[] errors = new String[n];
    ArrayNode kept = CBOR.createArrayNode();
    for (int i = 0; i < n; i++) {
      errors[i] = faults.errorFor(call, i, n, records.get(i).get("PartitionKey").asText());
      byte[] data = records.get(i).get("Data").binaryValue();
      boolean aggregated = data.length >= 4 && Arrays.equals(Arrays.copyOf(data, 4), KPL_MAGIC);
      entries.add(new Entry(call, aggregated, errors[i]));
      if (errors[i] == null) {
        kept.add(records.get(i));
      }
    }
    List<JsonNode> stored = new ArrayList<>();
    String responseHead = "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-cbor-1.1\r\n";
    if (!kept.isEmpty()) {
      request.set("Records", kept);
      Answer r = emulator.call(CBOR.writeValueAsBytes(request));
      if (!r.ok()) {
        return r; // the emulator refused the call: the caller sees that
      }
      responseHead = r.head();
      CBOR.readTree(r.body()).get("Records").forEach(stored::add);
    }
    ObjectNode response = CBOR.createObjectNode();
    ArrayNode results = response.putArray("Records");
    int failed = 0;
    int next = 0;
    for (int i = 0; i < n; i++) {
      if (errors[i] == null) {
        JsonNode result = stored.get(next++);
        if (result.hasNonNull("ErrorCode")) {
          failed++;
        }
        results.add(result);
      } else {
        failed++;
        results
            .addObject()
            .put("ErrorCode", errors[i])
            .put("ErrorMessage", errors[i] + " (injected by the test proxy for this entry)");
      }
    }
    response.put("FailedRecordCount", failed);
    return new Answer(responseHead, CBOR.writeValueAsBytes(response));
  }

  @Override
  public void close() throws IOException {
    proxy.close();
  }
}
