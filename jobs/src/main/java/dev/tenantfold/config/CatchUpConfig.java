package dev.tenantfold.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A tenant's {@code catch-up} block: how the changes made on its source after the base copy reach
 * the target (docs/catch-up.md).
 *
 * @param mode {@code none} (the default: the base copy is all) or {@code logical} (a replication
 *     slot and a publication on the source, replayed by {@code tenantfold catch-up})
 * @param slot {@code catch-up.slot}: the replication slot's name
 * @param publication {@code catch-up.publication}: the publication's name; one a DBA created
 *     beforehand is used as it is when it covers the tenant's tables
 * @param slotTimeout {@code catch-up.slot-timeout}: how long creating the slot may wait for the
 *     transactions already open on the source
 * @param maxRetainedWal {@code catch-up.max-retained-wal}: the most WAL, in bytes, the slot may
 *     keep on the source; past it catch-up drops the slot and the publication and asks for a new
 *     base copy
 * @param freezeRoles {@code catch-up.freeze-roles}: the application's roles on the source that
 *     {@code cutover --freeze} locks out (their {@code CONNECT} revoked and sessions ended) for the
 *     cutover
 * @param cursorColumn {@code catch-up.cursor-column}: with {@code mode = cursor}, the tenant's
 *     default column whose value grows with every insert and update ({@code rules.<table>
 *     .cursor-column} overrides it per table)
 * @param cursorOverlap {@code catch-up.cursor-overlap}: with {@code mode = cursor}, how far below
 *     the watermark each catch-up reads again ({@link CursorOverlap})
 */
public record CatchUpConfig(
    Mode mode,
    String slot,
    String publication,
    Duration slotTimeout,
    long maxRetainedWal,
    java.util.List<String> freezeRoles,
    java.util.Optional<String> cursorColumn,
    CursorOverlap cursorOverlap) {
  public CatchUpConfig {
    freezeRoles = java.util.List.copyOf(freezeRoles);
  }

  /**
   * How far below its watermark a cursor catch-up reads again, so rows committed out of cursor
   * order (a transaction that took its cursor value before another committed) or stamped by a
   * lagging clock are still read: a duration for time cursors ({@code 5m}, the default), a number
   * of cursor values for numeric ones ({@code 0} unless set). {@code text}: as configured, empty
   * for the default.
   */
  public record CursorOverlap(
      java.util.Optional<Duration> time,
      java.util.Optional<java.math.BigDecimal> amount,
      String text) {
    /** What a time cursor re-reads when nothing is set. */
    public static final Duration DEFAULT_TIME = Duration.ofMinutes(5);

    static CursorOverlap unset() {
      return new CursorOverlap(java.util.Optional.empty(), java.util.Optional.empty(), "");
    }

    /** For a time cursor: the configured duration, else {@link #DEFAULT_TIME}. */
    public Duration forTime() {
      return time.orElse(DEFAULT_TIME);
    }

    /** For a numeric cursor: the configured number, else 0. */
    public java.math.BigDecimal forNumber() {
      return amount.orElse(java.math.BigDecimal.ZERO);
    }
  }

  /** Names PostgreSQL takes for slots without quoting (and the only ones it takes for slots). */
  private static final Pattern NAME = Pattern.compile("[a-z0-9_]{1,63}");

  private static final KeyBlock KEYS = new KeyBlock("tenantfold.tenants[].catch-up");
  private static final ConfigKey<String> MODE_KEY = KEYS.accepted("mode");
  private static final ConfigKey<String> SLOT_KEY = KEYS.accepted("slot");
  private static final ConfigKey<String> PUBLICATION_KEY = KEYS.accepted("publication");
  private static final ConfigKey<String> SLOT_TIMEOUT_KEY = KEYS.accepted("slot-timeout");
  private static final ConfigKey<String> MAX_RETAINED_WAL_KEY = KEYS.accepted("max-retained-wal");
  private static final ConfigKey<String> FREEZE_ROLES_KEY = KEYS.accepted("freeze-roles");
  private static final ConfigKey<String> CURSOR_COLUMN_KEY = KEYS.accepted("cursor-column");
  private static final ConfigKey<String> CURSOR_OVERLAP_KEY = KEYS.accepted("cursor-overlap");
  static final Duration DEFAULT_SLOT_TIMEOUT = Duration.ofMinutes(5);

  /** 10 GB, as HOCON reads {@code 10GB} (powers of ten; {@code 10GiB} or {@code 10G} is 2^30). */
  static final long DEFAULT_MAX_RETAINED_WAL = 10_000_000_000L;

  /** How changes after the base copy are captured. */
  public enum Mode {
    NONE,
    LOGICAL,
    CURSOR
  }

  /** No catch-up: the base copy is the tenant's last state in the target. */
  public static CatchUpConfig none(String tenantId) {
    return new CatchUpConfig(
        Mode.NONE,
        defaultName(tenantId),
        defaultName(tenantId),
        DEFAULT_SLOT_TIMEOUT,
        DEFAULT_MAX_RETAINED_WAL,
        java.util.List.of(),
        java.util.Optional.empty(),
        CursorOverlap.unset());
  }

  public boolean logical() {
    return mode == Mode.LOGICAL;
  }

  /** {@code mode = cursor}: changes found by a cursor column and key comparison. */
  public boolean cursor() {
    return mode == Mode.CURSOR;
  }

  /** Whether the tenant is caught up at all (any mode but {@code none}). */
  public boolean on() {
    return mode != Mode.NONE;
  }

  /**
   * {@code tenantfold_<id>}: the tenant id lower-cased, every character PostgreSQL does not take in
   * a slot name turned into {@code _}; when that changed the id, a short hash of the id follows, so
   * {@code a-b} and {@code a.b} never share a slot.
   */
  public static String defaultName(String tenantId) {
    String lowered = tenantId.toLowerCase(java.util.Locale.ROOT);
    String cleaned = lowered.replaceAll("[^a-z0-9_]", "_");
    String name = "tenantfold_" + cleaned;
    if (!cleaned.equals(tenantId)) {
      name = name + "_" + sha1(tenantId).substring(0, 8);
    }
    if (name.length() > 63) {
      name = name.substring(0, 54) + "_" + sha1(tenantId).substring(0, 8);
    }
    return name;
  }

  /** Reads {@code tenants[i].catch-up}; an absent block is {@link #none}. */
  public static CatchUpConfig from(ConfigReader c, String tenantId) {
    KEYS.checked(c);
    String modeText = c.optionalString(MODE_KEY.name(), "none");
    Mode mode =
        switch (modeText) {
          case "none" -> Mode.NONE;
          case "logical" -> Mode.LOGICAL;
          case "cursor" -> Mode.CURSOR;
          default ->
              throw new ConfigError(
                  "Config key "
                      + c.key(MODE_KEY)
                      + " = '"
                      + modeText
                      + "' is not a catch-up mode: use logical (PostgreSQL logical decoding),"
                      + " cursor (a cursor column and key comparison) or none (tenant "
                      + tenantId
                      + ")");
        };
    String slot = name(c, SLOT_KEY, tenantId);
    String publication = name(c, PUBLICATION_KEY, tenantId);
    Duration timeout =
        c.has(SLOT_TIMEOUT_KEY) ? c.duration(SLOT_TIMEOUT_KEY.name()) : DEFAULT_SLOT_TIMEOUT;
    if (timeout.isZero() || timeout.isNegative()) {
      throw new ConfigError(
          "Config key "
              + c.key(SLOT_TIMEOUT_KEY)
              + " must be positive, e.g. 5m (tenant "
              + tenantId
              + ")");
    }
    long maxRetainedWal =
        c.has(MAX_RETAINED_WAL_KEY)
            ? c.bytes(MAX_RETAINED_WAL_KEY.name())
            : DEFAULT_MAX_RETAINED_WAL;
    if (maxRetainedWal <= 0) {
      throw new ConfigError(
          "Config key "
              + c.key(MAX_RETAINED_WAL_KEY)
              + " must be positive, e.g. 10GB (tenant "
              + tenantId
              + ")");
    }
    java.util.List<String> freezeRoles =
        c.has(FREEZE_ROLES_KEY) ? c.stringList(FREEZE_ROLES_KEY.name()) : java.util.List.of();
    for (String role : freezeRoles) {
      if (role.isBlank() || role.length() > 63) {
        throw new ConfigError(
            "Config key "
                + c.key(FREEZE_ROLES_KEY)
                + " names role '"
                + role
                + "': a role name is 1 to 63 characters (tenant "
                + tenantId
                + ")");
      }
      if (freezeRoles.indexOf(role) != freezeRoles.lastIndexOf(role)) {
        throw new ConfigError(
            "Config key "
                + c.key(FREEZE_ROLES_KEY)
                + " names role '"
                + role
                + "' twice (tenant "
                + tenantId
                + ")");
      }
    }
    if (!freezeRoles.isEmpty() && mode != Mode.LOGICAL) {
      throw new ConfigError(
          "Config key "
              + c.key(FREEZE_ROLES_KEY)
              + " is for cutover --freeze, which needs catch-up.mode = logical (tenant "
              + tenantId
              + ")");
    }
    java.util.Optional<String> cursorColumn =
        java.util.Optional.ofNullable(c.optionalString(CURSOR_COLUMN_KEY.name(), null));
    if (cursorColumn.isPresent() && cursorColumn.get().isBlank()) {
      throw new ConfigError(
          "Config key "
              + c.key(CURSOR_COLUMN_KEY)
              + " is empty: name a column (tenant "
              + tenantId
              + ")");
    }
    CursorOverlap overlap = CursorOverlap.unset();
    if (c.has(CURSOR_OVERLAP_KEY)) {
      String text = c.string(CURSOR_OVERLAP_KEY.name()).trim();
      if (text.matches("\\d+(\\.\\d+)?")) {
        overlap =
            new CursorOverlap(
                java.util.Optional.empty(),
                java.util.Optional.of(new java.math.BigDecimal(text)),
                text);
      } else {
        Duration d = c.duration(CURSOR_OVERLAP_KEY.name());
        if (d.isNegative()) {
          throw new ConfigError(
              "Config key "
                  + c.key(CURSOR_OVERLAP_KEY)
                  + " must not be negative, e.g. 5m (tenant "
                  + tenantId
                  + ")");
        }
        overlap = new CursorOverlap(java.util.Optional.of(d), java.util.Optional.empty(), text);
      }
    }
    if (mode != Mode.CURSOR && (cursorColumn.isPresent() || c.has(CURSOR_OVERLAP_KEY))) {
      throw new ConfigError(
          "Config key "
              + c.key(cursorColumn.isPresent() ? CURSOR_COLUMN_KEY : CURSOR_OVERLAP_KEY)
              + " is for catch-up.mode = cursor (tenant "
              + tenantId
              + "); set mode = cursor or remove it");
    }
    return new CatchUpConfig(
        mode, slot, publication, timeout, maxRetainedWal, freezeRoles, cursorColumn, overlap);
  }

  private static String name(ConfigReader c, ConfigKey<String> key, String tenantId) {
    String value = c.optionalString(key.name(), defaultName(tenantId));
    if (!NAME.matcher(value).matches()) {
      throw new ConfigError(
          "Config key "
              + c.key(key)
              + " = '"
              + value
              + "' is not a valid name: use lower-case letters, digits and '_', at most 63"
              + " characters (tenant "
              + tenantId
              + "; the default is "
              + defaultName(tenantId)
              + ")");
    }
    return value;
  }

  private static String sha1(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
