package dev.tenantfold.testing;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.layout.PatternLayout;

/**
 * Everything a run writes while open: every log event (log4j2 appender added to the root and to
 * every non-additive logger, Tenantfold's loggers lowered to TRACE and the root to INFO, stack
 * traces included) and whatever is printed to {@code System.out} and {@code System.err} directly.
 * Restores levels and streams on close.
 */
public final class LogCapture implements AutoCloseable {
  private final StringWriter log = new StringWriter();
  private final ByteArrayOutputStream console = new ByteArrayOutputStream();
  private final LoggerContext context;
  private final WriterAppender appender;
  private final Map<String, Level> previousLevels = new LinkedHashMap<>();
  private final PrintStream originalOut = System.out;
  private final PrintStream originalErr = System.err;

  private LogCapture() {
    context = (LoggerContext) LogManager.getContext(false);
    Configuration config = context.getConfiguration();
    PatternLayout layout =
        PatternLayout.newBuilder()
            .withConfiguration(config)
            .withPattern("%d{HH:mm:ss.SSS} %-5level [%t] %c - %msg%n%throwable")
            .build();
    appender =
        WriterAppender.newBuilder()
            .setName("tenantfold-test-capture-" + System.nanoTime())
            .setTarget(log)
            .setLayout(layout)
            .setConfiguration(config)
            .build();
    appender.start();
    config.addAppender(appender);
    for (LoggerConfig logger : config.getLoggers().values()) {
      previousLevels.put(logger.getName(), logger.getLevel());
      if (!logger.isAdditive() && !logger.getName().isEmpty()) {
        logger.addAppender(appender, Level.ALL, null);
      }
    }
    config.getRootLogger().addAppender(appender, Level.ALL, null);
    previousLevels.putIfAbsent("dev.tenantfold", null);
    Configurator.setLevel(LogManager.ROOT_LOGGER_NAME, Level.INFO);
    Configurator.setAllLevels("dev.tenantfold", Level.TRACE);
    context.updateLoggers();
    System.setOut(new PrintStream(new Tee(originalOut, console), true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(new Tee(originalErr, console), true, StandardCharsets.UTF_8));
  }

  public static LogCapture start() {
    return new LogCapture();
  }

  /** The log events so far, formatted with level, thread, logger, message and stack trace. */
  public String log() {
    synchronized (log) {
      return log.toString();
    }
  }

  /** What was printed to System.out and System.err so far. */
  public String console() {
    synchronized (console) {
      return console.toString(StandardCharsets.UTF_8);
    }
  }

  @Override
  public void close() {
    System.setOut(originalOut);
    System.setErr(originalErr);
    Configuration config = context.getConfiguration();
    config.getRootLogger().removeAppender(appender.getName());
    for (LoggerConfig logger : config.getLoggers().values()) {
      logger.removeAppender(appender.getName());
    }
    previousLevels.forEach(
        (name, level) -> {
          LoggerConfig logger = config.getLoggers().get(name);
          if (level == null && logger != null && !name.isEmpty()) {
            config.removeLogger(name);
          } else if (logger != null) {
            logger.setLevel(level);
          }
        });
    context.updateLoggers();
    appender.stop();
  }

  /** Writes to the original stream and to the capture buffer. */
  private static final class Tee extends OutputStream {
    private final OutputStream original;
    private final ByteArrayOutputStream copy;

    Tee(OutputStream original, ByteArrayOutputStream copy) {
      this.original = original;
      this.copy = copy;
    }

    @Override
    public void write(int b) {
      synchronized (copy) {
        copy.write(b);
      }
      try {
        original.write(b);
      } catch (java.io.IOException ignored) {
        // The capture is what matters.
      }
    }

    @Override
    public void write(byte[] b, int off, int len) {
      synchronized (copy) {
        copy.write(b, off, len);
      }
      try {
        original.write(b, off, len);
      } catch (java.io.IOException ignored) {
        // The capture is what matters.
      }
    }

    @Override
    public void flush() throws java.io.IOException {
      original.flush();
    }
  }
}
