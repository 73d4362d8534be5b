package dev.tenantfold.validate.checksum;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.testing.TestPostgres;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The checksum in databases whose encoding is not UTF8: a single-byte encoding digests the same
 * rows as a UTF8 database does (the UTF-8 bytes read back as its own text for {@code
 * hashtextextended}); a multi-byte one cannot hold those bytes as text and is refused by name.
 */
class ChecksumEncodingTest {
  private static final String ROWS =
      """
      CREATE TABLE t (id int PRIMARY KEY, name text, city varchar(40));
      INSERT INTO t VALUES (1, 'Zoë Müller', 'Köln'), (2, 'José', NULL), (3, 'plain', ''),
        (4, 'é', 'é');
      """;

  @Test
  void aWin1252DatabaseDigestsTheRowsAsAUtf8DatabaseDoes() throws Exception {
    String utf8 = database("UTF8");
    String win1252 = database("WIN1252");
    List<ColumnSpec> columns = ChecksumFixtures.columns(utf8, "t");
    ChecksumSpec spec = new ChecksumSpec(columns, List.of("id"), 8);
    ChecksumSpec keyless = new ChecksumSpec(columns, List.of(), 8);
    try (Connection u = TestPostgres.connect(utf8);
        Connection w = TestPostgres.connect(win1252)) {
      for (ChecksumSpec s : List.of(spec, keyless)) {
        assertThat(PostgresChecksum.checksum(w, new ChecksumSql(s, "t", null)))
            .as("WIN1252 against UTF8, key %s", s.keyColumns())
            .isEqualTo(PostgresChecksum.checksum(u, new ChecksumSql(s, "t", null)));
      }
    }
  }

  @Test
  void aMultiByteEncodingOtherThanUtf8IsRefusedByName() throws Exception {
    String eucJp = database("EUC_JP");
    List<ColumnSpec> columns = ChecksumFixtures.columns(eucJp, "t");
    try (Connection conn = TestPostgres.connect(eucJp)) {
      assertThatThrownBy(
              () ->
                  PostgresChecksum.checksum(
                      conn,
                      new ChecksumSql(new ChecksumSpec(columns, List.of("id"), 8), "t", null)))
          .hasMessageContaining("Cannot checksum a database in encoding EUC_JP")
          .hasMessageContaining("convert it to a UTF8 database first");
    }
  }

  private static String database(String encoding) {
    String name =
        "cks_"
            + encoding.toLowerCase()
            + "_"
            + ProcessHandle.current().pid()
            + "_"
            + System.nanoTime();
    TestPostgres.execute(
        TestPostgres.url("postgres"),
        "CREATE DATABASE "
            + name
            + " ENCODING '"
            + encoding
            + "' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
    String url = TestPostgres.url(name);
    // EUC_JP gets ASCII rows: the refusal comes before any row is read.
    TestPostgres.execute(
        url, encoding.equals("EUC_JP") ? ROWS.replaceAll("[^\\x00-\\x7f]", "e") : ROWS);
    return url;
  }
}
