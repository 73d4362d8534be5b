package dev.tenantfold.config;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * What every AWS control-plane call of the job shares ({@code tenantfold.aws}): the region and
 * optional endpoints (VPC interface endpoints, tests). Credentials never come from here: the SDK's
 * default provider chain finds them (environment, profile, the EMR instance role).
 *
 * @param region {@code aws.region}; empty for the SDK's default region chain
 * @param rdsEndpoint {@code aws.rds-endpoint}, e.g. {@code https://rds.eu-west-1.amazonaws.com}
 * @param secretsManagerEndpoint {@code aws.secretsmanager-endpoint}
 * @param pollInterval {@code aws.poll-interval}: how often waiting for a copy or an export task
 *     asks RDS for its status (default 30 s)
 * @param export {@code aws.export}: where {@code tenantfold export} writes
 * @param discoverTag {@code aws.discover.tag}: the instance tag whose value is the tenant id
 * @param discoverUser {@code aws.discover.user}: the user the printed tenant blocks connect as
 */
public record AwsConfig(
    Optional<String> region,
    Optional<String> rdsEndpoint,
    Optional<String> secretsManagerEndpoint,
    Duration pollInterval,
    ExportDestination export,
    String discoverTag,
    Optional<String> discoverUser) {
  private static final KeyBlock KEYS = new KeyBlock("tenantfold.aws");
  public static final ConfigKey<Optional<String>> REGION = KEYS.optionalString("region");
  private static final ConfigKey<Optional<String>> RDS_ENDPOINT =
      KEYS.key("rds-endpoint", AwsConfig::endpoint);
  private static final ConfigKey<Optional<String>> SECRETS_ENDPOINT =
      KEYS.key("secretsmanager-endpoint", AwsConfig::endpoint);
  private static final ConfigKey<Duration> POLL_INTERVAL =
      KEYS.key(
          "poll-interval",
          (block, name) -> {
            Duration poll = block.has(name) ? block.duration(name) : Duration.ofSeconds(30);
            if (poll.isNegative() || poll.isZero()) {
              throw new ConfigError(
                  "Config key " + block.key(name) + " must be positive, e.g. 30s");
            }
            return poll;
          });
  private static final ConfigKey<ConfigReader> EXPORT = KEYS.block("export");
  private static final ConfigKey<ConfigReader> DISCOVER = KEYS.block("discover");

  private static final KeyBlock EXPORT_KEYS = new KeyBlock("tenantfold.aws.export");
  private static final ConfigKey<Optional<String>> BUCKET = EXPORT_KEYS.optionalString("bucket");
  private static final ConfigKey<Optional<String>> PREFIX = EXPORT_KEYS.optionalString("prefix");
  private static final ConfigKey<Optional<String>> IAM_ROLE =
      EXPORT_KEYS.optionalString("iam-role");
  private static final ConfigKey<Optional<String>> KMS_KEY = EXPORT_KEYS.optionalString("kms-key");

  private static final KeyBlock DISCOVER_KEYS = new KeyBlock("tenantfold.aws.discover");
  private static final ConfigKey<Optional<String>> TAG = DISCOVER_KEYS.optionalString("tag");
  private static final ConfigKey<Optional<String>> USER = DISCOVER_KEYS.optionalString("user");

  public AwsConfig(
      Optional<String> region,
      Optional<String> rdsEndpoint,
      Optional<String> secretsManagerEndpoint,
      Duration pollInterval) {
    this(
        region,
        rdsEndpoint,
        secretsManagerEndpoint,
        pollInterval,
        ExportDestination.NONE,
        "tenant",
        Optional.empty());
  }

  public static AwsConfig defaults() {
    return new AwsConfig(
        Optional.empty(), Optional.empty(), Optional.empty(), Duration.ofSeconds(30));
  }

  /**
   * Where snapshot export tasks write ({@code aws.export}): bucket, optional prefix, the IAM role
   * RDS writes with and the KMS key it encrypts with. Checked when {@code tenantfold export} runs.
   */
  public record ExportDestination(
      Optional<String> bucket, String prefix, Optional<String> iamRole, Optional<String> kmsKey) {
    static final ExportDestination NONE =
        new ExportDestination(Optional.empty(), "", Optional.empty(), Optional.empty());

    /** Fails naming the first missing key. */
    public void require() {
      if (bucket.isEmpty()) {
        throw new ConfigError(
            "Missing config key tenantfold.aws.export.bucket: name the S3 bucket export tasks write"
                + " to");
      }
      if (iamRole.isEmpty()) {
        throw new ConfigError(
            "Missing config key tenantfold.aws.export.iam-role: the ARN of the role RDS writes the"
                + " export with");
      }
      if (kmsKey.isEmpty()) {
        throw new ConfigError(
            "Missing config key tenantfold.aws.export.kms-key: the KMS key (ARN or alias ARN) the"
                + " export is encrypted with");
      }
    }
  }

  static AwsConfig from(ConfigReader block) {
    ConfigReader c = KEYS.checked(block);
    ConfigReader export = EXPORT_KEYS.checked(c.get(EXPORT));
    ConfigReader discover = DISCOVER_KEYS.checked(c.get(DISCOVER));
    return new AwsConfig(
        c.get(REGION),
        c.get(RDS_ENDPOINT),
        c.get(SECRETS_ENDPOINT),
        c.get(POLL_INTERVAL),
        new ExportDestination(
            export.get(BUCKET),
            export.get(PREFIX).orElse(""),
            export.get(IAM_ROLE),
            export.get(KMS_KEY)),
        discover.get(TAG).orElse("tenant"),
        discover.get(USER));
  }

  private static Optional<String> endpoint(ConfigReader c, String name) {
    Optional<String> value =
        Optional.ofNullable(c.optionalString(name, null))
            .map(String::trim)
            .filter(v -> !v.isEmpty());
    value.ifPresent(
        v -> {
          URI uri;
          try {
            uri = URI.create(v);
          } catch (IllegalArgumentException e) {
            uri = null;
          }
          if (uri == null
              || uri.getHost() == null
              || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
            throw new ConfigError(
                "Cannot use "
                    + c.key(name)
                    + " = '"
                    + v
                    + "': expected an http:// or https:// URL, e.g."
                    + " https://vpce-0123.rds.eu-west-1.vpce.amazonaws.com");
          }
        });
    return value;
  }
}
