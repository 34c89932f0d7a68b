#!/usr/bin/python3
"""psql's automatic reconnect (PQreset) after a lost connection, once the
original token has expired, driven interactively through tmux.  Prints TAP.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (AKID, PGBIN, SECRET, CA, Cluster, Standin, Tap,  # noqa: E402
                     Workdir, client_env, conninfo)

SESSION = "dsql_auth_reset_test"


def tmux(*args):
    return subprocess.run(["tmux"] + list(args), capture_output=True, text=True)


def screen():
    return tmux("capture-pane", "-p", "-t", SESSION, "-S", "-200").stdout


def type_line(text):
    """Type text and Enter (text sent literally: tmux would take a trailing
    ';' as its own command separator)."""
    if text.endswith(";"):
        text = text[:-1] + "\\;"
    tmux("send-keys", "-t", SESSION, "-l", text)
    tmux("send-keys", "-t", SESSION, "Enter")


def wait_for(text, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        s = screen()
        if text in s:
            return True
        time.sleep(0.1)
    return False


def session(env, args):
    """Start psql in a detached tmux session with exactly this environment."""
    tmux("kill-session", "-t", SESSION)
    cmd = " ".join("'" + a.replace("'", "'\\''") + "'" for a in args)
    r = tmux("new-session", "-d", "-s", SESSION, "-x", "200", "-y", "50",
             "env -i " + " ".join(f"'{k}={v}'" for k, v in env.items()) + " " + cmd)
    return r.returncode == 0


def kill_backends(cluster, user):
    cluster.psql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                 f"WHERE usename = '{user}'")


def scenario(tap, cluster, standin, env, expect_success, label):
    psql = [f"{PGBIN}/psql", "-X", conninfo(standin, user="alice", dbname="postgres")]
    if not session(env, psql):
        tap.ok(False, f"{label}: tmux session started")
        return
    ok = wait_for("postgres=>")
    standin.new_events()
    kill_backends(cluster, "alice")
    time.sleep(3)                     # the first token (2 s) has expired
    type_line("select 'after' || 'reset';")
    wait_for("Attempting reset", 15)
    time.sleep(1.5)
    wait_for("afterreset", 5)
    s = screen()
    ev = [e for e in standin.new_events() if e.get("event") in ("auth_ok", "auth_fail")]
    if expect_success:
        tap.ok(ok and "Attempting reset: Succeeded." in s and
               any(e["event"] == "auth_ok" for e in ev),
               f"{label}: psql's automatic reset succeeds with a refreshed token", (s, ev))
        type_line("select 'again' || 'fine';")
        tap.ok(wait_for("againfine", 10), f"{label}: the reset session keeps working", screen())
    else:
        tap.ok(ok and "Attempting reset: Failed." in s and
               any(e["event"] == "auth_fail" and e.get("reason") == "expired" for e in ev),
               f"{label}: the stored token is refused as expired", (s, ev))
    tmux("kill-session", "-t", SESSION)


def main():
    tap = Tap()
    work = Workdir()
    ca = CA(work)
    cluster = Cluster(work, 55434)
    cluster.psql("CREATE ROLE alice LOGIN")
    standin = Standin(work, cluster, ca, {AKID: {"secret": SECRET, "session_token": None}})
    env = client_env(work, ca, DSQL_AUTH_EXPIRES_IN="2", TERM="xterm", PATH=os.environ["PATH"])
    scenario(tap, cluster, standin, env, True, "with the library")

    # control: the same without the library, the token given in PGPASSWORD
    tok = subprocess.run([os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "dsql-auth"), "token", "--host",
        conninfo(standin).split()[0][5:], "--user", "alice", "--expires-in", "2"],
        env=env, capture_output=True, text=True).stdout.strip()
    env2 = dict(env, PGPASSWORD=tok, PGSSLMODE="verify-full",
                PGSSLROOTCERT=ca.crt)
    del env2["LD_PRELOAD"]
    scenario(tap, cluster, standin, env2, False, "control without the library")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
