package dev.tenantfold.jdbc;

/**
 * PostgreSQL's array text, one owner for both directions it is written in: the COPY text the load
 * sends (read by {@code array_in}) and the canonical row text the checksum hashes (as {@code
 * array_out} prints it). Both quote an element the same way, locale-independently.
 */
public final class PgArrayText {
  private PgArrayText() {}

  /**
   * Appends one element: {@code NULL} for null; double-quoted (with {@code "} and {@code \}
   * backslashed) when empty, equal to NULL in any case, or holding a quote, backslash, comma, brace
   * or whitespace; as is otherwise.
   */
  public static void appendElement(StringBuilder out, CharSequence value) {
    if (value == null) {
      out.append("NULL");
      return;
    }
    if (!needsQuotes(value)) {
      out.append(value);
      return;
    }
    out.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\');
      }
      out.append(c);
    }
    out.append('"');
  }

  private static boolean needsQuotes(CharSequence value) {
    int n = value.length();
    if (n == 0 || (n == 4 && "NULL".equalsIgnoreCase(value.toString()))) {
      return true;
    }
    for (int i = 0; i < n; i++) {
      switch (value.charAt(i)) {
        case '"', '\\', ',', '{', '}', ' ', '\t', '\n', '\r', 0x0B, '\f' -> {
          return true;
        }
        default -> {
          // keep looking
        }
      }
    }
    return false;
  }
}
