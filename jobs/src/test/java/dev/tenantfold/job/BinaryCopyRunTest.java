package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.Postgres13;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import dev.tenantfold.validate.TableStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * JDBC tenants' tables stream in PostgreSQL's binary COPY format where every column allows it
 * ({@code load.copy-format = auto}) and load exactly what the text format loads: every type of the
 * whitelist with its hard values, a drift cast, a PostgreSQL 13 source and a LATIN1 source; a table
 * with an enum array, a domain or a composite stays in text. What each staging COPY was is read on
 * the target: a trigger on the staging tables records the COPY statement that inserts.
 */
class BinaryCopyRunTest {
  private static final SparkSession spark = LocalSpark.session();

  /**
   * Every whitelisted type; {@code qty} is {@code qtyType} (integer in one tenant, bigint in the
   * other).
   */
  private static String everything(String qtyType) {
    return """
    CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
    CREATE TABLE everything (
      id integer PRIMARY KEY, b boolean, i2 smallint, i4 integer, i8 bigint, qty %s,
      f4 real, f8 double precision, n numeric, nps numeric(12,3),
      t text, vc varchar(10), c char(5), nm name, by bytea,
      d date, tm time(3), tmtz timetz, ts timestamp, ts3 timestamp(3), tstz timestamptz,
      iv interval, ivf interval day to second(2),
      u uuid, j json, jb jsonb, ip inet, net cidr, mac macaddr, mac8 macaddr8, bits bit(4), vbits varbit(8),
      ia integer[], ta text[], na numeric[], tsa timestamptz[], m mood);
    INSERT INTO everything VALUES
      (1, true, -32768, 2147483647, -9223372036854775808, 7,
       'NaN', 'NaN', 'NaN', 123456789.1236,
       E'tab\\there\\nnew line \\\\ back', 'ten chars!', 'ab', 'a name', '\\x00ff0000'::bytea,
       'infinity', '24:00:00', '23:59:59.999999+14', '-infinity', '2024-02-29 12:34:56.7896', '4713-01-01 00:00:00 BC',
       '1 year 2 mons -3 days 04:05:06.789', '1 day 02:03:04.567',
       'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{ "a" : [1, 2.50, "x\\ty"] }', '{"b": {"c": null}, "a": 1.0}',
       '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05', B'1010', B'101',
       '{{1,NULL},{3,4}}', '{"a,b","",NULL,"q\\"uote","NULL"}', '{NaN,-1.5,Infinity,-Infinity}',
       '{infinity,-infinity,"2020-01-01 00:00+00"}', 'happy'),
      (2, false, 0, -1, 0, 2147483647,
       '-0', '-Infinity', 'Infinity', -0.0005,
       '', '', '', '', ''::bytea,
       '-infinity', '00:00', '00:00-12', 'infinity', '0001-01-01 00:00:00 BC', '294276-12-31 23:59:59.999999+00',
       '-178000000 years', '-1 day -00:00:00.01',
       '00000000-0000-0000-0000-000000000000', '[]', '"str"',
       '::1', '2001:db8::/32', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00:00:00', B'0000', B'',
       '[2:3]={7,8}', '{}', '{{1.10,2},{NULL,3}}', '{}', 'sad'),
      (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    CREATE DOMAIN email AS text CHECK (VALUE LIKE '%%@%%');
    CREATE TYPE address AS (street text, zip integer);
    CREATE TABLE enum_arrays (id integer PRIMARY KEY, moods mood[], note text);
    INSERT INTO enum_arrays VALUES (1, '{happy,NULL,sad}', E'x\\ty'), (2, NULL, NULL), (3, '{{ok},{sad}}', '');
    CREATE TABLE domains (id integer PRIMARY KEY, mail email);
    INSERT INTO domains VALUES (1, 'a@b'), (2, NULL);
    CREATE TABLE composites (id integer PRIMARY KEY, home address);
    INSERT INTO composites VALUES (1, ROW('Main St, 1', 12345)), (2, ROW(NULL, NULL)), (3, NULL);
    """
        .formatted(qtyType);
  }

  private static final List<String> TABLES =
      List.of("everything", "enum_arrays", "domains", "composites");

  private static final List<String> EVERYTHING =
      List.of(
          "id", "b", "i2", "i4", "i8", "qty", "f4", "f8", "n", "nps", "t", "vc", "c", "nm", "by",
          "d", "tm", "tmtz", "ts", "ts3", "tstz", "iv", "ivf", "u", "j", "jb", "ip", "net", "mac",
          "mac8", "bits", "vbits", "ia", "ta", "na", "tsa", "m");

  @TempDir Path reports;

  /** A target whose staging COPYs of {@code tables} are recorded in {@code probe.copies}. */
  private static String probedWarehouse(String... tables) {
    String warehouse = Fixtures.emptyWarehouse();
    TestPostgres.execute(
        warehouse,
        "CREATE SCHEMA probe; CREATE TABLE probe.copies (relation text, query text, UNIQUE"
            + " (relation, query))");
    for (String table : tables) {
      Fixtures.stagingTrigger(
          warehouse,
          table,
          "INSERT INTO probe.copies VALUES ('"
              + table
              + "', current_query()) ON CONFLICT DO NOTHING; RETURN NEW;");
    }
    return warehouse;
  }

  /** Per table of {@code tables}, whether its staging COPYs were binary (one value each). */
  private static List<String> formats(String warehouse, String table) {
    return RowSets.rows(
        warehouse,
        "SELECT DISTINCT CASE WHEN query LIKE '%(FORMAT binary)' THEN 'binary' ELSE 'text' END"
            + " FROM probe.copies WHERE relation = '"
            + table
            + "'");
  }

  private RunResult run(TenantfoldConfig config) throws Exception {
    RunResult result = new MigrationJob(config, spark).execute();
    assertThat(result.exitCode()).as("%s", result.tenants()).isZero();
    result
        .tenants()
        .forEach(
            tenant ->
                assertThat(tenant.tables())
                    .allSatisfy(
                        t -> {
                          assertThat(t.status())
                              .as("%s %s: %s", tenant.tenantId(), t.tableName(), t.message())
                              .isEqualTo(TableStatus.OK);
                          assertThat(t.checksum().sourceDigest())
                              .as("checksums of %s %s", tenant.tenantId(), t.tableName())
                              .isEqualTo(t.checksum().targetDigest());
                        }));
    return result;
  }

  @Test
  void everyWhitelistedTypeLoadsInBinaryExactlyAsInTextAndOtherTablesStayText() throws Exception {
    String a = TestPostgres.createDatabase("binary_a");
    TestPostgres.execute(a, everything("integer"));
    String b = TestPostgres.createDatabase("binary_b");
    TestPostgres.execute(b, everything("bigint"));
    String binary = probedWarehouse(TABLES.toArray(String[]::new));
    String text = probedWarehouse(TABLES.toArray(String[]::new));

    TenantfoldConfig auto = Fixtures.config(binary).tenant("a", a).tenant("b", b).build(reports);
    run(auto);
    run(
        Fixtures.config(text)
            .tenant("a", a)
            .tenant("b", b)
            .set("load.copy-format", "text")
            .build(reports));

    assertThat(formats(binary, "everything"))
        .as("auto: every column allows binary")
        .containsExactly("binary");
    assertThat(formats(text, "everything")).as("load.copy-format = text").containsExactly("text");
    for (String fallback : TABLES.subList(1, TABLES.size())) {
      assertThat(formats(binary, fallback)).as("auto: %s", fallback).containsExactly("text");
      assertThat(formats(text, fallback)).as("text: %s", fallback).containsExactly("text");
    }
    for (String table : TABLES) {
      String rows = "SELECT ROW(x.*)::text FROM public." + table + " x";
      assertThat(RowSets.rows(binary, rows))
          .as("%s: binary and text targets row for row", table)
          .hasSize(2 * RowSets.rows(a, "SELECT 'x' FROM " + table).size())
          .isEqualTo(RowSets.rows(text, rows));
    }
    assertThat(
            RowSets.rows(
                binary,
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid ="
                    + " 'public.everything'::regclass AND attname = 'qty'"))
        .as("the drift cast int4 -> int8 ran on tenant a")
        .containsExactly("bigint");
    RowSets.assertSameRows(a, binary, "a", "everything", EVERYTHING);
    RowSets.assertSameRows(b, binary, "b", "everything", EVERYTHING);
    RowSets.assertSameRows(a, binary, "a", "enum_arrays", List.of("id", "moods", "note"));
    RowSets.assertSameRows(a, binary, "a", "domains", List.of("id", "mail"));
    RowSets.assertSameRows(a, binary, "a", "composites", List.of("id", "home"));

    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    new PlanJob(auto, spark)
        .execute(new PrintStream(printed, true, StandardCharsets.UTF_8), Optional.empty());
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .as("plan shows each table's COPY format")
        .contains("COPY format into staging (load.copy-format = auto):")
        .containsPattern("\\n  everything +binary\\n")
        .containsPattern("\\n  enum_arrays +text \\(column moods: an array of an enum")
        .containsPattern("\\n  domains +text \\(column mail: a domain")
        .containsPattern("\\n  composites +text \\(column home: a domain or composite");
  }

  private static final String LEGACY =
      """
      CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
      CREATE TABLE legacy (id integer PRIMARY KEY, name text, city varchar(40), code char(4), price numeric(10,2),
        ratio double precision, at timestamptz, tags text[], doc jsonb, span interval, m mood);
      INSERT INTO legacy VALUES
        (1, 'Zoë Müller', 'Köln', 'ß', 12.345, 'Infinity', '2020-02-29 23:59:59.999999+01', '{"ß","à la",NULL}', '{"clé": "é"}', '1 mon -2 days', 'ok'),
        (2, E'tab\\tnew\\nline', '', '', 'NaN', '-0', '-infinity', '{}', '[]', '-00:00:01', NULL),
        (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
      """;

  @Test
  void aPostgres13SourceAndALatin1SourceLoadInBinary() throws Exception {
    String old = Postgres13.createDatabase("binary13");
    TestPostgres.execute(old, LEGACY);
    String latin1 =
        "binary_latin1_" + ProcessHandle.current().pid() + "_" + System.nanoTime() % 100000;
    TestPostgres.execute(
        TestPostgres.url("postgres"),
        "CREATE DATABASE "
            + latin1
            + " ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
    String latin1Url = TestPostgres.url(latin1);
    TestPostgres.execute(latin1Url, LEGACY);
    String warehouse = probedWarehouse("legacy");

    run(Fixtures.config(warehouse).tenant("old", old).tenant("latin", latin1Url).build(reports));

    assertThat(formats(warehouse, "legacy")).containsExactly("binary");
    List<String> columns =
        List.of("id", "name", "city", "code", "price", "ratio", "at", "tags", "doc", "span", "m");
    RowSets.assertSameRows(old, warehouse, "old", "legacy", columns);
    RowSets.assertSameRows(latin1Url, warehouse, "latin", "legacy", columns);
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT tenant_id || '|' || name || '|' || city || '|' || octet_length(code) FROM"
                    + " public.legacy WHERE id = 1"))
        .as("UTF8 in the target, char(4) padded: ß and three spaces are 5 bytes")
        .containsExactly("latin|Zoë Müller|Köln|5", "old|Zoë Müller|Köln|5");
  }
}
