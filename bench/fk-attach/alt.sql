\timing on
-- (a) as PostgreSQL plans it by default
BEGIN;
ALTER TABLE customers ATTACH PARTITION staging.c FOR VALUES IN (:'t');
ALTER TABLE orders ATTACH PARTITION staging.o FOR VALUES IN (:'t');
ALTER TABLE order_lines ATTACH PARTITION staging.l FOR VALUES IN (:'t');
ROLLBACK;
-- (b) hash and merge joins off for the transaction: the FK check becomes index probes, pruned at run time to the tenant's partition
BEGIN;
SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off;
ALTER TABLE customers ATTACH PARTITION staging.c FOR VALUES IN (:'t');
ALTER TABLE orders ATTACH PARTITION staging.o FOR VALUES IN (:'t');
ALTER TABLE order_lines ATTACH PARTITION staging.l FOR VALUES IN (:'t');
ROLLBACK;
\timing off
BEGIN;
SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; SET LOCAL work_mem = '64MB'; SET LOCAL hash_mem_multiplier = 1;
ALTER TABLE customers ATTACH PARTITION staging.c FOR VALUES IN (:'t');
ALTER TABLE orders ATTACH PARTITION staging.o FOR VALUES IN (:'t');
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) SELECT fk.tenant_id, fk.order_id FROM ONLY staging.l fk LEFT OUTER JOIN orders pk
  ON (pk.tenant_id OPERATOR(pg_catalog.=) fk.tenant_id AND pk.id OPERATOR(pg_catalog.=) fk.order_id)
  WHERE pk.tenant_id IS NULL AND (fk.tenant_id IS NOT NULL AND fk.order_id IS NOT NULL);
ROLLBACK;
