package dev.tenantfold.demo;

import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.job.CatchUpJob;
import dev.tenantfold.report.ExitCode;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The demo's cutover without downtime: tenant hooli's application writes while {@code tenantfold
 * catch-up} applies its changes to the published tenant; then the application stops, {@code
 * tenantfold cutover} drains the last changes, checks them and switches the tenant, and the demo
 * shows the source and the warehouse agree.
 */
final class DemoCutover {
  private static final String TENANT = "hooli";

  private DemoCutover() {}

  static int run(TenantfoldConfig config, String sourceUrl, PrintStream out) throws Exception {
    out.println();
    out.println(
        "Cutting over tenant "
            + TENANT
            + " without downtime: its application writes while tenantfold catch-up applies the"
            + " changes");
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong transactions = new AtomicLong();
    CompletableFuture<Void> writer =
        CompletableFuture.runAsync(() -> write(sourceUrl, stop, transactions));
    CatchUpJob job = new CatchUpJob(config);
    int code;
    try {
      // Two passes while the application writes: each applies what was committed before it began.
      awaitTransactions(transactions, 200, writer);
      code = job.catchUp(List.of(TENANT), out);
      awaitTransactions(transactions, 400, writer);
      code = code != ExitCode.OK ? code : job.catchUp(List.of(TENANT), out);
    } finally {
      stop.set(true);
      writer.join();
    }
    out.printf(
        "The application of %s stopped writing after %,d transactions; tenantfold cutover:%n",
        TENANT, transactions.get());
    code = code != ExitCode.OK ? code : job.cutover(TENANT, out);
    String counts =
        "SELECT (SELECT count(*) FROM customers) || ' customers, ' || (SELECT count(*) FROM orders)"
            + " || ' orders'";
    out.printf(
        "  source %s: %s; warehouse %s: %s%n",
        TENANT,
        text(sourceUrl, counts),
        TENANT,
        text(
            config.target().endpoint().url(),
            counts
                .replace(
                    "FROM customers", "FROM public.customers WHERE tenant_id = '" + TENANT + "'")
                .replace("FROM orders", "FROM public.orders WHERE tenant_id = '" + TENANT + "'")));
    return code;
  }

  /**
   * The tenant's application: small transactions of inserts, updates and deletes, one every few
   * milliseconds, until told to stop.
   */
  private static void write(String url, AtomicBoolean stop, AtomicLong transactions) {
    try (Connection conn = DriverManager.getConnection(url, "postgres", "postgres");
        Statement st = conn.createStatement()) {
      conn.setAutoCommit(false);
      for (long i = 1; !stop.get(); i++) {
        long id = 1_000_000 + i;
        st.execute(
            "INSERT INTO customers (id, name, created_at) VALUES ("
                + id
                + ", 'New customer "
                + i
                + "', now())");
        st.execute(
            "INSERT INTO orders (id, customer_id, status, total) VALUES ("
                + id
                + ", "
                + id
                + ", 'new', "
                + i
                + ")");
        st.execute("UPDATE customers SET balance = balance + 1 WHERE id = " + (1 + i % 3_000));
        st.execute("UPDATE orders SET status = 'paid' WHERE id = " + (id - 1));
        conn.commit();
        transactions.incrementAndGet();
        Thread.sleep(2);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("The demo's application writer failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void awaitTransactions(
      AtomicLong transactions, long atLeast, CompletableFuture<Void> writer)
      throws InterruptedException {
    while (transactions.get() < atLeast && !writer.isDone()) {
      Thread.sleep(10);
    }
    writer.getNow(null);
  }

  private static String text(String url, String sql) throws SQLException {
    try (Connection conn = DriverManager.getConnection(url, "postgres", "postgres");
        PreparedStatement ps = conn.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getString(1);
    }
  }
}
