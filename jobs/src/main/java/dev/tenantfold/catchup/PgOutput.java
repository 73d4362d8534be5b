package dev.tenantfold.catchup;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.postgresql.replication.LogSequenceNumber;

/**
 * A decoder of the built-in {@code pgoutput} plugin's messages, protocol version 1 (PostgreSQL's
 * "Logical Replication Message Formats"): what catch-up needs to replay a tenant's changes. Values
 * arrive in their text form; an {@code UPDATE}'s TOASTed value it did not change arrives as an
 * "unchanged" marker instead ({@link Tuple#unchanged}).
 */
public final class PgOutput {
  private PgOutput() {}

  /** One decoded message. */
  public sealed interface Message
      permits Begin, Commit, Relation, Insert, Update, Delete, Truncate, Other {}

  /** A transaction starts; {@code finalLsn} is its commit record's position. */
  public record Begin(LogSequenceNumber finalLsn, long commitMicros, int xid) implements Message {}

  /** A transaction ends; {@code endLsn} is the position just past its commit record. */
  public record Commit(LogSequenceNumber commitLsn, LogSequenceNumber endLsn, long commitMicros)
      implements Message {}

  /** A relation's shape, sent before its first change in a session and again after it changes. */
  public record Relation(
      int id, String namespace, String name, char replicaIdentity, List<Column> columns)
      implements Message {
    public Relation {
      columns = List.copyOf(columns);
    }
  }

  /** A column of a {@link Relation}: {@code key} when it is part of the replica identity. */
  public record Column(boolean key, String name, int typeOid, int typeModifier) {}

  public record Insert(int relation, Tuple row) implements Message {}

  /**
   * {@code oldKey} (replica identity columns, when the key changed) or {@code oldRow} (the whole
   * old row under {@code REPLICA IDENTITY FULL}) may be null.
   */
  public record Update(int relation, Tuple oldKey, Tuple oldRow, Tuple row) implements Message {}

  /** {@code oldKey} or {@code oldRow}, as for {@link Update}. */
  public record Delete(int relation, Tuple oldKey, Tuple oldRow) implements Message {}

  public record Truncate(List<Integer> relations, boolean cascade, boolean restartIdentity)
      implements Message {
    public Truncate {
      relations = List.copyOf(relations);
    }
  }

  /** A message catch-up has no use for (origin, type). */
  public record Other(char tag) implements Message {}

  /**
   * One row's values in text form, null for SQL NULL; {@code unchanged[i]} marks a TOASTed value
   * the update did not change (not sent).
   */
  public record Tuple(String[] values, boolean[] unchanged) {
    public boolean anyUnchanged() {
      for (boolean u : unchanged) {
        if (u) {
          return true;
        }
      }
      return false;
    }
  }

  /** Decodes one message (the buffer's remaining bytes). */
  public static Message decode(ByteBuffer buffer) {
    char tag = (char) buffer.get();
    return switch (tag) {
      case 'B' ->
          new Begin(LogSequenceNumber.valueOf(buffer.getLong()), buffer.getLong(), buffer.getInt());
      case 'C' -> {
        buffer.get(); // flags, unused
        yield new Commit(
            LogSequenceNumber.valueOf(buffer.getLong()),
            LogSequenceNumber.valueOf(buffer.getLong()),
            buffer.getLong());
      }
      case 'R' -> {
        int id = buffer.getInt();
        String namespace = string(buffer);
        String name = string(buffer);
        char identity = (char) buffer.get();
        int count = buffer.getShort();
        List<Column> columns = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          boolean key = (buffer.get() & 1) != 0;
          columns.add(new Column(key, string(buffer), buffer.getInt(), buffer.getInt()));
        }
        yield new Relation(
            id, namespace.isEmpty() ? "pg_catalog" : namespace, name, identity, columns);
      }
      case 'I' -> {
        int relation = buffer.getInt();
        expect(buffer, 'N');
        yield new Insert(relation, tuple(buffer));
      }
      case 'U' -> {
        int relation = buffer.getInt();
        Tuple oldKey = null;
        Tuple oldRow = null;
        char kind = (char) buffer.get();
        if (kind == 'K') {
          oldKey = tuple(buffer);
          kind = (char) buffer.get();
        } else if (kind == 'O') {
          oldRow = tuple(buffer);
          kind = (char) buffer.get();
        }
        if (kind != 'N') {
          throw new IllegalArgumentException(
              "pgoutput UPDATE without a new row (got '" + kind + "')");
        }
        yield new Update(relation, oldKey, oldRow, tuple(buffer));
      }
      case 'D' -> {
        int relation = buffer.getInt();
        char kind = (char) buffer.get();
        Tuple old = tuple(buffer);
        yield kind == 'K' ? new Delete(relation, old, null) : new Delete(relation, null, old);
      }
      case 'T' -> {
        int count = buffer.getInt();
        int options = buffer.get();
        List<Integer> ids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          ids.add(buffer.getInt());
        }
        yield new Truncate(ids, (options & 1) != 0, (options & 2) != 0);
      }
      default -> new Other(tag);
    };
  }

  private static void expect(ByteBuffer buffer, char kind) {
    char got = (char) buffer.get();
    if (got != kind) {
      throw new IllegalArgumentException(
          "pgoutput message: expected '" + kind + "', got '" + got + "'");
    }
  }

  private static Tuple tuple(ByteBuffer buffer) {
    int count = buffer.getShort();
    String[] values = new String[count];
    boolean[] unchanged = new boolean[count];
    for (int i = 0; i < count; i++) {
      char kind = (char) buffer.get();
      switch (kind) {
        case 'n' -> values[i] = null;
        case 'u' -> unchanged[i] = true;
        case 't' -> {
          int length = buffer.getInt();
          values[i] =
              new String(
                  buffer.array(),
                  buffer.arrayOffset() + buffer.position(),
                  length,
                  StandardCharsets.UTF_8);
          buffer.position(buffer.position() + length);
        }
        default ->
            throw new IllegalArgumentException("pgoutput tuple: unknown value kind '" + kind + "'");
      }
    }
    return new Tuple(values, unchanged);
  }

  private static String string(ByteBuffer buffer) {
    int start = buffer.position();
    int end = start;
    while (buffer.get(end) != 0) {
      end++;
    }
    String s =
        new String(
            buffer.array(), buffer.arrayOffset() + start, end - start, StandardCharsets.UTF_8);
    buffer.position(end + 1);
    return s;
  }
}
