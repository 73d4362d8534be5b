package dev.tenantfold.load;

import java.io.Serializable;

/** What one transfer task did; a failure is data ({@code error} set), not a lost exception. */
public record TransferOutcome(
    String tenantId,
    String table,
    int partition,
    long extractedRows,
    long loadedRows,
    long millis,
    int attempts,
    boolean fromLedger,
    String error)
    implements Serializable {

  public boolean failed() {
    return error != null;
  }
}
