package dev.tenantfold.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Typed, path-aware access to one HOCON block. Every error names the full key path, and {@link
 * #rejectUnknown} makes a typo fail loudly instead of silently falling back to a default.
 */
public final class ConfigReader {
  private final Config config;
  private final String path;

  public ConfigReader(Config config, String path) {
    this.config = config;
    this.path = path;
  }

  public String path() {
    return path;
  }

  public String key(String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  public ConfigReader block(String name) {
    if (!config.hasPath(name)) {
      return new ConfigReader(com.typesafe.config.ConfigFactory.empty(), key(name));
    }
    try {
      return new ConfigReader(config.getConfig(name), key(name));
    } catch (ConfigException.WrongType e) {
      throw new ConfigError("Cannot read " + key(name) + ": expected an object { ... }");
    }
  }

  /** The value of {@code key}, read as its declaration says ({@link KeyBlock}). */
  public <T> T get(ConfigKey<T> key) {
    return key.reading().read(this, key.name());
  }

  /** Whether {@code key} is set in this block. */
  public boolean has(ConfigKey<?> key) {
    return has(key.name());
  }

  /** The full path of {@code key} in this block ({@code tenantfold.publish.allow-shrink}). */
  public String key(ConfigKey<?> key) {
    return key(key.name());
  }

  public boolean has(String name) {
    return config.hasPath(name);
  }

  /**
   * Whether {@code name} holds an object {@code { ... }} (as opposed to a string, number or list).
   */
  public boolean isObject(String name) {
    return config.hasPath(name) && config.getValue(name).valueType() == ConfigValueType.OBJECT;
  }

  /**
   * The keys of this block, in sorted order (for blocks keyed by user-chosen names, like rules).
   */
  public java.util.SortedSet<String> keys() {
    return new TreeSet<>(config.root().keySet());
  }

  /** A whole number of at least 0, or {@code fallback} when absent. */
  public long nonNegativeLong(String name, long fallback) {
    if (!config.hasPath(name)) {
      return fallback;
    }
    long value;
    try {
      value = config.getLong(name);
    } catch (ConfigException e) {
      throw new ConfigError("Cannot read " + key(name) + " as a whole number: " + e.getMessage());
    }
    if (value < 0) {
      throw new ConfigError("Config key " + key(name) + " must be at least 0, got " + value);
    }
    return value;
  }

  public String requiredString(String name, String hint) {
    if (!config.hasPath(name) || config.getIsNull(name)) {
      throw new ConfigError("Missing required config key " + key(name) + ": " + hint);
    }
    String value = string(name);
    if (value.isBlank()) {
      throw new ConfigError("Config key " + key(name) + " is empty: " + hint);
    }
    return value;
  }

  public String string(String name) {
    try {
      return config.getString(name);
    } catch (ConfigException.Missing e) {
      throw new ConfigError("Missing required config key " + key(name));
    } catch (ConfigException e) {
      throw new ConfigError("Cannot read " + key(name) + " as a string: " + e.getMessage());
    }
  }

  public String optionalString(String name, String fallback) {
    return config.hasPath(name) && !config.getIsNull(name) ? string(name) : fallback;
  }

  public int positiveInt(String name) {
    int value;
    try {
      value = config.getInt(name);
    } catch (ConfigException e) {
      throw new ConfigError("Cannot read " + key(name) + " as a whole number: " + e.getMessage());
    }
    if (value < 1) {
      throw new ConfigError("Config key " + key(name) + " must be at least 1, got " + value);
    }
    return value;
  }

  public long positiveLong(String name) {
    long value;
    try {
      value = config.getLong(name);
    } catch (ConfigException e) {
      throw new ConfigError("Cannot read " + key(name) + " as a whole number: " + e.getMessage());
    }
    if (value < 1) {
      throw new ConfigError("Config key " + key(name) + " must be at least 1, got " + value);
    }
    return value;
  }

  public boolean bool(String name) {
    try {
      return config.getBoolean(name);
    } catch (ConfigException e) {
      throw new ConfigError("Cannot read " + key(name) + " as true/false: " + e.getMessage());
    }
  }

  public Duration duration(String name) {
    try {
      return config.getDuration(name);
    } catch (ConfigException e) {
      throw new ConfigError(
          "Cannot read " + key(name) + " as a duration (e.g. 30s): " + e.getMessage());
    }
  }

  /** A size in bytes ({@code 10GB}, {@code 512MB}, {@code 4kB}: HOCON's size units). */
  public long bytes(String name) {
    try {
      return config.getBytes(name);
    } catch (ConfigException e) {
      throw new ConfigError(
          "Cannot read " + key(name) + " as a size (e.g. 10GB, 512MB): " + e.getMessage());
    }
  }

  public List<String> stringList(String name) {
    try {
      if (config.getValue(name).valueType() == ConfigValueType.STRING) {
        return List.of(config.getString(name));
      }
      return List.copyOf(config.getStringList(name));
    } catch (ConfigException e) {
      throw new ConfigError(
          "Cannot read " + key(name) + " as a list of strings: " + e.getMessage());
    }
  }

  public List<ConfigReader> objectList(String name) {
    if (!config.hasPath(name)) {
      return List.of();
    }
    List<? extends Config> items;
    try {
      items = config.getConfigList(name);
    } catch (ConfigException e) {
      throw new ConfigError(
          "Cannot read " + key(name) + " as a list of objects: " + e.getMessage());
    }
    return java.util.stream.IntStream.range(0, items.size())
        .mapToObj(i -> new ConfigReader(items.get(i), key(name) + "[" + i + "]"))
        .toList();
  }

  /** Fails naming the first key of this block that is not one of {@code known}. */
  public void rejectUnknown(Set<String> known) {
    Set<String> unknown = new TreeSet<>(config.root().keySet());
    unknown.removeAll(known);
    if (!unknown.isEmpty()) {
      String first = unknown.iterator().next();
      throw new ConfigError(
          "Unknown config key "
              + key(first)
              + ": allowed keys here are "
              + new TreeSet<>(known)
              + " (check the spelling; see docs/configuration.md)");
    }
  }
}
