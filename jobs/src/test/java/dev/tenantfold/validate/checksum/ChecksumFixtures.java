package dev.tenantfold.validate.checksum;

import dev.tenantfold.extract.ColumnSpec;
import dev.tenantfold.jdbc.Sql;
import dev.tenantfold.testing.ParquetExports;
import dev.tenantfold.testing.TestPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/**
 * Tables of awkward values and a JDBC reader that hands rows to Spark the way a Parquet export
 * does.
 */
final class ChecksumFixtures {

  private ChecksumFixtures() {}

  /** Every supported type, one row per awkward value; {@code id} is the key. */
  static final String CORPUS =
      """
      CREATE TYPE mood AS ENUM ('ok', 'meh', 'with space', 'quote''s', U&'odd\\FFFF');
      CREATE TABLE corpus (
        id bigint PRIMARY KEY, t text, vc varchar(32), ch char(4), i2 smallint, i4 integer, i8 bigint,
        n numeric(30,6), nu numeric, f4 real, f8 double precision, ts timestamptz, tsn timestamp, d date,
        tm time, ttz timetz, b bytea, ta text[], ia integer[], ia2 integer[][], na numeric(10,2)[], fa float8[],
        ea mood[], e mood, j json, jb jsonb, u uuid, iv interval, bo boolean
      );
      INSERT INTO corpus VALUES
        (1, E'tab\\there, newline\\nthere, cr\\rhere', 'a', 'DE', 32767, 2147483647, 9223372036854775807,
         123456789012345678901234.123456, 3.14159265358979323846264338327950288419716939937510, 1.4e-45, 4.9e-324,
         '2024-02-29 23:59:59.999999+00', '2024-02-29 23:59:59.999999', '2024-02-29', '23:59:59.999999', '12:34:56.789+05:30',
         E'\\\\x00ff00deadbeef00', ARRAY['a,b', 'quote"d', NULL, '', E'back\\\\slash', 'NULL', '{}'], ARRAY[1, NULL, -2147483648],
         '{{1,2},{3,NULL}}', ARRAY[1.50, NULL, -0.01], ARRAY['NaN', 'Infinity', '-Infinity', '-0', '0', NULL]::float8[],
         ARRAY['ok', NULL, 'with space', 'quote''s']::mood[], 'quote''s', '{"spaced" :  1,"x":[ 1 ,2 ]}',
         '{"k": "v", "nested": {"arr": [1, 2.50, null]}, "u": "\\u00e9"}', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
         '1 year 2 mons 3 days 04:05:06.789', true),
        (2, '', '', '', -32768, -2147483648, -9223372036854775808, -0.000001, 'NaN', 'NaN', 'NaN',
         '-infinity', '-infinity', '-infinity', '00:00:00', '00:00:00+00', '', '{}', '{}', '{}', '{}', '{}', '{}', 'ok',
         '""', '""', '00000000-0000-0000-0000-000000000000', '-1 days', false),
        (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
        (4, 'unicode: Zürich 東京 emoji 🎉 and ''single'' "double"', 'Zürich', 'ä  ', 0, 0, 0, 0, 'Infinity', 'Infinity', 'Infinity',
         'infinity', 'infinity', 'infinity', '24:00:00', '23:59:59-12', E'\\\\x5c0a09', ARRAY[NULL]::text[], ARRAY[NULL]::int[],
         '{{NULL}}', ARRAY[NULL]::numeric[], ARRAY[NULL]::float8[], ARRAY[NULL]::mood[], 'meh', 'null', 'null',
         'ffffffff-ffff-ffff-ffff-ffffffffffff', '1 year -2 mons +3 days -04:05:06.5', NULL),
        (5, E'\\\\N', '\\.', ' x  ', 1, 1, 1, 100, 100.000, '-Infinity', '-Infinity', '1970-01-01 00:00:00+00', '1970-01-01 00:00:00',
         '1970-01-01', '12:00:00.5', '12:00:00.5-00:30', '\\x00', ARRAY[''], ARRAY[0], '{{1},{2},{3}}', ARRAY[0.00], ARRAY[4.9e-324],
         ARRAY['ok']::mood[], 'with space', '[]', '[]', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '-00:00:00.5', true),
        (6, E'ctrl \\x01 chars \\x7f', 'N', 'N', -1, -1, -1, -99999999.999999, -1e-40, '-0', '-0', '0001-01-01 00:00:00+00',
         '0001-01-01 00:00:00', '0001-01-01', '00:00:00.000001', '00:00:00.000001+14', NULL, ARRAY['N', '1:a'], NULL, NULL, NULL, NULL,
         NULL, NULL, '{"a":1}', '{"a":1}', NULL, '0', false),
        (7, '3:abc', '0:', '1:x', 2, 2, 2, 2.5, 2.50, 3.4028235e38, 1.7976931348623157e308, '2038-01-19 03:14:08.5+09',
         '4713-01-01 00:00:00 BC', '4713-01-01 BC', '01:02:03', '01:02:03+01', E'\\\\x00000000', ARRAY['x', 'y'], ARRAY[2, 3], '{{5,6}}',
         ARRAY[99999999.99], ARRAY[1.7976931348623157e308, -2.2250738585072014e-308], '{}', 'ok', '  {"a" : 1}  ', '{"b": [1, {"c": null}]}',
         '12345678-90ab-cdef-1234-567890abcdef', '100 hours', true),
        (8, 'trailing space ', 'trailing ', 'ab', 3, 3, 3, 0.1, 0.1, 0.1, 0.1, '2024-03-31 01:59:59.5-05', '99999-12-31 23:59:59.999999',
         '5874897-12-31', '13:14:15', '13:14:15+00', E'\\\\xff', ARRAY['trailing '], ARRAY[3], '{{1,2,3},{4,5,6}}', ARRAY[-0.10],
         ARRAY[0.1], '{meh,ok}', 'meh', '{"unicode": "\\u00e9 東京"}', '{"unicode": "\\u00e9 東京"}', 'abcdefab-cdef-abcd-efab-cdefabcdefab',
         '-178000000 years', true);
      ALTER TABLE corpus ADD COLUMN x xml, ADD COLUMN xa xml[];
      UPDATE corpus SET x = '<?xml version="1.0"?><r/>', xa = ARRAY['<?xml version="1.0"?><r/>', NULL, '<a>x y</a>']::xml[] WHERE id = 1;
      UPDATE corpus SET x = '', xa = '{}' WHERE id = 2;
      UPDATE corpus SET x = E'<?xml version="1.0" standalone="yes"?>\\n<r>é 東京</r>', xa = ARRAY[E'\\n\\n<r/>', 'NULL']::xml[] WHERE id = 4;
      UPDATE corpus SET x = E'<?xml version="1.0"?>\\n\\n<r a="1">\\n</r>',
                        xa = ARRAY[E'<?xml version="1.0" encoding="UTF-8"?>\\n<r/>']::xml[] WHERE id = 5;
      UPDATE corpus SET x = '<?xml version="1.1"?><r/>', xa = ARRAY['<a/>', '<b>two words</b>', NULL]::xml[] WHERE id = 6;
      UPDATE corpus SET x = 'plain text', xa = ARRAY['<?xml version=''1.0''?><!DOCTYPE r><r/>']::xml[] WHERE id = 7;
      INSERT INTO corpus (id, t, vc, ch, ta, e, ea, j, jb, x) VALUES
        (9, U&'s\\FFFF', U&'\\FFFEv\\FFFF', U&'\\FFFF', ARRAY[U&'\\FFFFa', U&'\\FFFE', NULL, '', U&'x\\FFFF\\FFFE'], U&'odd\\FFFF',
         ARRAY[U&'odd\\FFFF', NULL]::mood[], U&'{"\\FFFF": "\\FFFE"}', U&'{"\\FFFF": "\\FFFE", "n": [1, "\\FFFF"]}',
         '<?xml version="1.0"?><r>9</r>'),
        (10, 's', U&'\\FFFF', U&'\\FFFE ', ARRAY[U&'\\FFFF\\FFFFa', U&'\\FFFE\\FFFE'], 'ok', '{}', U&'"\\FFFF"', U&'"\\FFFF"',
         E'\\n<r>10</r>');
      """;

  static List<ColumnSpec> columns(String url, String table, String... excluded)
      throws SQLException {
    String sql =
        """
        SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               CASE WHEN t.typtype = 'e' THEN t.typname WHEN et.typtype = 'e' THEN et.typname END, t.typcategory = 'A'
          FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
         WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
        """;
    List<ColumnSpec> out = new ArrayList<>();
    try (Connection conn = TestPostgres.connect(url);
        PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (!Arrays.asList(excluded).contains(rs.getString(1))) {
            out.add(
                new ColumnSpec(
                    rs.getString(1),
                    rs.getString(2),
                    rs.getBoolean(3),
                    rs.getString(4),
                    rs.getBoolean(5)));
          }
        }
      }
    }
    return out;
  }

  /**
   * Reads {@code table} over JDBC, types each column as the Parquet snapshot export does (see
   * docs/checksums.md), writes it to Parquet under {@code dir} and reads it back. The corpus's
   * {@code ia2} is two-dimensional, which format_type does not show.
   */
  static Dataset<Row> parquetExport(
      SparkSession spark, String url, String table, List<ColumnSpec> columns, Path dir)
      throws Exception {
    Map<String, DataType> overrides =
        Map.of(
            "ia2",
            DataTypes.createArrayType(
                DataTypes.createArrayType(DataTypes.IntegerType, true), true));
    // pgjdbc hands the elements of an xml[] as PGobjects, which Spark does not take: read such a
    // column as the text[] of its output text (what getString returns for a scalar xml).
    List<String> items = new ArrayList<>();
    for (ColumnSpec c : columns) {
      String name = Sql.ident(c.name());
      items.add(
          c.array() && c.type().startsWith("xml") ? name + "::text::text[] AS " + name : name);
    }
    String view = table + "_export";
    TestPostgres.execute(
        url,
        "DROP VIEW IF EXISTS "
            + view
            + "; CREATE VIEW "
            + view
            + " AS SELECT "
            + String.join(", ", items)
            + " FROM "
            + table);
    return ParquetExports.export(spark, url, view, columns, dir, overrides);
  }
}
