package dev.sluice.kinesis;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;

/**
 * A loopback HTTP/1.1 proxy in front of the Kinesis emulator that loses acknowledgements: chosen
 * calls of one operation are forwarded and stored by the emulator, but the caller gets {@code 500
 * InternalFailure} instead of the answer, as when a response is lost on the way back. Everything
 * else is forwarded byte for byte, over a new connection per request. (The pattern of the
 * reliability module's ThrottlingProxy.)
 */
final class LostAckProxy implements AutoCloseable {
  private static final byte[] FAILURE_BODY =
      "{\"__type\":\"InternalFailure\",\"message\":\"Acknowledgement lost (injected by the test proxy)\"}"
          .getBytes(StandardCharsets.UTF_8);

  private final ServerSocket server;
  private final URI target;
  private final String operation;
  private final IntPredicate lose;
  private final AtomicInteger calls = new AtomicInteger();
  private final AtomicInteger lost = new AtomicInteger();
  private volatile boolean closed;

  /**
   * @param operation the Kinesis operation whose answers to lose, e.g. {@code PutRecords}
   * @param lose given the 1-based number of that operation's call, whether to lose its answer
   */
  LostAckProxy(URI target, String operation, IntPredicate lose) throws IOException {
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.target = target;
    this.operation = operation;
    this.lose = lose;
    Thread acceptor = new Thread(this::accept, "lost-ack-proxy");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getLocalPort());
  }

  int calls() {
    return calls.get();
  }

  /** How many answers were lost (their calls were stored). */
  int lost() {
    return lost.get();
  }

  private void accept() {
    while (!closed) {
      try {
        Socket client = server.accept();
        Thread t = new Thread(() -> serve(client), "lost-ack-proxy-conn");
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
        String target = header(headText, "x-amz-target");
        if (target != null && target.endsWith("." + operation)) {
          int n = calls.incrementAndGet();
          if (lose.test(n)) {
            // Stored upstream; the answer is dropped and a failure sent instead.
            forward(head, body, OutputStream.nullOutputStream());
            lost.incrementAndGet();
            out.write(
                ("HTTP/1.1 500 Internal Server Error\r\n"
                        + "x-amzn-ErrorType: InternalFailure\r\n"
                        + "Content-Type: application/x-amz-json-1.1\r\n"
                        + "Content-Length: "
                        + FAILURE_BODY.length
                        + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.write(FAILURE_BODY);
            out.flush();
            continue;
          }
        }
        forward(head, body, out);
      }
    } catch (IOException e) {
      // The client went away.
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
