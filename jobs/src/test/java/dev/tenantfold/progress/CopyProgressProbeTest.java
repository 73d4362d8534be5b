package dev.tenantfold.progress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.jdbc.JdbcEndpoint;
import dev.tenantfold.jdbc.SessionName;
import dev.tenantfold.load.LoadLedger;
import dev.tenantfold.testing.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * The rows progress shows are the target's own counts: a COPY still streaming shows its processed
 * rows (pg_stat_progress_copy), a committed partition its ledger rows, and a rolled-back one
 * nothing.
 */
class CopyProgressProbeTest {
  private static final String RUN = "20261129T150000Z-beef";

  @Test
  void countsRowsOfCopiesInFlightAndOfCommittedPartitionsPerTenant() throws Exception {
    String url = TestPostgres.createDatabase("probe");
    TestPostgres.execute(url, "CREATE SCHEMA tenantfold; CREATE TABLE staging (id int, v text)");
    String ledger = LoadLedger.tableIn("tenantfold");
    try (Connection c = TestPostgres.connect(url)) {
      LoadLedger.createTable(c, ledger);
    }
    JdbcEndpoint target = new JdbcEndpoint(url, "postgres", "postgres");
    try (CopyProgressProbe probe =
            new CopyProgressProbe(target, ledger, RUN, List.of("acme", "globex"));
        Connection load = target.connect(SessionName.of(RUN, "load-acme"));
        Connection other = target.connect(SessionName.of("20261129T140000Z-0000", "load-acme"))) {
      load.setAutoCommit(false);
      LoadLedger part = new LoadLedger(ledger, RUN, "acme", "staging", 0);
      assertThat(part.claim(load)).isTrue();
      CopyIn copy = load.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY staging FROM STDIN");
      byte[] rows = rows(0, 5000);
      copy.writeToCopy(rows, 0, rows.length);
      copy.flushCopy();
      // Another run's COPY is not this run's progress.
      other.setAutoCommit(false);
      CopyIn foreign =
          other.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY staging FROM STDIN");
      byte[] more = rows(0, 300);
      foreign.writeToCopy(more, 0, more.length);
      foreign.flushCopy();

      Map<String, CopyProgressProbe.Copied> inFlight = pollUntil(probe, 5000);
      assertThat(inFlight.get("acme"))
          .as("a COPY streaming shows the rows the server processed")
          .isEqualTo(new CopyProgressProbe.Copied(0, 0, 5000));
      assertThat(inFlight).doesNotContainKey("globex");

      long loaded = copy.endCopy();
      part.record(load, loaded, loaded);
      load.commit();
      assertThat(probe.poll().get("acme"))
          .as("committed: the ledger's rows")
          .isEqualTo(new CopyProgressProbe.Copied(5000, 1, 0));
      foreign.cancelCopy();
      other.rollback();
    }
  }

  private static Map<String, CopyProgressProbe.Copied> pollUntil(CopyProgressProbe probe, long rows)
      throws InterruptedException {
    Map<String, CopyProgressProbe.Copied> last = Map.of();
    for (int i = 0; i < 50; i++) {
      last = probe.poll();
      if (last.containsKey("acme") && last.get("acme").inFlightRows() >= rows) {
        return last;
      }
      Thread.sleep(100);
    }
    return last;
  }

  private static byte[] rows(int from, int to) {
    StringBuilder text = new StringBuilder();
    for (int i = from; i < to; i++) {
      text.append(i).append('\t').append("row ").append(i).append('\n');
    }
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }
}
