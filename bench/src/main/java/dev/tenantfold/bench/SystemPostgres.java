package dev.tenantfold.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throw-away PostgreSQL cluster of the machine's own installation ({@code initdb}, {@code
 * pg_ctl}, found on the PATH or in {@code BENCH_PG_BIN}), on disk under a temporary folder, with
 * PostgreSQL's default settings: {@code fsync}, {@code synchronous_commit} and {@code
 * full_page_writes} on, as a production server runs. Only {@code max_connections} is raised (the
 * benchmark's paths open sources, targets and Spark tasks at once), the socket is loopback-only,
 * and the folder is removed when it stops.
 */
final class SystemPostgres implements AutoCloseable {
  private static final long TIMEOUT_SECONDS = 120;

  /** The account the server runs as when bench/run runs as root (PostgreSQL refuses root). */
  private static final String OS_USER = "postgres";

  private final Path home;
  private final Path pgCtl;
  private final Path data;
  private final int port;

  private SystemPostgres(Path home, Path pgCtl, Path data, int port) {
    this.home = home;
    this.pgCtl = pgCtl;
    this.data = data;
    this.port = port;
  }

  /** initdb into a new temporary folder and start the server on a free loopback port. */
  static SystemPostgres start() throws IOException {
    Path initdb = binary("initdb");
    Path pgCtl = binary("pg_ctl");
    Path home = Files.createTempDirectory("tenantfold-bench-pg");
    Path data = home.resolve("data");
    try {
      if (asRoot()) {
        // PostgreSQL refuses to run as root: the cluster belongs to the postgres account.
        var owner =
            home.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(OS_USER);
        Files.setOwner(home, owner);
      }
      run(
          List.of(
              initdb.toString(),
              "-D",
              data.toString(),
              "-U",
              "postgres",
              "--auth=trust",
              "--encoding=UTF8",
              "--locale=C"),
          home.resolve("initdb.log"));
      int port = freePort();
      Files.writeString(
          data.resolve("postgresql.conf"),
          "\n# bench/run --server-kind system: defaults, except these\n"
              + "listen_addresses = '127.0.0.1'\n"
              + "port = "
              + port
              + "\nmax_connections = 100\n"
              + "unix_socket_directories = '"
              + home
              + "'\n",
          StandardCharsets.UTF_8,
          java.nio.file.StandardOpenOption.APPEND);
      run(
          List.of(
              pgCtl.toString(),
              "-D",
              data.toString(),
              "-l",
              home.resolve("server.log").toString(),
              "-w",
              "-t",
              String.valueOf(TIMEOUT_SECONDS),
              "start"),
          home.resolve("pg_ctl.log"));
      return new SystemPostgres(home, pgCtl, data, port);
    } catch (IOException | RuntimeException e) {
      delete(home);
      throw e;
    }
  }

  int port() {
    return port;
  }

  Path dataDirectory() {
    return data;
  }

  String url() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
  }

  @Override
  public void close() throws IOException {
    try {
      run(
          List.of(pgCtl.toString(), "-D", data.toString(), "-m", "fast", "-w", "stop"),
          home.resolve("pg_ctl-stop.log"));
    } finally {
      delete(home);
    }
  }

  /** {@code name} from {@code BENCH_PG_BIN}, else the first match on the PATH. */
  static Path binary(String name) throws IOException {
    List<String> dirs = new ArrayList<>();
    String bin = System.getenv("BENCH_PG_BIN");
    if (bin != null && !bin.isBlank()) {
      dirs.add(bin);
    }
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(List.of(path.split(java.io.File.pathSeparator)));
    }
    for (String dir : dirs) {
      Path candidate = Path.of(dir, name);
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new IOException(
        "Cannot find PostgreSQL's "
            + name
            + " on the PATH"
            + (bin == null ? "" : " or in BENCH_PG_BIN=" + bin)
            + ": install PostgreSQL's server binaries, set BENCH_PG_BIN to their folder, or use"
            + " --server-kind embedded-fsync");
  }

  private static boolean asRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  private static void run(List<String> command, Path log) throws IOException {
    List<String> full = new ArrayList<>();
    if (asRoot()) {
      full.addAll(List.of("runuser", "-u", OS_USER, "--"));
    }
    full.addAll(command);
    Process process =
        new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException(
            command.get(0)
                + " did not finish in "
                + TIMEOUT_SECONDS
                + " s: "
                + Files.readString(log));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("Interrupted while running " + command.get(0), e);
    }
    if (process.exitValue() != 0) {
      throw new IOException(
          command.get(0) + " exited with " + process.exitValue() + ": " + Files.readString(log));
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static void delete(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
