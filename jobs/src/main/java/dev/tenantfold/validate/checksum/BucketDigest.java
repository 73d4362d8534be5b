package dev.tenantfold.validate.checksum;

import java.io.Serializable;

/**
 * The order-independent aggregate of one bucket: its row count and the sum, modulo 2^64, of the
 * 64-bit hash of every row (as a signed long, the way both engines return it). Equal buckets hold
 * the same multiset of rows with overwhelming probability (docs/checksums.md).
 */
public record BucketDigest(long rowCount, long digest) implements Serializable {

  /**
   * The aggregate of two disjoint sets of rows: how partial results (e.g. per partition) combine.
   */
  public BucketDigest plus(BucketDigest other) {
    return new BucketDigest(rowCount + other.rowCount, digest + other.digest);
  }
}
