package dev.tenantfold.validate.checksum;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One row of a drill-down, from either engine.
 *
 * @param bucket the row's bucket
 * @param key the encoded canonical key; the row digest for a table without a key
 * @param rowDigest the row's 64-bit hash as 16 hex digits
 * @param values canonical value per column in {@link ChecksumSpec#columnNames()} order, null for
 *     NULL
 */
public record DrillDownRow(int bucket, String key, String rowDigest, List<String> values)
    implements Serializable {

  public DrillDownRow {
    // List.copyOf rejects nulls, and NULL values are the point.
    values = Collections.unmodifiableList(new ArrayList<>(values));
  }
}
