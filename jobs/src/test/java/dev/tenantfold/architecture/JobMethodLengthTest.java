package dev.tenantfold.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The orchestration in {@code job} reads as a plan: no method or constructor there is longer than
 * {@value #LIMIT} lines, from its first annotation or modifier (Javadoc aside) to its closing
 * brace. Read from the sources (the class files keep no method's end), formatted by
 * google-java-format, so a brace-counting scan that skips comments and literals finds every body.
 */
class JobMethodLengthTest {
  private static final int LIMIT = 60;
  private static final Path JOB = Path.of("src/main/java/dev/tenantfold/job");

  @Test
  void noMethodInTheJobIsLongerThanTheLimit() throws IOException {
    List<String> tooLong = new ArrayList<>();
    try (Stream<Path> files = Files.list(JOB)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
        for (Body body : bodies(Files.readString(file))) {
          if (body.lines() > LIMIT) {
            tooLong.add(
                file.getFileName() + ":" + body.line() + " " + body.name() + ", " + body.lines());
          }
        }
      }
    }
    assertThat(tooLong)
        .as(
            "methods in job/ over %d lines: split them along what they do so each reads as a plan",
            LIMIT)
        .isEmpty();
  }

  @Test
  void theScanMeasuresEveryBodyAndNothingElse() {
    String source =
        """
        class A {
          /** Braces in comments { do not count. */
          @Override
          public String toString() {
            String s = "}{";
            char c = '{';
            Runnable r =
                () -> {
                  if (s.isEmpty()) {
                    new Object() {
                      int inner(int x) {
                        return x;
                      }
                    };
                  }
                };
            return s + c;
          }

          A(int a) throws java.sql.SQLException {}
        }
        """;
    assertThat(bodies(source))
        .containsExactlyInAnyOrder(
            new Body("inner", 11, 3), new Body("toString", 3, 16), new Body("A", 20, 1));
  }

  /** A method or constructor body: its name, the line it is declared on, and its length. */
  record Body(String name, int line, int lines) {}

  private static final Pattern DECLARATION =
      Pattern.compile("(?s).*?\\b([A-Za-z_$][\\w$]*)\\s*\\(.*\\)\\s*(throws\\s+[\\w.,\\s]+)?");
  private static final Set<String> STATEMENTS =
      Set.of("if", "for", "while", "switch", "catch", "synchronized", "try");

  /**
   * Every method and constructor body in {@code source}: a block whose header (the text since the
   * last {@code ;}, <code>{</code> or <code>}</code>) is a name, parameters and perhaps {@code
   * throws}, and not a statement, a lambda, an anonymous class or an initialiser.
   */
  static List<Body> bodies(String source) {
    List<Body> bodies = new ArrayList<>();
    Deque<Body> open = new ArrayDeque<>();
    StringBuilder header = new StringBuilder();
    int headerLine = 1;
    int line = 1;
    for (int i = 0; i < source.length(); i++) {
      char c = source.charAt(i);
      int skipTo = skipped(source, i);
      if (skipTo > i) {
        line += (int) source.substring(i, skipTo).chars().filter(ch -> ch == '\n').count();
        if (source.charAt(i) != '/') {
          header.append("\"\"");
        }
        i = skipTo - 1;
        continue;
      }
      if (c == '\n') {
        line++;
        header.append(' ');
        continue;
      }
      if (header.toString().isBlank() && !Character.isWhitespace(c)) {
        headerLine = line;
      }
      if (c == '{') {
        open.push(new Body(methodName(header.toString()), headerLine, line));
        header.setLength(0);
      } else if (c == '}') {
        Body start = open.pop();
        if (!start.name().isEmpty()) {
          bodies.add(new Body(start.name(), start.line(), line - start.line() + 1));
        }
        header.setLength(0);
      } else if (c == ';') {
        header.setLength(0);
      } else {
        header.append(c);
      }
    }
    return bodies;
  }

  /** The end of the comment or literal at {@code i}, or {@code i} when none starts there. */
  private static int skipped(String source, int i) {
    if (source.startsWith("//", i)) {
      int end = source.indexOf('\n', i);
      return end < 0 ? source.length() : end;
    }
    if (source.startsWith("/*", i)) {
      return source.indexOf("*/", i + 2) + 2;
    }
    if (source.startsWith("\"\"\"", i)) {
      return source.indexOf("\"\"\"", i + 3) + 3;
    }
    char c = source.charAt(i);
    if (c == '"' || c == '\'') {
      int j = i + 1;
      while (source.charAt(j) != c) {
        j += source.charAt(j) == '\\' ? 2 : 1;
      }
      return j + 1;
    }
    return i;
  }

  /** The method's name when {@code header} declares one, else empty. */
  private static String methodName(String header) {
    String h = header.replaceAll("@[\\w.]+(\\([^)]*\\))?", "").trim();
    Matcher m = DECLARATION.matcher(h);
    if (!m.matches()
        || STATEMENTS.contains(m.group(1))
        || h.contains("->")
        || h.contains("=")
        || h.matches("(?s)(.*\\W)?new\\s.*")) {
      return "";
    }
    return m.group(1);
  }
}
