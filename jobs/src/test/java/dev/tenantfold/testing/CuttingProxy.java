package dev.tenantfold.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A loopback TCP proxy in front of a PostgreSQL server that cuts a connection once, mid-stream: the
 * first connection whose client sends {@code trigger} (e.g. {@code "COPY ("} for a source's COPY
 * OUT, {@code "FROM STDIN"} for a target's COPY IN) is reset after {@code cutAfterBytes} more bytes
 * went through it in either direction. Every other connection passes untouched. Point a JDBC URL at
 * {@link #url(String)} to route through it.
 */
public final class CuttingProxy implements AutoCloseable {
  private static final Pattern HOST_PORT =
      Pattern.compile("^(jdbc:postgresql://)([^/:]+):(\\d+)(/.*)$");

  private final ServerSocket listener;
  private final String host;
  private final int port;
  private final byte[] trigger;
  private final long cutAfterBytes;
  private final AtomicBoolean armed = new AtomicBoolean(true);
  private final AtomicInteger cuts = new AtomicInteger();
  private final AtomicInteger connections = new AtomicInteger();
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  /**
   * Set by {@link #cutReplyToCommit}: the connection that sent {@code marker} is cut when the
   * server answers its next {@code COMMIT} (the server committed, the client never hears so), and
   * new connections are refused from then until {@link #release()}.
   */
  private final byte[] marker;

  private volatile boolean refusing;
  private final AtomicInteger refused = new AtomicInteger();

  private CuttingProxy(String host, int port, String trigger, long cutAfterBytes, String marker)
      throws IOException {
    // Final and set before the accept thread starts: the pump threads must see it (a field set
    // after construction raced them, and the proxy then cut the first COMMIT of any connection).
    this.marker = marker == null ? null : marker.getBytes(StandardCharsets.UTF_8);
    this.host = host;
    this.port = port;
    this.trigger = trigger.getBytes(StandardCharsets.UTF_8);
    this.cutAfterBytes = cutAfterBytes;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread accept = new Thread(this::acceptLoop, "cutting-proxy-accept");
    accept.setDaemon(true);
    accept.start();
  }

  /**
   * A proxy for the server of {@code jdbcUrl} that cuts the first connection sending {@code
   * trigger}.
   */
  public static CuttingProxy cutOnce(String jdbcUrl, String trigger, long cutAfterBytes)
      throws IOException {
    Matcher m = HOST_PORT.matcher(jdbcUrl);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "Cannot proxy " + jdbcUrl + ": expected jdbc:postgresql://host:port/db");
    }
    return new CuttingProxy(m.group(2), Integer.parseInt(m.group(3)), trigger, cutAfterBytes, null);
  }

  /**
   * A proxy that lets the first connection sending {@code marker} commit and then loses the
   * server's answer to its {@code COMMIT}, and refuses every new connection from then on until
   * {@link #release()} (the target unreachable right after a commit).
   */
  public static CuttingProxy cutReplyToCommit(String jdbcUrl, String marker) throws IOException {
    Matcher m = HOST_PORT.matcher(jdbcUrl);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "Cannot proxy " + jdbcUrl + ": expected jdbc:postgresql://host:port/db");
    }
    return new CuttingProxy(m.group(2), Integer.parseInt(m.group(3)), "COMMIT", 0, marker);
  }

  /** Accepts new connections again. */
  public void release() {
    refusing = false;
  }

  /** How many connections were refused while refusing. */
  public int refused() {
    return refused.get();
  }

  /**
   * {@code jdbcUrl} with host and port replaced by the proxy's (for a commit cutter, with every
   * COMMIT sent as text).
   */
  public String url(String jdbcUrl) {
    Matcher m = HOST_PORT.matcher(jdbcUrl);
    if (!m.matches()) {
      throw new IllegalArgumentException("Cannot proxy " + jdbcUrl);
    }
    String url = m.group(1) + "127.0.0.1:" + listener.getLocalPort() + m.group(4);
    // pgjdbc sends a connection's COMMIT as text the first time only, then as a named server-side
    // statement: a proxy that cuts at a COMMIT needs every COMMIT as text (one-shot statements).
    return marker == null ? url : url + (url.contains("?") ? "&" : "?") + "prepareThreshold=0";
  }

  /** How many connections were cut (0 or 1). */
  public int cuts() {
    return cuts.get();
  }

  /** How many client connections went through the proxy. */
  public int connections() {
    return connections.get();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = listener.accept();
        if (refusing) {
          refused.incrementAndGet();
          client.setSoLinger(true, 0);
          client.close();
          continue;
        }
        Socket server = new Socket(host, port);
        connections.incrementAndGet();
        open.add(client);
        open.add(server);
        Connection c = new Connection(client, server);
        start("cutting-proxy-up", () -> c.pumpUp());
        start("cutting-proxy-down", () -> c.pumpDown());
      } catch (IOException e) {
        if (!closed) {
          throw new IllegalStateException("Cutting proxy stopped accepting: " + e.getMessage(), e);
        }
      }
    }
  }

  private static void start(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
  }

  /**
   * One proxied connection: client to server ("up") looks for the trigger; server to client
   * ("down") counts and cuts.
   */
  private final class Connection {
    private final Socket client;
    private final Socket server;
    private volatile boolean doomed;
    private volatile boolean marked;
    private final java.util.concurrent.atomic.AtomicLong sinceTrigger =
        new java.util.concurrent.atomic.AtomicLong();

    Connection(Socket client, Socket server) {
      this.client = client;
      this.server = server;
    }

    void pumpUp() {
      byte[] buf = new byte[8192];
      byte[] tail = new byte[0];
      try (InputStream in = client.getInputStream();
          OutputStream out = server.getOutputStream()) {
        int n;
        while ((n = in.read(buf)) > 0) {
          if (!doomed && armed.get()) {
            byte[] window = new byte[tail.length + n];
            System.arraycopy(tail, 0, window, 0, tail.length);
            System.arraycopy(buf, 0, window, tail.length, n);
            if (marker != null && !marked && contains(window, marker)) {
              marked = true;
              // Nobody gets in from here on: the target is unreachable before the commit's answer
              // is lost, whatever the order in which the threads run.
              refusing = true;
            } else if ((marker == null || marked)
                && contains(window, trigger)
                && armed.compareAndSet(true, false)) {
              doomed = true;
            }
            int keep = Math.min(window.length, trigger.length - 1);
            tail = java.util.Arrays.copyOfRange(window, window.length - keep, window.length);
          }
          out.write(buf, 0, n);
          out.flush();
          if (doomed && marker == null && sinceTrigger.addAndGet(n) >= cutAfterBytes) {
            cut();
            return;
          }
        }
      } catch (IOException e) {
        // Either side went away (or we cut it): the other pump ends too.
      } finally {
        closeBoth();
      }
    }

    void pumpDown() {
      byte[] buf = new byte[8192];
      try (InputStream in = server.getInputStream();
          OutputStream out = client.getOutputStream()) {
        int n;
        while ((n = in.read(buf)) > 0) {
          if (doomed && marker != null) {
            // The server answered the COMMIT: the client never hears it, and nobody gets in.
            refusing = true;
            cut();
            return;
          }
          out.write(buf, 0, n);
          out.flush();
          if (doomed && sinceTrigger.addAndGet(n) >= cutAfterBytes) {
            cut();
            return;
          }
        }
      } catch (IOException e) {
        // See pumpUp.
      } finally {
        closeBoth();
      }
    }

    private final AtomicBoolean cutDone = new AtomicBoolean();

    private void cut() throws IOException {
      if (cutDone.compareAndSet(false, true)) {
        cuts.incrementAndGet();
        // RST rather than FIN: the connection is lost, not politely closed.
        client.setSoLinger(true, 0);
        server.setSoLinger(true, 0);
        closeBoth();
      }
    }

    private void closeBoth() {
      try {
        client.close();
      } catch (IOException ignored) {
        // Already gone.
      }
      try {
        server.close();
      } catch (IOException ignored) {
        // Already gone.
      }
    }
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  @Override
  public void close() throws IOException {
    closed = true;
    listener.close();
    for (Socket s : open) {
      try {
        s.close();
      } catch (IOException ignored) {
        // Closing anyway.
      }
    }
  }
}
