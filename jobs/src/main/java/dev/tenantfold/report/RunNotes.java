package dev.tenantfold.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The notes of a run as tenants add them from their threads: one line each for the summary, and for
 * a note about many objects (views not recreated, constraints skipped) the full list, which
 * report.json and report.html carry under the line, collapsed. The summary never lists them.
 */
public final class RunNotes {
  /** How many objects a line names as a sample before pointing to the full list. */
  static final int SAMPLE = 3;

  private final List<String> texts = new ArrayList<>();
  private final Map<String, List<String>> items = new LinkedHashMap<>();

  /** A note of one line. */
  public synchronized void add(String text) {
    texts.add(text);
  }

  /** A note of one line, {@code items} under it in report.json and report.html. */
  public synchronized void add(String text, List<String> items) {
    texts.add(text);
    if (!items.isEmpty()) {
      this.items.put(text, List.copyOf(items));
    }
  }

  /**
   * A note about {@code objects}: one line, {@code prefix} then how many, {@code what} they are and
   * a sample of {@link #SAMPLE}; the full list goes under the line in report.json and report.html.
   * Nothing is added when {@code objects} is empty.
   */
  public void addAbout(String prefix, String what, List<String> objects) {
    if (!objects.isEmpty()) {
      add(prefix + line(what, objects), objects);
    }
  }

  /**
   * {@code "<n> <what> (e.g. a; b; c; all listed in report.json and report.html)"}: a readable line
   * about {@code objects}, whatever their number.
   */
  public static String line(String what, List<String> objects) {
    return objects.size()
        + " "
        + what
        + " ("
        + (objects.size() > SAMPLE ? "e.g. " : "")
        + String.join("; ", objects.subList(0, Math.min(SAMPLE, objects.size())))
        + (objects.size() > SAMPLE ? "; all listed in report.json and report.html" : "")
        + ")";
  }

  public synchronized List<String> texts() {
    return List.copyOf(texts);
  }

  /** The full list under each note that has one, by the note's text. */
  public synchronized Map<String, List<String>> items() {
    return new LinkedHashMap<>(items);
  }
}
