package dev.sluice.testbrokers;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;

/**
 * A loopback HTTP/1.1 proxy in front of the Kinesis emulator that answers chosen calls with the
 * error Kinesis itself returns: status 400, the {@code x-amzn-ErrorType} header and the JSON body
 * {@code {"__type": ..., "message": ...}} the AWS SDK parses into the typed exception. Everything
 * else is forwarded byte for byte, over a new connection per request. The emulator never throttles
 * and its iterators never expire within a test; this makes them. It also loses acknowledgements
 * ({@link #loseAnswers}): a call stored by the emulator whose caller is told it failed.
 *
 * <p>Clients must use HTTP/1.1 through it ({@code sluice.kinesis.http.protocol=http1.1}).
 *
 * <pre>{@code
 * try (KinesisFaultProxy proxy = new KinesisFaultProxy(emulator.endpoint())) {
 *   proxy.inject("GetRecords", KinesisFaultProxy.THROTTLED, n -> n % 3 == 0);
 *   // point the client at proxy.endpoint()
 * }
 * }</pre>
 */
public final class KinesisFaultProxy implements AutoCloseable {
  /** The error a shard over its read or write limit returns. */
  public static final String THROTTLED = "ProvisionedThroughputExceededException";

  /** The error {@code GetRecords} returns for an iterator older than five minutes. */
  public static final String EXPIRED_ITERATOR = "ExpiredIteratorException";

  /** The error a lost acknowledgement is answered with ({@link #loseAnswers}). */
  public static final String INTERNAL_FAILURE = "InternalFailure";

  private final ServerSocket server;
  private final URI target;
  private final List<Fault> faults = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> injected = new ConcurrentHashMap<>();
  private final Map<String, CallRewriter> rewriters = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /**
   * A rule: calls of {@code operation} for which {@code when} holds are answered with {@code
   * errorType}; if {@code stored}, after forwarding them (the emulator stores the call, the answer
   * is lost on the way back) with a 500, else without forwarding, with a 400.
   */
  private record Fault(String operation, String errorType, IntPredicate when, boolean stored) {}

  /**
   * Starts the proxy on a free loopback port.
   *
   * @param target the emulator's plain HTTP endpoint
   * @throws IOException if no port could be bound
   */
  public KinesisFaultProxy(URI target) throws IOException {
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.target = target;
    Thread acceptor = new Thread(this::accept, "kinesis-fault-proxy");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /**
   * Answers some calls of one operation with an error instead of forwarding them. Rules are checked
   * in the order added; the first that matches answers.
   *
   * @param operation the Kinesis operation, e.g. {@code PutRecords} or {@code GetRecords}
   * @param errorType the Kinesis error name, e.g. {@link #THROTTLED} or {@link #EXPIRED_ITERATOR}
   * @param when given the 1-based number of that operation's call, whether to answer it with the
   *     error; called once per call, so it may keep state
   * @return this proxy
   */
  public KinesisFaultProxy inject(String operation, String errorType, IntPredicate when) {
    faults.add(new Fault(operation, errorType, when, false));
    return this;
  }

  /**
   * Loses the acknowledgement of some calls of one operation: each is forwarded and stored by the
   * emulator, but the caller gets {@code 500 InternalFailure} instead of the answer, as when a
   * response is lost on the way back. Counted in {@link #injected}.
   *
   * @param operation the Kinesis operation, e.g. {@code PutRecords}
   * @param when given the 1-based number of that operation's call, whether to lose its answer
   * @return this proxy
   */
  public KinesisFaultProxy loseAnswers(String operation, IntPredicate when) {
    faults.add(new Fault(operation, INTERNAL_FAILURE, when, true));
    return this;
  }

  /**
   * Hands every call of one operation to {@code rewriter}, which may change the request on its way
   * to the emulator and the answer on its way back: e.g. fail single entries of a {@code
   * PutRecords} call, which a byte-for-byte relay cannot (the AWS SDK speaks CBOR). Rules added
   * with {@link #inject} and {@link #loseAnswers} come first; the calls are counted in {@link
   * #calls} either way.
   *
   * @param operation the Kinesis operation, e.g. {@code PutRecords}
   * @param rewriter what to do with each of its calls
   * @return this proxy
   */
  public KinesisFaultProxy rewrite(String operation, CallRewriter rewriter) {
    rewriters.put(operation, rewriter);
    return this;
  }

  /** Changes one call on its way through the proxy ({@link #rewrite}). */
  @FunctionalInterface
  public interface CallRewriter {
    /**
     * Answers one call.
     *
     * @param body the request body as the client sent it
     * @param emulator sends a body of the rewriter's choice to the emulator, under the client's
     *     request head, and returns the emulator's answer
     * @return the answer the client gets
     * @throws IOException if the emulator cannot be reached
     */
    Answer rewrite(byte[] body, Upstream emulator) throws IOException;
  }

  /** The emulator behind the proxy, as a {@link CallRewriter} sees it. */
  @FunctionalInterface
  public interface Upstream {
    /**
     * Sends a request with the client's head and this body, on a new connection.
     *
     * @param body the request body to send
     * @return the emulator's answer, its body read whole
     * @throws IOException if the emulator cannot be reached or closes the connection
     */
    Answer call(byte[] body) throws IOException;
  }

  /**
   * An HTTP answer.
   *
   * @param head the status line and headers (framing headers are replaced when it is written)
   * @param body the whole body
   */
  public record Answer(String head, byte[] body) {
    /**
     * Whether the status is 200.
     *
     * @return true for {@code HTTP/1.1 200}
     */
    public boolean ok() {
      return head.startsWith("HTTP/1.1 200");
    }
  }

  /**
   * The endpoint to give the client instead of the emulator's.
   *
   * @return {@code http://127.0.0.1:<port>}
   */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getLocalPort());
  }

  /**
   * How many calls of an operation reached the proxy, answered or forwarded.
   *
   * @param operation the Kinesis operation
   * @return the count so far
   */
  public int calls(String operation) {
    return counter(calls, operation).get();
  }

  /**
   * How many calls of an operation the proxy answered with an injected error.
   *
   * @param operation the Kinesis operation
   * @return the count so far
   */
  public int injected(String operation) {
    return counter(injected, operation).get();
  }

  private static AtomicInteger counter(Map<String, AtomicInteger> counters, String operation) {
    return counters.computeIfAbsent(operation, k -> new AtomicInteger());
  }

  private void accept() {
    while (!closed) {
      try {
        Socket client = server.accept();
        Thread t = new Thread(() -> serve(client), "kinesis-fault-proxy-conn");
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
        byte[] head = readHead(in);
        if (head == null) {
          return;
        }
        String headText = new String(head, StandardCharsets.ISO_8859_1);
        byte[] body = in.readNBytes(contentLength(headText));
        String amzTarget = header(headText, "x-amz-target");
        String operation =
            amzTarget == null ? "" : amzTarget.substring(amzTarget.lastIndexOf('.') + 1);
        Fault fault = faultFor(operation);
        if (fault != null) {
          if (fault.stored()) {
            forward(head, body, OutputStream.nullOutputStream());
          }
          answer(out, fault);
          continue;
        }
        CallRewriter rewriter = rewriters.get(operation);
        if (rewriter != null) {
          Answer answer = rewriter.rewrite(body, rewritten -> exchange(headText, rewritten));
          write(out, answer.head(), answer.body());
          continue;
        }
        forward(head, body, out);
      }
    } catch (IOException e) {
      // The client went away.
    }
  }

  private Fault faultFor(String operation) {
    if (operation.isEmpty()) {
      return null;
    }
    int n = counter(calls, operation).incrementAndGet();
    for (Fault fault : faults) {
      if (fault.operation().equals(operation) && fault.when().test(n)) {
        counter(injected, operation).incrementAndGet();
        return fault;
      }
    }
    return null;
  }

  private static void answer(OutputStream out, Fault fault) throws IOException {
    String errorType = fault.errorType();
    byte[] body =
        ("{\"__type\":\""
                + errorType
                + "\",\"message\":\""
                + message(errorType)
                + " (injected by the test proxy)\"}")
            .getBytes(StandardCharsets.UTF_8);
    out.write(
        ((fault.stored()
                    ? "HTTP/1.1 500 Internal Server Error\r\n"
                    : "HTTP/1.1 400 Bad Request\r\n")
                + "x-amzn-ErrorType: "
                + errorType
                + "\r\n"
                + "x-amzn-RequestId: "
                + UUID.randomUUID()
                + "\r\n"
                + "Content-Type: application/x-amz-json-1.1\r\n"
                + "Content-Length: "
                + body.length
                + "\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
    out.write(body);
    out.flush();
  }

  /** The message text Kinesis sends with each error, so logs read as they would in production. */
  private static String message(String errorType) {
    switch (errorType) {
      case THROTTLED:
        return "Rate exceeded for shard shardId-000000000000 in stream under account 000000000000.";
      case INTERNAL_FAILURE:
        return "Acknowledgement lost";
      case EXPIRED_ITERATOR:
        return "Iterator expired. The iterator was created at time Thu Jan 01 00:00:00 UTC 2026"
            + " while right now it is Thu Jan 01 00:05:01 UTC 2026 which is further in the future"
            + " than the tolerated delay of 300000 milliseconds.";
      default:
        return errorType;
    }
  }

  private void forward(byte[] head, byte[] body, OutputStream out) throws IOException {
    try (Socket upstream = new Socket(target.getHost(), target.getPort());
        InputStream uin = upstream.getInputStream();
        OutputStream uout = upstream.getOutputStream()) {
      uout.write(head);
      uout.write(body);
      uout.flush();
      byte[] responseHead = readHead(uin);
      if (responseHead == null) {
        throw new IOException("The emulator closed the connection");
      }
      String text = new String(responseHead, StandardCharsets.ISO_8859_1);
      out.write(responseHead);
      String encoding = header(text, "transfer-encoding");
      if (encoding != null && encoding.toLowerCase(Locale.ROOT).contains("chunked")) {
        copyChunked(uin, out);
      } else {
        out.write(uin.readNBytes(contentLength(text)));
      }
      out.flush();
    }
  }

  /** Sends {@code head} with {@code body} to the emulator; returns its answer, de-chunked. */
  private Answer exchange(String head, byte[] body) throws IOException {
    try (Socket upstream = new Socket(target.getHost(), target.getPort());
        InputStream uin = upstream.getInputStream();
        OutputStream uout = upstream.getOutputStream()) {
      write(uout, head, body);
      byte[] responseHead = readHead(uin);
      if (responseHead == null) {
        throw new IOException("The emulator closed the connection");
      }
      String text = new String(responseHead, StandardCharsets.ISO_8859_1);
      String encoding = header(text, "transfer-encoding");
      byte[] responseBody =
          encoding != null && encoding.toLowerCase(Locale.ROOT).contains("chunked")
              ? readChunked(uin)
              : uin.readNBytes(contentLength(text));
      return new Answer(text, responseBody);
    }
  }

  /** Writes a request or answer with its body's length, whatever framing it had before. */
  private static void write(OutputStream out, String head, byte[] body) throws IOException {
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
    b.append("Content-Length: ").append(body.length).append("\r\n\r\n");
    out.write(b.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.write(body);
    out.flush();
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

  private static void copyChunked(InputStream in, OutputStream out) throws IOException {
    while (true) {
      String sizeLine = readLine(in);
      out.write((sizeLine + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      int size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
      if (size == 0) {
        // Trailers, then the empty line.
        for (String line = readLine(in); ; line = readLine(in)) {
          out.write((line + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
          if (line.isEmpty()) {
            return;
          }
        }
      }
      out.write(in.readNBytes(size + 2));
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

  /** The request or status line and headers, up to and including the empty line; null at EOF. */
  private static byte[] readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    int b;
    while ((b = in.read()) != -1) {
      head.write(b);
      matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
      if (matched == 4) {
        return head.toByteArray();
      }
    }
    return null;
  }

  private static int contentLength(String head) {
    String value = header(head, "content-length");
    return value == null ? 0 : Integer.parseInt(value.trim());
  }

  private static String header(String head, String name) {
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
