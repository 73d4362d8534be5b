package dev.tenantfold.config;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Tuning of extract, load, publish and the local Spark session. Grouped here because each is a few
 * scalars; stages read only their own fields.
 */
public record JobOptions(
    long rowsPerPartition,
    int maxPartitionsPerTable,
    int tenantParallelism,
    int transferAttempts,
    boolean analyzeStaging,
    boolean keepFailedStaging,
    Duration publishLockTimeout,
    List<String> allowShrink,
    String sparkMaster,
    String sparkAppName) {

  public JobOptions {
    allowShrink = List.copyOf(allowShrink);
  }

  /** Whether {@code publish.allow-shrink} lets the tenant publish less than before. */
  public boolean allowsShrink(String tenantId) {
    return allowShrink.contains("*") || allowShrink.contains(tenantId);
  }

  static JobOptions from(ConfigReader root) {
    ConfigReader extract = root.block("extract");
    extract.rejectUnknown(
        Set.of(
            "rows-per-partition",
            "max-partitions-per-table",
            "tenant-parallelism",
            "transfer-attempts"));
    ConfigReader load = root.block("load");
    load.rejectUnknown(Set.of("analyze", "keep-failed-staging"));
    ConfigReader publish = root.block("publish");
    publish.rejectUnknown(Set.of("lock-timeout", "allow-shrink"));
    ConfigReader spark = root.block("spark");
    spark.rejectUnknown(Set.of("master", "app-name"));
    Duration lockTimeout = publish.duration("lock-timeout");
    if (lockTimeout.toMillis() < 1) {
      throw new ConfigError(
          "Config key "
              + publish.key("lock-timeout")
              + " must be positive (0 would wait forever), got "
              + lockTimeout);
    }
    return new JobOptions(
        extract.positiveLong("rows-per-partition"),
        extract.positiveInt("max-partitions-per-table"),
        extract.positiveInt("tenant-parallelism"),
        extract.positiveInt("transfer-attempts"),
        load.bool("analyze"),
        load.bool("keep-failed-staging"),
        lockTimeout,
        publish.stringList("allow-shrink"),
        spark.string("master"),
        spark.string("app-name"));
  }
}
