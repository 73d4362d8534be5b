package dev.tenantfold.config;

import java.time.Duration;
import java.util.Locale;

/**
 * How {@code run}, {@code validate} and {@code demo} show progress ({@code tenantfold.progress}):
 * {@code mode} {@code auto} redraws one block in place on a terminal and writes a plain line every
 * {@code interval} otherwise (EMR step logs, CI); {@code terminal}, {@code log} and {@code off}
 * force one.
 */
public record ProgressConfig(Mode mode, Duration interval) {
  public enum Mode {
    AUTO,
    TERMINAL,
    LOG,
    OFF
  }

  public ProgressConfig {
    if (interval.toMillis() < 1) {
      throw new ConfigError(
          "Config key tenantfold.progress.interval must be positive, got " + interval);
    }
  }

  public static ProgressConfig defaults() {
    return new ProgressConfig(Mode.AUTO, Duration.ofSeconds(30));
  }

  private static final KeyBlock KEYS = new KeyBlock("tenantfold.progress");
  private static final ConfigKey<Mode> MODE =
      KEYS.key(
          "mode",
          (block, name) -> {
            String mode = block.string(name);
            try {
              return Mode.valueOf(mode.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
              throw new ConfigError(
                  "Config key "
                      + block.key(name)
                      + " must be one of auto, terminal, log, off; got '"
                      + mode
                      + "'");
            }
          });
  private static final ConfigKey<Duration> INTERVAL =
      KEYS.key(
          "interval",
          (block, name) -> {
            Duration interval = block.duration(name);
            if (interval.toMillis() < 1) {
              throw new ConfigError(
                  "Config key " + block.key(name) + " must be positive, got " + interval);
            }
            return interval;
          });

  public static ProgressConfig from(ConfigReader block) {
    ConfigReader c = KEYS.checked(block);
    return new ProgressConfig(c.get(MODE), c.get(INTERVAL));
  }

  /**
   * The mode for this process: {@code auto} is {@code terminal} when stdout is a terminal that
   * understands ANSI, else {@code log}.
   */
  public Mode resolved(boolean writesToStdout) {
    if (mode != Mode.AUTO) {
      return mode;
    }
    String term = System.getenv("TERM");
    boolean terminal =
        writesToStdout
            && System.console() != null
            && term != null
            && !term.isEmpty()
            && !term.equals("dumb");
    return terminal ? Mode.TERMINAL : Mode.LOG;
  }
}
