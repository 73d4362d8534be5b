package dev.tenantfold.validate;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One tenant table's verdict: what each check found, in the order the checks ran. The status is the
 * worst finding's (a note is {@link TableStatus#OK}); the message joins the findings.
 */
public record TableVerdict(List<Finding> findings) {
  public TableVerdict {
    findings = List.copyOf(findings);
  }

  /** What one check found: a problem ({@code status} worse than OK) or a note. */
  public record Finding(TableStatus status, String message) {
    public static Finding note(String message) {
      return new Finding(TableStatus.OK, message);
    }
  }

  /** A verdict of one finding: {@code message}, with {@code status}. */
  public static TableVerdict of(TableStatus status, String message) {
    return new TableVerdict(List.of(new Finding(status, message)));
  }

  /** This verdict with a note after its findings. */
  public TableVerdict withNote(String message) {
    List<Finding> more = new ArrayList<>(findings);
    more.add(Finding.note(message));
    return new TableVerdict(more);
  }

  public TableStatus status() {
    TableStatus worst = TableStatus.OK;
    for (Finding f : findings) {
      worst = worst.worst(f.status());
    }
    return worst;
  }

  public String message() {
    return findings.stream()
        .map(Finding::message)
        .filter(m -> !m.isEmpty())
        .collect(Collectors.joining("; "));
  }
}
