package dev.tenantfold.jdbc;

import java.util.regex.Pattern;

/** Removes credentials from text that may reach logs, exceptions or reports. */
public final class Redaction {
  private static final Pattern URL_PARAMS = Pattern.compile("\\?.*$");
  private static final Pattern USERINFO = Pattern.compile("//[^/@]*@");
  private static final Pattern PASSWORD_PARAM =
      Pattern.compile("(?i)(password|secret|token|sslpassword|sslkey)=[^&;\\s]*");

  private Redaction() {}

  /** JDBC URL without query parameters or user info: {@code jdbc:postgresql://host:5432/db}. */
  public static String redactUrl(String url) {
    if (url == null) {
      return null;
    }
    return USERINFO.matcher(URL_PARAMS.matcher(url).replaceAll("")).replaceAll("//");
  }

  /** Masks {@code password=...} style fragments and the given secret values in free text. */
  public static String redactText(String text, Iterable<String> secrets) {
    if (text == null) {
      return null;
    }
    String out = PASSWORD_PARAM.matcher(text).replaceAll("$1=****");
    for (String secret : secrets) {
      if (secret != null && secret.length() >= 3) {
        out = out.replace(secret, "****");
      }
    }
    return out;
  }

  /**
   * The message of a database error without the server's DETAIL and WHERE lines, which can carry
   * row values ("Failing row contains ..."), scrubbed of the given secrets.
   */
  public static String sqlMessage(Throwable e, Iterable<String> secrets) {
    String message = e.getMessage();
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof org.postgresql.util.PSQLException psql
          && psql.getServerErrorMessage() != null) {
        var server = psql.getServerErrorMessage();
        String primary = server.getSeverity() + ": " + server.getMessage();
        // Keep our own context (a wrapping message) but only the server's primary line.
        if (t == e) {
          message = primary;
        } else if (message != null
            && psql.getMessage() != null
            && message.contains(psql.getMessage())) {
          // A wrapper that quoted the server's full text: keep the wrapper's context, the server's
          // primary line only.
          message = message.replace(psql.getMessage(), primary);
        }
        break;
      }
    }
    return redactText(message, secrets);
  }
}
