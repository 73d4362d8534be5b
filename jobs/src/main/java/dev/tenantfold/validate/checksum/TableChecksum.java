package dev.tenantfold.validate.checksum;

import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;

/**
 * One side's checksum of one tenant table: the aggregate of every non-empty bucket. Empty buckets
 * are absent. Totals are computed from the buckets, never kept on the side.
 *
 * @param buckets the bucket count the checksum was computed with
 * @param byBucket aggregate per bucket number, sorted by bucket
 */
public record TableChecksum(int buckets, Map<Integer, BucketDigest> byBucket) implements Serializable {

  public TableChecksum {
    byBucket = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(byBucket));
    for (int bucket : byBucket.keySet()) {
      if (bucket < 0 || bucket >= buckets) {
        throw new IllegalArgumentException("Cannot build a table checksum: bucket " + bucket + " is outside 0.." + (buckets - 1));
      }
    }
  }

  public long totalRows() {
    return byBucket.values().stream().mapToLong(BucketDigest::rowCount).sum();
  }

  /** The aggregate of {@code bucket}, all zeros when it holds no rows. */
  public BucketDigest bucket(int bucket) {
    return byBucket.getOrDefault(bucket, new BucketDigest(0, 0, 0));
  }
}
