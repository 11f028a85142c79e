package dev.sluice.testbrokers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;

/** Free-port and readiness helpers for servers bound to the loopback interface. */
final class LoopbackPorts {

  static final String HOST = "127.0.0.1";

  private LoopbackPorts() {}

  /**
   * A port that was free a moment ago. The socket is closed before returning, so another process
   * may take it before the caller binds it; callers retry their start on a bind failure.
   */
  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("Could not find a free loopback port", e);
    }
  }

  /** Whether something on the loopback interface accepts a TCP connection on {@code port}. */
  static boolean accepts(int port, Duration connectTimeout) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(HOST, port), (int) connectTimeout.toMillis());
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
