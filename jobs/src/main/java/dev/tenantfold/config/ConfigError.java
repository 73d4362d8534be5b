package dev.tenantfold.config;

/**
 * Invalid or incomplete configuration. The message names the key path and what to do; exit code 2.
 */
public final class ConfigError extends RuntimeException {
  public ConfigError(String message) {
    super(message);
  }

  public ConfigError(String message, Throwable cause) {
    super(message, cause);
  }
}
