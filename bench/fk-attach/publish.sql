-- The publish transaction as tenantfold runs it (TenantPublisher): referenced tables attached first; \timing shows each statement.
\timing on
BEGIN;
LOCK TABLE customers, order_lines, orders IN ACCESS EXCLUSIVE MODE;
ALTER TABLE customers ATTACH PARTITION staging.c FOR VALUES IN (:'t');
ALTER TABLE orders ATTACH PARTITION staging.o FOR VALUES IN (:'t');
ALTER TABLE order_lines ATTACH PARTITION staging.l FOR VALUES IN (:'t');
CREATE SCHEMA :"ps";
ALTER TABLE staging.c SET SCHEMA :"ps"; ALTER TABLE staging.o SET SCHEMA :"ps"; ALTER TABLE staging.l SET SCHEMA :"ps";
COMMIT;
\timing off
