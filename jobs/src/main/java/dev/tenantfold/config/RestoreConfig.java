package dev.tenantfold.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A tenant read from a temporary copy restored from its instance's backups (the tenant's {@code
 * restore} block): production is never read for its data. The copy is restored, awaited, read with
 * the tenant's {@code jdbc} settings (database, user, credentials, schemas; host and port become
 * the copy's), and deleted after the run unless {@code keep}.
 *
 * @param sourceInstance {@code restore.source-instance}: the DB instance identifier backed up
 * @param from {@code restore.from}: {@code latest-restorable-time}, {@code latest-snapshot} or
 *     {@code snapshot:<id>}
 * @param instanceClass {@code restore.instance-class}; empty for the source's class
 * @param subnetGroup {@code restore.subnet-group}; empty for the default VPC's
 * @param securityGroups {@code restore.security-groups}: VPC security group ids of the copy
 * @param waitTimeout {@code restore.wait-timeout}: how long a copy may take to become available
 * @param keep {@code restore.keep}: leave the copy running after the run
 */
public record RestoreConfig(
    String sourceInstance,
    From from,
    Optional<String> instanceClass,
    Optional<String> subnetGroup,
    List<String> securityGroups,
    Duration waitTimeout,
    boolean keep) {
  private static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z][A-Za-z0-9-]{0,62}");
  static final Set<String> KEYS =
      Set.of(
          "source-instance",
          "from",
          "instance-class",
          "subnet-group",
          "security-groups",
          "wait-timeout",
          "keep");

  public RestoreConfig {
    securityGroups = List.copyOf(securityGroups);
  }

  /**
   * What the copy is restored from: the latest restorable time, the latest snapshot, or a named
   * snapshot.
   */
  public record From(Kind kind, Optional<String> snapshotId) {
    public enum Kind {
      LATEST_RESTORABLE_TIME,
      LATEST_SNAPSHOT,
      SNAPSHOT
    }

    public static From latestRestorableTime() {
      return new From(Kind.LATEST_RESTORABLE_TIME, Optional.empty());
    }

    public static From latestSnapshot() {
      return new From(Kind.LATEST_SNAPSHOT, Optional.empty());
    }

    public static From snapshot(String id) {
      return new From(Kind.SNAPSHOT, Optional.of(id));
    }

    @Override
    public String toString() {
      return switch (kind) {
        case LATEST_RESTORABLE_TIME -> "latest-restorable-time";
        case LATEST_SNAPSHOT -> "latest-snapshot";
        case SNAPSHOT -> "snapshot:" + snapshotId.orElseThrow();
      };
    }
  }

  static RestoreConfig from(ConfigReader c, String tenantId) {
    c.rejectUnknown(KEYS);
    String source =
        c.requiredString(
            "source-instance",
            "name the DB instance whose backups tenant "
                + tenantId
                + " is restored from, e.g. source-instance = "
                + tenantId
                + "-prod");
    if (!INSTANCE_ID.matcher(source).matches()) {
      throw new ConfigError(
          "Cannot use "
              + c.key("source-instance")
              + " = '"
              + source
              + "': expected a DB instance identifier (letters, digits, '-')");
    }
    String fromText = c.optionalString("from", "latest-restorable-time").trim();
    From from;
    if (fromText.equals("latest-restorable-time")) {
      from = From.latestRestorableTime();
    } else if (fromText.equals("latest-snapshot")) {
      from = From.latestSnapshot();
    } else if (fromText.startsWith("snapshot:") && fromText.length() > "snapshot:".length()) {
      from = From.snapshot(fromText.substring("snapshot:".length()).trim());
    } else {
      throw new ConfigError(
          "Cannot use "
              + c.key("from")
              + " = '"
              + fromText
              + "': expected latest-restorable-time, latest-snapshot or snapshot:<snapshot id>");
    }
    Duration timeout = c.has("wait-timeout") ? c.duration("wait-timeout") : Duration.ofMinutes(90);
    if (timeout.isNegative() || timeout.isZero()) {
      throw new ConfigError("Config key " + c.key("wait-timeout") + " must be positive, e.g. 90m");
    }
    List<String> groups = c.has("security-groups") ? c.stringList("security-groups") : List.of();
    return new RestoreConfig(
        source,
        from,
        optional(c, "instance-class"),
        optional(c, "subnet-group"),
        groups,
        timeout,
        c.has("keep") && c.bool("keep"));
  }

  private static Optional<String> optional(ConfigReader c, String name) {
    return Optional.ofNullable(c.optionalString(name, null))
        .map(String::trim)
        .filter(v -> !v.isEmpty());
  }
}
