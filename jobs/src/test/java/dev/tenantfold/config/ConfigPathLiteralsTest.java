package dev.tenantfold.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Outside {@code config}, no string literal of the main sources spells a config path ({@code
 * "tenantfold.publish.lock-timeout"}): messages name a key through its declaration ({@link
 * ConfigKey#path}), so renaming a key cannot leave a message naming the old one.
 */
class ConfigPathLiteralsTest {
  private static final Path MAIN =
      Path.of(System.getProperty("basedir", "."), "src", "main", "java");

  /** {@code tenantfold.} then a key of the root block, or the end of the literal. */
  private static Pattern configPath() {
    String roots =
        ConfigurationDocTest.keyBlocks().stream()
            .filter(b -> b.path().equals(ConfigKey.ROOT))
            .flatMap(b -> b.keys().stream())
            .map(k -> Pattern.quote(k.name()))
            .collect(Collectors.joining("|"));
    return Pattern.compile("(?<![\\w.])tenantfold\\.(?:(?:" + roots + ")(?![\\w-])|$)");
  }

  @Test
  void noLiteralOutsideConfigSpellsAConfigPath() throws IOException {
    Pattern path = configPath();
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(MAIN)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
        String relative = MAIN.relativize(file).toString().replace('\\', '/');
        if (relative.startsWith("dev/tenantfold/config/")) {
          continue;
        }
        String text = Files.readString(file);
        for (Literal literal : literals(text)) {
          if (path.matcher(literal.text()).find()) {
            found.add(relative + ":" + literal.line() + ": \"" + literal.text() + "\"");
          }
        }
      }
    }
    assertThat(found)
        .as("string literals naming config paths; name the key through its declaration instead")
        .isEmpty();
  }

  @Test
  void theScanFindsPathsInLiteralsAndNotInCommentsOrPackageNames() {
    Pattern path = configPath();
    String source =
        """
        // set tenantfold.publish.lock-timeout
        /* tenantfold.tables.exclude */
        class A {
          String a = "raise tenantfold.publish.lock-timeout";
          String b = "dev.tenantfold.config.TenantConfig";
          char c = '"';
          String d = "tenantfold." + x;
          String e = "tenantfold.demo.report-dir";
        }
        """;
    assertThat(literals(source).stream().filter(l -> path.matcher(l.text()).find()))
        .extracting(Literal::line)
        .containsExactly(4, 7);
  }

  /** A string literal's text (escapes as written) and the line it starts on. */
  record Literal(String text, int line) {}

  /** The string literals and text blocks of Java source {@code text}, outside comments. */
  static List<Literal> literals(String text) {
    List<Literal> out = new ArrayList<>();
    int line = 1;
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (c == '\n') {
        line++;
        i++;
      } else if (text.startsWith("//", i)) {
        i = text.indexOf('\n', i);
        i = i < 0 ? text.length() : i;
      } else if (text.startsWith("/*", i)) {
        int end = text.indexOf("*/", i + 2);
        end = end < 0 ? text.length() : end + 2;
        line += count(text, i, end);
        i = end;
      } else if (c == '\'') {
        int end = i + 1;
        while (end < text.length() && text.charAt(end) != '\'') {
          end += text.charAt(end) == '\\' ? 2 : 1;
        }
        i = end + 1;
      } else if (text.startsWith("\"\"\"", i)) {
        int end = text.indexOf("\"\"\"", i + 3);
        end = end < 0 ? text.length() : end;
        out.add(new Literal(text.substring(i + 3, end), line));
        line += count(text, i, end);
        i = end + 3;
      } else if (c == '"') {
        int end = i + 1;
        while (end < text.length() && text.charAt(end) != '"' && text.charAt(end) != '\n') {
          end += text.charAt(end) == '\\' ? 2 : 1;
        }
        out.add(new Literal(text.substring(i + 1, Math.min(end, text.length())), line));
        i = end + 1;
      } else {
        i++;
      }
    }
    return out;
  }

  private static int count(String text, int from, int to) {
    int lines = 0;
    for (int i = from; i < to; i++) {
      lines += text.charAt(i) == '\n' ? 1 : 0;
    }
    return lines;
  }
}
