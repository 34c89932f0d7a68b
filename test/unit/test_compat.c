/*
 * test_compat.c
 *		Unit tests for src/da_compat.c: the statement splitter (quotes,
 *		dollar quotes, comments, BEGIN ATOMIC), the classifier, the
 *		rewrites, PREPARE/EXECUTE substitution, COPY chunk boundaries, the
 *		archive analysis and pg_restore's child command line.
 */
#include <stdlib.h>
#include <string.h>

#include "da_compat.h"
#include "da_util.h"
#include "tap.h"

/* Split s and return the statements joined by " | ". */
static char *
split_join(const char *s)
{
	da_span    *sp;
	int			n = da_sql_split(s, strlen(s), &sp);
	da_buf		b;

	if (n < 0)
		return da_strdup("ERROR");
	da_buf_init(&b);
	da_buf_append(&b, "");
	for (int i = 0; i < n; i++)
	{
		if (i)
			da_buf_append(&b, " | ");
		da_buf_append_len(&b, s + sp[i].off, sp[i].len);
	}
	free(sp);
	return da_buf_steal(&b);
}

/* One splitter case. */
static void
split_case(const char *in, const char *want, const char *name)
{
	char	   *got = split_join(in);

	tap_is_str(got, want, name);
	free(got);
}

/* Classify s; return the kind and (optionally) copy fields. */
static da_kind
kind_of(const char *s, char **name, char **unsup)
{
	da_stmt_info info;
	da_kind		k;

	if (!da_classify(s, strlen(s), &info))
		return (da_kind) -1;
	k = info.kind;
	if (name)
		*name = info.name ? strdup(info.name) : NULL;
	if (unsup)
		*unsup = info.unsupported ? strdup(info.unsupported) : NULL;
	da_stmt_info_free(&info);
	return k;
}

/* The splitter. */
static void
test_split(void)
{
	split_case("SELECT 1; SELECT 2;", "SELECT 1 | SELECT 2", "split: two statements");
	split_case("SELECT ';'; SELECT 2", "SELECT ';' | SELECT 2", "split: ; in a string");
	split_case("SELECT 'it''s;'; x", "SELECT 'it''s;' | x", "split: doubled quote");
	split_case("SELECT E'a\\';b'; x", "SELECT E'a\\';b' | x", "split: E'' with backslash quote");
	split_case("SELECT \"a;b\"\"c\"; x", "SELECT \"a;b\"\"c\" | x", "split: quoted identifier");
	split_case("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$SELECT 1; SELECT 2$$; x",
			   "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$SELECT 1; SELECT 2$$ | x",
			   "split: $$ body");
	split_case("SELECT $q$;$x$;$q$; x", "SELECT $q$;$x$;$q$ | x", "split: tagged dollar quote with another tag inside");
	split_case("-- c;\nSELECT 1; /* a; /* b; */ c; */ SELECT 2",
			   "SELECT 1 | SELECT 2", "split: line and nested block comments");
	split_case("SELECT a$1; x", "SELECT a$1 | x", "split: $ inside an identifier");
	split_case(";; ;SELECT 1;;", "SELECT 1", "split: empty statements dropped");
	split_case("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END; SELECT 3",
			   "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END | SELECT 3",
			   "split: BEGIN ATOMIC body");
	split_case("CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END; x",
			   "CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END | x",
			   "split: CREATE OR REPLACE PROCEDURE BEGIN ATOMIC");
	split_case("BEGIN; SELECT 1; END;", "BEGIN | SELECT 1 | END", "split: BEGIN outside a function is a statement");
	split_case("SELECT 'open", "ERROR", "split: unterminated string is an error");
	split_case("SELECT $$open", "ERROR", "split: unterminated dollar quote is an error");
	split_case("SELECT /* open", "ERROR", "split: unterminated comment is an error");
	split_case("CREATE TABLE public.t (\n    id integer NOT NULL\n);\n\n\nALTER TABLE public.t OWNER TO admin;\n",
			   "CREATE TABLE public.t (\n    id integer NOT NULL\n) | ALTER TABLE public.t OWNER TO admin",
			   "split: pg_restore's two-statement definition");
}

/* The classifier. */
static void
test_classify(void)
{
	char	   *name = NULL,
			   *un = NULL;

	tap_ok(kind_of("SET statement_timeout = 0", &name, NULL) == DA_K_SET_OTHER &&
		   strcmp(name, "statement_timeout") == 0, "classify: SET statement_timeout = 0");
	free(name);
	tap_ok(kind_of("SET synchronize_seqscans TO off", NULL, NULL) == DA_K_SET_OTHER,
		   "classify: SET synchronize_seqscans TO off");
	tap_ok(kind_of("SET DATESTYLE = ISO", &name, NULL) == DA_K_SET_ALLOWED &&
		   strcmp(name, "datestyle") == 0, "classify: SET DATESTYLE (allowed, lower-cased)");
	free(name);
	tap_ok(kind_of("SET extra_float_digits TO 3", NULL, NULL) == DA_K_SET_ALLOWED,
		   "classify: extra_float_digits allowed");
	tap_ok(kind_of("SET enable_seqscan = off", NULL, NULL) == DA_K_SET_ALLOWED,
		   "classify: enable_* allowed");
	tap_ok(kind_of("SET SESSION row_security = off", NULL, NULL) == DA_K_SET_OTHER,
		   "classify: SET SESSION row_security");
	tap_ok(kind_of("SET TIME ZONE 'UTC'", NULL, NULL) == DA_K_SET_ALLOWED,
		   "classify: SET TIME ZONE");
	tap_ok(kind_of("SET ROLE alice", NULL, NULL) == DA_K_OTHER, "classify: SET ROLE is left alone");
	tap_ok(kind_of("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", NULL, NULL) == DA_K_SET_TXN_RR_RO,
		   "classify: pg_dump's SET TRANSACTION");
	tap_ok(kind_of("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY, DEFERRABLE", NULL, NULL) == DA_K_SET_TXN_OTHER,
		   "classify: other SET TRANSACTION");
	tap_ok(kind_of("SET TRANSACTION SNAPSHOT '00000003-1'", NULL, NULL) == DA_K_SET_SNAPSHOT,
		   "classify: SET TRANSACTION SNAPSHOT");
	tap_ok(kind_of("SELECT pg_catalog.pg_export_snapshot()", NULL, NULL) == DA_K_EXPORT_SNAPSHOT,
		   "classify: pg_export_snapshot()");
	tap_ok(kind_of("SELECT 'pg_export_snapshot'", NULL, NULL) == DA_K_OTHER,
		   "classify: the word in a string is not the call");
	tap_ok(kind_of("LOCK TABLE public.a, public.b IN ACCESS SHARE MODE", NULL, NULL) == DA_K_LOCK,
		   "classify: LOCK TABLE");
	tap_ok(kind_of("BEGIN", NULL, NULL) == DA_K_BEGIN && kind_of("begin work", NULL, NULL) == DA_K_BEGIN,
		   "classify: BEGIN");
	tap_ok(kind_of("BEGIN ISOLATION LEVEL SERIALIZABLE", NULL, NULL) == DA_K_OTHER,
		   "classify: BEGIN with options is left alone");
	tap_ok(kind_of("COMMIT", NULL, NULL) == DA_K_COMMIT && kind_of("ROLLBACK TO SAVEPOINT a", NULL, NULL) == DA_K_OTHER,
		   "classify: COMMIT; ROLLBACK TO is not a rollback");
	tap_ok(kind_of("TRUNCATE TABLE ONLY public.t;\n\n", &name, NULL) == DA_K_TRUNCATE &&
		   name && strcmp(name, "public.t") == 0, "classify: pg_restore -j TRUNCATE");
	free(name);
	tap_ok(kind_of("TRUNCATE a, b", &name, NULL) == DA_K_TRUNCATE && name == NULL,
		   "classify: TRUNCATE of two tables has no single name");
	tap_ok(kind_of("COPY public.t (id, name) FROM stdin;\n", &name, NULL) == DA_K_COPY_FROM_STDIN &&
		   strcmp(name, "public.t") == 0, "classify: COPY FROM stdin");
	free(name);
	tap_ok(kind_of("COPY public.t (id) TO stdout", NULL, NULL) == DA_K_OTHER, "classify: COPY TO stdout");
	tap_ok(kind_of("CREATE TABLE public.t (\n    id integer\n)", &name, &un) == DA_K_CREATE_TABLE &&
		   strcmp(name, "public.t") == 0 && un == NULL, "classify: CREATE TABLE");
	free(name);
	tap_ok(kind_of("CREATE TABLE public.m (\n    d date\n)\nPARTITION BY RANGE (d)", NULL, &un) == DA_K_CREATE_TABLE &&
		   un && strcmp(un, "partitioned table") == 0, "classify: partitioned table is unsupported");
	free(un);
	un = NULL;
	kind_of("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public", NULL, &un);
	tap_is_str(un, "extension", "classify: CREATE EXTENSION unsupported");
	free(un);
	un = NULL;
	kind_of("CREATE TRIGGER trg BEFORE INSERT ON public.t FOR EACH ROW EXECUTE FUNCTION public.f()", &name, &un);
	tap_ok(un && strcmp(un, "trigger") == 0 && name && strcmp(name, "public.t") == 0,
		   "classify: CREATE TRIGGER unsupported, table known");
	free(un);
	free(name);
	un = NULL;
	kind_of("CREATE FUNCTION public.f() RETURNS trigger\n    LANGUAGE plpgsql\n    AS $$BEGIN RETURN NEW; END$$", NULL, &un);
	tap_is_str(un, "function in LANGUAGE plpgsql (only LANGUAGE sql)", "classify: PL/pgSQL function unsupported");
	free(un);
	un = NULL;
	kind_of("CREATE FUNCTION public.g(integer) RETURNS integer\n    LANGUAGE sql IMMUTABLE\n    AS $_$SELECT $1 + 1$_$", NULL, &un);
	tap_ok(un == NULL, "classify: SQL function supported");
	kind_of("CREATE INDEX t_gin ON public.t USING gin (v)", NULL, &un);
	tap_is_str(un, "index method gin (only btree)", "classify: GIN index unsupported");
	free(un);
	un = NULL;
	tap_ok(kind_of("ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (id)", &name, NULL) == DA_K_ADD_KEY &&
		   strcmp(name, "public.t") == 0, "classify: ADD CONSTRAINT PRIMARY KEY");
	free(name);
	tap_ok(kind_of("ALTER TABLE ONLY public.t ADD CONSTRAINT t_fk FOREIGN KEY (a) REFERENCES public.u(id)", NULL, NULL) == DA_K_OTHER,
		   "classify: foreign key is left alone");
	kind_of("ALTER TABLE ONLY public.m ATTACH PARTITION public.m1 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')", NULL, &un);
	tap_ok(un != NULL, "classify: ATTACH PARTITION unsupported");
	free(un);
	tap_ok(kind_of("PREPARE dumpFunc(pg_catalog.oid) AS SELECT 1", &name, NULL) == DA_K_PREPARE &&
		   strcmp(name, "dumpFunc") == 0, "classify: PREPARE");
	free(name);
}

/* The rewrites. */
static void
test_rewrite(void)
{
	const char *why;
	char	   *r;
	char	   *clauses[2] = {"CONSTRAINT t_pkey PRIMARY KEY (id)", "CONSTRAINT t_name_key UNIQUE (name)"};
	const char *ct = "CREATE TABLE public.t (\n    id integer NOT NULL,\n    name text,\n    price numeric(10,2)\n)";

	r = da_rewrite_create_index("CREATE INDEX items_name ON public.items USING btree (name)", strlen("CREATE INDEX items_name ON public.items USING btree (name)"), &why);
	tap_is_str(r, "CREATE INDEX ASYNC items_name ON public.items (name)", "index: USING btree -> ASYNC");
	free(r);
	r = da_rewrite_create_index("CREATE UNIQUE INDEX u ON public.t USING btree (a, lower(b)) WHERE (a > 0)",
								strlen("CREATE UNIQUE INDEX u ON public.t USING btree (a, lower(b)) WHERE (a > 0)"), &why);
	tap_is_str(r, "CREATE UNIQUE INDEX ASYNC u ON public.t (a, lower(b)) WHERE (a > 0)", "index: UNIQUE, expression, partial");
	free(r);
	r = da_rewrite_create_index("CREATE INDEX g ON public.t USING gin (v)", 40, &why);
	tap_ok(r == NULL && why != NULL, "index: gin cannot be rewritten");
	r = da_rewrite_create_index("CREATE INDEX m_i ON ONLY public.m USING btree (d)", 48, &why);
	tap_ok(r == NULL && why != NULL, "index: ON ONLY cannot be rewritten");
	r = da_rewrite_create_index("CREATE INDEX ASYNC x ON t (a)", 29, &why);
	tap_is_str(r, "CREATE INDEX ASYNC x ON t (a)", "index: already ASYNC unchanged");
	free(r);

	r = da_fold_constraints(ct, strlen(ct), clauses, 2);
	tap_is_str(r, "CREATE TABLE public.t (\n    id integer NOT NULL,\n    name text,\n    price numeric(10,2),\n"
			   "    CONSTRAINT t_pkey PRIMARY KEY (id),\n    CONSTRAINT t_name_key UNIQUE (name)\n)",
			   "fold: two constraints after the last column");
	free(r);
	r = da_fold_constraints("CREATE TABLE e (\n)", 18, clauses, 1);
	tap_is_str(r, "CREATE TABLE e (\n    CONSTRAINT t_pkey PRIMARY KEY (id)\n\n)", "fold: table without columns");
	free(r);
	r = da_add_key_clause("ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (id);", 68);
	tap_is_str(r, "CONSTRAINT t_pkey PRIMARY KEY (id)", "fold: the clause of ADD CONSTRAINT");
	free(r);
}

/* PREPARE / EXECUTE. */
static void
test_prepare(void)
{
	da_prepared p;
	char	   *name,
			  **args,
			   *r;
	int			nargs;
	const char *prep = "PREPARE dumpFunc(pg_catalog.oid, numeric(10,2)) AS\nSELECT '$1' AS s, $1 AS a, $2 -- $1\n FROM t WHERE x = $1";

	tap_ok(da_parse_prepare(prep, strlen(prep), &p) && p.ntypes == 2 &&
		   strcmp(p.types[1], "numeric(10,2)") == 0, "prepare: name, two types with a comma inside");
	tap_ok(da_parse_execute("EXECUTE dumpFunc('16384', 1.5)", 30, &name, &args, &nargs) &&
		   nargs == 2 && strcmp(args[0], "'16384'") == 0, "execute: two arguments");
	r = da_substitute_params(&p, args, nargs);
	tap_is_str(r, "SELECT '$1' AS s, ('16384')::pg_catalog.oid AS a, (1.5)::numeric(10,2) -- $1\n FROM t WHERE x = ('16384')::pg_catalog.oid",
			   "execute: $n replaced outside strings and comments");
	free(r);
	free(name);
	da_free_strv(args, nargs);
	tap_ok(da_parse_execute("EXECUTE dumpFunc('1')", 21, &name, &args, &nargs), "execute: one argument");
	r = da_substitute_params(&p, args, nargs);
	tap_ok(r == NULL, "execute: a missing argument is refused");
	free(name);
	da_free_strv(args, nargs);
	da_prepared_free(&p);
}

/* COPY chunk boundaries. */
static void
test_copy(void)
{
	da_copy_scan sc;
	bool		boundary;
	size_t		t;
	const char *d = "1\ta\n2\tb\\nc\n3\tc\n4";

	memset(&sc, 0, sizeof(sc));

	t = da_copy_scan_buf(&sc, d, strlen(d), 2, 1 << 20, &boundary);
	tap_ok(t == 11 && boundary && sc.rows == 0, "copy: boundary after the second row (escaped \\n is not a row end)");
	t = da_copy_scan_buf(&sc, d + 11, strlen(d) - 11, 2, 1 << 20, &boundary);
	tap_ok(t == strlen(d) - 11 && !boundary && sc.rows == 1 && sc.total == 3,
		   "copy: partial row carried, no boundary");
	t = da_copy_scan_buf(&sc, "\tx\n", 3, 2, 1 << 20, &boundary);
	tap_ok(t == 3 && boundary && sc.total == 4, "copy: row split across buffers completes the chunk");
	memset(&sc, 0, sizeof(sc));
	t = da_copy_scan_buf(&sc, "aaaa\nbbbb\ncccc\n", 15, 1000, 8, &boundary);
	tap_ok(t == 10 && boundary, "copy: byte limit reached at a row end");
	memset(&sc, 0, sizeof(sc));
	t = da_copy_scan_buf(&sc, "a\nb\n\\", 5, 2, 1 << 20, &boundary);
	tap_ok(t == 4 && boundary, "copy: chunk full just before the end marker");
	t = da_copy_scan_buf(&sc, "\\", 1, 2, 1 << 20, &boundary);
	t = da_copy_scan_buf(&sc, ".\n\n\n", 4, 2, 1 << 20, &boundary);
	tap_ok(t == 4 && !boundary && sc.ended && sc.total == 2,
		   "copy: \\. split across buffers ends the data; the empty lines after it are not rows");
	memset(&sc, 0, sizeof(sc));
	t = da_copy_scan_buf(&sc, "\\.x\n\\.\n", 7, 1, 1 << 20, &boundary);
	tap_ok(t == 4 && boundary && !sc.ended, "copy: a row starting with \\. is data");
}

/* The archive analysis and the child's command line. */
static void
test_archive(void)
{
	const char *sql =
		"--\n-- Name: pg_trgm; Type: EXTENSION; Schema: -; Owner: -\n--\n\n"
		"CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;\n\n"
		"--\n-- Name: EXTENSION pg_trgm; Type: COMMENT; Schema: -; Owner: \n--\n\n"
		"COMMENT ON EXTENSION pg_trgm IS 'text similarity; trigrams';\n\n"
		"SET default_tablespace = '';\n\n"
		"--\n-- Name: t; Type: TABLE; Schema: public; Owner: admin\n--\n\n"
		"CREATE TABLE public.t (\n    id integer NOT NULL\n);\n\n\nALTER TABLE public.t OWNER TO admin;\n\n"
		"--\n-- Name: bump(); Type: FUNCTION; Schema: public; Owner: admin\n--\n\n"
		"CREATE FUNCTION public.bump() RETURNS trigger\n    LANGUAGE plpgsql\n    AS $$BEGIN RETURN NEW; END;$$;\n\n\n"
		"ALTER FUNCTION public.bump() OWNER TO admin;\n\n"
		"--\n-- Name: FUNCTION bump(); Type: ACL; Schema: public; Owner: admin\n--\n\n"
		"GRANT ALL ON FUNCTION public.bump() TO alice;\n\n"
		"--\n-- Name: t t_pkey; Type: CONSTRAINT; Schema: public; Owner: admin\n--\n\n"
		"ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (id);\n";
	da_archive a;
	char	   *argv1[] = {"pg_restore", "-d", "host=x", "-j4", "-Fc", "--no-owner", "--dbname=y", "dump.c", NULL};
	char	   *argv2[] = {"pg_restore", "-vd", "x", NULL};
	char	   *argv3[] = {"pg_restore", "-a", "f", NULL};
	char	  **v;
	const char *why;
	da_buf		b;

	tap_ok(da_archive_analyze(sql, strlen(sql), &a), "archive: analysed");
	tap_ok(a.nkeys == 1 && strcmp(a.key_table[0], "public.t") == 0 &&
		   strcmp(a.key_clause[0], "CONSTRAINT t_pkey PRIMARY KEY (id)") == 0,
		   "archive: the primary key to fold");
	tap_ok(a.nunsupported == 2, "archive: two unsupported objects");
	for (int i = 0; i < a.nunsupported; i++)
		tap_diag(a.unsupported[i]);
	if (a.nunsupported == 2)
	{
		tap_is_str(a.unsupported[0], "EXTENSION pg_trgm: extension", "archive: extension reported");
		tap_is_str(a.unsupported[1], "FUNCTION public.bump(): function in LANGUAGE plpgsql (only LANGUAGE sql)",
				   "archive: PL/pgSQL function reported");
	}
	tap_ok(a.nskip == 5, "archive: five statements to skip (extension, its comment, function, its owner, its grant)");
	tap_ok(a.ndependent == 2, "archive: two dependent entries (comment, ACL)");
	da_archive_free(&a);

	v = da_restore_child_argv(8, argv1, "/usr/lib/postgresql/15/bin/pg_restore", &why);
	da_buf_init(&b);
	for (int i = 0; v && v[i]; i++)
		da_buf_printf(&b, "%s%s", i ? " " : "", v[i]);
	tap_is_str(b.data, "/usr/lib/postgresql/15/bin/pg_restore -F c --no-owner dump.c -s -f -",
			   "child argv: connection and -j dropped, -s -f - added");
	da_buf_free(&b);
	da_free_strv(v, -1);
	v = da_restore_child_argv(3, argv2, "pg_restore", &why);
	tap_ok(v == NULL && why && strstr(why, "standard input"), "child argv: archive from stdin is reported");
	v = da_restore_child_argv(3, argv3, "pg_restore", &why);
	tap_ok(v == NULL && why && strstr(why, "data-only"), "child argv: data-only needs no child");
	{
		char	   *s1[] = {"pg_restore", "-1", "-d", "x", "f", NULL};
		char	   *s2[] = {"pg_restore", "-vd1", "f", NULL};
		char	   *s3[] = {"pg_restore", "--single-transaction", "f", NULL};
		char	   *s4[] = {"pg_restore", "-j", "1", "-t", "1", "f", NULL};

		tap_ok(da_restore_single_txn(5, s1) && da_restore_single_txn(3, s3),
			   "single transaction: -1 and --single-transaction found");
		tap_ok(!da_restore_single_txn(3, s2) && !da_restore_single_txn(6, s4),
			   "single transaction: a 1 that is an option's argument is not -1");
	}
}

int
main(void)
{
	test_split();
	test_classify();
	test_rewrite();
	test_prepare();
	test_copy();
	test_archive();
	return tap_done();
}
