-- A target shaped as tenantfold builds it: LIST-partitioned by tenant_id, keys with the tenant first,
-- tenant-aware FKs between the partitioned parents.
DROP TABLE IF EXISTS order_lines, orders, customers CASCADE;
CREATE TABLE customers (tenant_id text NOT NULL, id bigint NOT NULL, email text NOT NULL, name text NOT NULL, country char(2) NOT NULL,
  created_at timestamptz NOT NULL, active boolean NOT NULL, PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, email),
  CHECK (email LIKE '%@%')) PARTITION BY LIST (tenant_id);
CREATE TABLE orders (tenant_id text NOT NULL, id bigint NOT NULL, customer_id bigint NOT NULL, status text NOT NULL, currency char(3) NOT NULL,
  total numeric(14,4), quantity integer NOT NULL, weight_kg double precision, placed_at timestamptz NOT NULL, ship_by date, paid boolean NOT NULL,
  note text, external_id uuid NOT NULL, PRIMARY KEY (tenant_id, id), CHECK (quantity > 0), CHECK (total >= 0)) PARTITION BY LIST (tenant_id);
CREATE INDEX orders_customer_idx ON orders (tenant_id, customer_id);
CREATE TABLE order_lines (tenant_id text NOT NULL, order_id bigint NOT NULL, line_no integer NOT NULL, sku text NOT NULL, quantity integer NOT NULL,
  unit_price numeric(12,2) NOT NULL, discount numeric(5,2), PRIMARY KEY (tenant_id, order_id, line_no), CHECK (quantity > 0),
  CHECK (unit_price >= 0)) PARTITION BY LIST (tenant_id);
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id);
ALTER TABLE order_lines ADD CONSTRAINT order_lines_order_fk FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id);
CREATE SCHEMA IF NOT EXISTS staging;
