package dev.tenantfold.extract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.cli.TenantfoldMain;
import dev.tenantfold.config.TablesConfig;
import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.copy.CopyManager;
import org.postgresql.core.BaseConnection;

/**
 * Source databases in other encodings than UTF8: the server converts LATIN1 and the like to the
 * UTF8 client encoding; SQL_ASCII (bytes without an encoding) is refused before anything is read.
 */
class SourceEncodingTest {
  private static final TablesConfig ALL = new TablesConfig(List.of("*"), List.of());
  private static final AtomicInteger SEQUENCE = new AtomicInteger();

  @TempDir Path dir;

  /**
   * A new database in {@code encoding} (C locale, from template0, as the encoding requires) holding
   * non-ASCII text.
   */
  static String databaseWithEncoding(String encoding) {
    String name =
        "enc_"
            + encoding.toLowerCase()
            + "_"
            + SEQUENCE.incrementAndGet()
            + "_"
            + ProcessHandle.current().pid();
    TestPostgres.execute(
        TestPostgres.url("postgres"),
        "CREATE DATABASE "
            + name
            + " ENCODING '"
            + encoding
            + "' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
    String url = TestPostgres.url(name);
    TestPostgres.execute(
        url,
        """
        CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, city varchar(40));
        INSERT INTO customers VALUES (1, 'Zoë Müller', 'Köln'), (2, 'José', 'São Paulo'), (3, 'plain', NULL), (4, 'é', 'é');
        """);
    return url;
  }

  @Test
  void aSqlAsciiSourceIsRefusedWhenItsCatalogIsReadNamingTenantEncodingAndWhatToDo()
      throws Exception {
    String url = databaseWithEncoding("SQL_ASCII");
    try (Connection conn =
        new JdbcEndpoint(url, "postgres", "postgres", "the source of tenant acme")
            .connect("tenantfold-test")) {
      assertThatThrownBy(() -> CatalogReader.read(conn, "acme", List.of("public"), ALL))
          .isInstanceOf(SQLException.class)
          .hasMessageStartingWith(
              "Cannot read tenant acme: database "
                  + url.substring(url.lastIndexOf('/') + 1)
                  + " has encoding SQL_ASCII")
          .hasMessageContaining("convert it to a UTF8 database first")
          .hasMessageContaining("ENCODING 'UTF8'");
    }
  }

  @Test
  void aSqlAsciiSourceFailsValidateUpFrontThroughTheCommandLine() throws Exception {
    String url = databaseWithEncoding("SQL_ASCII");
    Path conf = dir.resolve("job.conf");
    Files.writeString(
        conf,
        """
        tenantfold {
          target { url = "%s", user = postgres, password = postgres }
          tenants = [ { id = acme, jdbc { url = "%s", user = postgres, password = postgres } } ]
          report.dir = "%s"
        }
        """
            .formatted(Fixtures.emptyWarehouse(), url, dir.resolve("reports")));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int code =
        TenantfoldMain.run(
            new String[] {"validate", "--config", conf.toString()},
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));

    assertThat(code).as("stdout:%n%s%nstderr:%n%s", out, err).isEqualTo(1);
    assertThat(out.toString())
        .contains("Cannot read tenant acme: database", "has encoding SQL_ASCII", "ENCODING 'UTF8'")
        .doesNotContain("Spark", "Cannot checksum");
  }

  @Test
  void aLatin1SourceIsReadAndItsCopyOutputArrivesAsUtf8() throws Exception {
    String url = databaseWithEncoding("LATIN1");
    try (Connection conn =
        new JdbcEndpoint(url, "postgres", "postgres", "the source of tenant acme")
            .connect("tenantfold-test")) {
      TenantCatalog catalog = CatalogReader.read(conn, "acme", List.of("public"), ALL);
      assertThat(catalog.tables()).extracting(TableSpec::name).containsExactly("customers");
      ByteArrayOutputStream copied = new ByteArrayOutputStream();
      new CopyManager(conn.unwrap(BaseConnection.class))
          .copyOut("COPY (SELECT name, city FROM customers ORDER BY id) TO STDOUT", copied);
      // Exactly the UTF-8 bytes: a LATIN1 byte passed through (0xE9 for é) would not decode as
      // UTF-8.
      assertThat(copied.toByteArray())
          .isEqualTo(
              "Zoë Müller\tKöln\nJosé\tSão Paulo\nplain\t\\N\né\té\n"
                  .getBytes(StandardCharsets.UTF_8));
    }
    assertThat(RowSets.rows(url, "SELECT name FROM customers WHERE id = 4")).containsExactly("é");
  }
}
