package dev.tenantfold.validate.checksum;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
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
    java.util.HexFormat hex = java.util.HexFormat.of();
    return hex.toHexDigits(micros) + hex.toHexDigits(days) + hex.toHexDigits(months);
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
    String[] tokens = tokens(s);
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

  /**
   * {@code s} split at runs of whitespace ({@code \\s+}), without a regular expression: the export
   * path parses every interval of every row.
   */
  private static String[] tokens(String s) {
    List<String> out = new ArrayList<>(6);
    int i = 0;
    int n = s.length();
    while (i < n) {
      while (i < n && blank(s.charAt(i))) {
        i++;
      }
      int start = i;
      while (i < n && !blank(s.charAt(i))) {
        i++;
      }
      if (i > start) {
        out.add(s.substring(start, i));
      }
    }
    return out.toArray(new String[0]);
  }

  private static boolean blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\u000b' || c == '\f' || c == '\r';
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
      long seconds = microsOf(parts[2]);
      long micros = (hours * 3600 + minutes * 60) * MICROS_PER_SECOND + seconds;
      return negative ? -micros : micros;
    } catch (NumberFormatException | ArithmeticException e) {
      throw malformed(text);
    }
  }

  /**
   * Seconds with up to six fractional digits ({@code 06.789}) as microseconds, by hand; any other
   * form through {@link BigDecimal} (exact, or an ArithmeticException for a finer fraction).
   */
  private static long microsOf(String seconds) {
    int point = seconds.indexOf('.');
    int whole = point < 0 ? seconds.length() : point;
    int fraction = point < 0 ? 0 : seconds.length() - point - 1;
    if (whole == 0
        || whole > 12
        || fraction > 6
        || !digits(seconds, 0, whole)
        || (point >= 0 && !digits(seconds, point + 1, seconds.length()))) {
      return new BigDecimal(seconds).movePointRight(6).longValueExact();
    }
    long micros = Long.parseLong(seconds, 0, whole, 10) * MICROS_PER_SECOND;
    long scale = MICROS_PER_SECOND;
    for (int i = 1; i <= fraction; i++) {
      scale /= 10;
      micros += (seconds.charAt(point + i) - '0') * scale;
    }
    return micros;
  }

  private static boolean digits(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  private static IllegalArgumentException malformed(String text) {
    return new IllegalArgumentException(
        "Cannot checksum interval '"
            + text
            + "': expected PostgreSQL's text output with IntervalStyle = postgres");
  }
}
