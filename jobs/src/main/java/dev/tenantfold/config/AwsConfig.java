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
 * @param region                 {@code aws.region}; empty for the SDK's default region chain
 * @param rdsEndpoint            {@code aws.rds-endpoint}, e.g. {@code https://rds.eu-west-1.amazonaws.com}
 * @param secretsManagerEndpoint {@code aws.secretsmanager-endpoint}
 * @param pollInterval           {@code aws.poll-interval}: how often waiting for a copy or an export
 *     task asks RDS for its status (default 30 s)
 */
public record AwsConfig(Optional<String> region, Optional<String> rdsEndpoint, Optional<String> secretsManagerEndpoint, Duration pollInterval) {
  static final Set<String> KEYS = Set.of("region", "rds-endpoint", "secretsmanager-endpoint", "poll-interval");

  public static AwsConfig defaults() {
    return new AwsConfig(Optional.empty(), Optional.empty(), Optional.empty(), Duration.ofSeconds(30));
  }

  static AwsConfig from(ConfigReader c) {
    c.rejectUnknown(KEYS);
    Duration poll = c.has("poll-interval") ? c.duration("poll-interval") : Duration.ofSeconds(30);
    if (poll.isNegative() || poll.isZero()) {
      throw new ConfigError("Config key " + c.key("poll-interval") + " must be positive, e.g. 30s");
    }
    return new AwsConfig(optional(c, "region"), endpoint(c, "rds-endpoint"), endpoint(c, "secretsmanager-endpoint"), poll);
  }

  private static Optional<String> endpoint(ConfigReader c, String name) {
    Optional<String> value = optional(c, name);
    value.ifPresent(v -> {
      URI uri;
      try {
        uri = URI.create(v);
      } catch (IllegalArgumentException e) {
        uri = null;
      }
      if (uri == null || uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
        throw new ConfigError("Cannot use " + c.key(name) + " = '" + v + "': expected an http:// or https:// URL, e.g. https://vpce-0123.rds.eu-west-1.vpce.amazonaws.com");
      }
    });
    return value;
  }

  private static Optional<String> optional(ConfigReader c, String name) {
    return Optional.ofNullable(c.optionalString(name, null)).map(String::trim).filter(v -> !v.isEmpty());
  }
}
