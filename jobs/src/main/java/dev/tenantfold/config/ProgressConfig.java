package dev.tenantfold.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Set;

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

  public static ProgressConfig from(ConfigReader c) {
    c.rejectUnknown(Set.of("mode", "interval"));
    String mode = c.string("mode");
    Mode parsed;
    try {
      parsed = Mode.valueOf(mode.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ConfigError(
          "Config key "
              + c.key("mode")
              + " must be one of auto, terminal, log, off; got '"
              + mode
              + "'");
    }
    Duration interval = c.duration("interval");
    if (interval.toMillis() < 1) {
      throw new ConfigError(
          "Config key " + c.key("interval") + " must be positive, got " + interval);
    }
    return new ProgressConfig(parsed, interval);
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
