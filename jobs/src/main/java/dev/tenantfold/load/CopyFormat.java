package dev.tenantfold.load;

import dev.tenantfold.config.JobOptions;
import dev.tenantfold.conform.ConformedSource;

/**
 * The format of a COPY stream into staging: PostgreSQL's text format, or its binary format, which
 * both servers parse and print for less CPU but which only carries a column between identical types
 * (the receiving server reads each value with its type's binary input function).
 */
public enum CopyFormat {
  TEXT(""),
  BINARY(" (FORMAT binary)");

  private final String option;

  CopyFormat(String option) {
    this.option = option;
  }

  /** What follows {@code TO STDOUT} or {@code FROM STDIN}: nothing for text. */
  public String option() {
    return option;
  }

  /**
   * A table's format and, for text, why ({@code plan} prints both); {@code why} is "" for binary.
   */
  public record Choice(CopyFormat format, String why) {
    public static Choice text(String why) {
      return new Choice(TEXT, why);
    }

    /** {@code binary}, or {@code text (why)}. */
    public String describe() {
      return format == BINARY ? "binary" : "text (" + why + ")";
    }
  }

  /**
   * The format a source COPY of {@code conformed}'s rows and the staging COPY that reads it share:
   * binary when {@code load.copy-format} is {@code auto} and every column may travel in it ({@link
   * ConformedSource#binaryCopyObstacle}), else text.
   */
  public static Choice of(JobOptions.CopyFormatSetting setting, ConformedSource conformed) {
    if (setting == JobOptions.CopyFormatSetting.TEXT) {
      return Choice.text("load.copy-format = text");
    }
    return conformed.binaryCopyObstacle().map(Choice::text).orElse(new Choice(BINARY, ""));
  }

  /**
   * The most {@code load.copy-format} allows a Dataset load (export tenants, landing tables):
   * binary for {@code auto}, which the load still keeps to tables whose every column it can write
   * in binary ({@link CopyBinaryEncoder}), text for {@code text}.
   */
  public static CopyFormat allowedBy(JobOptions.CopyFormatSetting setting) {
    return setting == JobOptions.CopyFormatSetting.TEXT ? TEXT : BINARY;
  }
}
