package dev.tenantfold.validate.checksum;

import java.math.BigDecimal;
import java.util.Locale;

/**
 * An interval's three fields as PostgreSQL stores them, parsed from its text output in the default
 * {@code IntervalStyle = postgres} ({@code 1 year -2 mons +3 days -04:05:06.5}, {@code 100:00:00},
 * {@code infinity} on PostgreSQL 17). Other interval styles are not accepted.
 */
record PostgresInterval(int months, int days, long micros) {
  private static final long MICROS_PER_SECOND = 1_000_000L;

  /**
   * The canonical interval text: PostgreSQL's binary send format in hex, microseconds, days,
   * months.
   */
  String canonical() {
    String days8 = Integer.toHexString(days);
    String months8 = Integer.toHexString(months);
    return CanonicalRow.hex64(micros)
        + "0".repeat(8 - days8.length())
        + days8
        + "0".repeat(8 - months8.length())
        + months8;
  }

  static PostgresInterval parse(String text) {
    String s = text.trim();
    if (s.equals("infinity")) {
      return new PostgresInterval(Integer.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE);
    }
    if (s.equals("-infinity")) {
      return new PostgresInterval(Integer.MIN_VALUE, Integer.MIN_VALUE, Long.MIN_VALUE);
    }
    long months = 0;
    long days = 0;
    long micros = 0;
    String[] tokens = s.isEmpty() ? new String[0] : s.split("\\s+");
    for (int i = 0; i < tokens.length; i++) {
      String token = tokens[i];
      if (token.indexOf(':') >= 0) {
        micros = time(token, text);
        continue;
      }
      if (i + 1 >= tokens.length) {
        throw malformed(text);
      }
      long amount;
      try {
        amount = Long.parseLong(token.startsWith("+") ? token.substring(1) : token);
      } catch (NumberFormatException e) {
        throw malformed(text);
      }
      String unit = tokens[++i].toLowerCase(Locale.ROOT);
      switch (unit) {
        case "year", "years" -> months += amount * 12;
        case "mon", "mons" -> months += amount;
        case "day", "days" -> days += amount;
        default -> throw malformed(text);
      }
    }
    return new PostgresInterval(Math.toIntExact(months), Math.toIntExact(days), micros);
  }

  /** {@code [+-]H:MM:SS[.ffffff]}, hours unbounded. */
  private static long time(String token, String text) {
    boolean negative = token.startsWith("-");
    String t = token.startsWith("-") || token.startsWith("+") ? token.substring(1) : token;
    String[] parts = t.split(":");
    if (parts.length != 3) {
      throw malformed(text);
    }
    try {
      long hours = Long.parseLong(parts[0]);
      long minutes = Long.parseLong(parts[1]);
      long seconds = new BigDecimal(parts[2]).movePointRight(6).longValueExact();
      long micros = (hours * 3600 + minutes * 60) * MICROS_PER_SECOND + seconds;
      return negative ? -micros : micros;
    } catch (NumberFormatException | ArithmeticException e) {
      throw malformed(text);
    }
  }

  private static IllegalArgumentException malformed(String text) {
    return new IllegalArgumentException(
        "Cannot checksum interval '"
            + text
            + "': expected PostgreSQL's text output with IntervalStyle = postgres");
  }
}
