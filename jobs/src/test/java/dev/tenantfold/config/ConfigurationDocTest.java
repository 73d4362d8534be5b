package dev.tenantfold.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md, reference.conf and the keys the job accepts say the same: every key of
 * reference.conf is documented with the default reference.conf gives it, every documented key with
 * a default outside lists and per-table blocks is in reference.conf, the keys declared in {@code
 * config} ({@link KeyBlock}, found in every class of the package) are exactly the documented ones,
 * and the keys the reader accepts in each block (probed through its unknown-key error, which lists
 * them) are too.
 */
class ConfigurationDocTest {
  private static final Pattern ROW =
      Pattern.compile("^\\| `([^`]+)` \\| ([^|]+) \\| (.+?) \\| .*\\|$");
  private static final Pattern ALLOWED = Pattern.compile("allowed keys here are \\[([^]]*)]");
  private static final String PROBE = "zz-unknown-probe";

  /** A config the reader accepts; each probe adds one unknown key to one block of it. */
  private static final String TARGET = "target { url = \"jdbc:postgresql://h:5432/w\" }\n";

  private static final String JDBC_TENANT =
      "{ id = a, jdbc { url = \"jdbc:postgresql://h:5432/a\" %s } %s }";

  /** Documented key -> its default cell, from the tables of docs/configuration.md. */
  private static Map<String, String> documented() throws IOException {
    Path doc = Path.of(System.getProperty("basedir", "."), "..", "docs", "configuration.md");
    Map<String, String> keys = new LinkedHashMap<>();
    for (String line : Files.readAllLines(doc)) {
      Matcher m = ROW.matcher(line);
      if (m.matches()) {
        String previous = keys.put(m.group(1), m.group(3).trim());
        assertThat(previous).as("%s is documented once", m.group(1)).isNull();
      }
    }
    assertThat(keys).as("keys found in %s", doc).hasSizeGreaterThan(50);
    return keys;
  }

  /** reference.conf's keys under tenantfold: leaves, empty objects and lists, with their values. */
  private static Map<String, ConfigValue> reference() {
    Config reference = ConfigFactory.parseResources("reference.conf").getConfig("tenantfold");
    Map<String, ConfigValue> keys = new TreeMap<>();
    collect(reference.root(), "", keys);
    return keys;
  }

  private static void collect(ConfigObject object, String prefix, Map<String, ConfigValue> keys) {
    for (Map.Entry<String, ConfigValue> e : object.entrySet()) {
      String key = prefix + e.getKey();
      if (e.getValue() instanceof ConfigObject child && !child.isEmpty()) {
        collect(child, key + ".", keys);
      } else {
        keys.put(key, e.getValue());
      }
    }
  }

  /** The default cell a reference.conf value is documented with, without backticks. */
  private static String rendered(ConfigValue value) {
    if (value.valueType() == ConfigValueType.STRING) {
      return (String) value.unwrapped();
    }
    if (value instanceof ConfigList list && list.isEmpty()) {
      return "[]";
    }
    return value.render(ConfigRenderOptions.concise());
  }

  @Test
  void everyKeyOfReferenceConfIsDocumentedWithItsDefault() throws IOException {
    Map<String, String> documented = documented();
    for (Map.Entry<String, ConfigValue> e : reference().entrySet()) {
      String key = e.getKey().replace("\"", "");
      if (e.getValue() instanceof ConfigObject && !documented.containsKey(key)) {
        assertThat(documented.keySet())
            .as("docs/configuration.md documents the keys of reference.conf's block %s", key)
            .anyMatch(d -> d.startsWith(key + "."));
        continue;
      }
      assertThat(documented)
          .as("docs/configuration.md documents reference.conf's key %s", key)
          .containsKey(key);
      assertThat(documented.get(key))
          .as("docs/configuration.md's default of %s (reference.conf: %s)", key, e.getValue())
          .isEqualTo("`" + rendered(e.getValue()) + "`");
    }
  }

  @Test
  void everyDocumentedDefaultIsReferenceConfs() throws IOException {
    Set<String> reference = new TreeSet<>();
    reference().keySet().forEach(k -> reference.add(k.replace("\"", "")));
    for (Map.Entry<String, String> e : documented().entrySet()) {
      String key = e.getKey();
      boolean perItem = key.startsWith("tenants[]") || key.startsWith("rules.<");
      boolean noDefault = e.getValue().equals("none") || e.getValue().equals("required");
      if (!perItem && !noDefault) {
        assertThat(reference)
            .as("documented default of %s is in reference.conf", key)
            .contains(key);
      }
      if (noDefault) {
        assertThat(reference).as("%s is documented without a default", key).doesNotContain(key);
      }
    }
  }

  /** Every {@link KeyBlock} of the config package: the static fields of its classes. */
  static List<KeyBlock> keyBlocks() {
    List<KeyBlock> blocks = new java.util.ArrayList<>();
    for (JavaClass type :
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.tenantfold.config")) {
      for (Field field : type.reflect().getDeclaredFields()) {
        if (Modifier.isStatic(field.getModifiers()) && field.getType() == KeyBlock.class) {
          field.setAccessible(true);
          try {
            blocks.add((KeyBlock) field.get(null));
          } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
          }
        }
      }
    }
    return blocks;
  }

  /** Every key declared in a {@link KeyBlock} of the config package, as documented. */
  private static Set<String> declared() {
    Set<String> keys = new TreeSet<>();
    for (KeyBlock block : keyBlocks()) {
      for (ConfigKey<?> key : block.keys()) {
        assertThat(keys.add(key.documented())).as("%s is declared once", key).isTrue();
      }
    }
    assertThat(keys).as("declared keys").hasSizeGreaterThan(50);
    return keys;
  }

  @Test
  void theDeclaredKeysAreTheDocumentedKeys() throws Exception {
    Set<String> declared = declared();
    Set<String> documented = documented().keySet();
    for (String key : declared) {
      assertThat(covered(key, documented))
          .as("docs/configuration.md documents %s, which config declares", key)
          .isTrue();
    }
    for (String key : documented) {
      assertThat(declared)
          .as("config declares %s, which docs/configuration.md documents", key)
          .contains(key);
    }
  }

  /** Documented itself, or as a block whose keys are documented ({@code tenants[].jdbc}). */
  private static boolean covered(String key, Set<String> documented) {
    return documented.contains(key)
        || documented.stream().anyMatch(d -> d.startsWith(key + ".") || d.startsWith(key + "["));
  }

  @Test
  void theKeysTheJobAcceptsAreTheDocumentedKeys() throws IOException {
    Map<String, String> probes = new LinkedHashMap<>();
    String tenant = JDBC_TENANT.formatted("", "");
    probes.put("", "tenantfold { %s, " + TARGET + " tenants = [" + tenant + "] }");
    for (String block :
        List.of(
            "target",
            "tables",
            "extract",
            "load",
            "validate",
            "publish",
            "report",
            "s3",
            "progress",
            "aws",
            "aws.export",
            "aws.discover",
            "spark")) {
      probes.put(
          block + ".",
          "tenantfold { " + TARGET + " tenants = [" + tenant + "], " + block + " { %s } }");
    }
    probes.put(
        "tenants[].",
        "tenantfold { " + TARGET + " tenants = [" + JDBC_TENANT.formatted("", ", %s") + "] }");
    probes.put(
        "tenants[].jdbc.",
        "tenantfold { " + TARGET + " tenants = [" + JDBC_TENANT.formatted(", %s", "") + "] }");
    probes.put(
        "tenants[].restore.",
        "tenantfold { "
            + TARGET
            + " tenants = ["
            + JDBC_TENANT.formatted("", ", restore { source-instance = a-prod, %s }")
            + "] }");
    probes.put(
        "tenants[].catch-up.",
        "tenantfold { "
            + TARGET
            + " tenants = ["
            + JDBC_TENANT.formatted("", ", catch-up { %s }")
            + "] }");
    probes.put(
        "tenants[].export.",
        "tenantfold { "
            + TARGET
            + " tenants = [{ id = a, export { path = /tmp/x, database = a, %s } }] }");
    probes.put(
        "tenants[].export.catalog.",
        "tenantfold { "
            + TARGET
            + " tenants = [{ id = a, export { path = /tmp/x, database = a, catalog { url ="
            + " \"jdbc:postgresql://h:5432/a\", %s } } }] }");
    String rules = "tenantfold { " + TARGET + " tenants = [" + tenant + "], rules { t { %s } } }";
    probes.put("rules.<table>.", rules.formatted("%s"));
    probes.put("rules.<table>.columns.<column>.", rules.formatted("columns { c { %s } }"));
    probes.put("rules.<table>.dedup.", rules.formatted("dedup { key = [id], %s }"));
    probes.put("rules.<table>.shared.", rules.formatted("shared { %s }"));

    Set<String> accepted = new TreeSet<>();
    for (Map.Entry<String, String> probe : probes.entrySet()) {
      String text = probe.getValue().formatted(PROBE + " = 1");
      try {
        TenantfoldConfig.fromConfig(ConfigFactory.parseString(text));
        fail("the reader accepted unknown key %s%s", probe.getKey(), PROBE);
      } catch (ConfigError e) {
        Matcher m = ALLOWED.matcher(e.getMessage());
        assertThat(m.find()).as("probe %s: %s", probe.getKey(), e.getMessage()).isTrue();
        for (String key : m.group(1).split(",\\s*")) {
          accepted.add(probe.getKey() + key);
        }
      }
    }

    Set<String> documented = documented().keySet();
    for (String key : accepted) {
      assertThat(covered(key, documented))
          .as("docs/configuration.md documents %s, which the job accepts", key)
          .isTrue();
    }
    for (String key : documented) {
      boolean known = accepted.contains(key);
      assertThat(known)
          .as("the job accepts %s, which docs/configuration.md documents", key)
          .isTrue();
    }
  }
}
