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
public record TableChecksum(int buckets, Map<Integer, BucketDigest> byBucket)
    implements Serializable {

  public TableChecksum {
    byBucket = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(byBucket));
    for (int bucket : byBucket.keySet()) {
      if (bucket < 0 || bucket >= buckets) {
        throw new IllegalArgumentException(
            "Cannot build a table checksum: bucket " + bucket + " is outside 0.." + (buckets - 1));
      }
    }
  }

  /** The checksum of no rows. */
  public static TableChecksum empty(int buckets) {
    return new TableChecksum(buckets, Map.of());
  }

  /**
   * The checksum of the rows of both, which must be disjoint sets (e.g. the partitions of one
   * table): bucket by bucket, {@link BucketDigest#plus}.
   */
  public TableChecksum plus(TableChecksum other) {
    if (other.buckets != buckets) {
      throw new IllegalArgumentException(
          "Cannot add checksums computed with different bucket counts: "
              + buckets
              + " and "
              + other.buckets);
    }
    Map<Integer, BucketDigest> sum = new TreeMap<>(byBucket);
    other.byBucket.forEach((bucket, digest) -> sum.merge(bucket, digest, BucketDigest::plus));
    return new TableChecksum(buckets, sum);
  }

  public long totalRows() {
    return byBucket.values().stream().mapToLong(BucketDigest::rowCount).sum();
  }

  /** The aggregate of {@code bucket}, all zeros when it holds no rows. */
  public BucketDigest bucket(int bucket) {
    return byBucket.getOrDefault(bucket, new BucketDigest(0, 0));
  }
}
