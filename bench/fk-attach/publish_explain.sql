-- The publish transaction with the FK checks PostgreSQL runs at ATTACH (RI_Initial_Check's queries) explained before each ATTACH that runs them.
BEGIN;
LOCK TABLE customers, order_lines, orders IN ACCESS EXCLUSIVE MODE;
ALTER TABLE customers ATTACH PARTITION staging.c FOR VALUES IN (:'t');
SET LOCAL work_mem = '64MB'; SET LOCAL hash_mem_multiplier = 1;
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) SELECT fk.tenant_id, fk.customer_id FROM ONLY staging.o fk LEFT OUTER JOIN customers pk
  ON (pk.tenant_id OPERATOR(pg_catalog.=) fk.tenant_id AND pk.id OPERATOR(pg_catalog.=) fk.customer_id)
  WHERE pk.tenant_id IS NULL AND (fk.tenant_id IS NOT NULL AND fk.customer_id IS NOT NULL);
ALTER TABLE orders ATTACH PARTITION staging.o FOR VALUES IN (:'t');
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) SELECT fk.tenant_id, fk.order_id FROM ONLY staging.l fk LEFT OUTER JOIN orders pk
  ON (pk.tenant_id OPERATOR(pg_catalog.=) fk.tenant_id AND pk.id OPERATOR(pg_catalog.=) fk.order_id)
  WHERE pk.tenant_id IS NULL AND (fk.tenant_id IS NOT NULL AND fk.order_id IS NOT NULL);
ROLLBACK;
