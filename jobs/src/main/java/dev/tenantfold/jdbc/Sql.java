package dev.tenantfold.jdbc;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;

/**
 * PostgreSQL identifier and literal quoting, and name shortening to the 63-byte identifier limit.
 */
public final class Sql {
  private static final int MAX_IDENTIFIER_BYTES = 63;

  private Sql() {}

  public static String ident(String name) {
    return '"' + name.replace("\"", "\"\"") + '"';
  }

  public static String qualified(String schema, String name) {
    return ident(schema) + "." + ident(name);
  }

  public static String idents(List<String> names) {
    return names.stream().map(Sql::ident).collect(Collectors.joining(", "));
  }

  /**
   * A row's key as readable JSON, {@code {"order_id": 2002, "line_no": 2}}: the SQL expression over
   * {@code columns}, each qualified by {@code alias} when it is not empty.
   */
  public static String keyJson(List<String> columns, String alias) {
    String prefix = alias == null || alias.isEmpty() ? "" : alias + ".";
    return "jsonb_build_object("
        + String.join(
            ", ", columns.stream().map(k -> literal(k) + ", " + prefix + ident(k)).toList())
        + ")";
  }

  public static String literal(String value) {
    if (value == null) {
      return "NULL";
    }
    return "'" + value.replace("'", "''") + "'";
  }

  /**
   * A name that fits PostgreSQL's identifier limit: kept as is when short enough, otherwise cut and
   * suffixed with a hash of the full name so distinct long names stay distinct.
   */
  public static String boundedName(String name) {
    if (name.getBytes(StandardCharsets.UTF_8).length <= MAX_IDENTIFIER_BYTES) {
      return name;
    }
    String hash = sha1Hex(name).substring(0, 10);
    StringBuilder cut = new StringBuilder();
    for (int i = 0; i < name.length(); ) {
      int cp = name.codePointAt(i);
      String next = cut + new String(Character.toChars(cp));
      if (next.getBytes(StandardCharsets.UTF_8).length > MAX_IDENTIFIER_BYTES - 11) {
        break;
      }
      cut.appendCodePoint(cp);
      i += Character.charCount(cp);
    }
    return cut + "_" + hash;
  }

  /**
   * Eight hex digits of the SHA-1 of {@code s}: a short, stable disambiguator for generated names.
   */
  public static String shortHash(String s) {
    return sha1Hex(s).substring(0, 8);
  }

  static String sha1Hex(String s) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
