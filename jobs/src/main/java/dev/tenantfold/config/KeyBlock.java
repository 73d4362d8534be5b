package dev.tenantfold.config;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The keys of one config block ({@code tenantfold.extract}, a tenant's {@code catch-up}, ...), each
 * declared once as a constant of the class that reads the block: the block accepts exactly these (a
 * typo fails naming the allowed keys, {@link #checked}) and its values are read through them
 * ({@link ConfigReader#get}), so a key's name and type are written in one place.
 */
final class KeyBlock {
  private final Set<String> names = new LinkedHashSet<>();

  /** Declares {@code name}, read by {@code reading}. */
  <T> ConfigKey<T> key(String name, ConfigKey.Reading<T> reading) {
    if (!names.add(name)) {
      throw new IllegalStateException("Config key " + name + " is declared twice");
    }
    return new ConfigKey<>(name, reading);
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
    block.rejectUnknown(names);
    return block;
  }

  /** The declared names, in declaration order. */
  Set<String> names() {
    return Set.copyOf(names);
  }
}
