package dev.tenantfold.validate.checksum;

import java.sql.Array;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs {@link ChecksumSql} on a PostgreSQL connection (a source inside its snapshot transaction, or
 * the target) and reads the results. Only per-bucket aggregates cross the network for the checksum;
 * drill-down reads the rows of the given buckets only.
 */
public final class PostgresChecksum {
  private PostgresChecksum() {}

  /** Per-bucket aggregates of the rows {@code sql} selects. */
  public static TableChecksum checksum(Connection conn, ChecksumSql sql) throws SQLException {
    ChecksumSql effective = forServerEncoding(conn, sql);
    Map<Integer, BucketDigest> buckets = new HashMap<>();
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(effective.bucketDigests())) {
      while (rs.next()) {
        buckets.put(rs.getInt(1), new BucketDigest(rs.getLong(2), rs.getLong(3)));
      }
    }
    return new TableChecksum(sql.spec().buckets(), buckets);
  }

  /** The rows of {@code buckets}, with key, digest and canonical column values. */
  public static List<DrillDownRow> drillDown(
      Connection conn, ChecksumSql sql, Collection<Integer> buckets) throws SQLException {
    ChecksumSql effective = forServerEncoding(conn, sql);
    List<DrillDownRow> rows = new ArrayList<>();
    if (buckets.isEmpty()) {
      return rows;
    }
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(effective.drillDown(buckets))) {
      while (rs.next()) {
        Array values = rs.getArray(4);
        rows.add(
            new DrillDownRow(
                rs.getInt(1),
                rs.getString(2),
                rs.getString(3),
                Arrays.asList((String[]) values.getArray())));
        values.free();
      }
    }
    return rows;
  }

  /**
   * The checksum for the database's encoding: UTF8 hashes its text as is; a single-byte encoding
   * hashes each field converted to UTF-8 (the same bytes); SQL_ASCII has no encoding to convert
   * from, and a multi-byte encoding other than UTF8 (EUC_JP, ...) cannot hold the UTF-8 bytes as
   * its text, which {@code hashtextextended} needs.
   */
  private static ChecksumSql forServerEncoding(Connection conn, ChecksumSql sql)
      throws SQLException {
    try (Statement st = conn.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT current_setting('server_encoding'),"
                    + " pg_encoding_max_length(pg_char_to_encoding("
                    + "current_setting('server_encoding')))")) {
      rs.next();
      String encoding = rs.getString(1);
      if ("UTF8".equalsIgnoreCase(encoding)) {
        return sql;
      }
      if ("SQL_ASCII".equalsIgnoreCase(encoding)) {
        throw new SQLException(
            "Cannot checksum a SQL_ASCII database: its bytes have no declared encoding to convert"
                + " to UTF-8; convert it to a UTF8 database first");
      }
      if (rs.getInt(2) != 1) {
        throw new SQLException(
            "Cannot checksum a database in encoding "
                + encoding
                + ": the checksum hashes UTF-8 bytes as a text of the database's encoding, which"
                + " only UTF8 and single-byte encodings (LATIN1, WIN1252, ...) allow; convert it"
                + " to a UTF8 database first");
      }
      return sql.inSingleByteEncoding(encoding);
    }
  }
}
