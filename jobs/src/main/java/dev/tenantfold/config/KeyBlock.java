package dev.tenantfold.config;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The keys of one config block ({@code tenantfold.extract}, a tenant's {@code catch-up}, ...), each
 * declared once as a constant of the class that reads the block: the block accepts exactly these (a
 * typo fails naming the allowed keys, {@link #checked}) and its values are read through them
 * ({@link ConfigReader#get}), so a key's name and type are written in one place.
 */
final class KeyBlock {
  private final String path;
  private final Map<String, ConfigKey<?>> keys = new LinkedHashMap<>();

  /**
   * The keys of the block at {@code path}, as docs/configuration.md writes it ({@code
   * tenantfold.tenants[].jdbc}, {@code tenantfold.rules.<table>}: {@link ConfigKey#block}).
   */
  KeyBlock(String path) {
    if (!path.equals(ConfigKey.ROOT) && !path.startsWith(ConfigKey.ROOT + ".")) {
      throw new IllegalArgumentException("Config block " + path + " is not under tenantfold");
    }
    this.path = path;
  }

  /** Declares {@code name}, read by {@code reading}. */
  <T> ConfigKey<T> key(String name, ConfigKey.Reading<T> reading) {
    ConfigKey<T> key = new ConfigKey<>(path, name, reading);
    if (keys.putIfAbsent(name, key) != null) {
      throw new IllegalStateException("Config key " + path + "." + name + " is declared twice");
    }
    return key;
  }

  ConfigKey<String> string(String name) {
    return key(name, ConfigReader::string);
  }

  /** A string that must be set and not blank; {@code hint} says what to set it to. */
  ConfigKey<String> requiredString(String name, String hint) {
    return key(name, (block, n) -> block.requiredString(n, hint));
  }

  /**
   * An optional string: unset, null or blank is absent ({@code access-key = ${?S3_ACCESS_KEY}}
   * without the variable); a value is trimmed.
   */
  ConfigKey<Optional<String>> optionalString(String name) {
    return key(
        name,
        (block, n) ->
            Optional.ofNullable(block.optionalString(n, null))
                .map(String::trim)
                .filter(v -> !v.isEmpty()));
  }

  ConfigKey<Boolean> bool(String name) {
    return key(name, ConfigReader::bool);
  }

  /**
   * A boolean that is false when unset, for blocks whose defaults reference.conf cannot hold (one
   * per table or column of the rules).
   */
  ConfigKey<Boolean> flag(String name) {
    return key(name, (block, n) -> block.has(n) && block.bool(n));
  }

  ConfigKey<Duration> duration(String name) {
    return key(name, ConfigReader::duration);
  }

  ConfigKey<Integer> positiveInt(String name) {
    return key(name, ConfigReader::positiveInt);
  }

  ConfigKey<Long> positiveLong(String name) {
    return key(name, ConfigReader::positiveLong);
  }

  ConfigKey<Long> bytes(String name) {
    return key(name, ConfigReader::bytes);
  }

  ConfigKey<List<String>> stringList(String name) {
    return key(name, ConfigReader::stringList);
  }

  /** The source schemas a tenant is read from: a list, {@code public} when unset, never empty. */
  ConfigKey<List<String>> sourceSchemas(String name) {
    return key(
        name,
        (block, n) -> {
          List<String> schemas = block.has(n) ? block.stringList(n) : List.of("public");
          if (schemas.isEmpty()) {
            throw new ConfigError(
                "Config key " + block.key(n) + " is empty: list at least one source schema");
          }
          return schemas;
        });
  }

  /** A nested block, read by its own {@link KeyBlock}. */
  ConfigKey<ConfigReader> block(String name) {
    return key(name, ConfigReader::block);
  }

  /**
   * A key the block accepts whose value its reader inspects itself (optional, of several shapes:
   * {@link ConfigReader#has}, {@link ConfigReader#isObject}, {@link ConfigReader#objectList}).
   */
  ConfigKey<String> accepted(String name) {
    return key(name, (block, n) -> n);
  }

  /** {@code block}, once it holds no key this block does not declare. */
  ConfigReader checked(ConfigReader block) {
    block.rejectUnknown(keys.keySet());
    return block;
  }

  /** The declared keys, in declaration order. */
  List<ConfigKey<?>> keys() {
    return List.copyOf(keys.values());
  }

  /** The block's path as docs/configuration.md writes it ({@link ConfigKey#block}). */
  String path() {
    return path;
  }

  /**
   * The block's own path, its list indexes and names filled by {@code segments} ({@link
   * ConfigKey#path}): {@code tenantfold.tenants[2]}, {@code tenantfold.rules."sales.orders"}.
   */
  String path(Object... segments) {
    return ConfigKey.render(path, segments);
  }
}
