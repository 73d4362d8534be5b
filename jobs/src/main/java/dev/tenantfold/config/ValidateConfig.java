package dev.tenantfold.config;

/** Settings of the validate stage: checksum buckets and how far a mismatch is drilled into. */
public record ValidateConfig(
    int buckets, int maxListedKeys, long drilldownRowsPerScan, int maxDrilldownScans) {
  /** The most checksum buckets a table may be spread over (validate.checksum.ChecksumSpec). */
  public static final int MAX_BUCKETS = 1 << 20;

  private static final KeyBlock KEYS = new KeyBlock("tenantfold.validate");
  private static final ConfigKey<Integer> BUCKETS =
      KEYS.key(
          "buckets",
          (block, name) -> {
            int buckets = block.positiveInt(name);
            if (buckets > MAX_BUCKETS) {
              throw new ConfigError(
                  "Config key "
                      + block.key(name)
                      + " must be at most "
                      + MAX_BUCKETS
                      + ", got "
                      + buckets);
            }
            return buckets;
          });
  public static final ConfigKey<Integer> MAX_LISTED_KEYS = KEYS.positiveInt("max-listed-keys");
  public static final ConfigKey<Long> DRILLDOWN_ROWS_PER_SCAN =
      KEYS.positiveLong("drilldown-rows-per-scan");
  public static final ConfigKey<Integer> MAX_DRILLDOWN_SCANS =
      KEYS.positiveInt("max-drilldown-scans");

  public static ValidateConfig from(ConfigReader block) {
    ConfigReader c = KEYS.checked(block);
    return new ValidateConfig(
        c.get(BUCKETS),
        c.get(MAX_LISTED_KEYS),
        c.get(DRILLDOWN_ROWS_PER_SCAN),
        c.get(MAX_DRILLDOWN_SCANS));
  }
}
