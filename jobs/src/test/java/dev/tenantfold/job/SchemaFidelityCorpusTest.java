package dev.tenantfold.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tenantfold.config.TenantfoldConfig;
import dev.tenantfold.report.RunResult;
import dev.tenantfold.testing.Fixtures;
import dev.tenantfold.testing.LocalSpark;
import dev.tenantfold.testing.RowSets;
import dev.tenantfold.testing.TestPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.apache.spark.sql.SparkSession;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8's proof: a corpus with every object kind Tenantfold recreates, in two schemas ({@code
 * public} and {@code sales}, corpus/schema_fidelity.sql), consolidated from two tenants. First the
 * round trip: the source's definitions, read back from the catalogs of source and target with the
 * same functions ({@code pg_get_constraintdef}, {@code pg_get_indexdef}, {@code pg_get_triggerdef},
 * column defaults, identity and generation expressions, domains, enum labels), equal the target's
 * once the tenant column is accounted for; the target's are written out below, with the differences
 * docs/schema-fidelity.md documents ("What the target enforces"). Then what an application sees
 * after publish: inserts without ids, the keys and checks refusing bad rows per tenant, the
 * trigger, the generated columns, the views of each tenant's compatibility schema; and a re-run
 * that replaces, with {@code validate} agreeing.
 */
class SchemaFidelityCorpusTest {
  private static final SparkSession spark = LocalSpark.session();

  @TempDir Path reports;

  /**
   * Catalog queries, run alike on a source and on the target; each row names its table (regclass as
   * the default search path prints it).
   */
  private static final String CONSTRAINTS =
      """
      SELECT conrelid::regclass || ' ' || conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint
       WHERE contype IN ('p', 'u', 'c', 'f') AND conparentid = 0 AND connamespace IN ('public'::regnamespace, 'sales'::regnamespace)
         AND conrelid IN (SELECT oid FROM pg_class WHERE NOT relispartition)
      """;

  private static final String INDEXES =
      """
      SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
       WHERE c.relnamespace IN ('public'::regnamespace, 'sales'::regnamespace) AND NOT c.relispartition
         AND c.relkind IN ('r', 'p')
      """;
  private static final String TRIGGERS =
      """
      SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
       WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND c.relnamespace IN ('public'::regnamespace, 'sales'::regnamespace)
      """;

  /**
   * Per column of a table: type, NOT NULL, default (or generation expression), identity and
   * generated kind.
   */
  private static final String COLUMNS =
      """
      SELECT a.attrelid::regclass || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
             || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
             || coalesce(CASE WHEN a.attgenerated = 's' THEN ' generated ' ELSE ' default ' END || pg_get_expr(d.adbin, d.adrelid), '')
             || CASE a.attidentity WHEN 'a' THEN ' identity always' WHEN 'd' THEN ' identity by default' ELSE '' END
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE c.relnamespace IN ('public'::regnamespace, 'sales'::regnamespace) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
         AND a.attnum > 0 AND NOT a.attisdropped
      """;

  private static final String DOMAINS =
      """
      SELECT t.typnamespace::regnamespace || '.' || t.typname || ' ' || format_type(t.typbasetype, t.typtypmod)
             || CASE WHEN t.typnotnull THEN ' not null' ELSE '' END || coalesce(' default ' || t.typdefault, '')
             || coalesce((SELECT ' ' || string_agg(conname || ' ' || pg_get_constraintdef(oid), ', ') FROM pg_constraint WHERE contypid = t.oid), '')
        FROM pg_type t WHERE t.typtype = 'd' AND t.typnamespace IN ('public'::regnamespace, 'sales'::regnamespace)
      """;
  private static final String ENUMS =
      """
      SELECT t.typnamespace::regnamespace || '.' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
        FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid GROUP BY t.typnamespace, t.typname
      """;

  /**
   * The target's constraints: the source's, with the tenant column first in every key and every
   * foreign key referencing (tenant column, key), so a tenant's row references only its own rows;
   * and a key for each partitioned table whose key lived on its partitions (the key they share).
   */
  private static final List<String> TARGET_CONSTRAINTS =
      List.of(
          "customers customers_email_key: UNIQUE (tenant_id, email)",
          "customers customers_name_check: CHECK ((length(name) > 0))",
          "customers customers_pkey: PRIMARY KEY (tenant_id, id)",
          "orders orders_customer_fk: FOREIGN KEY (tenant_id, customer_id) REFERENCES"
              + " customers(tenant_id, id)",
          "orders orders_pkey: PRIMARY KEY (tenant_id, id)",
          "orders orders_price_check: CHECK ((unit_price >= (0)::numeric))",
          "payment payment_amount_check: CHECK ((amount > (0)::numeric))",
          "payment payment_customer_fk: FOREIGN KEY (tenant_id, customer_id) REFERENCES"
              + " customers(tenant_id, id)",
          "payment payment_pkey: PRIMARY KEY (tenant_id, payment_id)",
          "sales.quote_events quote_events_pkey: PRIMARY KEY (tenant_id, event_id)",
          "sales.quote_events quote_events_quote_fk: FOREIGN KEY (tenant_id, quote_id) REFERENCES"
              + " sales.quotes(tenant_id, id)",
          "sales.quote_lines quote_lines_pkey: PRIMARY KEY (tenant_id, quote_id, line)",
          "sales.quote_lines quote_lines_quote_fk: FOREIGN KEY (tenant_id, quote_id) REFERENCES"
              + " sales.quotes(tenant_id, id)",
          "sales.quote_lines quote_lines_sku_check: CHECK ((sku <> ''::text))",
          "sales.quotes quotes_amount_check: CHECK ((amount > (0)::numeric))",
          "sales.quotes quotes_code_key: UNIQUE (tenant_id, code)",
          "sales.quotes quotes_customer_fk: FOREIGN KEY (tenant_id, customer_id) REFERENCES"
              + " customers(tenant_id, id)",
          "sales.quotes quotes_pkey: PRIMARY KEY (tenant_id, id)");

  /**
   * The target's indexes (on the partitioned parents, hence {@code ON ONLY}): btree keys with the
   * tenant column first.
   */
  private static final List<String> TARGET_INDEXES =
      List.of(
          "CREATE INDEX customers_lower_name ON ONLY public.customers USING btree (tenant_id,"
              + " lower(name))",
          "CREATE INDEX orders_customer_idx ON ONLY public.orders USING btree (tenant_id,"
              + " customer_id)",
          "CREATE INDEX quotes_drafts ON ONLY sales.quotes USING btree (tenant_id, customer_id)"
              + " WHERE (state = 'draft'::sales.status)",
          "CREATE UNIQUE INDEX customers_active_name ON ONLY public.customers USING btree"
              + " (tenant_id, name) WHERE active",
          "CREATE UNIQUE INDEX customers_email_key ON ONLY public.customers USING btree (tenant_id,"
              + " email)",
          "CREATE UNIQUE INDEX customers_pkey ON ONLY public.customers USING btree (tenant_id, id)",
          "CREATE UNIQUE INDEX orders_pkey ON ONLY public.orders USING btree (tenant_id, id)",
          "CREATE UNIQUE INDEX payment_pkey ON ONLY public.payment USING btree (tenant_id,"
              + " payment_id)",
          "CREATE UNIQUE INDEX quote_events_pkey ON ONLY sales.quote_events USING btree (tenant_id,"
              + " event_id)",
          "CREATE UNIQUE INDEX quote_lines_pkey ON ONLY sales.quote_lines USING btree (tenant_id,"
              + " quote_id, line)",
          "CREATE UNIQUE INDEX quote_lines_sku ON ONLY sales.quote_lines USING btree (tenant_id,"
              + " quote_id, lower(sku))",
          "CREATE UNIQUE INDEX quotes_code_key ON ONLY sales.quotes USING btree (tenant_id, code)",
          "CREATE UNIQUE INDEX quotes_pkey ON ONLY sales.quotes USING btree (tenant_id, id)");

  /**
   * The target's triggers: the source's, on the consolidated tables, with their functions in the
   * target schema of the function's own schema (sales' {@code shout()} in sales).
   */
  private static final List<String> SOURCE_TRIGGERS =
      List.of(
          "CREATE TRIGGER orders_touch BEFORE UPDATE ON public.orders FOR EACH ROW EXECUTE FUNCTION"
              + " touch()",
          "CREATE TRIGGER quotes_shout BEFORE INSERT OR UPDATE ON sales.quotes FOR EACH ROW EXECUTE"
              + " FUNCTION sales.shout()");

  /** Acme's triggers in the target: on its partitions, none on the consolidated tables. */
  private static final String PARTITION_TRIGGERS =
      """
      SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
       WHERE NOT t.tgisinternal AND (c.relname LIKE '%acme%' OR c.relnamespace IN ('public'::regnamespace, 'sales'::regnamespace))
       ORDER BY 1
      """;

  private static final List<String> TARGET_TRIGGERS =
      List.of(
          "CREATE TRIGGER orders_touch BEFORE UPDATE ON tenantfold_partitions_acme.orders__acme FOR"
              + " EACH ROW EXECUTE FUNCTION tenantfold_tenant_acme.touch()",
          "CREATE TRIGGER quotes_shout BEFORE INSERT OR UPDATE ON"
              + " tenantfold_partitions_acme.sales__quotes__acme_edd75794 FOR EACH ROW EXECUTE"
              + " FUNCTION tenantfold_tenant_acme.sales__shout()");

  /**
   * The target's columns: the tenant column first, then the source's with their NOT NULL, defaults
   * and generation expressions. Identity columns become plain columns drawing from a target
   * sequence {@code <table>_<column>_seq} shared by every tenant (serial columns keep the same
   * form); a default calling a function of sales calls it in sales, where it is created.
   */
  private static final List<String> TARGET_COLUMNS =
      List.of(
          "customers.active boolean not null default true",
          "customers.created_at timestamp with time zone not null default now()",
          "customers.email text not null",
          "customers.id integer not null default nextval('customers_id_seq'::regclass)",
          "customers.name text not null",
          "customers.region text not null default tenantfold_tenant_acme.region_code()",
          "customers.tenant_id text not null",
          "orders.customer_id integer not null",
          "orders.id integer not null default nextval('orders_id_seq'::regclass)",
          "orders.quantity qty not null",
          "orders.revision integer not null default 0",
          "orders.state status not null default 'open'::status",
          "orders.tenant_id text not null",
          "orders.total numeric(10,2) generated ((quantity)::numeric * unit_price)",
          "orders.unit_price numeric(8,2) not null",
          "payment.amount numeric(6,2) not null",
          "payment.customer_id integer not null",
          "payment.paid date not null",
          "payment.payment_id integer not null",
          "payment.tenant_id text not null",
          "sales.quote_events.event_id integer not null default"
              + " nextval('sales.quote_events_event_id_seq'::regclass)",
          "sales.quote_events.kind text not null",
          "sales.quote_events.quote_id bigint not null",
          "sales.quote_events.tenant_id text not null",
          "sales.quote_lines.line integer not null",
          "sales.quote_lines.quote_id bigint not null",
          "sales.quote_lines.sku text not null",
          "sales.quote_lines.tenant_id text not null",
          "sales.quotes.amount numeric(10,2) not null",
          "sales.quotes.code text not null",
          "sales.quotes.customer_id integer not null",
          "sales.quotes.discount sales.percent",
          "sales.quotes.id bigint not null default nextval('sales.quotes_id_seq'::regclass)",
          "sales.quotes.net numeric(12,2) generated ((amount * ((100)::numeric -"
              + " (discount)::numeric)) / (100)::numeric)",
          "sales.quotes.note text",
          "sales.quotes.ref text not null default tenantfold_tenant_acme.sales__quote_ref()",
          "sales.quotes.state sales.status not null default 'draft'::sales.status",
          "sales.quotes.tenant_id text not null");

  /**
   * Domains, with their NOT NULL, default and checks, each in the target schema of its own schema:
   * sales' percent in sales.
   */
  private static final List<String> TARGET_DOMAINS =
      List.of(
          "public.qty integer qty_positive CHECK ((VALUE > 0))",
          "sales.percent numeric(5,2) not null default 0 percent_range CHECK (((VALUE >="
              + " (0)::numeric) AND (VALUE <= (100)::numeric)))");

  /** Enums stay per schema: two types named status, each with its own labels. */
  private static final List<String> TARGET_ENUMS =
      List.of("public.status open,paid,void", "sales.status draft,sent,accepted");

  private static String corpusDdl() {
    try (InputStream in =
        SchemaFidelityCorpusTest.class.getResourceAsStream("/corpus/schema_fidelity.sql")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("Cannot read corpus/schema_fidelity.sql", e);
    }
  }

  /**
   * A tenant database: the corpus DDL, then {@code n} customers and rows of every table in
   * proportion.
   */
  private static String tenant(String name, int n) {
    String url = TestPostgres.createDatabase("fc_" + name);
    TestPostgres.execute(url, corpusDdl());
    TestPostgres.execute(
        url,
        """
        INSERT INTO customers (email, name, active) SELECT '%1$s' || g || '@example.com', '%1$s ' || g, g %% 2 = 0 FROM generate_series(1, %2$d) g;
        INSERT INTO orders (customer_id, state, quantity, unit_price) SELECT 1 + g %% %2$d, 'paid', g, g * 1.5 FROM generate_series(1, 2 * %2$d) g;
        INSERT INTO payment SELECT g, date '2024-06-01' + g * 7, 1 + g %% %2$d, g FROM generate_series(1, 10 * %2$d) g;
        INSERT INTO sales.quotes (customer_id, code, discount, amount, note)
          SELECT 1 + g %% %2$d, '%1$s-Q' || g, g, 100 * g, 'note ' || g FROM generate_series(1, %2$d) g;
        UPDATE sales.quotes SET state = 'sent' WHERE id %% 2 = 0;
        INSERT INTO sales.quote_lines SELECT q, l, 'sku' || l FROM generate_series(1, %2$d) q, generate_series(1, 2) l;
        INSERT INTO sales.quote_events (kind, quote_id) SELECT CASE WHEN g %% 2 = 0 THEN 'sent' ELSE 'viewed' END, 1 + g %% %2$d
          FROM generate_series(1, 3 * %2$d) g;
        REFRESH MATERIALIZED VIEW order_count;
        REFRESH MATERIALIZED VIEW sales.quote_total;
        """
            .formatted(name, n));
    return url;
  }

  @Test
  void theSourceDdlRoundTripsAndTheTargetBehavesAsEachTenantsDatabaseDid() throws Exception {
    String acme = tenant("acme", 4);
    String globex = tenant("globex", 7);
    String warehouse = Fixtures.emptyWarehouse();
    TenantfoldConfig config =
        Fixtures.config(warehouse)
            .tenantInSchemas("acme", acme, List.of("public", "sales"))
            .tenantInSchemas("globex", globex, List.of("public", "sales"))
            .set("target.compat-schemas", true)
            .build(reports);

    RunResult run = new MigrationJob(config, spark).execute();
    assertThat(run.exitCode()).as("tenants: %s", run.tenants()).isZero();

    // Round trip: the target's definitions are written out above; each is the source's with the
    // tenant column accounted for.
    SoftAssertions soft = new SoftAssertions();
    roundTrip(
        soft,
        acme,
        warehouse,
        CONSTRAINTS,
        TARGET_CONSTRAINTS,
        SchemaFidelityCorpusTest::tenantKeyed,
        List.of(
            "payment payment_pkey: PRIMARY KEY (tenant_id, payment_id)",
            "sales.quote_events quote_events_pkey: PRIMARY KEY (tenant_id, event_id)"));
    roundTrip(
        soft,
        acme,
        warehouse,
        INDEXES,
        TARGET_INDEXES,
        SchemaFidelityCorpusTest::tenantIndexed,
        List.of(
            "CREATE UNIQUE INDEX payment_pkey ON ONLY public.payment USING btree (tenant_id,"
                + " payment_id)",
            "CREATE UNIQUE INDEX quote_events_pkey ON ONLY sales.quote_events USING btree"
                + " (tenant_id, event_id)"));
    // Triggers: each tenant's own, on its partition, executing its function in its own schema.
    soft.assertThat(RowSets.rows(warehouse, PARTITION_TRIGGERS))
        .as("the target's triggers")
        .containsExactlyElementsOf(sorted(TARGET_TRIGGERS));
    soft.assertThat(RowSets.rows(acme, TRIGGERS))
        .as("the source's triggers")
        .containsExactlyInAnyOrderElementsOf(SOURCE_TRIGGERS);
    roundTrip(
        soft,
        acme,
        warehouse,
        COLUMNS,
        TARGET_COLUMNS,
        SchemaFidelityCorpusTest::targetColumn,
        List.of(
            "customers.tenant_id text not null",
            "orders.tenant_id text not null",
            "payment.tenant_id text not null",
            "sales.quote_events.tenant_id text not null",
            "sales.quote_lines.tenant_id text not null",
            "sales.quotes.tenant_id text not null"));
    roundTrip(soft, acme, warehouse, DOMAINS, TARGET_DOMAINS, UnaryOperator.identity(), List.of());
    roundTrip(soft, acme, warehouse, ENUMS, TARGET_ENUMS, UnaryOperator.identity(), List.of());
    // Nothing dropped silently: the plan says where each function, trigger, domain and view went.
    soft.assertThat(
            RowSets.rows(
                warehouse,
                "SELECT e->>'kind' || ' ' || (e->>'name') || ' ' || (e->>'outcome') FROM"
                    + " tenantfold.plans, jsonb_array_elements(plan->'code_objects') e"))
        .contains(
            "trigger orders.orders_touch TENANT_PARTITION",
            "trigger sales.quotes.quotes_shout TENANT_PARTITION",
            "function touch() TENANT_PARTITION",
            "function sales.shout() TENANT_PARTITION",
            "function region_code() CONSOLIDATED",
            "function sales.quote_ref() CONSOLIDATED",
            "domain qty CONSOLIDATED",
            "domain sales.percent CONSOLIDATED",
            "view customer_spend COMPAT_SCHEMAS",
            "materialized view order_count COMPAT_SCHEMAS",
            "view sales.open_quotes COMPAT_SCHEMAS",
            "materialized view sales.quote_total COMPAT_SCHEMAS");
    soft.assertAll();

    // Every row of every table arrived; a re-run replaces them (exit 0, same rows), and validate
    // agrees.
    List<String> published = allRows(warehouse);
    for (String[] t : new String[][] {{"acme", acme}, {"globex", globex}}) {
      for (String table : TABLES) {
        assertThat(
                RowSets.rows(
                    warehouse,
                    "SELECT ROW("
                        + columnsOf(table)
                        + ")::text FROM "
                        + table
                        + " WHERE tenant_id = '"
                        + t[0]
                        + "'"))
            .as("%s of tenant %s", table, t[0])
            .containsExactlyElementsOf(
                RowSets.rows(t[1], "SELECT ROW(" + columnsOf(table) + ")::text FROM " + table));
      }
    }
    RunResult again = new MigrationJob(config, spark).execute();
    assertThat(again.exitCode()).as("re-run: %s", again.tenants()).isZero();
    assertThat(again.notes()).noneSatisfy(n -> assertThat(n).contains("view sales.open_quotes"));
    assertThat(allRows(warehouse))
        .as("a re-run replaces the published rows with the same rows")
        .isEqualTo(published);
    RunResult audit = new AuditJob(config, Optional.empty(), Optional.empty()).execute();
    assertThat(audit.exitCode()).as("validate: %s", audit.tenants()).isZero();

    // The views of each tenant's compatibility schema return what they return in the tenant's own
    // database.
    for (String[] t : new String[][] {{"acme", acme}, {"globex", globex}}) {
      for (String query :
          List.of(
              "SELECT string_agg(email || ':' || orders || ':' || spent, ',' ORDER BY email) FROM"
                  + " customer_spend",
              "SELECT n || ':' || total FROM order_count")) {
        assertThat(RowSets.underSearchPath(warehouse, "tenant_" + t[0], query))
            .as("%s in tenant_%s", query, t[0])
            .isEqualTo(RowSets.underSearchPath(t[1], "public", query));
      }
    }
    // In the target schema, each view is the union of the tenants', tenant column first.
    for (String[] t : new String[][] {{"acme", acme}, {"globex", globex}}) {
      assertThat(
              RowSets.rows(
                  warehouse,
                  "SELECT email || ':' || orders || ':' || spent FROM public.customer_spend WHERE"
                      + " tenant_id = '"
                      + t[0]
                      + "'"))
          .isEqualTo(
              RowSets.rows(
                  t[1], "SELECT email || ':' || orders || ':' || spent FROM customer_spend"));
    }
    // Each source schema has its compatibility schema (tenant_acme_sales), and an application's
    // search path of public, sales becomes
    // tenant_acme, tenant_acme_sales: sales' view and materialized view (its enum qualified,
    // 'draft'::sales.status) return the source's rows.
    for (String[] t : new String[][] {{"acme", acme}, {"globex", globex}}) {
      String path = "tenant_" + t[0] + ", tenant_" + t[0] + "_sales";
      for (String query :
          List.of(
              "SELECT string_agg(id || ':' || code || ':' || net, ',' ORDER BY id) FROM"
                  + " open_quotes",
              "REFRESH MATERIALIZED VIEW quote_total; SELECT net::text FROM quote_total",
              "SELECT string_agg(email || ':' || spent, ',' ORDER BY email) FROM customer_spend")) {
        assertThat(RowSets.underSearchPath(warehouse, path, query))
            .as("%s in %s", query, path)
            .isEqualTo(RowSets.underSearchPath(t[1], "public, sales", query));
      }
      // Round trip of the views' DDL: each compatibility view prints as the tenant's own view does,
      // under the matching search path.
      for (String view : List.of("customer_spend", "order_count", "open_quotes", "quote_total")) {
        String definition = "SELECT pg_get_viewdef('" + view + "'::regclass, true)";
        assertThat(RowSets.underSearchPath(warehouse, path, definition))
            .as("pg_get_viewdef of %s in %s", view, path)
            .isEqualTo(RowSets.underSearchPath(t[1], "public, sales", definition));
      }
    }
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT tenant_id || ' ' || count(*) FROM sales.open_quotes GROUP BY tenant_id"
                    + " ORDER BY 1"))
        .as("sales' view united in target schema sales")
        .containsExactly(
            "acme " + RowSets.count(acme, "SELECT count(*) FROM sales.open_quotes"),
            "globex " + RowSets.count(globex, "SELECT count(*) FROM sales.open_quotes"));

    applicationChecks(warehouse);
  }

  /** What an application sees writing into the consolidated tables after publish. */
  private static void applicationChecks(String warehouse) {
    // Inserts without ids draw from the shared sequences, past every tenant's largest value: no
    // collision in any tenant.
    for (String tenant : List.of("acme", "globex")) {
      assertThat(
              one(
                  warehouse,
                  "INSERT INTO public.customers (tenant_id, email, name) VALUES ('"
                      + tenant
                      + "', 'new@example.com', 'New')"
                      + " RETURNING id || ' ' || region || ' ' || active"))
          .as("customers of %s", tenant)
          .isIn("8 EU true", "9 EU true");
      assertThat(
              one(
                  warehouse,
                  "INSERT INTO public.orders (tenant_id, customer_id, quantity, unit_price) VALUES"
                      + " ('"
                      + tenant
                      + "', 1, 2, 5)"
                      + " RETURNING id > 14 AND state = 'open' AND total = 10 AND revision = 0"))
          .as("orders of %s", tenant)
          .isEqualTo("t");
      assertThat(
              one(
                  warehouse,
                  "INSERT INTO sales.quotes (tenant_id, customer_id, code, amount, note) VALUES ('"
                      + tenant
                      + "', 1, 'new', 50, 'quiet') RETURNING id > 7 AND ref = 'Q-ref' AND state ="
                      + " 'draft' AND discount = 0 AND net = 50 AND note = 'QUIET'"))
          .as("quotes of %s", tenant)
          .isEqualTo("t");
      assertThat(
              one(
                  warehouse,
                  "INSERT INTO sales.quote_events (tenant_id, kind, quote_id) VALUES ('"
                      + tenant
                      + "', 'sent', 1)"
                      + " RETURNING (event_id > 21)::text"))
          .isEqualTo("true");
    }
    assertThat(
            RowSets.rows(
                warehouse,
                "SELECT count(DISTINCT id) FROM public.customers WHERE email = 'new@example.com'"))
        .containsExactly("2");

    // The target refuses what each tenant's database refused.
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse,
                    "INSERT INTO public.orders (tenant_id, customer_id, quantity, unit_price)"
                        + " VALUES ('acme', 7, 1, 1)"))
        .as("acme has no customer 7 (globex has)")
        .hasMessageContaining("orders_customer_fk");
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse,
                    "INSERT INTO sales.quotes (tenant_id, customer_id, code, amount)"
                        + " VALUES ('acme', 7, 'orphan', 1)"))
        .as("across schemas")
        .hasMessageContaining("quotes_customer_fk");
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse, "INSERT INTO sales.quote_lines VALUES ('acme', 6, 1, 'x')"))
        .as("within sales")
        .hasMessageContaining("quote_lines_quote_fk");
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse,
                    "INSERT INTO public.payment VALUES ('acme', 999, '2024-02-02', 7, 1)"))
        .as("from a partitioned table")
        .hasMessageContaining("payment_customer_fk");
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse,
                    "INSERT INTO public.orders (tenant_id, customer_id, quantity, unit_price)"
                        + " VALUES ('acme', 1, 0, 1)"))
        .as("domain qty")
        .hasMessageContaining("qty_positive");
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse,
                    "INSERT INTO sales.quotes (tenant_id, customer_id, code, amount, discount)"
                        + " VALUES ('acme', 1, 'too much', 1, 150)"))
        .as("domain percent")
        .hasMessageContaining("percent_range");
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse,
                    "INSERT INTO public.orders (tenant_id, customer_id, quantity, unit_price)"
                        + " VALUES ('acme', 1, 1, -1)"))
        .hasMessageContaining("orders_price_check");
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse, "INSERT INTO sales.quote_lines VALUES ('acme', 1, 9, '')"))
        .hasMessageContaining("quote_lines_sku_check");
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse,
                    "INSERT INTO public.customers (tenant_id, email, name)"
                        + " VALUES ('globex', 'globex1@example.com', 'Dup')"))
        .hasMessageContaining("(tenant_id, email)=(globex, globex1@example.com)");
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse,
                    "INSERT INTO sales.quotes (tenant_id, customer_id, code, amount)"
                        + " VALUES ('acme', 1, 'acme-Q1', 1)"))
        .hasMessageContaining("(tenant_id, code)=(acme, acme-Q1)");
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse, "INSERT INTO sales.quote_lines VALUES ('acme', 1, 9, 'SKU1')"))
        .as("expression index")
        .hasMessageContaining("(tenant_id, quote_id, lower(sku))=(acme, 1, sku1)");
    assertThatThrownBy(
            () ->
                TestPostgres.execute(
                    warehouse, "INSERT INTO public.payment VALUES ('acme', 1, '2024-02-02', 1, 1)"))
        .as("the key the partitions shared")
        .hasMessageContaining("(tenant_id, payment_id)=(acme, 1)");
    TestPostgres.execute(
        warehouse,
        "INSERT INTO public.customers (tenant_id, email, name) VALUES ('acme',"
            + " 'globex1@example.com', 'Fine')");

    // Triggers fire; generated columns recompute.
    assertThat(
            one(
                warehouse,
                "UPDATE public.orders SET unit_price = 3 WHERE tenant_id = 'globex' AND id = 2"
                    + " RETURNING revision || ' ' || total"))
        .as("touch() and quantity * unit_price")
        .isEqualTo("1 6.00");
    assertThat(
            one(
                warehouse,
                "UPDATE sales.quotes SET note = 'again', discount = 50 WHERE tenant_id = 'acme' AND"
                    + " id = 2 RETURNING note || ' ' || net"))
        .as("shout() and the net after discount")
        .isEqualTo("AGAIN 100.00");
  }

  /** Tables of the corpus and their columns. */
  private static final List<String> TABLES =
      List.of(
          "customers",
          "orders",
          "payment",
          "sales.quotes",
          "sales.quote_lines",
          "sales.quote_events");

  private static String columnsOf(String table) {
    return Map.of(
            "customers",
            "id, email, name, region, active, created_at",
            "orders",
            "id, customer_id, state, quantity, unit_price, total, revision",
            "payment",
            "payment_id, paid, customer_id, amount",
            "sales.quotes",
            "id, customer_id, code, ref, state, discount, amount, net, note",
            "sales.quote_lines",
            "quote_id, line, sku",
            "sales.quote_events",
            "event_id, kind, quote_id")
        .get(table);
  }

  private static List<String> allRows(String warehouse) {
    List<String> rows = new ArrayList<>();
    for (String table : TABLES) {
      rows.addAll(
          RowSets.rows(
              warehouse,
              "SELECT '"
                  + table
                  + " ' || tenant_id || ' ' || ROW("
                  + columnsOf(table)
                  + ")::text FROM "
                  + table));
    }
    return rows;
  }

  /**
   * The target's definitions ({@code query} on the target) are {@code expected}; and the source's,
   * each through {@code toTarget} (the documented difference), are {@code expected} less {@code
   * targetOnly} (what the target adds).
   */
  private static void roundTrip(
      SoftAssertions soft,
      String source,
      String target,
      String query,
      List<String> expected,
      UnaryOperator<String> toTarget,
      List<String> targetOnly) {
    soft.assertThat(RowSets.rows(target, query))
        .as("the target's definitions: %s", query)
        .containsExactlyElementsOf(sorted(expected));
    List<String> fromSource = expected.stream().filter(e -> !targetOnly.contains(e)).toList();
    soft.assertThat(RowSets.rows(source, query).stream().map(toTarget).sorted().toList())
        .as("the source's, with the tenant column accounted for: %s", query)
        .containsExactlyElementsOf(sorted(fromSource));
  }

  private static List<String> sorted(List<String> list) {
    return list.stream().sorted().toList();
  }

  /**
   * A source key as the target keys it: the tenant column first, references to (tenant column,
   * key).
   */
  private static String tenantKeyed(String definition) {
    return definition
        .replaceFirst("(PRIMARY KEY|UNIQUE|FOREIGN KEY) \\(", "$1 (tenant_id, ")
        .replaceFirst("REFERENCES (\\S+)\\(", "REFERENCES $1(tenant_id, ");
  }

  /**
   * A source index as the target indexes its partitioned table: on the parent only (each partition
   * has its own), tenant column first.
   */
  private static String tenantIndexed(String definition) {
    return definition
        .replace(" ON ", " ON ONLY ")
        .replace(" USING btree (", " USING btree (tenant_id, ");
  }

  /**
   * A source column as the target declares it (docs/schema-fidelity.md "What the target enforces").
   */
  private static String targetColumn(String column) {
    return column
        // Identity becomes a default drawing from the target's shared sequence.
        .replace(
            "orders.id integer not null identity always",
            "orders.id integer not null default nextval('orders_id_seq'::regclass)")
        .replace(
            "sales.quotes.id bigint not null identity by default",
            "sales.quotes.id bigint not null default nextval('sales.quotes_id_seq'::regclass)")
        // A default's function is tenant code: the first tenant's copy in its own schema, run as
        // its role (docs/security.md).
        .replace("default region_code()", "default tenantfold_tenant_acme.region_code()")
        .replace("default sales.quote_ref()", "default tenantfold_tenant_acme.sales__quote_ref()");
  }

  private static String one(String url, String sql) {
    List<String> rows = RowSets.rows(url, sql);
    assertThat(rows).as(sql).hasSize(1);
    return rows.get(0);
  }
}
