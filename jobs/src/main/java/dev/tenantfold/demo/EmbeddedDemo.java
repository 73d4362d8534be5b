package dev.tenantfold.demo;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.tenantfold.cli.TenantfoldMain;
import dev.tenantfold.config.TenantfoldConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import dev.tenantfold.job.AuditJob;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.report.SummaryPrinter;
import java.util.Optional;

/**
 * {@code tenantfold demo}: an embedded PostgreSQL holding three synthetic tenant databases and an
 * empty warehouse, consolidated by the real pipeline with default settings.
 */
public final class EmbeddedDemo {
  private static final Map<String, Integer> TENANTS = Map.of("acme", 20_000, "globex", 5_000, "initech", 1_000);

  private EmbeddedDemo() {}

  public static int run(PrintStream out) throws Exception {
    out.println("Starting an embedded PostgreSQL server...");
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().setServerConfig("max_connections", "100").start()) {
      String admin = pg.getJdbcUrl("postgres", "postgres");
      List<Object> tenants = new ArrayList<>();
      try (Connection conn = DriverManager.getConnection(admin); Statement st = conn.createStatement()) {
        for (String db : List.of("warehouse", "acme", "globex", "initech")) {
          st.execute("CREATE DATABASE " + db);
        }
      }
      for (String tenant : List.of("acme", "globex", "initech")) {
        try (Connection conn = DriverManager.getConnection(pg.getJdbcUrl("postgres", tenant))) {
          DemoData.createTenant(conn, tenant, TENANTS.get(tenant));
        }
        tenants.add(Map.of("id", tenant, "jdbc", Map.of("url", pg.getJdbcUrl("postgres", tenant), "user", "postgres", "password", "demo-secret")));
        out.printf("Created tenant database %s (%,d customers, %,d orders, %,d order items, %,d events)%n", tenant, TENANTS.get(tenant),
            TENANTS.get(tenant) * 3, TENANTS.get(tenant) * 6, TENANTS.get(tenant));
      }
      var user = ConfigFactory.empty()
          .withValue("tenantfold.target.url", ConfigValueFactory.fromAnyRef(pg.getJdbcUrl("postgres", "warehouse")))
          .withValue("tenantfold.target.user", ConfigValueFactory.fromAnyRef("postgres"))
          .withValue("tenantfold.target.password", ConfigValueFactory.fromAnyRef("demo-secret"))
          .withValue("tenantfold.tenants", ConfigValueFactory.fromIterable(tenants))
          .withValue("tenantfold.report.dir", ConfigValueFactory.fromAnyRef(System.getProperty("tenantfold.demo.report-dir", "target/demo-reports")))
          .withValue("tenantfold.extract.rows-per-partition", ConfigValueFactory.fromAnyRef(25_000));
      TenantfoldConfig config = TenantfoldConfig.fromConfig(user);
      int code = TenantfoldMain.runJob(config, out);
      out.println();
      out.println("Auditing the published data against the sources (tenantfold validate):");
      RunResult audit = new AuditJob(config, Optional.empty(), Optional.empty()).execute();
      SummaryPrinter.print(audit, out);
      code = code != 0 ? code : audit.exitCode();
      try (Connection conn = DriverManager.getConnection(pg.getJdbcUrl("postgres", "warehouse"));
          Statement st = conn.createStatement();
          var rs = st.executeQuery("SELECT tenant_id, count(*) FROM public.orders GROUP BY tenant_id ORDER BY 1")) {
        out.println("Warehouse public.orders rows per tenant:");
        while (rs.next()) {
          out.printf("  %-10s %,d%n", rs.getString(1), rs.getLong(2));
        }
      }
      return code;
    }
  }
}
