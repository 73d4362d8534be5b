package dev.tenantfold.aws;

import java.time.Instant;

/**
 * One DB snapshot as DescribeDBSnapshots shows it once available: its ARN (what an export task
 * reads) and its creation time (the point in time it holds).
 */
public record Snapshot(String id, String arn, Instant createdAt) {}
