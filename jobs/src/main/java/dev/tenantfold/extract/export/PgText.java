package dev.tenantfold.extract.export;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parsers for PostgreSQL's text output as the export writes it in strings: timestamps, dates, bytea
 * and array literals. Calendar arithmetic is java.time's proleptic ISO calendar, as PostgreSQL's;
 * {@code infinity} / {@code -infinity} become the sentinels the loader and the checksum read
 * (docs/checksums.md): {@code Long.MAX_VALUE} / {@code Long.MIN_VALUE} microseconds, {@code
 * Integer.MAX_VALUE} / {@code Integer.MIN_VALUE} days.
 */
public final class PgText {
  private static final Pattern TIMESTAMP =
      Pattern.compile(
          "(\\d{4,})-(\\d{2})-(\\d{2})["
              + " T](\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d{1,6}))?\\s*(Z|[+-]\\d{2}(?::?\\d{2}(?::?\\d{2})?)?)?("
              + " BC)?");
  private static final Pattern DATE = Pattern.compile("(\\d{4,})-(\\d{2})-(\\d{2})( BC)?");

  private PgText() {}

  /**
   * Microseconds since 1970-01-01 00:00:00 UTC. With {@code withZone} (timestamptz) the offset in
   * the text is applied (text without one is UTC); without (timestamp) the wall clock is taken as
   * UTC and an offset in the text is an error.
   */
  public static long timestampMicros(String text, boolean withZone) {
    String s = text.trim();
    if (s.equals("infinity") || s.equals("+infinity")) {
      return Long.MAX_VALUE;
    }
    if (s.equals("-infinity")) {
      return Long.MIN_VALUE;
    }
    long fast = commonTimestampMicros(s, withZone);
    return fast != Long.MIN_VALUE ? fast : patternTimestampMicros(text, s, withZone);
  }

  /**
   * {@link #timestampMicros} by the pattern, for every shape it accepts ({@code s} is {@code text}
   * trimmed, not an infinity).
   */
  static long patternTimestampMicros(String text, String s, boolean withZone) {
    Matcher m = TIMESTAMP.matcher(s);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'"
              + text
              + "' is not PostgreSQL timestamp output (YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM]]["
              + " BC])");
    }
    int year = Integer.parseInt(m.group(1));
    if (m.group(9) != null) {
      year = 1 - year;
    }
    LocalDateTime wall =
        LocalDateTime.of(
            year,
            Integer.parseInt(m.group(2)),
            Integer.parseInt(m.group(3)),
            Integer.parseInt(m.group(4)),
            Integer.parseInt(m.group(5)),
            Integer.parseInt(m.group(6)));
    long micros = m.group(7) == null ? 0 : Long.parseLong((m.group(7) + "00000").substring(0, 6));
    long offsetSeconds = 0;
    if (m.group(8) != null) {
      if (!withZone) {
        throw new IllegalArgumentException(
            "'" + text + "' has a time zone offset but the column is timestamp without time zone");
      }
      offsetSeconds = offsetSeconds(m.group(8));
    }
    return Math.addExact(
        Math.multiplyExact(wall.toEpochSecond(ZoneOffset.UTC) - offsetSeconds, 1_000_000L), micros);
  }

  /**
   * The shape PostgreSQL writes (ISO DateStyle, years 1 to 9999 AD): {@code YYYY-MM-DD
   * HH:MM:SS[.f{1,6}][±HH[:MM[:SS]]]}, read digit by digit; {@code Long.MIN_VALUE} (a value no such
   * text has) for anything else, which the pattern then reads or refuses with its message. A
   * timestamp column's rows are mostly this shape: a regular expression and java.time objects per
   * value cost more than the rest of restoring the row.
   */
  private static long commonTimestampMicros(String s, boolean withZone) {
    int n = s.length();
    if (n < 19
        || s.charAt(4) != '-'
        || s.charAt(7) != '-'
        || (s.charAt(10) != ' ' && s.charAt(10) != 'T')
        || s.charAt(13) != ':'
        || s.charAt(16) != ':') {
      return Long.MIN_VALUE;
    }
    int year = digits(s, 0, 4);
    int month = digits(s, 5, 2);
    int day = digits(s, 8, 2);
    int hour = digits(s, 11, 2);
    int minute = digits(s, 14, 2);
    int second = digits(s, 17, 2);
    if (!validDateTime(year, month, day, hour, minute, second)) {
      return Long.MIN_VALUE;
    }
    int i = 19;
    long micros = 0;
    if (i < n && s.charAt(i) == '.') {
      int start = ++i;
      while (i < n && i - start < 7 && isDigit(s.charAt(i))) {
        micros = micros * 10 + (s.charAt(i) - '0');
        i++;
      }
      int count = i - start;
      if (count == 0 || count > 6) {
        return Long.MIN_VALUE;
      }
      for (int k = count; k < 6; k++) {
        micros *= 10;
      }
    }
    long offset = 0;
    if (i < n) {
      char sign = s.charAt(i);
      if (!withZone || (sign != '+' && sign != '-')) {
        return Long.MIN_VALUE;
      }
      int rest = n - i - 1;
      int hours = rest == 2 || rest == 5 || rest == 8 ? digits(s, i + 1, 2) : -1;
      int minutes = rest >= 5 && s.charAt(i + 3) == ':' ? digits(s, i + 4, 2) : 0;
      int seconds = rest == 8 && s.charAt(i + 6) == ':' ? digits(s, i + 7, 2) : 0;
      if (hours < 0
          || minutes < 0
          || seconds < 0
          || (rest >= 5 && s.charAt(i + 3) != ':')
          || (rest == 8 && s.charAt(i + 6) != ':')) {
        return Long.MIN_VALUE;
      }
      offset = (sign == '-' ? -1 : 1) * (hours * 3600L + minutes * 60L + seconds);
    }
    long seconds =
        epochDay(year, month, day) * 86_400L + hour * 3600L + minute * 60L + second - offset;
    return seconds * 1_000_000L + micros;
  }

  /** Whether the fields name a date of the proleptic calendar and a time of day (-1: no digits). */
  private static boolean validDateTime(
      int year, int month, int day, int hour, int minute, int second) {
    return year >= 1
        && month >= 1
        && month <= 12
        && day >= 1
        && day <= monthLength(year, month)
        && hour >= 0
        && hour <= 23
        && minute >= 0
        && minute <= 59
        && second >= 0
        && second <= 59;
  }

  /** The non-negative number {@code count} decimal digits at {@code from} spell, or -1. */
  private static int digits(String s, int from, int count) {
    int value = 0;
    for (int i = from; i < from + count; i++) {
      char c = s.charAt(i);
      if (!isDigit(c)) {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static int monthLength(int year, int month) {
    return switch (month) {
      case 2 -> (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28;
      case 4, 6, 9, 11 -> 30;
      default -> 31;
    };
  }

  /**
   * Days since 1970-01-01 of a proleptic Gregorian date, as {@code LocalDate.toEpochDay} (the
   * civil-from-days inverse of H. Hinnant's "chrono-Compatible Low-Level Date Algorithms").
   */
  static long epochDay(int year, int month, int day) {
    long y = month <= 2 ? year - 1 : year;
    long era = Math.floorDiv(y, 400);
    long yearOfEra = y - era * 400;
    long dayOfYear = (153L * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    long dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
    return era * 146_097 + dayOfEra - 719_468;
  }

  /** Days since 1970-01-01. */
  public static int dateDays(String text) {
    String s = text.trim();
    if (s.equals("infinity") || s.equals("+infinity")) {
      return Integer.MAX_VALUE;
    }
    if (s.equals("-infinity")) {
      return Integer.MIN_VALUE;
    }
    Matcher m = DATE.matcher(s);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not PostgreSQL date output (YYYY-MM-DD[ BC])");
    }
    int year = Integer.parseInt(m.group(1));
    if (m.group(4) != null) {
      year = 1 - year;
    }
    return Math.toIntExact(
        LocalDate.of(year, Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)))
            .toEpochDay());
  }

  /** bytea's hex output ({@code \x00ff}) or escape output ({@code a\000\\}). */
  public static byte[] bytea(String text) {
    if (text.startsWith("\\x")) {
      return HexFormat.of().parseHex(text, 2, text.length());
    }
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\\') {
        if (i + 1 < text.length() && text.charAt(i + 1) == '\\') {
          out.write('\\');
          i++;
        } else if (i + 3 < text.length()) {
          out.write(Integer.parseInt(text.substring(i + 1, i + 4), 8));
          i += 3;
        } else {
          throw new IllegalArgumentException("'" + text + "' is not bytea output");
        }
      } else if (c < 0x80) {
        out.write(c);
      } else {
        byte[] utf8 = String.valueOf(c).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.write(utf8, 0, utf8.length);
      }
    }
    return out.toByteArray();
  }

  /**
   * The elements of a one-dimensional array literal ({@code {a,NULL,"b c","q\"d"}}) as text, NULL
   * elements as null. A multi-dimensional literal or one with explicit bounds ({@code [0:1]={1,2}})
   * is refused: its shape does not fit a one-dimensional Spark array.
   */
  public static List<String> arrayElements(String text) {
    String s = text.trim();
    if (s.startsWith("[")) {
      throw new IllegalArgumentException(
          "array '"
              + abbreviate(s)
              + "' has explicit bounds; only arrays with lower bound 1 are supported");
    }
    if (!s.startsWith("{") || !s.endsWith("}")) {
      throw new IllegalArgumentException("'" + abbreviate(s) + "' is not an array literal");
    }
    List<String> out = new ArrayList<>();
    int i = 1;
    int end = s.length() - 1;
    while (i < end && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
    if (i == end) {
      return out;
    }
    StringBuilder element = new StringBuilder();
    while (true) {
      while (i < end && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
      element.setLength(0);
      boolean quoted = false;
      if (i < end && s.charAt(i) == '{') {
        throw new IllegalArgumentException(
            "array '"
                + abbreviate(s)
                + "' is multi-dimensional; only one-dimensional arrays are supported");
      }
      if (i < end && s.charAt(i) == '"') {
        quoted = true;
        i++;
        while (i < end && s.charAt(i) != '"') {
          char c = s.charAt(i);
          if (c == '\\') {
            i++;
            c = s.charAt(i);
          }
          element.append(c);
          i++;
        }
        if (i >= end) {
          throw new IllegalArgumentException(
              "array '" + abbreviate(s) + "' has an unterminated quoted element");
        }
        i++;
        while (i < end && Character.isWhitespace(s.charAt(i))) {
          i++;
        }
      } else {
        int lastNonBlank = 0;
        while (i < end && s.charAt(i) != ',') {
          char c = s.charAt(i);
          if (c == '\\') {
            i++;
            element.append(s.charAt(i));
            lastNonBlank = element.length();
          } else {
            element.append(c);
            if (!Character.isWhitespace(c)) {
              lastNonBlank = element.length();
            }
          }
          i++;
        }
        element.setLength(lastNonBlank);
      }
      String value = element.toString();
      out.add(!quoted && value.equalsIgnoreCase("NULL") ? null : value);
      if (i >= end) {
        return out;
      }
      if (s.charAt(i) != ',') {
        throw new IllegalArgumentException(
            "array '" + abbreviate(s) + "' has '" + s.charAt(i) + "' where ',' or '}' belongs");
      }
      i++;
    }
  }

  private static long offsetSeconds(String zone) {
    if (zone.equals("Z")) {
      return 0;
    }
    int sign = zone.charAt(0) == '-' ? -1 : 1;
    String digits = zone.substring(1).replace(":", "");
    long h = Long.parseLong(digits.substring(0, 2));
    long m = digits.length() >= 4 ? Long.parseLong(digits.substring(2, 4)) : 0;
    long sec = digits.length() >= 6 ? Long.parseLong(digits.substring(4, 6)) : 0;
    return sign * (h * 3600 + m * 60 + sec);
  }

  private static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }
}
