package dev.tenantfold.validate;

import dev.tenantfold.config.ValidateConfig;
import dev.tenantfold.validate.checksum.BucketDigest;
import dev.tenantfold.validate.checksum.RowDifference;
import dev.tenantfold.validate.checksum.TableChecksum;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The checksum verdict of one tenant table: both sides' whole-table digests, how many buckets
 * differ, and the differing keys found by drilling into those buckets. Counts by kind are exact for
 * the drilled buckets; {@code listed} is capped by {@code validate.max-listed-keys}.
 */
public record ChecksumCheck(
    String sourceDigest,
    String targetDigest,
    int buckets,
    int mismatchedBuckets,
    int drilledBuckets,
    Map<RowDifference.Kind, Long> differenceCounts,
    List<RowDifference> listed) {

  public ChecksumCheck {
    differenceCounts = differenceCounts.isEmpty() ? Map.of() : new EnumMap<>(differenceCounts);
    listed = List.copyOf(listed);
  }

  public TableStatus status() {
    return mismatchedBuckets == 0 ? TableStatus.OK : TableStatus.MISMATCH;
  }

  public String message() {
    if (mismatchedBuckets == 0) {
      return "";
    }
    String kinds =
        differenceCounts.entrySet().stream()
            .filter(e -> e.getValue() > 0)
            .map(e -> e.getValue() + " " + e.getKey())
            .collect(Collectors.joining(", "));
    String columns =
        listed.stream()
            .flatMap(d -> d.changedColumns().stream())
            .distinct()
            .sorted()
            .collect(Collectors.joining(", "));
    return "checksums differ in "
        + mismatchedBuckets
        + " of "
        + buckets
        + " buckets"
        + (kinds.isEmpty() ? "" : ": " + kinds)
        + (columns.isEmpty() ? "" : " (changed columns: " + columns + ")")
        + (drilledBuckets < mismatchedBuckets
            ? "; drilled into "
                + drilledBuckets
                + " of them (raise "
                + ValidateConfig.MAX_DRILLDOWN_SCANS.path()
                + " for more scans, or "
                + ValidateConfig.DRILLDOWN_ROWS_PER_SCAN.path()
                + " when a bucket holds more rows than"
                + " one scan)"
            : "");
  }

  /** A whole-table digest for the report: the sum of every bucket's digest, as 16 hex digits. */
  public static String digest(TableChecksum checksum) {
    long sum = 0;
    for (BucketDigest d : checksum.byBucket().values()) {
      sum += d.digest();
    }
    return String.format("%016x", sum);
  }
}
