package dev.tenantfold.source;

import dev.tenantfold.config.ExportConfig;
import dev.tenantfold.extract.export.ExportException;
import dev.tenantfold.extract.export.RdsExport;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;

/**
 * The exports one job's run has opened, by path, database and {@link
 * RdsExport#metadataFingerprint}: a run plans with one source and migrates with another, and
 * opening lists every table folder and reads both ends of every Parquet part (thousands of S3
 * requests for a large export); the second open then costs one listing of the root. Owned by the
 * run's {@link TenantSources}, so what one run opened is gone with it. At most {@link #LIMIT} are
 * kept (memory stays bounded for a run of many export tenants).
 */
final class OpenedExports {
  static final int LIMIT = 32;
  private final Map<String, RdsExport> opened = new ConcurrentHashMap<>();

  /** The export, opened now or taken from this run's earlier open of the unchanged metadata. */
  RdsExport open(Configuration conf, ExportConfig export, String tenantId) throws SQLException {
    String fingerprint = RdsExport.metadataFingerprint(conf, export.path());
    String key = export.path() + "\n" + export.database() + "\n" + fingerprint;
    RdsExport known = fingerprint.isEmpty() ? null : opened.get(key);
    if (known != null) {
      return known;
    }
    RdsExport fresh;
    try {
      fresh = RdsExport.open(conf, export.path(), export.database());
    } catch (ExportException e) {
      throw new SQLException(
          "Cannot read the export of tenant " + tenantId + ": " + e.getMessage(), e);
    }
    if (!fingerprint.isEmpty()) {
      if (opened.size() >= LIMIT) {
        opened.clear();
      }
      opened.put(key, fresh);
    }
    return fresh;
  }
}
