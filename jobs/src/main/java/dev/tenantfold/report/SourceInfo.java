package dev.tenantfold.report;

import java.time.Instant;
import java.util.Optional;

/**
 * Where a tenant was read from: {@code kind} ({@code jdbc} or {@code export}), a description safe
 * for reports (host and database, or export task and path; never credentials), and the instant the
 * rows represent (the snapshot's or the export's).
 */
public record SourceInfo(String kind, String description, Optional<Instant> pointInTime) {}
