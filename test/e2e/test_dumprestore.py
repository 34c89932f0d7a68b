#!/usr/bin/python3
"""End-to-end tests of the dump/restore compatibility layer: the real
PostgreSQL 15 pg_dump, pg_restore and psql, through dsql_auth_preload.so,
against the DSQL stand-in with DSQL's statement rules on (--dsql-rules).
Data and schema are compared on the backends directly.  Prints TAP.
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (AKID, PGBIN, SECRET, CA, Cluster, Standin, Tap,  # noqa: E402
                     Workdir, clean_env, client_env, conninfo, run)

PSQL = [f"{PGBIN}/psql", "-X", "-At"]
PG_DUMP = f"{PGBIN}/pg_dump"
PG_RESTORE = f"{PGBIN}/pg_restore"

SOURCE_SQL = r"""
CREATE ROLE admin SUPERUSER LOGIN;
CREATE TABLE items (id integer PRIMARY KEY, name text NOT NULL UNIQUE,
                    price numeric(10,2), note text);
INSERT INTO items SELECT g, 'item ' || g, g * 1.5,
    CASE WHEN g % 7 = 0 THEN E'tab\there; semi ''q'' $$ \\ back'
         WHEN g % 11 = 0 THEN NULL ELSE 'x' END
    FROM generate_series(1, 2500) g;
CREATE TABLE big (id bigint PRIMARY KEY, payload text);
INSERT INTO big SELECT g, md5(g::text) || E'\nsecond line' FROM generate_series(1, 10000) g;
CREATE TABLE notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text);
INSERT INTO notes (body) SELECT 'note ' || g FROM generate_series(1, 300) g;
CREATE SEQUENCE counter START 100;
SELECT nextval('counter');
CREATE INDEX items_price ON items (price);
CREATE UNIQUE INDEX big_payload ON big (payload);
CREATE VIEW cheap AS SELECT id, name FROM items WHERE price < 10;
CREATE FUNCTION add_one(integer) RETURNS integer LANGUAGE sql IMMUTABLE
    AS $$SELECT $1 + 1$$;
"""

ORDINARY_SQL = r"""
CREATE EXTENSION pg_trgm;
CREATE TABLE t (id integer PRIMARY KEY, v text);
INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 50) g;
CREATE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql
    AS $$BEGIN NEW.v := NEW.v || '!'; RETURN NEW; END;$$;
CREATE TRIGGER t_bump BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION bump();
CREATE TABLE m (d date NOT NULL, x integer) PARTITION BY RANGE (d);
CREATE TABLE m2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO m SELECT DATE '2024-01-01' + g, g FROM generate_series(0, 99) g;
"""

TABLES = ("items", "big", "notes")


def digests(cluster):
    """Per-table md5 of all rows in id order, plus the sequence state."""
    out = {}
    for table in TABLES:
        out[table] = cluster.psql(
            f"SELECT count(*) || ' ' || md5(coalesce(string_agg(t::text, '|' ORDER BY id), ''))"
            f" FROM public.{table} t").strip()
    out["counter"] = cluster.psql("SELECT last_value || ' ' || is_called FROM public.counter").strip()
    out["notes_id_seq"] = cluster.psql("SELECT last_value FROM public.notes_id_seq").strip()
    return out


def backend_schema(cluster):
    """pg_dump -s of the backend, straight (no library, no stand-in)."""
    r = subprocess.run([PG_DUMP, "-s", "-h", cluster.sockdir, "-p", str(cluster.port),
                        "-U", "postgres", "postgres"], env=clean_env(),
                       capture_output=True, text=True, check=True)
    return "\n".join(line for line in r.stdout.splitlines()
                     if not line.startswith(("-- Dumped", "\\restrict", "\\unrestrict")))


def reset_public(cluster):
    """Empty the backend's public schema (as a fresh database has it)."""
    cluster.psql("DROP SCHEMA public CASCADE; CREATE SCHEMA public AUTHORIZATION pg_database_owner;"
                 "GRANT USAGE ON SCHEMA public TO PUBLIC;"
                 "COMMENT ON SCHEMA public IS 'standard public schema';"
                 "DROP EXTENSION IF EXISTS pg_trgm;")


def user_tables(cluster):
    return cluster.psql("SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class c"
                        " JOIN pg_namespace n ON n.oid = c.relnamespace"
                        " WHERE nspname = 'public' AND relkind IN ('r', 'p', 'v', 'S')").strip()


def rule_events(standin, name=None):
    return [e for e in standin.new_events()
            if e.get("event", "").startswith("dsql_") and (name is None or e.get("rule") == name
                                                             or e.get("event") == name)]


def main():
    started = time.time()
    tap = Tap()
    work = Workdir()
    ca = CA(work)
    src = Cluster(work, 55462)
    dst = Cluster(work, 55463)
    src.psql(SOURCE_SQL)
    dst.psql("CREATE ROLE admin SUPERUSER LOGIN")
    src.psql("CREATE DATABASE ordinary")
    src.psql(ORDINARY_SQL, db="ordinary")
    keys = {AKID: {"secret": SECRET, "session_token": None}}
    s1 = Standin(work, src, ca, keys, "src", extra=["--dsql-rules"])
    s2 = Standin(work, dst, ca, keys, "dst", extra=["--dsql-rules"])
    env = client_env(work, ca)
    denv = client_env(work, ca, DSQL_AUTH_DEBUG="1")
    off = client_env(work, ca, DSQL_AUTH_COMPAT="off")
    src_ci, dst_ci = conninfo(s1), conninfo(s2)

    # ---- the stand-in's DSQL rules, seen from psql (which the layer never changes)
    r = run(PSQL + ["-c", "SET statement_timeout = 0", dst_ci], denv)
    tap.ok(r.returncode != 0 and 'setting configuration parameter "statement_timeout" not supported'
           in r.stderr and "answered locally" not in r.stderr,
           "psql: SET statement_timeout passes through unchanged and gets DSQL's error", r.stderr)
    r = run(PSQL + ["-v", "ON_ERROR_STOP=0", dst_ci], env,
            input="BEGIN;\nSET lock_timeout = 0;\nSELECT 1;\nCOMMIT;\n")
    tap.ok("current transaction is aborted" in r.stderr and r.stdout.strip().endswith("ROLLBACK"),
           "stand-in: a refused SET aborts the transaction (COMMIT becomes ROLLBACK)", r.stdout + r.stderr)
    r = run(PSQL + ["-c", "LOCK TABLE pg_class IN ACCESS SHARE MODE", dst_ci], env)
    tap.ok("unsupported statement: Lock" in r.stderr, "psql: LOCK gets DSQL's error", r.stderr)
    r = run(PSQL + ["-v", "ON_ERROR_STOP=0", dst_ci], env, input=(
        "CREATE SCHEMA scratch;\nCREATE TABLE scratch.s (id int, v text);\n"
        "CREATE INDEX s_v ON scratch.s (v);\n"
        "CREATE INDEX ASYNC s_v ON scratch.s USING btree (v);\n"
        "ALTER TABLE scratch.s ADD PRIMARY KEY (id);\n"
        "BEGIN;\nCREATE TABLE scratch.a (id int);\nCREATE TABLE scratch.b (id int);\nROLLBACK;\n"
        "BEGIN;\nINSERT INTO scratch.s VALUES (1);\nCREATE TABLE scratch.c (id int);\nROLLBACK;\n"
        "INSERT INTO scratch.s SELECT g FROM generate_series(1, 3001) g;\n"
        "INSERT INTO scratch.s SELECT g FROM generate_series(1, 3000) g;\n"
        "SELECT count(*) FROM scratch.s;\n"))
    err = r.stderr
    tap.ok("unsupported mode. please use CREATE INDEX ASYNC." in err,
           "stand-in: plain CREATE INDEX refused", err)
    tap.ok("USING not supported for CREATE INDEX" in err, "stand-in: CREATE INDEX ... USING refused", err)
    tap.ok("unsupported ALTER TABLE ADD CONSTRAINT PRIMARY KEY" in err,
           "stand-in: ADD PRIMARY KEY on an existing table refused", err)
    tap.ok("multiple ddl statements are not supported in a transaction" in err,
           "stand-in: two DDL statements in one transaction refused", err)
    tap.ok("ddl and dml are not supported in the same transaction" in err,
           "stand-in: DDL after DML in one transaction refused", err)
    tap.ok("transaction row limit exceeded" in err and r.stdout.strip().endswith("3000"),
           "stand-in: 3,001 rows refused and rolled back, 3,000 accepted", r.stdout + err)
    r = run(PSQL + ["-v", "ON_ERROR_STOP=1", dst_ci], env, input=(
        "CREATE INDEX ASYNC s_v ON scratch.s (v) \\gset\n"
        "SELECT sys.wait_for_job(:'job_id');\n"))
    tap.ok(r.returncode == 0 and r.stdout.strip() == "t"
           and dst.psql("SELECT count(*) FROM pg_indexes WHERE indexname = 's_v'").strip() == "1",
           "stand-in: CREATE INDEX ASYNC returns a job_id; sys.wait_for_job() says t", r.stdout + r.stderr)
    dst.psql("DROP SCHEMA scratch CASCADE")
    s2.new_events()

    # ---- pg_dump from DSQL
    r = run([PG_DUMP, "-f", os.path.join(work.path, "off.sql"), src_ci], off)
    tap.ok(r.returncode != 0 and 'setting configuration parameter "synchronize_seqscans" not supported'
           in r.stderr, "control: without the layer (DSQL_AUTH_COMPAT=off) pg_dump dies at its "
           "session set-up", r.stderr)
    s1.new_events()
    plain = os.path.join(work.path, "dump.sql")
    r = run([PG_DUMP, "-f", plain, src_ci], denv)
    dbg = r.stderr
    tap.ok(r.returncode == 0 and "dsql_rule" not in str(rule_events(s1)),
           "pg_dump plain: succeeds; the stand-in refused nothing", dbg)
    text = open(plain).read() if os.path.exists(plain) else ""
    tap.ok(all(f"CREATE TABLE public.{t} (" in text for t in TABLES)
           and "COPY public.big (id, payload) FROM stdin;" in text
           and "CREATE FUNCTION public.add_one(integer)" in text
           and "CREATE VIEW public.cheap" in text
           and text.count("\\nsecond line") == 10000,
           "pg_dump plain: schema, SQL function (via PREPARE/EXECUTE), view and all 10,000 rows")
    for needle, what in (
            ("answered locally: SET synchronize_seqscans TO off", "SET synchronize_seqscans"),
            ("answered locally: SET statement_timeout = 0", "SET statement_timeout"),
            ("rewritten: BEGIN -> START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
             "BEGIN rewritten"),
            ("answered locally: SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
             "SET TRANSACTION answered"),
            ("answered locally: LOCK TABLE public.items IN ACCESS SHARE MODE", "LOCK TABLE"),
            ("answered locally: PREPARE dumpFunc", "PREPARE kept"),
            ("-> the PREPAREd statement dumpfunc with literal arguments", "EXECUTE rewritten")):
        tap.ok(needle.lower() in dbg.lower(), f"pg_dump: DSQL_AUTH_DEBUG shows {what}", dbg[-3000:])
    custom = os.path.join(work.path, "dump.custom")
    r = run([PG_DUMP, "-Fc", "-f", custom, src_ci], env)
    listing = run([PG_RESTORE, "-l", custom], clean_env()).stdout
    tap.ok(r.returncode == 0 and all(f"TABLE DATA public {t}" in listing for t in TABLES),
           "pg_dump -Fc: succeeds with the data of every table", r.stderr)
    ddir = os.path.join(work.path, "dump.dir")
    r = run([PG_DUMP, "-Fd", "-f", ddir, src_ci], env)
    listing = run([PG_RESTORE, "-l", ddir], clean_env()).stdout
    tap.ok(r.returncode == 0 and all(f"TABLE DATA public {t}" in listing for t in TABLES),
           "pg_dump -Fd: succeeds with the data of every table", r.stderr)
    r = run([PG_DUMP, "-Fd", "-j", "2", "-f", os.path.join(work.path, "par.dir"), src_ci], env)
    tap.ok(r.returncode != 0 and "pg_dump -j cannot give a consistent dump of Aurora DSQL" in r.stderr,
           "pg_dump -j: refused with a message saying why and what to do", r.stderr)
    r = run(PSQL + ["-c", "SELECT 1", src_ci], env)
    tap.ok(r.returncode == 0, "psql still works after the dumps")

    # ---- pg_restore into DSQL: custom format, schema and data, round trip
    before = digests(src)
    t0 = time.time()
    r = run([PG_RESTORE, "-d", dst_ci, custom], denv, timeout=120)
    restore_s = time.time() - t0
    dbg = r.stderr
    events = rule_events(s2)
    tap.ok(r.returncode == 0 and "error" not in dbg.lower().replace("errors", ""),
           "pg_restore -Fc into DSQL: succeeds", dbg[-3000:])
    tap.ok(not [e for e in events if e.get("event") == "dsql_rule"],
           "pg_restore: the stand-in refused nothing",
           [e for e in events if e.get("event") == "dsql_rule"])
    after = digests(dst)
    for table in TABLES:
        tap.ok(after[table] == before[table], f"round trip: table {table} equal ({before[table][:12]}...)",
               f"src {before[table]} dst {after[table]}")
    tap.ok(after["counter"] == before["counter"] and after["notes_id_seq"] == before["notes_id_seq"],
           "round trip: sequence and identity positions equal", f"{before} {after}")
    s_src, s_dst = backend_schema(src), backend_schema(dst)
    tap.ok(s_src == s_dst, "round trip: schema equal (pg_dump -s of both backends)",
           "\n".join(l for l in __import__("difflib").unified_diff(
               s_src.splitlines(), s_dst.splitlines(), lineterm=""))[:3000])
    tap.ok("with 2 key constraints inside" in dbg and "answered locally: ALTER TABLE ONLY public.items" in dbg,
           "pg_restore: PRIMARY KEY and UNIQUE created inside CREATE TABLE, later ALTERs answered", dbg[-2000:])
    jobs = [e["job_id"] for e in events if e.get("event") == "dsql_async_index"]
    waits = [e["job_id"] for e in events if e.get("event") == "dsql_wait_for_job"
             and e.get("status") == "completed"]
    tap.ok(len(jobs) == 2 and jobs == waits and "CREATE INDEX ASYNC items_price ON public.items (price)" in dbg,
           "pg_restore: both indexes created ASYNC without USING and waited for", events)
    m = re.search(r"COPY public\.big \(id, payload\) FROM stdin: (\d+) rows in (\d+) transactions", dbg)
    commits = [e for e in events if e.get("event") == "dsql_autocommit"]
    tap.ok(m and m.group(1) == "10000" and int(m.group(2)) >= 4
           and max(e["rows"] for e in commits) <= 3000,
           "pg_restore: the 10,000-row table loaded in transactions of at most 3,000 rows",
           dbg[-2000:])
    if m:
        total = sum(int(x) for x in re.findall(r"stdin: (\d+) rows", dbg))
        tap.diag(f"restore of {total} rows "
                 f"in {restore_s:.2f} s; big: {m.group(1)} rows in {m.group(2)} transactions; "
                 f"stand-in autocommit data transactions: {len(commits)}")

    # ---- control: the same restore without the layer hits the row limit
    reset_public(dst)
    s2.new_events()
    r = run([PG_RESTORE, "-d", dst_ci, custom], off, timeout=120)
    tap.ok(r.returncode != 0 and "transaction row limit exceeded" in r.stderr
           and dst.psql("SELECT count(*) FROM public.big").strip() == "0",
           "control: without the layer (DSQL_AUTH_COMPAT=off) the 10,000-row COPY fails with "
           "DSQL's row limit and loads nothing", r.stderr[-2000:])

    # ---- pg_restore -j from a directory dump
    reset_public(dst)
    s2.new_events()
    r = run([PG_RESTORE, "-j", "2", "-d", dst_ci, ddir], denv, timeout=120)
    after = digests(dst)
    tap.ok(r.returncode == 0 and all(after[t] == before[t] for t in TABLES)
           and "answered locally: TRUNCATE TABLE ONLY public.big" in r.stderr
           and not [e for e in rule_events(s2) if e.get("event") == "dsql_rule"],
           "pg_restore -j 2 -Fd: BEGIN/TRUNCATE answered, data equal", r.stderr[-2000:])

    reset_public(dst)
    r = run([PG_RESTORE, "-1", "-d", dst_ci, custom], env)
    tap.ok(r.returncode != 0 and "--single-transaction (-1) cannot work against Aurora DSQL" in r.stderr
           and user_tables(dst) == "",
           "pg_restore -1: refused before changing anything", r.stderr)

    # ---- a dump of ordinary PostgreSQL with objects DSQL cannot hold
    reset_public(dst)
    ordinary = os.path.join(work.path, "ordinary.custom")
    subprocess.run([PG_DUMP, "-Fc", "-f", ordinary, "-h", src.sockdir, "-p", str(src.port),
                    "-U", "postgres", "ordinary"], env=clean_env(), check=True)
    s2.new_events()
    r = run([PG_RESTORE, "-d", dst_ci, ordinary], env)
    rep = r.stderr
    tap.ok(r.returncode != 0 and "this archive has 4 objects that Aurora DSQL cannot hold" in rep
           and "ATTACH" not in rep
           and "EXTENSION pg_trgm: extension" in rep
           and "FUNCTION public.bump(): function in LANGUAGE plpgsql" in rep
           and "TRIGGER public.t t_bump: trigger" in rep
           and "TABLE public.m: partitioned table" in rep
           and "DSQL_AUTH_COMPAT=skip-unsupported" in rep,
           "unsupported objects: all listed in one report, with what to do", rep)
    tap.ok(user_tables(dst) == "" and not [e for e in s2.new_events()
                                           if e.get("event") in ("dsql_rule", "dsql_autocommit")],
           "unsupported objects: the restore stopped before changing anything", user_tables(dst))
    r = run([PG_RESTORE, "-d", dst_ci, ordinary], client_env(work, ca, DSQL_AUTH_COMPAT="skip-unsupported"))
    tap.ok(r.returncode == 0 and "skipping them" in r.stderr
           and dst.psql("SELECT count(*) FROM public.t").strip() == "50"
           and dst.psql("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal").strip() == "0"
           and dst.psql("SELECT count(*) FROM pg_proc WHERE proname = 'bump'").strip() == "0"
           and dst.psql("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'").strip() == "0",
           "DSQL_AUTH_COMPAT=skip-unsupported: the rest restored, the listed objects left out",
           r.stderr)
    tap.ok(dst.psql("SELECT count(*) FROM public.m2024").strip() == "100"
           and dst.psql("SELECT relkind FROM pg_class WHERE relname = 'm2024'").strip() == "r",
           "skip-unsupported: the partition's rows land in a plain table m2024")

    tap.diag(f"suite time {time.time() - started:.1f} s")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
