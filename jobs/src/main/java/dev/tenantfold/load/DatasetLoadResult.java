package dev.tenantfold.load;

import java.util.List;

/**
 * What loading one tenant table's Dataset did: one outcome per Spark partition (counts only, never
 * rows), in partition order. Totals are computed from the outcomes; a failed partition is an entry
 * with its error, and the others still report what they committed.
 */
public record DatasetLoadResult(String tenantId, String table, List<TransferOutcome> partitions) {
  public DatasetLoadResult {
    partitions = List.copyOf(partitions);
  }

  /** Rows the target's COPY accepted (its own count), over every partition that committed. */
  public long loadedRows() {
    return partitions.stream()
        .filter(p -> !p.failed())
        .mapToLong(TransferOutcome::loadedRows)
        .sum();
  }

  /** Rows read from the Dataset and sent to COPY, over every partition that committed. */
  public long sentRows() {
    return partitions.stream()
        .filter(p -> !p.failed())
        .mapToLong(TransferOutcome::extractedRows)
        .sum();
  }

  public boolean failed() {
    return partitions.stream().anyMatch(TransferOutcome::failed);
  }

  public List<String> errors() {
    return partitions.stream().filter(TransferOutcome::failed).map(TransferOutcome::error).toList();
  }

  /**
   * Partitions an earlier attempt had committed, reported from the ledger instead of loaded again.
   */
  public long partitionsFromLedger() {
    return partitions.stream().filter(TransferOutcome::fromLedger).count();
  }
}
