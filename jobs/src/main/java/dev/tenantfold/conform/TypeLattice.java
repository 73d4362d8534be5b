package dev.tenantfold.conform;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The widening lattice of docs/reconcile.md, over PostgreSQL's {@code format_type} texts: the
 * narrowest type that holds every value of two column types without changing any of them, or empty
 * when there is none (text vs integer, timestamp vs timestamptz, json vs jsonb). Pure.
 *
 * <ul>
 *   <li>smallint &lt; integer &lt; bigint &lt; numeric; an integer meets numeric(p,s) as
 *       numeric(max(p-s, digits)+s, s) with 5, 10 or 19 digits;
 *   <li>numeric(p1,s1) and numeric(p2,s2) widen to the integer digits and the scale of the wider of
 *       each; plain numeric absorbs every numeric;
 *   <li>real &lt; double precision;
 *   <li>varchar(n) &lt; varchar(max n) &lt; varchar &lt; text; char(n) meets anything of another
 *       length or kind as text;
 *   <li>timestamp(p), timestamptz(p), time(p), timetz(p): the larger p;
 *   <li>arrays widen element-wise.
 * </ul>
 */
public final class TypeLattice {
  private static final int NUMERIC_MAX_PRECISION = 1000;
  private static final Pattern NUMERIC =
      Pattern.compile("numeric(?:\\((\\d+)(?:,\\s*(-?\\d+))?\\))?");
  private static final Pattern VARCHAR = Pattern.compile("character varying(?:\\((\\d+)\\))?");
  private static final Pattern CHAR = Pattern.compile("character(?:\\((\\d+)\\))?");
  private static final Pattern TEMPORAL =
      Pattern.compile("(timestamp|time)(?:\\((\\d)\\))? (with|without) time zone");

  private TypeLattice() {}

  /**
   * The narrowest type holding every value of {@code a} and of {@code b}; empty when they do not
   * widen safely.
   */
  public static Optional<String> widen(String a, String b) {
    String x = normal(a);
    String y = normal(b);
    if (x.equals(y)) {
      return Optional.of(x);
    }
    boolean xArray = x.endsWith("[]");
    boolean yArray = y.endsWith("[]");
    if (xArray || yArray) {
      if (!xArray || !yArray) {
        return Optional.empty();
      }
      return widen(x.substring(0, x.length() - 2), y.substring(0, y.length() - 2))
          .map(t -> t + "[]");
    }
    return widenScalar(x, y).or(() -> widenScalar(y, x));
  }

  /**
   * Whether {@code to} holds every value of {@code from} (a cast from one to the other never fails
   * or changes a value).
   */
  public static boolean holds(String to, String from) {
    return widen(from, to).map(w -> w.equals(normal(to))).orElse(false);
  }

  /** The type text as {@code format_type} prints it, lower case and trimmed. */
  public static String normal(String type) {
    return type.trim().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ").replace(", ", ",");
  }

  private static Optional<String> widenScalar(String x, String y) {
    int xi = integerRank(x);
    int yi = integerRank(y);
    if (xi > 0 && yi > 0) {
      return Optional.of(xi >= yi ? x : y);
    }
    Matcher xn = NUMERIC.matcher(x);
    Matcher yn = NUMERIC.matcher(y);
    if (xn.matches() && yi > 0) {
      if (xn.group(1) == null) {
        return Optional.of("numeric");
      }
      int p = Integer.parseInt(xn.group(1));
      int s = xn.group(2) == null ? 0 : Integer.parseInt(xn.group(2));
      return Optional.of(numeric(Math.max(p - s, integerDigits(yi)), s));
    }
    if (xn.matches() && yn.matches()) {
      if (xn.group(1) == null || yn.group(1) == null) {
        return Optional.of("numeric");
      }
      int xp = Integer.parseInt(xn.group(1));
      int xs = xn.group(2) == null ? 0 : Integer.parseInt(xn.group(2));
      int yp = Integer.parseInt(yn.group(1));
      int ys = yn.group(2) == null ? 0 : Integer.parseInt(yn.group(2));
      return Optional.of(numeric(Math.max(xp - xs, yp - ys), Math.max(xs, ys)));
    }
    if (x.equals("double precision") && y.equals("real")) {
      return Optional.of(x);
    }
    if (textual(x) && textual(y)) {
      Matcher xv = VARCHAR.matcher(x);
      Matcher yv = VARCHAR.matcher(y);
      if (xv.matches() && yv.matches()) {
        if (xv.group(1) == null || yv.group(1) == null) {
          return Optional.of("character varying");
        }
        return Optional.of(Integer.parseInt(xv.group(1)) >= Integer.parseInt(yv.group(1)) ? x : y);
      }
      // text meets anything textual as text; char(n) meets another length or another kind as text.
      return Optional.of("text");
    }
    Matcher xt = TEMPORAL.matcher(x);
    Matcher yt = TEMPORAL.matcher(y);
    if (xt.matches()
        && yt.matches()
        && xt.group(1).equals(yt.group(1))
        && xt.group(3).equals(yt.group(3))) {
      int xp = xt.group(2) == null ? 6 : Integer.parseInt(xt.group(2));
      int yp = yt.group(2) == null ? 6 : Integer.parseInt(yt.group(2));
      int p = Math.max(xp, yp);
      return Optional.of(
          xt.group(1) + (p == 6 ? "" : "(" + p + ")") + " " + xt.group(3) + " time zone");
    }
    return Optional.empty();
  }

  private static String numeric(int integerDigits, int scale) {
    int precision = integerDigits + scale;
    return precision > NUMERIC_MAX_PRECISION || precision < 1
        ? "numeric"
        : "numeric(" + precision + "," + scale + ")";
  }

  private static boolean textual(String type) {
    return type.equals("text") || VARCHAR.matcher(type).matches() || CHAR.matcher(type).matches();
  }

  private static int integerRank(String type) {
    return switch (type) {
      case "smallint" -> 1;
      case "integer" -> 2;
      case "bigint" -> 3;
      default -> 0;
    };
  }

  private static int integerDigits(int rank) {
    return switch (rank) {
      case 1 -> 5;
      case 2 -> 10;
      default -> 19;
    };
  }
}
