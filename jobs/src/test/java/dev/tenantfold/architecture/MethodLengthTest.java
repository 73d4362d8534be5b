package dev.tenantfold.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Methods read as a plan: no method or constructor in {@code job} is longer than {@value #LIMIT}
 * lines, from its first annotation or modifier (Javadoc aside) to its closing brace, and elsewhere
 * in the main code a longer one must be on the allowlist ({@value #ALLOWLIST}: file, method, the
 * length it had when listed). A ratchet: the test fails when an unlisted method grows over the
 * limit, when a listed one grows beyond its recorded length, and when a listed one is split or gone
 * (remove its line), so the list only shrinks. Read from the sources (the class files keep no
 * method's end), formatted by google-java-format, so a brace-counting scan that skips comments and
 * literals finds every body.
 */
class MethodLengthTest {
  private static final int LIMIT = 60;
  private static final Path MAIN = Path.of("src/main/java/dev/tenantfold");
  private static final String JOB = "job/";
  private static final String ALLOWLIST = "/architecture/long-methods.txt";

  @Test
  void noMethodIsLongerThanTheLimitOrItsRecordedLength() throws IOException {
    Map<String, Integer> allowed = allowlist();
    Map<String, Integer> measured = new TreeMap<>();
    List<String> tooLong = new ArrayList<>();
    for (Path file : sources()) {
      String name = MAIN.relativize(file).toString().replace('\\', '/');
      for (Body body : bodies(Files.readString(file))) {
        if (body.lines() <= LIMIT) {
          continue;
        }
        String key = name + " " + body.name();
        measured.merge(key, body.lines(), Math::max);
        Integer recorded = name.startsWith(JOB) ? null : allowed.get(key);
        if (recorded == null || body.lines() > recorded) {
          tooLong.add(
              name
                  + ":"
                  + body.line()
                  + " "
                  + body.name()
                  + ", "
                  + body.lines()
                  + (recorded == null ? "" : " (recorded " + recorded + ")"));
        }
      }
    }
    List<String> stale = new ArrayList<>();
    allowed.forEach(
        (key, recorded) -> {
          if (key.startsWith(JOB) || !measured.containsKey(key)) {
            stale.add(key + " " + recorded);
          }
        });
    assertThat(tooLong)
        .as(
            "methods over %d lines that are not on %s or grew beyond their recorded length (in job/"
                + " none may be): split them along what they do so each reads as a plan",
            LIMIT, ALLOWLIST)
        .isEmpty();
    assertThat(stale)
        .as(
            "lines of %s for methods now within %d lines, gone, or in job/: remove them, the list"
                + " only shrinks",
            ALLOWLIST, LIMIT)
        .isEmpty();
  }

  /** The allowlist: {@code "file method"} to the recorded length, lines after {@code #} ignored. */
  private static Map<String, Integer> allowlist() throws IOException {
    Map<String, Integer> allowed = new TreeMap<>();
    try (InputStream in = MethodLengthTest.class.getResourceAsStream(ALLOWLIST)) {
      assertThat(in).as("the allowlist %s on the test class path", ALLOWLIST).isNotNull();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        String entry = line.replaceAll("#.*", "").trim();
        if (!entry.isEmpty()) {
          String[] fields = entry.split("\\s+");
          assertThat(fields).as("allowlist line '%s': file method length", line).hasSize(3);
          allowed.put(fields[0] + " " + fields[1], Integer.parseInt(fields[2]));
        }
      }
    }
    return allowed;
  }

  private static List<Path> sources() throws IOException {
    try (Stream<Path> files = Files.walk(MAIN)) {
      return files.filter(f -> f.toString().endsWith(".java")).sorted().toList();
    }
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

          record R(int a) {
            R {
              if (a < 0) {
                throw new IllegalArgumentException();
              }
            }

            int twice() {
              return 2 * a;
            }
          }
        }
        """;
    assertThat(bodies(source))
        .containsExactlyInAnyOrder(
            new Body("inner", 11, 3),
            new Body("toString", 3, 16),
            new Body("A", 20, 1),
            new Body("twice", 29, 3));
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
   * throws}, and not a statement, a lambda, an anonymous class, a record's header or an
   * initialiser.
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
        || h.matches("(?s)(.*\\W)?(new|record|class|interface|enum)\\s.*")) {
      return "";
    }
    return m.group(1);
  }
}
