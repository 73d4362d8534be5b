package dev.tenantfold.config;

import java.util.Set;

/** Settings of the validate stage: checksum buckets and how far a mismatch is drilled into. */
public record ValidateConfig(
    int buckets, int maxListedKeys, long drilldownRowsPerScan, int maxDrilldownScans) {
  /** The most checksum buckets a table may be spread over (validate.checksum.ChecksumSpec). */
  public static final int MAX_BUCKETS = 1 << 20;

  public static ValidateConfig from(ConfigReader c) {
    c.rejectUnknown(
        Set.of("buckets", "max-listed-keys", "drilldown-rows-per-scan", "max-drilldown-scans"));
    int buckets = c.positiveInt("buckets");
    if (buckets > MAX_BUCKETS) {
      throw new ConfigError(
          "Config key "
              + c.key("buckets")
              + " must be at most "
              + MAX_BUCKETS
              + ", got "
              + buckets);
    }
    return new ValidateConfig(
        buckets,
        c.positiveInt("max-listed-keys"),
        c.positiveLong("drilldown-rows-per-scan"),
        c.positiveInt("max-drilldown-scans"));
  }
}
