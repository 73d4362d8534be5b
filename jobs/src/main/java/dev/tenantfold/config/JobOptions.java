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
    double maxShrink,
    Duration outcomeWait,
    boolean allowSameDatabase,
    List<String> replaceCutOver,
    String sparkMaster,
    String sparkAppName) {

  public JobOptions {
    allowShrink = List.copyOf(allowShrink);
    replaceCutOver = List.copyOf(replaceCutOver);
  }

  /**
   * {@code publish.replace-cut-over}: whether a run may replace tenant {@code tenantId}'s rows
   * although the tenant was cut over (its application writes to the target since).
   */
  public boolean mayReplaceCutOver(String tenantId) {
    return replaceCutOver.contains(tenantId) || replaceCutOver.contains("*");
  }

  /**
   * {@code publish.max-shrink}: a percentage ({@code "50%"}) or a fraction ({@code 0.5}) from 0 to
   * 1.
   */
  static double fraction(ConfigReader block, String name) {
    String raw = block.string(name).trim();
    double value;
    try {
      value =
          raw.endsWith("%")
              ? Double.parseDouble(raw.substring(0, raw.length() - 1).trim()) / 100
              : Double.parseDouble(raw);
    } catch (NumberFormatException e) {
      value = Double.NaN;
    }
    if (!(value >= 0 && value <= 1)) {
      throw new ConfigError(
          "Config key "
              + block.key(name)
              + " must be a percentage from 0% to 100% (or a fraction from 0 to 1), got '"
              + raw
              + "'");
    }
    return value;
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
    publish.rejectUnknown(
        Set.of(
            "lock-timeout",
            "allow-shrink",
            "max-shrink",
            "outcome-wait",
            "allow-same-database",
            "replace-cut-over"));
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
        fraction(publish, "max-shrink"),
        publish.duration("outcome-wait"),
        publish.bool("allow-same-database"),
        publish.stringList("replace-cut-over"),
        spark.string("master"),
        spark.string("app-name"));
  }
}
