package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.Postgres13;
import dev.tenantfold.testing.RowSets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Logical catch-up from a PostgreSQL 13 source, the oldest Tenantfold reads: the slot's exported
 * snapshot, pgoutput's messages and the cutover work there as on the newest, with a writer during
 * the run and the catch-up.
 */
class CatchUpPostgres13Test {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  @Test
  void aPostgres13SourceIsCaughtUpAndCutOverExactly() throws Exception {
    String acme = Postgres13.createDatabase("catchup13");
    try (Connection conn = DriverManager.getConnection(acme, "postgres", "postgres");
        Statement st = conn.createStatement()) {
      st.execute(CatchUpTest.SCHEMA);
      try (var rs = st.executeQuery("SHOW server_version_num")) {
        rs.next();
        assertThat(rs.getInt(1)).as("the source runs PostgreSQL 13").isBetween(130000, 139999);
      }
      // The application's role, for cutover --freeze: the only one besides the owner that
      // connects.
      st.execute(
          "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'freeze13_app') THEN"
              + " CREATE ROLE freeze13_app LOGIN; END IF; END $$");
      st.execute(
          "DO $$ BEGIN EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM PUBLIC; GRANT CONNECT"
              + " ON DATABASE %I TO freeze13_app', current_database(), current_database()); END"
              + " $$");
    }
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config =
        TenantfoldConfig.fromConfig(
            ConfigFactory.parseString(
                    CatchUpTest.hocon(warehouse, "acme", acme, "")
                        .replace(
                            "catch-up { mode = logical }",
                            "catch-up { mode = logical, freeze-roles = [freeze13_app] }"))
                .withFallback(
                    ConfigFactory.parseString(
                        "tenantfold.report.dir = \"" + reports.toString() + "\"")));
    try (CatchUpTest.Writer writer = new CatchUpTest.Writer(acme, 13)) {
      writer.awaitMore(50);
      RunResult result = new MigrationJob(config, spark).execute();
      assertThat(result.exitCode()).as("run: %s", result.tenants()).isZero();
      writer.awaitMore(200);
      assertThat(CatchUpTest.run(new CatchUpJob(config))).startsWith("0|");
      writer.awaitMore(100);
      // --until-lag on PostgreSQL 13: the lag is peeked from the slot (pgoutput protocol 1).
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(2);
      int code =
          new CatchUpJob(config)
              .follow(
                  java.util.List.of(),
                  java.util.Optional.of(java.time.Duration.ofSeconds(30)),
                  () -> System.nanoTime() > deadline,
                  new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8));
      String out = bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
      assertThat(code).as(out).isZero();
      assertThat(out).containsPattern("tenant acme: lag \\d").doesNotContain("stopped (SIGTERM)");
      writer.awaitMore(200);
    }
    java.io.ByteArrayOutputStream cut = new java.io.ByteArrayOutputStream();
    int code;
    // cutover --freeze on PostgreSQL 13: the role's session is ended, its CONNECT given back.
    try (Connection app = DriverManager.getConnection(acme, "freeze13_app", "")) {
      code =
          new CatchUpJob(config)
              .cutover(
                  "acme",
                  true,
                  java.util.Optional.of(java.time.Duration.ofMinutes(1)),
                  new java.io.PrintStream(cut, true, java.nio.charset.StandardCharsets.UTF_8));
      assertThat(app.isValid(5)).as("the application's session was ended").isFalse();
    }
    assertThat(code).as(cut.toString(java.nio.charset.StandardCharsets.UTF_8)).isZero();
    assertThat(cut.toString(java.nio.charset.StandardCharsets.UTF_8))
        .contains("1 sessions ended")
        .contains("CONNECT granted back");
    try (Connection app = DriverManager.getConnection(acme, "freeze13_app", "")) {
      assertThat(app.isValid(5)).as("the role connects again after the cutover").isTrue();
    }
    CatchUpTest.assertSameTables(acme, warehouse, "acme");
    CatchUpTest.assertSequencesPastSource(acme, warehouse, "acme");
    assertThat(
            RowSets.count(
                acme,
                "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"))
        .isZero();
  }
}
