package dev.tenantfold.aws;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.util.Optional;
import javax.net.SocketFactory;

/**
 * pgjdbc's {@code socketFactory} for {@code jdbc.auth = iam}: plain sockets that remember, per
 * thread, the host and port they connect to, so {@link RdsIamAuthPlugin} signs its token for the
 * host pgjdbc is authenticating with. pgjdbc tells an authentication plugin the connection's
 * properties only, where a URL listing several hosts ({@code jdbc:postgresql://a:5432,b:5432/db})
 * gives them all; but it opens the socket to one host and authenticates on it in the same thread
 * (its login-timeout thread included), so the last host this thread connected to is the one asking.
 */
public final class ConnectingHost extends SocketFactory {
  private static final ThreadLocal<InetSocketAddress> CONNECTING = new ThreadLocal<>();

  /** The host and port this thread last opened a connection to, through this factory. */
  static Optional<InetSocketAddress> current() {
    return Optional.ofNullable(CONNECTING.get());
  }

  @Override
  public Socket createSocket() {
    return new Socket() {
      @Override
      public void connect(SocketAddress endpoint, int timeout) throws IOException {
        if (endpoint instanceof InetSocketAddress address) {
          CONNECTING.set(address);
        }
        super.connect(endpoint, timeout);
      }
    };
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    Socket socket = createSocket();
    socket.connect(new InetSocketAddress(host, port));
    return socket;
  }

  @Override
  public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
      throws IOException {
    Socket socket = createSocket();
    socket.bind(new InetSocketAddress(localHost, localPort));
    socket.connect(new InetSocketAddress(host, port));
    return socket;
  }

  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    Socket socket = createSocket();
    socket.connect(new InetSocketAddress(host, port));
    return socket;
  }

  @Override
  public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
      throws IOException {
    Socket socket = createSocket();
    socket.bind(new InetSocketAddress(localAddress, localPort));
    socket.connect(new InetSocketAddress(address, port));
    return socket;
  }
}
