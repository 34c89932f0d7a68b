#!/usr/bin/python3
"""End-to-end tests of the client library and the dsql-auth command with the
real PostgreSQL 15 programs, through the DSQL stand-in (TLS, cleartext
password, token checked by an independent verifier).  Prints TAP.
"""
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "standin"))
from harness import (AKID, CLI, HOST1, HOST2, PGBIN, SECRET, CA, Cluster,  # noqa: E402
                     Standin, Tap, Workdir, client_env, conninfo, run)
import verify_token  # noqa: E402

PSQL = [f"{PGBIN}/psql", "-X", "-At", "-v", "ON_ERROR_STOP=1"]
SESSION_AKID = "ASIAQEXAMPLESESSION1"
SESSION_SECRET = "se/cret+with=chars0123456789abcdefghijklm"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjE" + "Zm9vYmFy/+=" * 180   # ~2 KB


def auth_events(standin, kind="auth_ok"):
    return [e for e in standin.new_events() if e.get("event") == kind]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def setup_cluster(c, with_data):
    c.psql("CREATE ROLE admin SUPERUSER LOGIN; CREATE ROLE alice LOGIN;")
    if with_data:
        c.psql("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric);"
               "INSERT INTO items SELECT g, 'item ' || g, g * 1.5 FROM generate_series(1, 5000) g;"
               "CREATE TABLE notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
               " body text); INSERT INTO notes (body) SELECT md5(g::text) FROM"
               " generate_series(1, 2000) g; CREATE INDEX items_name ON items (name);"
               "CREATE VIEW cheap AS SELECT * FROM items WHERE price < 10;"
               "GRANT SELECT ON items TO alice;")


def table_digest(c):
    return c.psql("SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM items t;"
                  "SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM notes t;"
                  "SELECT count(*) FROM pg_indexes WHERE indexname = 'items_name';"
                  "SELECT count(*) FROM pg_views WHERE viewname = 'cheap';")


def main():
    tap = Tap()
    work = Workdir()
    ca = CA(work)
    src = Cluster(work, 55432)
    dst = Cluster(work, 55433)
    setup_cluster(src, True)
    setup_cluster(dst, False)
    keys = {AKID: {"secret": SECRET, "session_token": None},
            SESSION_AKID: {"secret": SESSION_SECRET, "session_token": SESSION_TOKEN}}
    s1 = Standin(work, src, ca, keys, "src")
    s2 = Standin(work, dst, ca, keys, "dst")
    env = client_env(work, ca)

    # --- psql, the basics
    r = run(PSQL + ["-c", "select current_user, current_database()", conninfo(s1)], env)
    ev = auth_events(s1)
    tap.ok(r.returncode == 0 and r.stdout.strip() == "admin|postgres",
           "psql: user and database default to admin/postgres for a DSQL host", r.stderr)
    tap.ok(len(ev) == 1 and ev[0].get("action") == "DbConnectAdmin",
           "psql: stand-in verified a DbConnectAdmin token", ev)

    r = run(PSQL + ["-c", "select current_user", conninfo(s1, user="alice")], env)
    ev = auth_events(s1)
    tap.ok(r.returncode == 0 and r.stdout.strip() == "alice" and len(ev) == 1
           and ev[0].get("action") == "DbConnect",
           "psql: a non-admin user gets a DbConnect token", (r.stderr, ev))

    uri = f"postgresql://alice@{HOST1}:{s1.port}/postgres?hostaddr=127.0.0.1"
    r = run(PSQL + ["-c", "select current_user", uri], env)
    tap.ok(r.returncode == 0 and r.stdout.strip() == "alice", "psql: a URI", r.stderr)

    svc = work.file("pg_service.conf",
                    f"# test services\n[dsql]\nhost={HOST1}\nhostaddr=127.0.0.1\n"
                    f"port={s1.port}\nuser=alice\n", 0o644)
    r = run(PSQL + ["-c", "select current_user", "service=dsql"],
            dict(env, PGSERVICEFILE=svc))
    tap.ok(r.returncode == 0 and r.stdout.strip() == "alice",
           "psql: service=dsql from a service file", r.stderr)
    r = run(PSQL + ["-c", "select current_user"], dict(env, PGSERVICEFILE=svc, PGSERVICE="dsql"))
    tap.ok(r.returncode == 0 and r.stdout.strip() == "alice", "psql: PGSERVICE", r.stderr)

    r = run(PSQL + ["-c", "select 1"], dict(env, PGHOST=HOST1, PGHOSTADDR="127.0.0.1",
                                             PGPORT=str(s1.port)))
    tap.ok(r.returncode == 0, "psql: PGHOST/PGPORT environment", r.stderr)
    auth_events(s1)

    # --- ~/.pgpass does not override the fresh token
    pgpass = os.path.join(env["HOME"], ".pgpass")
    with open(pgpass, "w") as f:
        f.write(f"{HOST1}:*:*:*:not-a-token\n*:*:*:*:also-wrong\n")
    os.chmod(pgpass, 0o600)
    r = run(PSQL + ["-c", "select 1", conninfo(s1)], env)
    r2 = run(PSQL + ["-c", "select 1", f"host={HOST2},{HOST1} hostaddr=127.0.0.1,127.0.0.1 "
                                        f"port={s1.port},{s1.port}"], env)
    os.unlink(pgpass)
    ev = [e.get("event") for e in s1.new_events() if e.get("event", "").startswith("auth")]
    tap.ok(r.returncode == 0 and r2.returncode == 0 and ev == ["auth_ok", "auth_ok"],
           ".pgpass entries do not override the fresh token (one and several hosts)",
           (r.stderr, r2.stderr, ev))

    # --- the library's shape: no libpq dependency, only libpq's names exported
    lib = os.path.join(os.path.dirname(CLI), "dsql_auth_preload.so")
    needed = subprocess.run(["readelf", "-d", lib], capture_output=True, text=True).stdout
    syms = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True,
                          text=True).stdout.split()
    exported = [x for x in syms[2::3]]
    tap.ok("libpq" not in needed and exported and all(x.startswith("PQ") for x in exported),
           "preload library: libpq is not a dependency, only PQ* entry points are exported",
           (needed, exported))

    # --- harmless in processes without libpq, and through Debian's wrapper
    r = run(["/bin/sh", "-c", "echo shell-ok; perl -e 'print qq(perl-ok\\n)'"], env)
    tap.ok(r.returncode == 0 and r.stdout.split() == ["shell-ok", "perl-ok"] and not r.stderr,
           "a shell and perl (no libpq) run unaffected with the library preloaded", r.stderr)
    r = run(["/usr/bin/psql", "-X", "-At", "-c", "select 'wrapper-ok'", conninfo(s1)], env)
    tap.ok(r.returncode == 0 and r.stdout.strip() == "wrapper-ok",
           "Debian's Perl psql wrapper (/usr/bin/psql) with the library preloaded", r.stderr)
    auth_events(s1, None)

    # --- the command: a token checked by the independent verifier
    r = run([CLI, "token", "--host", HOST1, "--user", "alice"], env)
    tok = r.stdout.strip()
    ok, why, _ = verify_token.verify(tok, expected_host=HOST1, user="alice", keys=keys,
                                     now=time.time())
    tap.ok(r.returncode == 0 and ok, "dsql-auth token: verified independently", (r.stderr, why))

    # --- stale passwords: an expired token in PGPASSWORD is replaced
    r = run([CLI, "token", "--host", HOST1, "--expires-in", "1"], env)
    old = r.stdout.strip()
    time.sleep(2.2)
    r = run(PSQL + ["-c", "select 1", conninfo(s1)], dict(env, PGPASSWORD=old))
    tap.ok(r.returncode == 0, "stale PGPASSWORD token is replaced by a fresh one", r.stderr)
    r = run(PSQL + ["-c", "select 1", conninfo(s1, sslmode="verify-full", sslrootcert=ca.crt,
                                               user="admin", dbname="postgres")],
            dict(env, PGPASSWORD=old, LD_PRELOAD=None))
    ev = auth_events(s1, "auth_fail")
    tap.ok(r.returncode != 0 and any(e.get("reason") == "expired" for e in ev),
           "control: without the library the same stale token is refused as expired",
           (r.stderr, ev))
    r = run(PSQL + ["-c", "select 1", conninfo(s1, password="not-a-token")], env)
    ev = auth_events(s1, "auth_fail")
    tap.ok(r.returncode != 0 and len(ev) == 1,
           "an explicit password that is not a token is respected (and fails here)", ev)

    # --- \c after the first token expired (psql re-sends the old password)
    script = "select 1;\n\\! sleep 3\n\\c\nselect 'reconnected', current_user;\n"
    r = run(PSQL + ["-f", "-", conninfo(s1, user="alice")],
            dict(env, DSQL_AUTH_EXPIRES_IN="2"), input=script)
    ev = auth_events(s1)
    tap.ok(r.returncode == 0 and "reconnected|alice" in r.stdout and len(ev) == 2,
           "psql \\c after the token expired gets a fresh token", (r.stdout, r.stderr, ev))
    tok0 = run([CLI, "token", "--host", HOST1, "--user", "alice", "--expires-in", "2"],
               env).stdout.strip()
    r = run(PSQL + ["-f", "-", conninfo(s1, user="alice", dbname="postgres")],
            dict(env, LD_PRELOAD=None, PGPASSWORD=tok0, PGSSLMODE="verify-full",
                 PGSSLROOTCERT=ca.crt), input=script)
    ev = [e for e in s1.new_events() if e.get("event") in ("auth_ok", "auth_fail")]
    tap.ok(r.returncode != 0 and r.stdout.startswith("1") and "reconnected" not in r.stdout
           and [e["event"] for e in ev] == ["auth_ok", "auth_fail"]
           and ev[1].get("reason") == "expired",
           "control: without the library \\c fails once the token expired", (r.stderr, ev))

    # --- session credentials (2 KB session token, signed)
    senv = dict(env, AWS_ACCESS_KEY_ID=SESSION_AKID, AWS_SECRET_ACCESS_KEY=SESSION_SECRET,
                AWS_SESSION_TOKEN=SESSION_TOKEN)
    r = run(PSQL + ["-c", "select 1", conninfo(s1)], senv)
    tap.ok(r.returncode == 0, "session credentials with a 2 KB session token", r.stderr)

    # --- pg_dump -Fd -j2, pg_restore -j2 into another cluster, data compared.
    # This is about the login of -j workers (they re-send the leader's saved
    # password); the stand-ins here relay to plain PostgreSQL, so DSQL's
    # statement compatibility layer is off (test_dumprestore.py covers it).
    dumpdir = os.path.join(work.path, "dump")
    auth_events(s1, None)
    denv = dict(env, DSQL_AUTH_COMPAT="off")
    r = run([f"{PGBIN}/pg_dump", "-Fd", "-j2", "-f", dumpdir, "-d", conninfo(s1)], denv,
            timeout=120)
    n_dump = len([e for e in s1.new_events() if e.get("event") == "auth_ok"])
    tap.ok(r.returncode == 0 and n_dump >= 3,
           f"pg_dump -Fd -j2: leader and workers logged in ({n_dump} tokens)", r.stderr)
    r = run([f"{PGBIN}/pg_restore", "-j2", "-d", conninfo(s2), dumpdir], denv, timeout=120)
    n_rest = len(auth_events(s2))
    tap.ok(r.returncode == 0 and n_rest >= 3,
           f"pg_restore -j2: leader and workers logged in ({n_rest} tokens)", r.stderr)
    try:
        a, b = table_digest(src), table_digest(dst)
    except Exception as exc:          # a failed restore leaves no tables
        a, b = table_digest(src), repr(exc)
    tap.ok(a == b and a.count("\n") == 4, "restored data, index and view equal the source",
           (a, b))

    # --- pg_dumpall: runs pg_dump per database; children get tokens too
    r = run([f"{PGBIN}/pg_dumpall", "--exclude-database=template*", "-d", conninfo(s1)],
            denv, timeout=120)
    tap.ok(r.returncode == 0 and "CREATE TABLE public.items" in r.stdout,
           "pg_dumpall (and the pg_dump it runs)", r.stderr)

    # --- pgbench: a new connection per transaction, from two threads
    r = run([f"{PGBIN}/pgbench", "-i", "-s", "1", "-q", conninfo(s1)], env, timeout=120)
    tap.ok(r.returncode == 0, "pgbench -i", r.stderr)
    auth_events(s1, None)
    r = run([f"{PGBIN}/pgbench", "-C", "-j2", "-c4", "-t", "15", "-S", "-n", conninfo(s1)],
            env, timeout=120)
    n = len([e for e in s1.new_events() if e.get("event") == "auth_ok"])
    tap.ok(r.returncode == 0 and n >= 60, f"pgbench -C -j2 -c4: {n} connections, each with "
           "a verified token", r.stderr[-2000:])

    # --- PQsetdbLogin (older programs)
    setdb = os.path.join(work.path, "setdb")
    subprocess.run(["cc", "-o", setdb, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                    "setdb.c"),
                    "-I/usr/include/postgresql", "-lpq"], check=True)
    r = run([setdb, HOST1, str(s1.port), "", "alice"], dict(env, PGHOSTADDR="127.0.0.1"))
    tap.ok(r.returncode == 0 and r.stdout.strip() == "alice",
           "PQsetdbLogin: a DSQL host gets a token (database defaults to postgres)", r.stderr)

    # --- pg_isready
    r = run([f"{PGBIN}/pg_isready", "-d", conninfo(s1)], env)
    tap.ok(r.returncode == 0, "pg_isready", r.stdout + r.stderr)

    # --- psycopg2 (Debian's: libpq dlopen'ed with local scope)
    code = ("import psycopg2, psycopg2.extensions as e, select, sys\n"
            "c = psycopg2.connect(sys.argv[1]); cur = c.cursor()\n"
            "cur.execute('select current_user'); print(cur.fetchone()[0])\n"
            "a = psycopg2.connect(sys.argv[1], async_=1)\n"
            "while True:\n"
            "    s = a.poll()\n"
            "    if s == e.POLL_OK: break\n"
            "    select.select([a.fileno()] if s == e.POLL_READ else [],"
            " [a.fileno()] if s == e.POLL_WRITE else [], [], 10)\n"
            "print('async ok')\n"
            "k = psycopg2.connect(host=sys.argv[2], hostaddr='127.0.0.1', port=sys.argv[3],"
            " user='alice'); k.cursor().execute('select 1'); print('kwargs ok')\n")
    r = run(["/usr/bin/python3", "-c", code, conninfo(s1), HOST1, str(s1.port)], env)
    tap.ok(r.returncode == 0 and r.stdout.split() == ["admin", "async", "ok", "kwargs", "ok"],
           "psycopg2: connect, async connect, keyword arguments", r.stdout + r.stderr)

    # --- two hosts, the first one down: a token per host, signed for it
    auth_events(s1, None)
    dead = free_port()
    multi = (f"host={HOST2},{HOST1} hostaddr=127.0.0.1,127.0.0.1 "
             f"port={dead},{s1.port}")
    r = run(PSQL + ["-c", "select 1", multi], dict(env, DSQL_AUTH_DEBUG="1"))
    ev = auth_events(s1)
    tap.ok(r.returncode == 0 and len(ev) == 1 and ev[0].get("sni") == HOST1,
           "two hosts, first down: second host gets a token signed for itself",
           (r.stderr, ev))
    tap.ok(f"host={HOST2}" in r.stderr and "region=us-east-2" in r.stderr,
           "two hosts: the first host's token is signed for its own region", r.stderr)

    # --- failures
    t0 = time.time()
    r = run(PSQL + ["-c", "select 1", conninfo(s1)],
            dict(env, AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None))
    took = time.time() - t0
    ev = s1.new_events()
    tap.ok(r.returncode == 2 and "dsql_auth: no AWS credentials found" in r.stderr
           and "Password" not in r.stderr and not ev,
           "no credentials: one clear error, no prompt, nothing sent", (r.stderr, ev))
    tap.diag(f"no-credentials failure took {took:.2f} s")

    r = run(PSQL + ["-c", "select 1", conninfo(s1)],
            dict(env, AWS_SECRET_ACCESS_KEY="wrong" + SECRET[5:]))
    ev = auth_events(s1, "auth_fail")
    tap.ok(r.returncode == 2 and "password authentication failed" in r.stderr
           and len(ev) == 1 and ev[0].get("reason") == "bad signature",
           "wrong secret: refused by the server's signature check", (r.stderr, ev))

    s3 = Standin(work, src, ca, keys, "notls", extra=["--refuse-tls"])
    r = run(PSQL + ["-c", "select 1", conninfo(s3)], env)
    ev = s3.events()
    tap.ok(r.returncode == 2 and not any(e.get("event") == "plaintext_password" for e in ev)
           and not any(e.get("event") == "auth_ok" for e in ev),
           "a server that refuses TLS never receives the token", (r.stderr, ev))
    r = run(PSQL + ["-c", "select 1", conninfo(s3, sslmode="prefer")], env)
    ev = s3.events()
    tap.ok(r.returncode == 2 and not any(e.get("event") == "plaintext_password" for e in ev),
           "sslmode=prefer is raised to verify-full: still no plaintext token", (r.stderr, ev))
    s3.stop()

    r = run(PSQL + ["-c", "select 1", conninfo(s1, sslmode="disable")], env)
    ev = s1.new_events()
    tap.ok(r.returncode == 2 and "sslmode=disable" in r.stderr and "refused" in r.stderr
           and not ev, "sslmode=disable is refused before connecting", (r.stderr, ev))

    r = run(PSQL + ["-c", "select 1", conninfo(s1)], dict(env, DSQL_AUTH_EXPIRES_IN="15m"))
    tap.ok(r.returncode == 2 and "DSQL_AUTH_EXPIRES_IN" in r.stderr,
           "an invalid DSQL_AUTH_EXPIRES_IN is named in the error", r.stderr)

    r = run(PSQL + ["-c", "select 1", conninfo(s1, sslmode="verify-full")],
            dict(env, SSL_CERT_FILE="/etc/ssl/certs/ca-certificates.crt"))
    tap.ok(r.returncode == 2 and "certificate verify failed" in r.stderr,
           "the server certificate is verified against the system CA bundle", r.stderr)

    # --- other connections are untouched
    s1.new_events()
    r = run(PSQL + ["-h", src.sockdir, "-p", str(src.port), "-U", "postgres", "-c",
                    "select current_user"], env)
    tap.ok(r.returncode == 0 and r.stdout.strip() == "postgres" and not s1.new_events(),
           "a non-DSQL connection passes through untouched", r.stderr)

    # --- debug output: decisions, never secrets
    r = run(PSQL + ["-c", "select 1", conninfo(s1)], dict(senv, DSQL_AUTH_DEBUG="1"))
    tap.ok(r.returncode == 0 and "region=us-east-1 (host name)" in r.stderr
           and "action=DbConnectAdmin" in r.stderr and "sslmode=verify-full" in r.stderr,
           "DSQL_AUTH_DEBUG=1 shows the decisions", r.stderr)
    leaked = [s for s in (SESSION_SECRET, SESSION_TOKEN[:40], "X-Amz-Signature", SESSION_AKID)
              if s in r.stderr + r.stdout]
    tap.ok(not leaked, "debug output holds no secret, session token, signature or full key id",
           leaked)

    # --- DSQL_AUTH_HOSTS: a custom DNS name
    r = run(PSQL + ["-c", "select 1", conninfo(s1, host="localhost")],
            dict(env, DSQL_AUTH_HOSTS="db.example.com, local*", AWS_REGION="us-east-1"))
    ev = s1.new_events()
    tap.ok(any(e.get("event") in ("auth_ok", "auth_fail") for e in ev),
           "DSQL_AUTH_HOSTS: a matching custom name gets a token", (r.stderr, ev))

    # --- the command
    r = run([CLI, "psql"] + PSQL[1:] + ["-c", "select current_user", conninfo(s1)],
            dict(env, LD_PRELOAD=None))
    tap.ok(r.returncode == 0 and r.stdout.strip() == "admin",
           "dsql-auth PROGRAM preloads the library", r.stderr)
    r = run([CLI, "--", f"{PGBIN}/psql"] + PSQL[1:] + ["-c", "select 1", conninfo(s1)],
            dict(env, LD_PRELOAD="/lib/x86_64-linux-gnu/libc.so.6"))
    tap.ok(r.returncode == 0 and r.stdout.strip() == "1",
           "dsql-auth -- PROGRAM, with another library already in LD_PRELOAD", r.stderr)
    r = run([CLI, "check", conninfo(s1, user="alice")], env)
    tap.ok(r.returncode == 0 and re.search(r"applies +yes", r.stdout)
           and "region     us-east-1 (from host name)" in r.stdout
           and "DbConnect" in r.stdout and SECRET not in r.stdout,
           "dsql-auth check explains a DSQL connection", r.stdout + r.stderr)
    r = run([CLI, "check", "host=localhost"], env)
    tap.ok(r.returncode == 0 and re.search(r"applies +no", r.stdout),
           "dsql-auth check: a non-DSQL host does not apply", r.stdout + r.stderr)
    r = run([CLI, "token"], env)
    tap.ok(r.returncode == 2 and "--host" in r.stderr, "dsql-auth token without --host: usage, exit 2",
           r.stderr)
    r = run([CLI, "no-such-program-xyz"], env)
    tap.ok(r.returncode == 127 and "cannot run" in r.stderr, "dsql-auth with a missing program: 127",
           r.stderr)
    r = run([CLI, "token", "--host", HOST1], dict(env, AWS_ACCESS_KEY_ID=None,
                                                   AWS_SECRET_ACCESS_KEY=None))
    tap.ok(r.returncode == 1 and "no AWS credentials found" in r.stderr and not r.stdout,
           "dsql-auth token without credentials: exit 1, clear message", r.stderr)

    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
