package dev.tenantfold.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import dev.tenantfold.config.ConfigError;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.testing.AwsApi;
import dev.tenantfold.testing.LogCapture;
import dev.tenantfold.testing.TestPostgres;
import dev.tenantfold.testing.TlsCertificates;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The credentials AWS users keep, end to end against real PostgreSQL servers: a password read from
 * Secrets Manager (the SDK client against the recorded API), an IAM token minted per connection,
 * and TLS verify-full against a server whose certificate the test made.
 */
class ConnectionCredentialsTest {
  private static final String SECRET_ARN =
      "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-acme-AbCdEf";
  private static final String SECRET_PASSWORD = "s3cr3t-Fr0m-Secrets-Manager";
  private static AwsApi api;
  private static EmbeddedPostgres tlsServer;
  private static TlsCertificates certs;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    api = new AwsApi();
    certs = TlsCertificates.create(dir.resolve("certs"));
    tlsServer =
        EmbeddedPostgres.builder()
            .setServerConfig("ssl", "on")
            .setServerConfig("ssl_cert_file", certs.serverCert().toString())
            .setServerConfig("ssl_key_file", certs.serverKey().toString())
            .start();
  }

  @AfterAll
  static void stop() throws Exception {
    api.close();
    tlsServer.close();
  }

  private static TenantfoldConfig config(String tenantJdbc) {
    return TenantfoldConfig.fromConfig(
        ConfigFactory.parseString(
            "tenantfold { aws { region = "
                + AwsApi.REGION
                + ", secretsmanager-endpoint = \""
                + api.endpoint()
                + "\" }, target { url = \"jdbc:postgresql://localhost/t\" }, tenants = [ { id ="
                + " acme, jdbc { "
                + tenantJdbc
                + " } } ] }"));
  }

  private static String currentUser(JdbcEndpoint endpoint) throws SQLException {
    try (Connection conn = endpoint.connect("test");
        ResultSet rs = conn.createStatement().executeQuery("SELECT current_user")) {
      rs.next();
      return rs.getString(1);
    }
  }

  @Test
  void passwordFromSecretsManagerConnectsAndAppearsNowhere() throws Exception {
    TestPostgres.createPasswordRole("secret_reader", SECRET_PASSWORD);
    api.secret(
        SECRET_ARN, "{\"username\":\"secret_reader\",\"password\":\"" + SECRET_PASSWORD + "\"}");
    SecretPasswordPlugin.clearCache();
    TenantfoldConfig config =
        config(
            "url = \""
                + TestPostgres.url("postgres")
                + "\", user = secret_reader, password-secret = \""
                + SECRET_ARN
                + "\"");
    JdbcEndpoint endpoint = config.tenants().get(0).jdbc();
    try (LogCapture logs = LogCapture.start()) {
      assertThat(currentUser(endpoint))
          .as("connected as the secret's user with the secret's password")
          .isEqualTo("secret_reader");
      assertThat(currentUser(endpoint)).isEqualTo("secret_reader");
      assertThat(logs.log() + logs.console()).doesNotContain(SECRET_PASSWORD);
    }
    long fetches =
        api.all().stream()
            .filter(r -> "secretsmanager.GetSecretValue".equals(r.getHeader("X-Amz-Target")))
            .count();
    assertThat(fetches)
        .as("one GetSecretValue for two connections (cached in the JVM)")
        .isEqualTo(1);
    assertThat(
            endpoint.toString() + endpoint.properties() + config.renderMasked() + config.secrets())
        .doesNotContain(SECRET_PASSWORD);
  }

  @Test
  void anExportTenantsCatalogConnectionTakesTheSameAuthAndTlsKeys() throws Exception {
    TestPostgres.createPasswordRole("secret_reader", SECRET_PASSWORD);
    api.secret(
        SECRET_ARN, "{\"username\":\"secret_reader\",\"password\":\"" + SECRET_PASSWORD + "\"}");
    SecretPasswordPlugin.clearCache();
    java.util.function.Function<String, TenantfoldConfig> exportTenant =
        catalog ->
            TenantfoldConfig.fromConfig(
                ConfigFactory.parseString(
                    "tenantfold { aws { region = "
                        + AwsApi.REGION
                        + ", secretsmanager-endpoint = \""
                        + api.endpoint()
                        + "\" }, target { url = \"jdbc:postgresql://localhost/t\" }, tenants = [ {"
                        + " id = acme, export { path = \"/tmp/export\", database = acme, catalog { "
                        + catalog
                        + " } } } ] }"));
    JdbcEndpoint catalog =
        exportTenant
            .apply(
                "url = \""
                    + TestPostgres.url("postgres")
                    + "\", user = secret_reader, password-secret = \""
                    + SECRET_ARN
                    + "\"")
            .tenants()
            .get(0)
            .export()
            .orElseThrow()
            .catalog()
            .orElseThrow();
    assertThat(currentUser(catalog))
        .as("the catalog connection read its password from Secrets Manager")
        .isEqualTo("secret_reader");
    assertThat(
            exportTenant
                .apply("url = \"jdbc:postgresql://h/acme\", user = u, auth = iam")
                .tenants()
                .get(0)
                .export()
                .get()
                .catalog()
                .get()
                .properties())
        .containsEntry(
            dev.tenantfold.config.JdbcAuth.PLUGIN_PROPERTY,
            dev.tenantfold.config.JdbcAuth.IAM_PLUGIN);
    JdbcEndpoint tlsCatalog =
        exportTenant
            .apply(
                "url = \"jdbc:postgresql://localhost:"
                    + tlsServer.getPort()
                    + "/postgres\", user = postgres,"
                    + " ssl-root-cert = \""
                    + certs.caCert()
                    + "\"")
            .tenants()
            .get(0)
            .export()
            .get()
            .catalog()
            .get();
    assertThat(tlsCatalog.properties()).containsEntry("sslmode", "verify-full");
    try (Connection conn = tlsCatalog.connect("test");
        ResultSet rs =
            conn.createStatement()
                .executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
      rs.next();
      assertThat(rs.getBoolean(1)).as("the catalog session is encrypted and verified").isTrue();
    }
    assertThatThrownBy(
            () -> exportTenant.apply("url = \"jdbc:postgresql://h/acme\", ssl-mode = verify-full"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.tenants[0].export.catalog.ssl-root-cert");
    assertThatThrownBy(() -> exportTenant.apply("url = \"jdbc:postgresql://h/acme\", passwd = x"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("passwd");
  }

  @Test
  void aSecretWithoutPasswordKeyFailsNamingTheSecretNotItsText() {
    String arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:plain-XyZ";
    api.secret(arn, "just-the-password-text");
    SecretPasswordPlugin.clearCache();
    TenantfoldConfig config =
        config(
            "url = \""
                + TestPostgres.url("postgres")
                + "\", user = secret_reader, password-secret = \""
                + arn
                + "\"");
    TestPostgres.createPasswordRole("secret_reader", SECRET_PASSWORD);
    assertThatThrownBy(() -> currentUser(config.tenants().get(0).jdbc()))
        .hasMessageContaining("secret " + arn)
        .hasMessageContaining("\"password\" key")
        .hasMessageNotContaining("just-the-password-text");
  }

  @Test
  void iamAuthMintsATokenForEveryNewConnection() throws Exception {
    int port = TestPostgres.server().getPort();
    TestPostgres.createPasswordRole("iam_reader", "not-the-token");
    TenantfoldConfig config =
        config("url = \"" + TestPostgres.url("postgres") + "\", user = iam_reader, auth = iam");
    JdbcEndpoint endpoint = config.tenants().get(0).jdbc();
    assertThat(endpoint.password()).isNull();
    // A token is signed with the time to the second: set the role's password to this second's token
    // and connect in it.
    String first = connectWithTokenOfThisSecond(endpoint, port);
    assertThat(first)
        .contains("DBUser=iam_reader")
        .contains("X-Amz-Credential=AKIDTENANTFOLDTEST")
        .contains("rds-db");
    Thread.sleep(1100);
    String second = connectWithTokenOfThisSecond(endpoint, port);
    assertThat(second)
        .as("the second connection authenticated with a new token, not the first one")
        .isNotEqualTo(first);
  }

  @Test
  void iamAuthSignsForTheHostPgjdbcConnectsTo() throws Exception {
    int port = TestPostgres.server().getPort();
    int closed;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      closed = free.getLocalPort();
    }
    TestPostgres.createPasswordRole("iam_reader", "not-the-token");
    // The first host refuses connections: pgjdbc goes on to the second, and the token must be
    // signed for that one.
    TenantfoldConfig config =
        config(
            "url = \"jdbc:postgresql://127.0.0.1:"
                + closed
                + ",localhost:"
                + port
                + "/postgres\", user = iam_reader, auth = iam");
    String token = connectWithTokenOfThisSecond(config.tenants().get(0).jdbc(), port);
    assertThat(token).startsWith("localhost:" + port + "/");
  }

  private static String connectWithTokenOfThisSecond(JdbcEndpoint endpoint, int port)
      throws Exception {
    SQLException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      String token =
          RdsIamAuthPlugin.token("localhost", port, "iam_reader", Optional.of(AwsApi.REGION));
      TestPostgres.execute(
          TestPostgres.url("postgres"), "ALTER ROLE iam_reader PASSWORD '" + token + "'");
      try {
        assertThat(currentUser(endpoint)).isEqualTo("iam_reader");
        return token;
      } catch (SQLException e) {
        last = e; // the second turned between minting and connecting
      }
    }
    throw last;
  }

  @Test
  void iamAuthRefusesAPassword() {
    assertThatThrownBy(
            () -> config("url = \"jdbc:postgresql://h/db\", user = u, password = p, auth = iam"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.tenants[0].jdbc.password")
        .hasMessageContaining("auth = iam");
  }

  private JdbcEndpoint tls(String host, Path ca) {
    return config(
            "url = \"jdbc:postgresql://"
                + host
                + ":"
                + tlsServer.getPort()
                + "/postgres\", user = postgres, ssl-root-cert = \""
                + ca
                + "\"")
        .tenants()
        .get(0)
        .jdbc();
  }

  @Test
  void verifyFullConnectsWithTheRightCaAndHost() throws Exception {
    JdbcEndpoint endpoint = tls("localhost", certs.caCert());
    assertThat(endpoint.properties()).containsEntry("sslmode", "verify-full");
    try (Connection conn = endpoint.connect("test");
        ResultSet rs =
            conn.createStatement()
                .executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
      rs.next();
      assertThat(rs.getBoolean(1)).as("the session is encrypted").isTrue();
    }
  }

  @Test
  void verifyFullRefusesAnotherCa() {
    assertThatThrownBy(() -> tls("localhost", certs.otherCaCert()).connect("test"))
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("Cannot connect to the source of tenant acme")
        .hasMessageContaining("TLS handshake failed")
        .hasMessageContaining("not trusted by ssl-root-cert " + certs.otherCaCert());
  }

  @Test
  void verifyFullRefusesAHostTheCertificateDoesNotName() {
    assertThatThrownBy(() -> tls("127.0.0.1", certs.caCert()).connect("test"))
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("does not name host 127.0.0.1")
        .hasMessageContaining("verify-full");
  }

  @Test
  void verifyFullNeedsARootCertificate() {
    assertThatThrownBy(() -> config("url = \"jdbc:postgresql://h/db\", ssl-mode = verify-full"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("tenantfold.tenants[0].jdbc.ssl-root-cert");
    assertThatThrownBy(
            () ->
                config(
                    "url = \"jdbc:postgresql://h/db\", ssl-root-cert ="
                        + " /nonexistent/global-bundle.pem"))
        .isInstanceOf(ConfigError.class)
        .hasMessageContaining("no such file");
  }

  @Test
  void pluginsAreFoundByTheNamesConfigUses() throws Exception {
    assertThat(Class.forName(dev.tenantfold.config.JdbcAuth.IAM_PLUGIN))
        .isEqualTo(RdsIamAuthPlugin.class);
    assertThat(Class.forName(dev.tenantfold.config.JdbcAuth.SECRET_PLUGIN))
        .isEqualTo(SecretPasswordPlugin.class);
    assertThat(Class.forName(dev.tenantfold.config.JdbcAuth.IAM_SOCKET_FACTORY))
        .isEqualTo(ConnectingHost.class);
  }
}
