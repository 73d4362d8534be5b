package dev.tenantfold.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.testing.LoopbackProxy;
import dev.tenantfold.testing.TestPostgres;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

/** Connection errors that say which database and why, and sessions that end with their client. */
class JdbcEndpointTest {
  private static final String SECRET = "Endpoint-Secret-9";

  @Test
  void anUnknownHostNamesTheSideHostAndPortButNoSecret() {
    JdbcEndpoint source =
        new JdbcEndpoint(
            "jdbc:postgresql://db.invalid:5432/acme?sslmode=require&password=" + SECRET,
            "reader",
            SECRET,
            "the source of tenant acme");
    assertThatThrownBy(() -> source.connect("tenantfold-test"))
        .isInstanceOf(SQLException.class)
        .hasMessageStartingWith(
            "Cannot connect to the source of tenant acme (host db.invalid:5432/acme): unknown host"
                + " db.invalid")
        .hasMessageNotContaining(SECRET)
        .hasMessageNotContaining("sslmode")
        .satisfies(
            e ->
                assertThat(((SQLException) e).getSQLState())
                    .as("still a connection failure for retries")
                    .startsWith("08"));
  }

  @Test
  void aClosedPortNamesTheTargetAndSaysRefused() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    JdbcEndpoint target =
        new JdbcEndpoint("jdbc:postgresql://127.0.0.1:" + closedPort + "/wh", "loader", SECRET)
            .withSide("the target");
    assertThatThrownBy(() -> target.connect("tenantfold-test"))
        .isInstanceOf(SQLException.class)
        .hasMessageStartingWith(
            "Cannot connect to the target (host 127.0.0.1:"
                + closedPort
                + "/wh): connection refused")
        .hasMessageNotContaining(SECRET);
    JdbcEndpoint unnamed =
        new JdbcEndpoint("jdbc:postgresql://127.0.0.1:" + closedPort + "/wh", "loader", SECRET);
    assertThatThrownBy(() -> unnamed.connect("tenantfold-test"))
        .hasMessageStartingWith("Cannot connect to the database (host 127.0.0.1:");
  }

  @Test
  void aWrongPasswordSaysSoWithoutTheServersDetailOrThePassword() {
    TestPostgres.createPasswordRole("tf_endpoint_user", "right-password-1");
    String url = TestPostgres.url("postgres");
    JdbcEndpoint source =
        new JdbcEndpoint(url, "tf_endpoint_user", SECRET, "the source of tenant acme");
    assertThatThrownBy(() -> source.connect("tenantfold-test"))
        .hasMessageStartingWith(
            "Cannot connect to the source of tenant acme (host localhost:"
                + TestPostgres.server().getPort()
                + "/postgres): ")
        .hasMessageContaining("password authentication failed for user \"tf_endpoint_user\"")
        .hasMessageNotContaining(SECRET);
  }

  @Test
  void hostDescriptionsDefaultThePortAndDropCredentials() {
    assertThat(JdbcEndpoint.hostDescription("jdbc:postgresql://db.example/acme"))
        .isEqualTo("db.example:5432/acme");
    assertThat(
            JdbcEndpoint.hostDescription(
                "jdbc:postgresql://bob:pw@db.example:6432/acme?password=pw"))
        .isEqualTo("db.example:6432/acme");
    assertThat(JdbcEndpoint.hostDescription("jdbc:postgresql://a:5433,b/acme"))
        .isEqualTo("a:5433,b:5432/acme");
    assertThat(JdbcEndpoint.hostDescription("jdbc:postgresql:acme"))
        .isEqualTo("localhost:5432/acme");
  }

  @Test
  void everySessionChecksItsClientWhileAQueryRuns() throws Exception {
    JdbcEndpoint endpoint =
        new JdbcEndpoint(
            TestPostgres.createDatabase("client_check_setting"), "postgres", "postgres");
    try (Connection conn = endpoint.connect("tenantfold-test");
        Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SHOW client_connection_check_interval")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualTo("10s");
    }
  }

  /**
   * A driver killed during a long source checksum: its backend must stop within seconds rather than
   * run the aggregate to its end holding the snapshot and locks. Cutting a relay between the driver
   * and the server is what the server sees when the driver's process dies.
   */
  @Test
  void aQueryWhoseClientVanishedIsEndedWithinSeconds() throws Exception {
    String database = TestPostgres.createDatabase("client_check_cut");
    String admin = TestPostgres.url("postgres");
    try (LoopbackProxy proxy = LoopbackProxy.to("localhost", TestPostgres.server().getPort())) {
      String viaProxy =
          "jdbc:postgresql://127.0.0.1:"
              + proxy.port()
              + database.substring(database.lastIndexOf('/'));
      Connection conn =
          new JdbcEndpoint(viaProxy, "postgres", "postgres", "the source of tenant acme")
              .connect("tenantfold-cut-test");
      int pid = conn.unwrap(PGConnection.class).getBackendPID();
      try {
        Thread query =
            new Thread(
                () -> {
                  try (Statement st = conn.createStatement()) {
                    // Runs for hours and writes nothing to the client until it ends (no temp files
                    // either).
                    st.executeQuery(
                        "SELECT count(*) FROM (SELECT generate_series(1, 1000000000000)) s");
                  } catch (SQLException expected) {
                    // The relay is cut.
                  }
                });
        query.setDaemon(true);
        query.start();
        assertThat(awaitBackend(admin, pid, true, Duration.ofSeconds(20)))
            .as(
                "backend %d never started the long query, so cutting the relay would prove nothing",
                pid)
            .isTrue();

        proxy.cut();

        assertThat(awaitBackend(admin, pid, false, Duration.ofSeconds(30)))
            .as("backend %d still running its query 30 s after its client vanished", pid)
            .isTrue();
      } finally {
        TestPostgres.execute(admin, "SELECT pg_terminate_backend(" + pid + ")");
        conn.close();
      }
    }
  }

  /**
   * Waits until backend {@code pid} is running a query ({@code active}) or gone; true if it
   * happened in time.
   */
  private static boolean awaitBackend(String admin, int pid, boolean active, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Connection conn = TestPostgres.connect(admin);
        PreparedStatement ps =
            conn.prepareStatement(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ? AND state = 'active'")) {
      ps.setInt(1, pid);
      while (System.nanoTime() < deadline) {
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if ((rs.getInt(1) == 1) == active) {
            return true;
          }
        }
        Thread.sleep(250);
      }
    }
    return false;
  }
}
