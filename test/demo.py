#!/usr/bin/python3
"""A local demo of dsql_auth: psql, pg_dump and pg_restore log in to an Aurora
DSQL stand-in (TLS, IAM token checked on every login) with no password given,
each connection getting a fresh token from the AWS credentials in the
environment.  No AWS account needed: the stand-in plays DSQL in front of a
throwaway local PostgreSQL, and the keys are AWS's documentation examples.
"""
import os
import shlex
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "e2e"))
from harness import (AKID, CLI, HOST1, PGBIN, SECRET, CA, Cluster, Standin,  # noqa: E402
                     Workdir, client_env)


def show(title, args, env, shown_env=(), expect_fail=False):
    print(f"\n=== {title}")
    prefix = " ".join(f"{k}={shlex.quote(env[k])}" for k in shown_env)
    print(f"$ {prefix + ' ' if prefix else ''}{' '.join(shlex.quote(a) for a in args)}")
    r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    out = (r.stdout + r.stderr).rstrip()
    if out:
        print(out)
    if r.returncode != 0:
        print(f"(exit status {r.returncode})")
        if not expect_fail:
            sys.exit(1)
    return r


def main():
    work = Workdir()
    ca = CA(work)
    src = Cluster(work, 55442)
    dst = Cluster(work, 55443)
    for c in (src, dst):
        c.psql("CREATE ROLE admin SUPERUSER LOGIN")
    src.psql("CREATE TABLE orders (id int PRIMARY KEY, customer text, total numeric);"
             "INSERT INTO orders SELECT g, 'customer ' || (g % 97), g * 3.25"
             " FROM generate_series(1, 5000) g; CREATE INDEX orders_customer ON orders (customer)")
    keys = {AKID: {"secret": SECRET, "session_token": None}}
    s_src = Standin(work, src, ca, keys, "cluster-a", extra=["--dsql-rules"])
    s_dst = Standin(work, dst, ca, keys, "cluster-b", extra=["--dsql-rules"])
    env = client_env(work, ca, preload=False)
    a = f"host={HOST1} hostaddr=127.0.0.1 port={s_src.port}"
    b = f"host={HOST1.replace('abcdef', 'fedcba')} hostaddr=127.0.0.1 port={s_dst.port}"

    print("Two local 'Aurora DSQL clusters' (a TLS stand-in in front of PostgreSQL 15),\n"
          "each verifying the SigV4 IAM token of every login and applying DSQL's\n"
          "statement rules. hostaddr= points the DSQL\n"
          "names at loopback. No password is given anywhere: AWS_ACCESS_KEY_ID and\n"
          "AWS_SECRET_ACCESS_KEY are in the environment.")
    show("what dsql_auth would do for this connection", [CLI, "check", a], env)
    show("psql through the library (DSQL_AUTH_DEBUG=1 shows each decision)",
         [CLI, f"{PGBIN}/psql", "-X", "-c", "select current_user, count(*) from orders", a],
         dict(env, DSQL_AUTH_DEBUG="1"), ["DSQL_AUTH_DEBUG"])
    dump = os.path.join(work.path, "orders.dump")
    show("pg_dump from cluster A", [CLI, f"{PGBIN}/pg_dump", "-Fc", "-f", dump, "-d", a], env)
    show("pg_restore into cluster B (DSQL_AUTH_DEBUG=1: what the dump/restore layer changes)",
         [CLI, f"{PGBIN}/pg_restore", "--no-owner", "-d", b, dump],
         dict(env, DSQL_AUTH_DEBUG="1"), ["DSQL_AUTH_DEBUG"])
    show("the data arrived", [CLI, f"{PGBIN}/psql", "-X", "-c",
                              "select count(*), sum(total) from orders", b], env)
    show("DSQL refuses what pg_restore would have sent as is (psql is never changed)",
         [CLI, f"{PGBIN}/psql", "-X", "-c", "CREATE INDEX x ON orders USING btree (total)", b],
         env, expect_fail=True)
    n = sum(1 for s in (s_src, s_dst) for e in s.events() if e.get("event") == "auth_ok")
    print(f"\nThe stand-ins verified {n} fresh IAM tokens (TLS, host, region, action, "
          "signature, expiry).\nDemo finished.")


if __name__ == "__main__":
    main()
