package dev.tenantfold.config;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

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
    CopyFormatSetting copyFormat,
    Duration publishLockTimeout,
    List<String> allowShrink,
    double maxShrink,
    Duration outcomeWait,
    boolean allowSameDatabase,
    List<String> replaceCutOver,
    String sparkMaster,
    String sparkAppName) {

  /**
   * {@code load.copy-format}: {@code auto} streams a JDBC tenant's table in PostgreSQL's binary
   * COPY format where every column allows it (less CPU on both servers), {@code text} always in
   * text.
   */
  public enum CopyFormatSetting {
    AUTO,
    TEXT
  }

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

  private static final KeyBlock EXTRACT = new KeyBlock("tenantfold.extract");
  public static final ConfigKey<Long> ROWS_PER_PARTITION =
      EXTRACT.positiveLong("rows-per-partition");
  private static final ConfigKey<Integer> MAX_PARTITIONS =
      EXTRACT.positiveInt("max-partitions-per-table");
  private static final ConfigKey<Integer> TENANT_PARALLELISM =
      EXTRACT.positiveInt("tenant-parallelism");
  private static final ConfigKey<Integer> TRANSFER_ATTEMPTS =
      EXTRACT.positiveInt("transfer-attempts");

  private static final KeyBlock LOAD = new KeyBlock("tenantfold.load");
  private static final ConfigKey<Boolean> ANALYZE = LOAD.bool("analyze");
  private static final ConfigKey<Boolean> KEEP_FAILED_STAGING = LOAD.bool("keep-failed-staging");
  public static final ConfigKey<CopyFormatSetting> COPY_FORMAT =
      LOAD.key(
          "copy-format",
          (block, name) -> {
            String value = block.string(name);
            try {
              return CopyFormatSetting.valueOf(value.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
              throw new ConfigError(
                  "Config key "
                      + block.key(name)
                      + " must be auto (binary where every column allows it) or text; got '"
                      + value
                      + "'");
            }
          });

  private static final KeyBlock PUBLISH = new KeyBlock("tenantfold.publish");
  public static final ConfigKey<Duration> LOCK_TIMEOUT =
      PUBLISH.key(
          "lock-timeout",
          (block, name) -> {
            Duration timeout = block.duration(name);
            if (timeout.toMillis() < 1) {
              throw new ConfigError(
                  "Config key "
                      + block.key(name)
                      + " must be positive (0 would wait forever), got "
                      + timeout);
            }
            return timeout;
          });
  private static final ConfigKey<List<String>> ALLOW_SHRINK = PUBLISH.stringList("allow-shrink");
  private static final ConfigKey<Double> MAX_SHRINK =
      PUBLISH.key("max-shrink", JobOptions::fraction);
  public static final ConfigKey<Duration> OUTCOME_WAIT = PUBLISH.duration("outcome-wait");
  public static final ConfigKey<Boolean> ALLOW_SAME_DATABASE = PUBLISH.bool("allow-same-database");
  public static final ConfigKey<List<String>> REPLACE_CUT_OVER =
      PUBLISH.stringList("replace-cut-over");

  private static final KeyBlock SPARK = new KeyBlock("tenantfold.spark");
  private static final ConfigKey<String> MASTER = SPARK.string("master");
  private static final ConfigKey<String> APP_NAME = SPARK.string("app-name");

  static JobOptions from(ConfigReader root) {
    ConfigReader extract = EXTRACT.checked(root.block("extract"));
    ConfigReader load = LOAD.checked(root.block("load"));
    ConfigReader publish = PUBLISH.checked(root.block("publish"));
    ConfigReader spark = SPARK.checked(root.block("spark"));
    return new JobOptions(
        extract.get(ROWS_PER_PARTITION),
        extract.get(MAX_PARTITIONS),
        extract.get(TENANT_PARALLELISM),
        extract.get(TRANSFER_ATTEMPTS),
        load.get(ANALYZE),
        load.get(KEEP_FAILED_STAGING),
        load.get(COPY_FORMAT),
        publish.get(LOCK_TIMEOUT),
        publish.get(ALLOW_SHRINK),
        publish.get(MAX_SHRINK),
        publish.get(OUTCOME_WAIT),
        publish.get(ALLOW_SAME_DATABASE),
        publish.get(REPLACE_CUT_OVER),
        spark.get(MASTER),
        spark.get(APP_NAME));
  }
}
