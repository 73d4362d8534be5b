package dev.tenantfold.conform;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * The column types whose values may cross from a source to the target in PostgreSQL's binary COPY
 * format, over {@code format_type} texts. Pure.
 *
 * <p>A type qualifies when its binary form is the same on every server version Tenantfold reads and
 * writes (13 and later) and names nothing of one database's catalog: the built-in scalars below,
 * and arrays of them (an array's binary form carries its element type's OID, which for a built-in
 * type is the same in every database). Its receive function applies the column's modifier as text
 * input does ({@code numeric(p,s)} rounds, {@code varchar(n)} and {@code char(n)} check and pad,
 * {@code timestamp(p)} rounds), and the textual ones convert between the client encoding (UTF8 for
 * pgjdbc) and the server's, so a LATIN1 source sends UTF8 as it does in text.
 *
 * <p>Left out: enums, domains, composites, ranges and every other type of a database's own (their
 * binary form, or their arrays', names catalog objects by OID), and built-ins whose binary form
 * depends on a server setting ({@code money}: {@code lc_monetary}) or skips the encoding conversion
 * ({@code "char"}, {@code xml}), or that nobody migrates in bulk (geometric, text search, {@code
 * pg_lsn}, ...): their tables stay in text.
 */
public final class BinaryCopyTypes {
  private static final Set<String> SCALARS =
      Set.of(
          "boolean",
          "smallint",
          "integer",
          "bigint",
          "real",
          "double precision",
          "numeric",
          "text",
          "character varying",
          "character",
          "name",
          "bytea",
          "date",
          "time without time zone",
          "time with time zone",
          "timestamp without time zone",
          "timestamp with time zone",
          "interval",
          "uuid",
          "json",
          "jsonb",
          "inet",
          "cidr",
          "macaddr",
          "macaddr8",
          "bit",
          "bit varying");

  /** A type modifier as format_type prints it: {@code (10)}, {@code (12,2)}, {@code (3)}. */
  private static final Pattern MODIFIER = Pattern.compile("\\(\\d+(?:,-?\\d+)?\\)");

  /** An interval's field restriction: {@code interval day to second}. */
  private static final Pattern INTERVAL_FIELDS =
      Pattern.compile(
          "interval (?:year|month|day|hour|minute|second)(?: to (?:month|hour|minute|second))?");

  private BinaryCopyTypes() {}

  /** Whether a column of {@code type} ({@code format_type} text) may be copied in binary. */
  public static boolean exchangeable(String type) {
    String t = TypeLattice.normal(type);
    if (t.endsWith("[]")) {
      t = t.substring(0, t.length() - 2);
    }
    t = MODIFIER.matcher(t).replaceAll("");
    if (INTERVAL_FIELDS.matcher(t).matches()) {
      return true;
    }
    return SCALARS.contains(t);
  }
}
