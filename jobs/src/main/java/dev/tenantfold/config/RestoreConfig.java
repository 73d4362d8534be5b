package dev.tenantfold.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
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
  private static final KeyBlock KEYS = new KeyBlock("tenantfold.tenants[].restore");
  private static final ConfigKey<String> SOURCE_INSTANCE =
      KEYS.key(
          "source-instance",
          (block, name) -> {
            String source = block.string(name);
            if (!INSTANCE_ID.matcher(source).matches()) {
              throw new ConfigError(
                  "Cannot use "
                      + block.key(name)
                      + " = '"
                      + source
                      + "': expected a DB instance identifier (letters, digits, '-')");
            }
            return source;
          });
  private static final ConfigKey<From> FROM = KEYS.key("from", RestoreConfig::readFrom);
  private static final ConfigKey<Optional<String>> INSTANCE_CLASS =
      KEYS.optionalString("instance-class");
  private static final ConfigKey<Optional<String>> SUBNET_GROUP =
      KEYS.optionalString("subnet-group");
  private static final ConfigKey<List<String>> SECURITY_GROUPS =
      KEYS.key(
          "security-groups", (block, name) -> block.has(name) ? block.stringList(name) : List.of());
  private static final ConfigKey<Duration> WAIT_TIMEOUT =
      KEYS.key(
          "wait-timeout",
          (block, name) -> {
            Duration timeout = block.has(name) ? block.duration(name) : Duration.ofMinutes(90);
            if (timeout.isNegative() || timeout.isZero()) {
              throw new ConfigError(
                  "Config key " + block.key(name) + " must be positive, e.g. 90m");
            }
            return timeout;
          });
  private static final ConfigKey<Boolean> KEEP =
      KEYS.key("keep", (block, name) -> block.has(name) && block.bool(name));

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

  static RestoreConfig from(ConfigReader block, String tenantId) {
    ConfigReader c = KEYS.checked(block);
    // Named with what to set when missing; its form is checked by the declaration.
    c.requiredString(
        SOURCE_INSTANCE.name(),
        "name the DB instance whose backups tenant "
            + tenantId
            + " is restored from, e.g. source-instance = "
            + tenantId
            + "-prod");
    return new RestoreConfig(
        c.get(SOURCE_INSTANCE),
        c.get(FROM),
        c.get(INSTANCE_CLASS),
        c.get(SUBNET_GROUP),
        c.get(SECURITY_GROUPS),
        c.get(WAIT_TIMEOUT),
        c.get(KEEP));
  }

  /** {@code restore.from}: latest-restorable-time (the default), latest-snapshot or snapshot:ID. */
  private static From readFrom(ConfigReader c, String name) {
    String fromText = c.optionalString(name, "latest-restorable-time").trim();
    if (fromText.equals("latest-restorable-time")) {
      return From.latestRestorableTime();
    } else if (fromText.equals("latest-snapshot")) {
      return From.latestSnapshot();
    } else if (fromText.startsWith("snapshot:") && fromText.length() > "snapshot:".length()) {
      return From.snapshot(fromText.substring("snapshot:".length()).trim());
    }
    throw new ConfigError(
        "Cannot use "
            + c.key(name)
            + " = '"
            + fromText
            + "': expected latest-restorable-time, latest-snapshot or snapshot:<snapshot id>");
  }
}
