-- Stages tenant :'t' as tenantfold does: LIKE the parent with its CHECKs, the tenant CHECK, rows, then PK, unique, index.
DROP TABLE IF EXISTS staging.c, staging.o, staging.l;
CREATE TABLE staging.c (LIKE customers INCLUDING DEFAULTS INCLUDING CONSTRAINTS); ALTER TABLE staging.c ADD CHECK (tenant_id = :'t');
CREATE TABLE staging.o (LIKE orders INCLUDING DEFAULTS INCLUDING CONSTRAINTS); ALTER TABLE staging.o ADD CHECK (tenant_id = :'t');
CREATE TABLE staging.l (LIKE order_lines INCLUDING DEFAULTS INCLUDING CONSTRAINTS); ALTER TABLE staging.l ADD CHECK (tenant_id = :'t');
INSERT INTO staging.c SELECT :'t', g, 'customer' || g || '@example.com', 'Customer ' || g, (ARRAY['US','DE','FR','JP','BR'])[1 + g % 5],
  timestamptz '2020-01-01 00:00:00+00' + g * interval '1 minute', g % 7 <> 0 FROM generate_series(1::bigint, 50000) g;
INSERT INTO staging.o SELECT :'t', g, 1 + (g * 7919) % 50000, (ARRAY['new','paid','shipped','cancelled'])[1 + g % 4], (ARRAY['USD','EUR','JPY'])[1 + g % 3],
  round((g % 100000) * 1.2345, 4), 1 + g % 20, CASE WHEN g % 10 <> 0 THEN (g % 5000) / 7.0 END,
  timestamptz '2021-01-01 00:00:00+00' + g * interval '17.123 seconds', date '2021-01-01' + (g % 1500)::int, g % 3 <> 0,
  CASE WHEN g % 13 <> 0 THEN 'order ' || g END, md5(g::text)::uuid FROM generate_series(1::bigint, 150000) g;
INSERT INTO staging.l SELECT :'t', o, l, 'SKU-' || ((o * 31 + l) % 5000), 1 + (o + l) % 9, round(((o * l) % 10000) / 100.0, 2),
  CASE WHEN (o + l) % 4 = 0 THEN 5.00 END FROM generate_series(1::bigint, 150000) o, generate_series(1, 2) l;
ALTER TABLE staging.c ADD PRIMARY KEY (tenant_id, id); ALTER TABLE staging.c ADD UNIQUE (tenant_id, email);
ALTER TABLE staging.o ADD PRIMARY KEY (tenant_id, id); CREATE INDEX ON staging.o (tenant_id, customer_id);
ALTER TABLE staging.l ADD PRIMARY KEY (tenant_id, order_id, line_no);
ANALYZE staging.c; ANALYZE staging.o; ANALYZE staging.l;
CHECKPOINT;
