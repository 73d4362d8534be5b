package dev.tenantfold.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The files under {@code emr/}, parsed: step definitions and their spark-submit arguments. */
final class EmrDefinitions {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String MAIN_CLASS = "dev.tenantfold.cli.TenantfoldMain";

  private EmrDefinitions() {}

  /**
   * {@code emr/} of the checkout: {@code -Dtenantfold.emr.dir} (failsafe) or {@code ../emr} from
   * the jobs module.
   */
  static Path dir() {
    String configured = System.getProperty("tenantfold.emr.dir");
    Path dir =
        configured != null
            ? Path.of(configured)
            : Path.of(System.getProperty("basedir", "."), "..", "emr");
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException("No emr/ folder at " + dir.toAbsolutePath());
    }
    return dir.normalize();
  }

  static JsonNode read(String relative) {
    return read(dir().resolve(relative));
  }

  static JsonNode read(Path file) {
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot parse " + file, e);
    }
  }

  /** Every {@code *.json} under emr/, sorted. */
  static List<Path> jsonFiles() {
    try (Stream<Path> walk = Files.walk(dir())) {
      return walk.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One step of emr/steps.json: name, ActionOnFailure and its command-runner arguments. */
  record Step(String name, String actionOnFailure, List<String> args) {
    /** The arguments spark-submit receives: everything after {@code spark-submit}. */
    List<String> sparkSubmitArgs() {
      return args.subList(1, args.size());
    }

    /** The Tenantfold command line: what follows the application jar. */
    List<String> tenantfoldArgs() {
      List<String> submit = sparkSubmitArgs();
      for (int i = 0; i < submit.size(); i++) {
        if (submit.get(i).endsWith(".jar") && (i == 0 || !submit.get(i - 1).startsWith("--"))) {
          return submit.subList(i + 1, submit.size());
        }
      }
      throw new AssertionError(
          "No application jar in the arguments of step '" + name + "': " + submit);
    }

    String option(String name) {
      List<String> submit = sparkSubmitArgs();
      int i = submit.indexOf(name);
      return i < 0 || i + 1 >= submit.size() ? null : submit.get(i + 1);
    }
  }

  static List<Step> steps() {
    List<Step> steps = new ArrayList<>();
    for (JsonNode s : read("steps.json")) {
      List<String> args = new ArrayList<>();
      s.path("Args").forEach(a -> args.add(a.asText()));
      steps.add(
          new Step(s.path("Name").asText(), s.path("ActionOnFailure").asText(), List.copyOf(args)));
    }
    return steps;
  }

  /** {@code text} with each {@code <PLACEHOLDER>} replaced by its value. */
  static String fill(String text, Map<String, String> placeholders) {
    String out = text;
    for (Map.Entry<String, String> p : placeholders.entrySet()) {
      out = out.replace("<" + p.getKey() + ">", p.getValue());
    }
    return out;
  }
}
