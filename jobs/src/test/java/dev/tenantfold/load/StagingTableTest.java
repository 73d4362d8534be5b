package dev.tenantfold.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.conform.TargetTable;
import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.jdbc.Sql;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Staging names are {@code s<id>_<table>__<tenant>}: unique by the registry's id, never longer than
 * PostgreSQL's 63-byte identifiers once the staging table's own suffixes are added, so the table,
 * its tenant CHECK and its key are created under exactly the names tenantfold later looks for.
 */
class StagingTableTest {
  private static final String STAGING = "tf_staging";
  private static final List<ColumnSpec> COLUMNS =
      List.of(
          new ColumnSpec("id", "bigint", true, null, false),
          new ColumnSpec("note", "text", false, null, false));

  private static int bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  /**
   * A target database with the report schema's registry, the staging schema and a consolidated
   * table {@code table}.
   */
  private static String target(String name, String table) throws Exception {
    String url = TestPostgres.createDatabase(name);
    TestPostgres.execute(
        url,
        "CREATE SCHEMA tf_report; CREATE SCHEMA "
            + STAGING
            + "; CREATE TABLE public."
            + Sql.ident(table)
            + " (tenant_id text NOT NULL, id bigint NOT NULL, note text) PARTITION BY LIST"
            + " (tenant_id)");
    try (Connection conn = TestPostgres.connect(url)) {
      new StagingRegistry("tf_report").ensureTable(conn);
    }
    return url;
  }

  private static StagingTable register(Connection conn, String runId, String tenant, String table)
      throws Exception {
    StagingTable.Name name =
        new StagingRegistry("tf_report").register(conn, runId, tenant, table, STAGING);
    return StagingTable.of(
        name, "public", new TargetTable(table, COLUMNS, List.of("id")), "tenant_id", tenant);
  }

  @Test
  void aShortNameIsTheIdThenTableThenTenant() throws Exception {
    String url = target("staging_short", "orders");
    try (Connection conn = TestPostgres.connect(url)) {
      StagingTable staging = register(conn, "r1", "acme", "orders");
      assertThat(staging.name()).isEqualTo("s" + staging.id() + "_orders__acme");
      assertThat(staging.copyInSql())
          .as("COPY lists the tenant column first, then the target's columns")
          .isEqualTo(
              "COPY \"tf_staging\".\"s"
                  + staging.id()
                  + "_orders__acme\" (\"tenant_id\", \"id\", \"note\") FROM STDIN");
      staging.create(conn);
      TestPostgres.execute(
          url, "INSERT INTO " + staging.qualifiedName() + " VALUES ('acme', 1, 'a')");
      staging.buildKeys(conn, true);
    }
    assertThat(
            RowSets.rows(url, "SELECT object_name || ' ' || state FROM tf_report.staging_objects"))
        .as("recorded before use, under the name it was created with")
        .containsExactly(
            RowSets.rows(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'tf_staging'")
                    .get(0)
                + " created");
  }

  @Test
  void longMultiByteNamesStayWithinIdentifierLimitsAndKeepTheirSuffixes() throws Exception {
    String table = "order_line_items_with_a_rather_long_descriptive_name_x"; // 54 bytes
    String tenant = "gärtnerei_müller_und_söhne_kg"; // multi-byte characters
    String url = target("staging_long", table);
    List<StagingTable> staged = new ArrayList<>();
    try (Connection conn = TestPostgres.connect(url)) {
      for (int i = 0; i < 3; i++) {
        StagingTable staging = register(conn, "r1", tenant, table);
        staging.create(conn);
        TestPostgres.execute(
            url,
            "INSERT INTO "
                + staging.qualifiedName()
                + " VALUES ("
                + Sql.literal(tenant)
                + ", 1, 'x')");
        staging.buildKeys(conn, false);
        staged.add(staging);
      }
    }

    Set<String> names = new HashSet<>();
    for (StagingTable s : staged) {
      assertThat(s.name())
          .as("the id comes first, so a cut never loses it")
          .startsWith("s" + s.id() + "_order_line_items");
      assertThat(bytes(s.name()))
          .as("room for the _tenant, _pk and _ixN suffixes: %s", s.name())
          .isLessThanOrEqualTo(48);
      assertThat(s.name())
          .as("cut on a character boundary")
          .isEqualTo(new String(s.name().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
      names.add(s.name());
    }
    assertThat(names).as("three registrations of the same tenant table: three names").hasSize(3);
    // PostgreSQL would silently truncate a longer identifier; the created objects carry exactly the
    // planned names.
    assertThat(
            RowSets.rows(
                url,
                "SELECT tablename FROM pg_tables WHERE schemaname = 'tf_staging' ORDER BY"
                    + " tablename"))
        .containsExactlyInAnyOrderElementsOf(names);
    List<String> constraints =
        RowSets.rows(
            url,
            "SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace"
                + " WHERE n.nspname = 'tf_staging' ORDER BY conname");
    List<String> expected = new ArrayList<>();
    for (String n : names) {
      expected.add(n + "_pk");
      expected.add(n + "_tenant");
    }
    assertThat(constraints)
        .as("tenant CHECK and key named in full")
        .containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void partitionNamesStayDistinctWhenTableAndTenantNamesShareTheSeparator() {
    TargetTable ab = new TargetTable("a__b", COLUMNS, List.of("id"));
    TargetTable a = new TargetTable("a", COLUMNS, List.of("id"));
    StagingTable first =
        StagingTable.of(
            new StagingTable.Name(1, STAGING, "s1_a__b__c"), "public", ab, "tenant_id", "c");
    StagingTable second =
        StagingTable.of(
            new StagingTable.Name(2, STAGING, "s2_a__b__c"), "public", a, "tenant_id", "b__c");
    assertThat(first.preferredPartitionName())
        .as("(a__b, c) and (a, b__c)")
        .isNotEqualTo(second.preferredPartitionName());
    assertThat(
            StagingTable.of(
                    new StagingTable.Name(3, STAGING, "s3_orders__acme"),
                    "public",
                    new TargetTable("orders", COLUMNS, List.of("id")),
                    "tenant_id",
                    "acme")
                .preferredPartitionName())
        .isEqualTo("orders__acme");
    StagingTable longOne =
        StagingTable.of(
            new StagingTable.Name(4, STAGING, "s4"),
            "public",
            new TargetTable("t".repeat(60), COLUMNS, List.of("id")),
            "tenant_id",
            "tenant_é".repeat(4));
    assertThat(bytes(longOne.preferredPartitionName()))
        .as("a partition name fits in 63 bytes")
        .isLessThanOrEqualTo(63);
  }
}
