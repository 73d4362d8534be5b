package dev.tenantfold.demo;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.tenantfold.config.JobOptions;
import dev.tenantfold.config.TargetConfig;
import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.job.Jobs;
import dev.tenantfold.job.RunOptions;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.SummaryPrinter;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;

/**
 * {@code tenantfold demo}: an embedded PostgreSQL holding four synthetic tenant databases and an
 * empty warehouse, consolidated by the real pipeline with default settings: three read live over
 * JDBC, one from an RDS-shaped snapshot export of its database.
 */
public final class EmbeddedDemo {
  private static final Map<String, Integer> TENANTS =
      Map.of("acme", 20_000, "globex", 5_000, "initech", 1_000);

  private EmbeddedDemo() {}

  public static int run(PrintStream out) throws Exception {
    return run(out, (config, warehouse) -> {});
  }

  /**
   * What runs after the demo while its PostgreSQL is still up: the demo's configuration and the
   * warehouse's connection ({@code jdbc:postgresql://localhost:PORT/warehouse}, user postgres), for
   * reading the report tables (the notebooks' CI test) before the server stops.
   */
  @FunctionalInterface
  public interface WhileUp {
    void accept(TenantfoldConfig config, String warehouseUrl) throws Exception;
  }

  /** The demo, then {@code whileUp} with the database still reachable. */
  public static int run(PrintStream out, WhileUp whileUp) throws Exception {
    out.println("Starting an embedded PostgreSQL server...");
    try (EmbeddedPostgres pg =
        EmbeddedPostgres.builder()
            .setServerConfig("max_connections", "100")
            // Catch-up reads the sources' changes through logical decoding.
            .setServerConfig("wal_level", "logical")
            .setServerConfig("max_replication_slots", "10")
            .setServerConfig("max_wal_senders", "10")
            .start()) {
      String admin = pg.getJdbcUrl("postgres", "postgres");
      List<Object> tenants = new ArrayList<>();
      try (Connection conn = DriverManager.getConnection(admin);
          Statement st = conn.createStatement()) {
        for (String db : List.of("warehouse", "acme", "globex", "initech")) {
          st.execute("CREATE DATABASE " + db);
        }
      }
      for (String tenant : List.of("acme", "globex", "initech")) {
        try (Connection conn = DriverManager.getConnection(pg.getJdbcUrl("postgres", tenant))) {
          DemoData.createTenant(conn, tenant, TENANTS.get(tenant));
        }
        tenants.add(
            Map.of(
                "id",
                tenant,
                "jdbc",
                Map.of(
                    "url",
                    pg.getJdbcUrl("postgres", tenant),
                    "user",
                    "postgres",
                    "password",
                    "demo-secret")));
        out.printf(
            "Created tenant database %s (%,d customers, %,d orders, %,d order items, %,d events)%n",
            tenant,
            TENANTS.get(tenant),
            TENANTS.get(tenant) * 3,
            TENANTS.get(tenant) * 6,
            TENANTS.get(tenant));
      }
      // A fifth tenant whose application keeps writing: caught up and cut over after the run.
      // Catch-up
      // replays changes by key, so it takes the tables that have one (events has none).
      try (Connection conn = DriverManager.getConnection(admin);
          Statement st = conn.createStatement()) {
        st.execute("CREATE DATABASE hooli");
      }
      String hooli = pg.getJdbcUrl("postgres", "hooli");
      try (Connection conn = DriverManager.getConnection(hooli);
          Statement st = conn.createStatement()) {
        DemoData.createTenant(conn, "hooli", 3_000);
        st.execute("DROP TABLE events");
      }
      tenants.add(
          Map.of(
              "id",
              "hooli",
              "jdbc",
              Map.of("url", hooli, "user", "postgres", "password", "demo-secret"),
              "catch-up",
              Map.of("mode", "logical")));
      out.println(
          "Created tenant database hooli (3,000 customers; its application keeps writing, so it is"
              + " caught up and cut over after the run)");
      // A fourth tenant, read from an RDS-shaped snapshot export (Parquet in a local folder; s3a://
      // works the same).
      try (Connection conn = DriverManager.getConnection(admin);
          Statement st = conn.createStatement()) {
        st.execute("CREATE DATABASE umbrella");
      }
      String umbrella = pg.getJdbcUrl("postgres", "umbrella");
      try (Connection conn = DriverManager.getConnection(umbrella)) {
        DemoData.createTenant(conn, "umbrella", 2_000);
      }
      Path exportRoot = Files.createTempDirectory("tenantfold-demo-export");
      SparkSession spark =
          SparkSession.builder()
              .appName("tenantfold")
              .master("local[2]")
              .config("spark.ui.enabled", "false")
              .config("spark.driver.bindAddress", "127.0.0.1")
              .config("spark.driver.host", "127.0.0.1")
              .config("spark.ui.showConsoleProgress", "false")
              .getOrCreate();
      String task =
          DemoExport.write(
              spark,
              umbrella,
              "umbrella",
              List.of("customers", "orders", "order_items", "events"),
              exportRoot);
      tenants.add(
          Map.of(
              "id",
              "umbrella",
              "export",
              Map.of(
                  "path",
                  exportRoot.toString(),
                  "database",
                  "umbrella",
                  "catalog",
                  Map.of("url", umbrella, "user", "postgres", "password", "demo-secret"))));
      out.printf(
          "Created tenant database umbrella (2,000 customers) and its snapshot export %s in %s%n",
          task, exportRoot);
      var user =
          ConfigFactory.empty()
              .withValue(
                  TargetConfig.URL.path(),
                  ConfigValueFactory.fromAnyRef(pg.getJdbcUrl("postgres", "warehouse")))
              .withValue(TargetConfig.USER.path(), ConfigValueFactory.fromAnyRef("postgres"))
              .withValue(TargetConfig.PASSWORD.path(), ConfigValueFactory.fromAnyRef("demo-secret"))
              .withValue(TenantfoldConfig.TENANTS.path(), ConfigValueFactory.fromIterable(tenants))
              .withValue(
                  TenantfoldConfig.REPORT_DIR.path(),
                  ConfigValueFactory.fromAnyRef(
                      System.getProperty("tenantfold.demo.report-dir", "target/demo-reports")))
              .withValue(
                  JobOptions.ROWS_PER_PARTITION.path(), ConfigValueFactory.fromAnyRef(25_000));
      TenantfoldConfig config = TenantfoldConfig.fromConfig(user);
      int code = Jobs.run(config, RunOptions.defaults(), out);
      out.println();
      out.println("Auditing the published data against the sources (tenantfold validate):");
      RunResult audit = Jobs.audit(config, Optional.empty(), Optional.empty(), null, out);
      SummaryPrinter.print(audit, out);
      if (audit.htmlReportPath() != null) {
        out.println("HTML report: " + audit.htmlReportPath());
      }
      code = code != 0 ? code : audit.exitCode();
      try (Connection conn = DriverManager.getConnection(pg.getJdbcUrl("postgres", "warehouse"));
          Statement st = conn.createStatement();
          var rs =
              st.executeQuery(
                  "SELECT tenant_id, count(*) FROM public.orders GROUP BY tenant_id ORDER BY 1")) {
        out.println("Warehouse public.orders rows per tenant:");
        while (rs.next()) {
          out.printf("  %-10s %,d%n", rs.getString(1), rs.getLong(2));
        }
      }
      code = code != 0 ? code : DemoCutover.run(config, hooli, out);
      whileUp.accept(config, pg.getJdbcUrl("postgres", "warehouse"));
      return code;
    }
  }
}
