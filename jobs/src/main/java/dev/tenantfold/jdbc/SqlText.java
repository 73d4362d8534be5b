package dev.tenantfold.jdbc;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * Lexical work on SQL text PostgreSQL printed (a default, a CHECK, a trigger, function or view
 * definition): {@link #tokens} skips string literals, dollar-quoted bodies and comments, so only
 * names and punctuation are seen and changed.
 */
public final class SqlText {
  private SqlText() {}

  /**
   * A name (unquoted, folded to lower case; or quoted, unescaped: {@code identifier}) or one other
   * character, at {@code [start, end)} of the text.
   */
  public record Token(int start, int end, String text, String value, boolean identifier) {}

  /**
   * {@code sql} with every schema qualifier {@code schema.} (a name, plain or quoted, directly
   * followed by a dot and a name, and not itself after a dot) replaced by {@code
   * rename.apply(schema)}, always quoted (valid wherever the name was); a qualifier {@code rename}
   * returns unchanged is left as printed. Literals ({@code 'sales.x'}), dollar-quoted bodies and
   * comments are left alone.
   */
  public static String renameSchemas(String sql, UnaryOperator<String> rename) {
    List<Token> tokens = tokens(sql);
    StringBuilder out = new StringBuilder(sql.length() + 16);
    int copied = 0;
    for (int i = 0; i < tokens.size(); i++) {
      Token t = tokens.get(i);
      if (!t.identifier() || !qualifies(tokens, i) || follows(tokens, i)) {
        continue;
      }
      String renamed = rename.apply(t.value());
      if (!renamed.equals(t.value())) {
        out.append(sql, copied, t.start()).append(Sql.ident(renamed));
        copied = t.end();
      }
    }
    return out.append(sql.substring(copied)).toString();
  }

  /** Token {@code i} is directly followed by {@code .} and a name: a qualifier. */
  public static boolean qualifies(List<Token> tokens, int i) {
    return i + 2 < tokens.size()
        && tokens.get(i + 1).text().equals(".")
        && tokens.get(i + 1).start() == tokens.get(i).end()
        && tokens.get(i + 2).identifier()
        && tokens.get(i + 2).start() == tokens.get(i + 1).end();
  }

  /** Token {@code i} directly follows a {@code .}: a later part of a qualified name. */
  public static boolean follows(List<Token> tokens, int i) {
    return i > 0
        && tokens.get(i - 1).text().equals(".")
        && tokens.get(i - 1).end() == tokens.get(i).start();
  }

  /**
   * The names and other characters of {@code sql}; literals, dollar-quoted bodies, comments and
   * white space are skipped.
   */
  public static List<Token> tokens(String sql) {
    List<Token> tokens = new ArrayList<>();
    int i = 0;
    int n = sql.length();
    while (i < n) {
      char c = sql.charAt(i);
      if (c == '\'') {
        boolean escapes =
            !tokens.isEmpty()
                && tokens.get(tokens.size() - 1).end() == i
                && tokens.get(tokens.size() - 1).text().equalsIgnoreCase("e");
        if (escapes) {
          tokens.remove(tokens.size() - 1);
        }
        i = endOfString(sql, i, escapes);
      } else if (c == '"') {
        int j = i + 1;
        StringBuilder value = new StringBuilder();
        while (j < n) {
          if (sql.charAt(j) == '"') {
            if (j + 1 < n && sql.charAt(j + 1) == '"') {
              value.append('"');
              j += 2;
              continue;
            }
            break;
          }
          value.append(sql.charAt(j++));
        }
        int end = Math.min(j + 1, n);
        tokens.add(new Token(i, end, sql.substring(i, end), value.toString(), true));
        i = end;
      } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
        int nl = sql.indexOf('\n', i);
        i = nl < 0 ? n : nl + 1;
      } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
        int close = sql.indexOf("*/", i + 2);
        i = close < 0 ? n : close + 2;
      } else if (c == '$' && dollarTag(sql, i) != null) {
        String tag = dollarTag(sql, i);
        int close = sql.indexOf(tag, i + tag.length());
        i = close < 0 ? n : close + tag.length();
      } else if (Character.isLetter(c) || c == '_' || c > 127) {
        int j = i + 1;
        while (j < n
            && (Character.isLetterOrDigit(sql.charAt(j))
                || sql.charAt(j) == '_'
                || sql.charAt(j) == '$'
                || sql.charAt(j) > 127)) {
          j++;
        }
        String text = sql.substring(i, j);
        tokens.add(new Token(i, j, text, text.toLowerCase(Locale.ROOT), true));
        i = j;
      } else if (Character.isDigit(c)) {
        int j = i + 1;
        while (j < n && (Character.isLetterOrDigit(sql.charAt(j)) || sql.charAt(j) == '_')) {
          j++;
        }
        tokens.add(new Token(i, j, sql.substring(i, j), sql.substring(i, j), false));
        i = j;
      } else if (Character.isWhitespace(c)) {
        i++;
      } else {
        tokens.add(new Token(i, i + 1, String.valueOf(c), String.valueOf(c), false));
        i++;
      }
    }
    return tokens;
  }

  /**
   * The index after the string literal opening at {@code start} ({@code ''} inside; backslash
   * escapes in an E'' string).
   */
  private static int endOfString(String sql, int start, boolean escapes) {
    int j = start + 1;
    while (j < sql.length()) {
      char c = sql.charAt(j);
      if (escapes && c == '\\') {
        j += 2;
      } else if (c == '\'') {
        if (j + 1 < sql.length() && sql.charAt(j + 1) == '\'') {
          j += 2;
        } else {
          return j + 1;
        }
      } else {
        j++;
      }
    }
    return sql.length();
  }

  /**
   * The dollar-quote tag opening at {@code i} ({@code $$}, {@code $body$}), or null (a parameter
   * such as {@code $1}).
   */
  private static String dollarTag(String sql, int i) {
    if (i > 0 && (Character.isLetterOrDigit(sql.charAt(i - 1)) || sql.charAt(i - 1) == '_')) {
      return null;
    }
    int j = i + 1;
    while (j < sql.length() && (Character.isLetterOrDigit(sql.charAt(j)) || sql.charAt(j) == '_')) {
      j++;
    }
    if (j < sql.length()
        && sql.charAt(j) == '$'
        && (j == i + 1 || !Character.isDigit(sql.charAt(i + 1)))) {
      return sql.substring(i, j + 1);
    }
    return null;
  }
}
