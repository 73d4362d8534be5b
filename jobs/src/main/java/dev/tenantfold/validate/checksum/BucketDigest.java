package dev.tenantfold.validate.checksum;

import java.io.Serializable;

/**
 * The order-independent aggregate of one bucket: its row count and the sums, modulo 2^64, of the
 * two 64-bit hashes of every row (as signed longs, the way both engines return them). Equal buckets
 * hold the same multiset of rows with overwhelming probability.
 */
public record BucketDigest(long rowCount, long digestA, long digestB) implements Serializable {

  /**
   * The aggregate of two disjoint sets of rows: how partial results (e.g. per partition) combine.
   */
  public BucketDigest plus(BucketDigest other) {
    return new BucketDigest(
        rowCount + other.rowCount, digestA + other.digestA, digestB + other.digestB);
  }
}
