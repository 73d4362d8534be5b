package dev.tenantfold.jdbc;

import java.util.function.UnaryOperator;

/**
 * Lexical surgery on SQL text PostgreSQL printed (a default, a CHECK, a trigger or function
 * definition): it skips string literals, dollar-quoted bodies and comments, so only names change.
 */
public final class SqlText {
  private SqlText() {}

  /**
   * {@code sql} with every schema qualifier {@code schema.} (a name, plain or quoted, directly
   * followed by a dot and not itself after a dot) replaced by {@code rename.apply(schema)}, always quoted
   * (valid wherever the name was); a qualifier {@code rename} returns unchanged is left as printed. Literals ({@code
   * 'sales.x'}), dollar-quoted bodies and comments are left alone.
   */
  public static String renameSchemas(String sql, UnaryOperator<String> rename) {
    StringBuilder out = new StringBuilder(sql.length() + 16);
    int i = 0;
    int n = sql.length();
    char previous = ' ';
    while (i < n) {
      char c = sql.charAt(i);
      int end;
      if (c == '\'') {
        end = quoted(sql, i, '\'', isEscapeString(sql, i));
      } else if (c == '$' && !isIdentPart(previous) && dollarTag(sql, i) != null) {
        String tag = dollarTag(sql, i);
        int close = sql.indexOf(tag, i + tag.length());
        end = close < 0 ? n : close + tag.length();
      } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
        int eol = sql.indexOf('\n', i);
        end = eol < 0 ? n : eol;
      } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
        int close = sql.indexOf("*/", i + 2);
        end = close < 0 ? n : close + 2;
      } else if (c == '"' || isIdentStart(c)) {
        end = c == '"' ? quoted(sql, i, '"', false) : identEnd(sql, i);
        String token = sql.substring(i, end);
        if (end < n && sql.charAt(end) == '.' && previous != '.') {
          String name = c == '"' ? token.substring(1, token.length() - 1).replace("\"\"", "\"") : token;
          String renamed = rename.apply(name);
          if (!renamed.equals(name)) {
            out.append(Sql.ident(renamed));
            previous = 'x';
            i = end;
            continue;
          }
        }
      } else {
        end = i + 1;
      }
      out.append(sql, i, end);
      previous = sql.charAt(end - 1);
      i = end;
    }
    return out.toString();
  }

  /** The end (exclusive) of the literal or quoted identifier opening at {@code start}; doubled quotes stay inside. */
  private static int quoted(String sql, int start, char quote, boolean backslashEscapes) {
    int i = start + 1;
    while (i < sql.length()) {
      char c = sql.charAt(i);
      if (backslashEscapes && c == '\\') {
        i += 2;
        continue;
      }
      if (c == quote) {
        if (i + 1 < sql.length() && sql.charAt(i + 1) == quote) {
          i += 2;
          continue;
        }
        return i + 1;
      }
      i++;
    }
    return sql.length();
  }

  /** Whether the literal at {@code quoteAt} is an {@code E'...'} string, where backslashes escape. */
  private static boolean isEscapeString(String sql, int quoteAt) {
    return quoteAt > 0 && (sql.charAt(quoteAt - 1) == 'E' || sql.charAt(quoteAt - 1) == 'e')
        && (quoteAt == 1 || !isIdentPart(sql.charAt(quoteAt - 2)));
  }

  /** The {@code $tag$} opening at {@code start}, or null when {@code $} starts none (a parameter such as {@code $1}). */
  private static String dollarTag(String sql, int start) {
    int i = start + 1;
    while (i < sql.length() && sql.charAt(i) != '$') {
      char c = sql.charAt(i);
      if (!(Character.isLetter(c) || c == '_' || (i > start + 1 && Character.isDigit(c)))) {
        return null;
      }
      i++;
    }
    return i < sql.length() ? sql.substring(start, i + 1) : null;
  }

  private static int identEnd(String sql, int start) {
    int i = start + 1;
    while (i < sql.length() && isIdentPart(sql.charAt(i))) {
      i++;
    }
    return i;
  }

  private static boolean isIdentStart(char c) {
    return Character.isLetter(c) || c == '_';
  }

  private static boolean isIdentPart(char c) {
    return Character.isLetterOrDigit(c) || c == '_' || c == '$';
  }
}
