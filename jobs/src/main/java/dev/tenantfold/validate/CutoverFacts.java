package dev.tenantfold.validate;

import java.util.List;
import java.util.Optional;

/**
 * What the cutover knows of one tenant table (catchup/Cutover, docs/catch-up.md): every key changed
 * since the base copy compared, the differing ones, and the row count, without work that grows with
 * the tenant's size. {@link TableVerifier} turns it into the table's {@link TableVerdict}.
 *
 * @param table the table's name
 * @param comparedWith what each target row is compared with
 * @param keysCompared the keys changed since the base copy that were compared
 * @param listed the differing keys listed, in key order (the cutover lists at most 20 per tenant)
 * @param unlisted how many more keys differ, counted and not held
 * @param rowCount the table's row count as the cutover knows it
 */
public record CutoverFacts(
    String table,
    ComparedWith comparedWith,
    long keysCompared,
    List<DifferingKey> listed,
    long unlisted,
    RowCount rowCount)
    implements VerdictFacts {

  public CutoverFacts {
    listed = List.copyOf(listed);
  }

  /** What a changed key's target row is compared with. */
  public enum ComparedWith {
    /** The source row, column for column. */
    SOURCE_ROW,
    /** What a fresh run from the source publishes for the key (a table under rules). */
    FRESH_RUN
  }

  /**
   * A key whose target row differs: the key's values as text, the row it should be ({@code
   * expected}: the source's, or a fresh run's; empty when there is none) and the target's (empty
   * when it has none), each as {@code ROW(...)::text}.
   */
  public record DifferingKey(String key, Optional<String> expected, Optional<String> target) {
    /** The sentence the cutover lists for this key of {@code table}. */
    public String describe(String table, ComparedWith comparedWith) {
      return "table "
          + table
          + " key "
          + key
          + ": "
          + (comparedWith == ComparedWith.FRESH_RUN
              ? "a fresh run publishes " + expected.orElse("no row")
              : "source " + expected.orElse("has no row"))
          + ", target "
          + target.orElse("has no row");
    }
  }

  /** A table's row count at cutover: the cutover counts no rows of a table not under rules. */
  public sealed interface RowCount {}

  /**
   * The rows the base copy published plus the inserts minus the deletes applied since (a TRUNCATE
   * resets it to 0): the source's count, if the target followed the source.
   */
  public record Carried(long rows) implements RowCount {}

  /**
   * A table under rules: the rows a fresh run from the source publishes (counted on the source by
   * the run's SQL) against the tenant's rows in the target.
   */
  public record FreshRun(long publishes, long target) implements RowCount {}

  /** A row count the cutover does not know, and why. */
  public record NotCounted(Why why) implements RowCount {}

  /** Why a table's row count is not known at cutover. */
  public enum Why {
    /** Cursor mode tells no insert from an update: its key comparison matched every key instead. */
    CURSOR_MODE,
    /**
     * The base copy was read at a later point than the slot's start (a restored copy, a snapshot
     * export): the replayed changes it held already cannot be told apart; validate counts later.
     */
    BASE_AFTER_SLOT_START,
    /** A shared table under rules: its rows are every tenant's, not this tenant's to count. */
    SHARED_TABLE,
    /**
     * A table under a rule whose cast needs PostgreSQL 16 on a source that is older: the rows a
     * fresh run publishes cannot be counted there.
     */
    FRESH_RUN_UNCOUNTABLE
  }
}
