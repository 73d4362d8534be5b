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
}
