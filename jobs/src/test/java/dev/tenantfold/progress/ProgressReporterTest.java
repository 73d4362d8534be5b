package dev.tenantfold.progress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tenantfold.config.ProgressConfig;
import dev.tenantfold.progress.ProgressTracker.Stage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalTime;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * What a person watching a run sees: per stage tenants and tables done of total, rows, rows/s, time
 * left; a block on a terminal, lines elsewhere.
 */
class ProgressReporterTest {
  private final AtomicLong clock = new AtomicLong();

  private ProgressTracker threeTenants() {
    ProgressTracker tracker = new ProgressTracker("run", clock::get);
    tracker.runStarted("20261129T150000Z-ab12");
    tracker.tenants(List.of("acme", "globex", "initech"));
    for (String id : List.of("acme", "globex", "initech")) {
      tracker.stage(id, Stage.PLAN);
      tracker.tablesPlanned(id, 4, 1_000_000);
      tracker.stage(id, Stage.TRANSFER);
    }
    clock.set(10_000_000_000L);
    tracker.copied("acme", 1_000_000, 8);
    tracker.stage("acme", Stage.VALIDATE);
    tracker.tableValidated("acme", 250_000);
    tracker.copied("globex", 500_000, 4);
    tracker.finished("initech", false);
    return tracker;
  }

  @Test
  void aPlainLineSaysPerStageWhatIsDoneOfTheTotalWithRowsRateAndTimeLeft() {
    String line = ProgressReporter.line(threeTenants().snapshot(), -1, LocalTime.of(15, 4, 5));

    assertThat(line)
        .startsWith(
            "[progress 15:04:05] run 20261129T150000Z-ab12 10s: 0/3 tenants published, 1 failed; ")
        .contains("plan     3/3 tenants")
        // acme is past transfer and initech has ended: 2 of 3 tenants and their 8 of 12 tables need
        // no more transfer.
        .contains(
            "transfer 2/3 tenants, 8/12 tables, 1,500,000 rows of ~3,000,000, 150,000 rows/s, ~10s"
                + " left")
        // initech's tables need no validation any more; acme has validated one.
        .contains("validate 1/3 tenants, 5/12 tables")
        .contains("publish  1/3 tenants");
  }

  @Test
  void aTerminalBlockListsTheStagesAndTheTenantsUnderWay() {
    List<String> block = ProgressReporter.block(threeTenants().snapshot(), 75_000);

    assertThat(block.get(0))
        .isEqualTo("tenantfold run 20261129T150000Z-ab12  10s  0/3 tenants published, 1 failed");
    assertThat(block)
        .anyMatch(
            l ->
                l.equals(
                    "  transfer 2/3 tenants      8/12 tables  1,500,000 rows of ~3,000,000, 75,000"
                        + " rows/s, ~10s left"))
        .anyMatch(l -> l.matches("    acme +validate +1/4 tables"))
        .anyMatch(l -> l.matches("    globex +transfer +500,000 rows \\(~50%\\)"))
        .noneMatch(l -> l.contains("initech"));
  }

  @Test
  void theRateIsOverTheWallTimeRowsMovedInWhenTenantsTransferOneAfterTheOther() {
    ProgressTracker tracker = new ProgressTracker("run", clock::get);
    tracker.runStarted("r3");
    tracker.tenants(List.of("a", "b", "c"));
    tracker.tablesPlanned("a", 1, 1_000_000);
    tracker.tablesPlanned("b", 1, 1_000_000);
    tracker.tablesPlanned("c", 1, 1_000_000);
    tracker.stage("a", Stage.TRANSFER);
    clock.set(10_000_000_000L);
    tracker.copied("a", 1_000_000, 1);
    tracker.stage("a", Stage.VALIDATE);
    tracker.stage("b", Stage.TRANSFER);
    clock.set(20_000_000_000L);
    tracker.copied("b", 1_000_000, 1);
    tracker.stage("b", Stage.VALIDATE);
    tracker.stage("c", Stage.TRANSFER);

    String line = ProgressReporter.line(tracker.snapshot(), -1, LocalTime.NOON);

    assertThat(line)
        .contains(
            "transfer 2/3 tenants, 2/3 tables, 2,000,000 rows of ~3,000,000, 100,000 rows/s, ~10s"
                + " left");
  }

  @Test
  void anAuditCountsTablesAndRowsChecked() {
    ProgressTracker tracker = new ProgressTracker("validate", clock::get);
    tracker.runStarted("r2");
    tracker.tenants(List.of("acme", "globex"));
    tracker.tablesPlanned("acme", 3, 0);
    tracker.stage("acme", Stage.VALIDATE);
    clock.set(3_000_000_000L);
    tracker.tableValidated("acme", 1200);
    tracker.tableValidated("acme", 800);

    String line = ProgressReporter.line(tracker.snapshot(), -1, LocalTime.NOON);

    assertThat(line)
        .contains(
            "0/2 tenants checked", "validate 0/2 tenants, 2/3 tables, 2,000 rows checked, ~1s left")
        .doesNotContain("transfer");
  }

  @Test
  void withoutATerminalItWritesALineEveryIntervalAndTheFinalStateOnClose() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ProgressTracker tracker = threeTenants();
    try (ProgressReporter reporter =
        ProgressReporter.start(
            tracker,
            new PrintStream(bytes, true, StandardCharsets.UTF_8),
            new ProgressConfig(ProgressConfig.Mode.AUTO, Duration.ofMillis(100)))) {
      awaitText(bytes, text -> text.lines().count() >= 3);
      tracker.finished("acme", true);
    }
    List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines)
        .as("lines written while the run went on (waited for 3), then the final one")
        .hasSizeGreaterThanOrEqualTo(4)
        .allMatch(l -> l.startsWith("[progress "));
    assertThat(lines.get(lines.size() - 1)).contains("1/3 tenants published, 1 failed");
    assertThat(String.join("\n", lines)).doesNotContain("\u001b[");
  }

  @Test
  void onATerminalItRedrawsOneBlockInPlace() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ProgressReporter reporter =
        ProgressReporter.start(
            threeTenants(),
            new PrintStream(bytes, true, StandardCharsets.UTF_8),
            new ProgressConfig(ProgressConfig.Mode.TERMINAL, Duration.ofMillis(100)))) {
      awaitText(
          bytes, text -> text.split("tenantfold run 20261129T150000Z-ab12", -1).length - 1 >= 3);
    }
    String text = bytes.toString(StandardCharsets.UTF_8);
    int blockLines = ProgressReporter.block(threeTenants().snapshot(), 0).size();
    assertThat(text)
        .as("each redraw moves the cursor back up over the block")
        .contains("\u001b[" + blockLines + "A")
        .contains("\r\u001b[2K");
    assertThat(text.split("tenantfold run 20261129T150000Z-ab12", -1).length - 1)
        .as("blocks drawn")
        .isGreaterThanOrEqualTo(3);
  }

  /** Waits until what the reporter wrote satisfies {@code done}; fails after 60 s. */
  private static void awaitText(ByteArrayOutputStream bytes, Predicate<String> done)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!done.test(bytes.toString(StandardCharsets.UTF_8))) {
      assertThat(System.nanoTime())
          .as("the reporter wrote what was awaited in 60 s")
          .isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  @Test
  void offShowsNothing() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ProgressReporter reporter =
        ProgressReporter.start(
            threeTenants(),
            new PrintStream(bytes, true, StandardCharsets.UTF_8),
            new ProgressConfig(ProgressConfig.Mode.OFF, Duration.ofMillis(10)))) {
      assertThat(reporter).isNotNull();
    }
    assertThat(bytes.size()).isZero();
  }
}
