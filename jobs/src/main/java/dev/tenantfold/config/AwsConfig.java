package dev.tenantfold.config;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

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
  static final Set<String> KEYS =
      Set.of(
          "region",
          "rds-endpoint",
          "secretsmanager-endpoint",
          "poll-interval",
          "export",
          "discover");

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

  static AwsConfig from(ConfigReader c) {
    c.rejectUnknown(KEYS);
    Duration poll = c.has("poll-interval") ? c.duration("poll-interval") : Duration.ofSeconds(30);
    if (poll.isNegative() || poll.isZero()) {
      throw new ConfigError("Config key " + c.key("poll-interval") + " must be positive, e.g. 30s");
    }
    ConfigReader export = c.block("export");
    export.rejectUnknown(Set.of("bucket", "prefix", "iam-role", "kms-key"));
    ExportDestination destination =
        new ExportDestination(
            optional(export, "bucket"),
            optional(export, "prefix").orElse(""),
            optional(export, "iam-role"),
            optional(export, "kms-key"));
    ConfigReader discover = c.block("discover");
    discover.rejectUnknown(Set.of("tag", "user"));
    return new AwsConfig(
        optional(c, "region"),
        endpoint(c, "rds-endpoint"),
        endpoint(c, "secretsmanager-endpoint"),
        poll,
        destination,
        optional(discover, "tag").orElse("tenant"),
        optional(discover, "user"));
  }

  private static Optional<String> endpoint(ConfigReader c, String name) {
    Optional<String> value = optional(c, name);
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

  private static Optional<String> optional(ConfigReader c, String name) {
    return Optional.ofNullable(c.optionalString(name, null))
        .map(String::trim)
        .filter(v -> !v.isEmpty());
  }
}
