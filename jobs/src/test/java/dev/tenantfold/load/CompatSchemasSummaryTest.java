package dev.tenantfold.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The run's note on a compatibility-schema rebuild: one line per kind of problem, not per view. */
class CompatSchemasSummaryTest {
  @Test
  void problemsOfOneKindAreOneLineWithACountAndASample() {
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < 68; i++) {
      problems.add("view hr.v" + i + " not united in hr: ERROR: schema \"hr\" does not exist");
    }
    problems.add("function f() not recreated: ERROR: type \"geometry\" does not exist");

    assertThat(CompatSchemas.summarize(problems))
        .containsExactly(
            "68 x not united: ERROR: schema \"...\" does not exist (e.g. view hr.v0 not united in"
                + " hr: ERROR: schema \"hr\" does not exist)",
            "function f() not recreated: ERROR: type \"geometry\" does not exist");
  }
}
