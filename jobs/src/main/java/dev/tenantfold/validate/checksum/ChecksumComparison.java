package dev.tenantfold.validate.checksum;

import java.util.List;
import java.util.TreeSet;

/**
 * Source and target checksums of one tenant table compared bucket by bucket. A pure function of the
 * two {@link TableChecksum}s: the mismatched buckets are what a drill-down then reads row by row.
 */
public record ChecksumComparison(
    long sourceRows, long targetRows, List<BucketMismatch> mismatches) {

  /** One bucket whose count or digests differ; a side without rows in it shows zeros. */
  public record BucketMismatch(int bucket, BucketDigest source, BucketDigest target) {}

  public ChecksumComparison {
    mismatches = List.copyOf(mismatches);
  }

  public static ChecksumComparison compare(TableChecksum source, TableChecksum target) {
    if (source.buckets() != target.buckets()) {
      throw new IllegalArgumentException(
          "Cannot compare checksums computed with different bucket counts: source "
              + source.buckets()
              + ", target "
              + target.buckets()
              + "; use the same ChecksumSpec on both sides");
    }
    TreeSet<Integer> buckets = new TreeSet<>(source.byBucket().keySet());
    buckets.addAll(target.byBucket().keySet());
    List<BucketMismatch> mismatches =
        buckets.stream()
            .filter(b -> !source.bucket(b).equals(target.bucket(b)))
            .map(b -> new BucketMismatch(b, source.bucket(b), target.bucket(b)))
            .toList();
    return new ChecksumComparison(source.totalRows(), target.totalRows(), mismatches);
  }

  public boolean matches() {
    return mismatches.isEmpty();
  }

  public List<Integer> mismatchedBuckets() {
    return mismatches.stream().map(BucketMismatch::bucket).toList();
  }
}
