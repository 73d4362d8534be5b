package dev.tenantfold.catchup;

import static dev.tenantfold.jdbc.Sql.ident;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Ends a tenant's change capture on the source: its slot, and its publication if ours. */
final class SourceSlot {
  private static final Logger LOG = LoggerFactory.getLogger(SourceSlot.class);

  private SourceSlot() {}

  /**
   * Drops the slot (when it exists) and the publication when Tenantfold created it (a DBA-made one
   * is left to the DBA).
   */
  static void drop(Connection source, String tenantId, String slot, String publication)
      throws SQLException {
    try (PreparedStatement ps =
        source.prepareStatement(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name"
                + " = ?")) {
      ps.setString(1, slot);
      ps.execute();
    }
    boolean ours = PublicationSql.ours(source, publication);
    if (ours) {
      try (Statement st = source.createStatement()) {
        st.execute("DROP PUBLICATION IF EXISTS " + ident(publication));
      }
    }
    LOG.info(
        "Tenant {}: slot {} dropped{}",
        tenantId,
        slot,
        ours ? ", publication " + publication + " dropped" : "");
  }
}
