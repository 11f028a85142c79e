package dev.sluice.kinesis.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
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
 * body goes through.) {@code KinesisFaultProxy}, which relays bytes, can only fail whole calls.
 *
 * <p>Clients must use HTTP/1.1 through it ({@code sluice.kinesis.http.protocol=http1.1}).
 */
final class PutRecordsEntryProxy implements AutoCloseable {
  static final String THROTTLED = "ProvisionedThroughputExceededException";
  static final String INTERNAL_FAILURE = "InternalFailure";

  /** Decides the fate of each entry of a {@code PutRecords} call. */
  @FunctionalInterface
  interface EntryFaults {
    /**
     * @param call the 1-based number of the PutRecords call
     * @param index the entry's index in the call
     * @param entries how many entries the call has
     * @param partitionKey the entry's partition key (an aggregate's is its first record's)
     * @return the error code to answer the entry with, or null to store it
     */
    @Nullable String errorFor(int call, int index, int entries, String partitionKey);
  }

  /** What happened to one entry: whether it was a KPL aggregate, and its injected error. */
  record Entry(int call, boolean aggregated, @Nullable String error) {}

  private static final byte[] KPL_MAGIC = {(byte) 0xF3, (byte) 0x89, (byte) 0x9A, (byte) 0xC2};
  private static final CBORMapper CBOR = new CBORMapper();

  private final ServerSocket server;
  private final URI target;
  private final EntryFaults faults;
  private final AtomicInteger putRecordsCalls = new AtomicInteger();
  private final List<Entry> entries = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  PutRecordsEntryProxy(URI target, EntryFaults faults) throws IOException {
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.target = target;
    this.faults = faults;
    Thread acceptor = new Thread(this::accept, "putrecords-entry-proxy");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getLocalPort());
  }

  /** PutRecords calls that reached the proxy. */
  int putRecordsCalls() {
    return putRecordsCalls.get();
  }

  /** Every PutRecords entry seen so far, in arrival order per call. */
  List<Entry> entries() {
    return List.copyOf(entries);
  }

  private void accept() {
    while (!closed) {
      try {
        Socket client = server.accept();
        Thread t = new Thread(() -> serve(client), "putrecords-entry-proxy-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket client) {
    try (client;
        InputStream in = client.getInputStream();
        OutputStream out = client.getOutputStream()) {
      while (!closed) {
        String head = readHead(in);
        if (head == null) {
          return;
        }
        byte[] body = in.readNBytes(contentLength(head));
        String amzTarget = header(head, "x-amz-target");
        if (amzTarget != null && amzTarget.endsWith(".PutRecords")) {
          putRecords(head, body, out);
        } else {
          Response r = forward(head, body);
          write(out, r.head, r.body);
        }
      }
    } catch (IOException e) {
      // The client went away.
    }
  }

  private void putRecords(String head, byte[] body, OutputStream out) throws IOException {
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
      Response r = forward(head, CBOR.writeValueAsBytes(request));
      if (!r.head.startsWith("HTTP/1.1 200")) {
        write(out, r.head, r.body); // the emulator refused the call: the caller sees that
        return;
      }
      responseHead = r.head;
      CBOR.readTree(r.body).get("Records").forEach(stored::add);
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
    write(out, responseHead, CBOR.writeValueAsBytes(response));
  }

  private record Response(String head, byte[] body) {}

  /** Sends a request to the emulator with {@code body}, on a new connection; reads the answer. */
  private Response forward(String head, byte[] body) throws IOException {
    try (Socket upstream = new Socket(target.getHost(), target.getPort());
        InputStream uin = upstream.getInputStream();
        OutputStream uout = upstream.getOutputStream()) {
      uout.write(withContentLength(head, body.length).getBytes(StandardCharsets.ISO_8859_1));
      uout.write(body);
      uout.flush();
      String responseHead = readHead(uin);
      if (responseHead == null) {
        throw new IOException("The emulator closed the connection");
      }
      String encoding = header(responseHead, "transfer-encoding");
      byte[] responseBody =
          encoding != null && encoding.toLowerCase(Locale.ROOT).contains("chunked")
              ? readChunked(uin)
              : uin.readNBytes(contentLength(responseHead));
      return new Response(responseHead, responseBody);
    }
  }

  /** Writes a response with its body's length, whatever framing the emulator used. */
  private static void write(OutputStream out, String head, byte[] body) throws IOException {
    out.write(withContentLength(head, body.length).getBytes(StandardCharsets.ISO_8859_1));
    out.write(body);
    out.flush();
  }

  /** The head without its framing headers and checksums, with {@code Content-Length: length}. */
  private static String withContentLength(String head, int length) {
    StringBuilder b = new StringBuilder();
    for (String line : head.split("\r\n")) {
      String lower = line.toLowerCase(Locale.ROOT);
      if (line.isEmpty()
          || lower.startsWith("content-length:")
          || lower.startsWith("transfer-encoding:")
          || lower.startsWith("x-amz-crc32:")) {
        continue;
      }
      b.append(line).append("\r\n");
    }
    return b.append("Content-Length: ").append(length).append("\r\n\r\n").toString();
  }

  private static byte[] readChunked(InputStream in) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      int size = Integer.parseInt(readLine(in).split(";")[0].trim(), 16);
      if (size == 0) {
        while (!readLine(in).isEmpty()) {
          // Trailers, up to the empty line.
        }
        return body.toByteArray();
      }
      body.write(in.readNBytes(size));
      in.readNBytes(2);
    }
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1 && b != '\n') {
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(StandardCharsets.ISO_8859_1);
  }

  /** The request or status line and headers, through the empty line; null at end of stream. */
  private static @Nullable String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    int b;
    while ((b = in.read()) != -1) {
      head.write(b);
      matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
      if (matched == 4) {
        return head.toString(StandardCharsets.ISO_8859_1);
      }
    }
    return null;
  }

  private static int contentLength(String head) {
    String value = header(head, "content-length");
    return value == null ? 0 : Integer.parseInt(value.trim());
  }

  private static @Nullable String header(String head, String name) {
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
        return line.substring(colon + 1).trim();
      }
    }
    return null;
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
  }
}
