#!/usr/bin/python3
"""Secrets in memory and in messages (issue 4).  Prints TAP.

  * A real psql, through the client library, logs in to the DSQL stand-in
    with credentials from a profile file (secret key + session token) and
    stays connected.  Its whole memory (/proc/PID/maps + /proc/PID/mem) is
    then searched for the secret access key, the session token and the
    SigV4 signing key derived from the secret: none may be there.
    Controls in the same scan: a canary in psql's environment must be found,
    and with the secret in the environment (AWS_SECRET_ACCESS_KEY) the scan
    must find it — so an empty result means "wiped", not "scan broken".
  * With a cached source (credential_process), the process-wide cache must
    keep the keys to sign later connects: after two connects they must be
    in memory exactly once (the cache's copy), with no stray copies.
  * The secret, the session token (raw and URL-encoded) and the token's
    signature never appear on stderr (with DSQL_AUTH_DEBUG=1 too), in
    `dsql-auth check` output, in error messages (bad credentials file, server
    refusal), in the stand-in's event log or in PostgreSQL's server log.

What necessarily stays in memory: the token (libpq keeps the password of a
live connection for PQreset), and with it the URL-encoded session token
(X-Amz-Security-Token is part of every token signed with session
credentials).  The session token used here contains "/", "+" and "=", so
its raw form differs from the encoded one, as real session tokens do.

Standard library only; needs root (or ptrace rights over the child) to
read /proc/PID/mem.
"""
import datetime
import hashlib
import hmac
import os
import re
import select
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (HOST1, PGBIN, REGION, CA, Cluster, Standin, Tap,  # noqa: E402
                     Workdir, client_env, conninfo, run)

AKID = "ASIASECRETSTESTKEY01"
SECRET = "zQ9/secretCANARY+4f2Xk7LmN0pR8sT1uV3wY5a"       # 40 chars, like AWS
SESSION_TOKEN = ("IQoJb3JpZ2luX2VjEsessionCANARY/" + "Zm9v+YmFy/YmF6=" * 120)[:1800] + "=="
ENV_CANARY = "dsqlAuthEnvCanary-7f3a9c2e51"


def memory_hits(pid, needles):
    """Count occurrences of each needle (bytes) in the readable memory of pid."""
    hits = {n: 0 for n in needles}
    regions = 0
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            f = line.split()
            if "r" not in f[1] or (len(f) > 5 and f[5] in ("[vvar]", "[vsyscall]", "[vvar_vclock]")):
                continue
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except (OSError, ValueError, OverflowError):
                continue
            regions += 1
            for n in needles:
                hits[n] += data.count(n)
    return hits, regions


def signing_keys(secret, days, service="dsql"):
    """The SigV4 signing keys derived from secret for the given dates."""
    out = []
    for d in days:
        k = hmac.new(("AWS4" + secret).encode(), d.encode(), hashlib.sha256).digest()
        for part in (REGION, service, "aws4_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        out.append(k)
    return out


def connected_psql(env, ci):
    """psql reading SQL from a pipe, connected; returns the process or an
    error string."""
    p = subprocess.Popen([f"{PGBIN}/psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", ci],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)
    p.stdin.write(b"select 'ready-' || current_user;\n")
    p.stdin.flush()
    end = time.time() + 20
    buf = b""
    while time.time() < end and b"ready-" not in buf:
        r, _, _ = select.select([p.stdout], [], [], 0.5)
        if r:
            chunk = os.read(p.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
    if b"ready-" not in buf:
        p.kill()
        out, err = p.communicate()
        return None, (buf + out + err).decode(errors="replace")
    return p, buf.decode()


def finish(p):
    try:
        out, err = p.communicate(b"\\q\n", timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    return err.decode(errors="replace")


def leaks(text, extra=()):
    """Which secret forms appear in text."""
    forms = {"secret key": SECRET,
             "session token": SESSION_TOKEN,
             "session token (start)": SESSION_TOKEN[:24],
             "session token (URL-encoded)": urllib.parse.quote(SESSION_TOKEN, safe="")[:48],
             "token signature": "X-Amz-Signature="}
    for i, e in enumerate(extra):
        forms[f"extra {i}"] = e
    return [k for k, v in forms.items() if v and v in text]


def main():
    tap = Tap()
    work = Workdir()
    ca = CA(work)
    cluster = Cluster(work, 55452)
    cluster.psql("ALTER SYSTEM SET log_connections = on")
    cluster.psql("ALTER SYSTEM SET log_min_messages = debug1")
    cluster.psql("SELECT pg_reload_conf()")
    cluster.psql("CREATE ROLE alice LOGIN")
    keys = {AKID: {"secret": SECRET, "session_token": SESSION_TOKEN}}
    s = Standin(work, cluster, ca, keys, "secrets")

    creds = work.file("credentials",
                      f"[default]\naws_access_key_id = {AKID}\n"
                      f"aws_secret_access_key = {SECRET}\n"
                      f"aws_session_token = {SESSION_TOKEN}\n")
    # profile-file credentials only: nothing secret in the environment
    fenv = client_env(work, ca, AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None,
                      AWS_SHARED_CREDENTIALS_FILE=creds,
                      AWS_CONFIG_FILE=work.file("config", "[default]\n"),
                      DSQL_AUTH_CANARY=ENV_CANARY)
    fenv = {k: v for k, v in fenv.items() if v is not None}
    ci = conninfo(s, user="alice")
    today = datetime.datetime.now(datetime.timezone.utc)
    days = sorted({(today + datetime.timedelta(days=d)).strftime("%Y%m%d") for d in (-1, 0, 1)})
    kdates = signing_keys(SECRET, days)

    # --- memory of a connected psql, credentials from a file
    p, out = connected_psql(fenv, ci)
    tap.ok(p is not None and "ready-alice" in out,
           "psql logged in through the library with profile-file session credentials", out)
    if p is not None:
        needles = [SECRET.encode(), SESSION_TOKEN.encode(), ENV_CANARY.encode(),
                   AKID.encode()] + kdates
        hits, regions = memory_hits(p.pid, needles)
        err = finish(p)
        tap.diag(f"scanned {regions} memory regions of psql (pid {p.pid})")
        tap.ok(hits[ENV_CANARY.encode()] >= 1 and hits[AKID.encode()] >= 1,
               "control: the scan finds a canary from the environment and the access key "
               "id (public, inside the kept token)", hits)
        tap.ok(hits[SECRET.encode()] == 0,
               "the secret access key is not in psql's memory after the connect",
               f"{hits[SECRET.encode()]} copies")
        tap.ok(hits[SESSION_TOKEN.encode()] == 0,
               "the raw session token is not in psql's memory after the connect",
               f"{hits[SESSION_TOKEN.encode()]} copies")
        tap.ok(sum(hits[k] for k in kdates) == 0,
               "no SigV4 signing key derived from the secret is in psql's memory",
               f"{sum(hits[k] for k in kdates)} copies")
        tap.ok(not leaks(err), "psql's stderr holds no secret", leaks(err))
    else:
        for _ in range(5):
            tap.ok(False, "memory checks need a connected psql")

    # --- a cached source (credential_process): the process-wide cache must
    # keep the keys to sign later connects, so exactly one copy is expected
    # (the cache's), and no stray ones (pipe buffers, parsed JSON, copies).
    helper = work.file("helper.sh", "#!/bin/sh\nprintf '%s' '" +
                       '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", '
                       '"SessionToken": "%s", "Expiration": "2099-01-01T00:00:00Z"}'
                       % (AKID, SECRET, SESSION_TOKEN) + "'\n", 0o755)
    penv = dict(fenv, AWS_CONFIG_FILE=work.file("config_proc",
                                                f"[default]\ncredential_process = {helper}\n"))
    penv.pop("AWS_SHARED_CREDENTIALS_FILE")
    p, out = connected_psql(penv, ci)
    if p is not None:
        p.stdin.write(b"\\c\nselect 'again-' || current_user;\n")
        p.stdin.flush()
        time.sleep(1.0)
        hits, _ = memory_hits(p.pid, [SECRET.encode(), SESSION_TOKEN.encode(), ENV_CANARY.encode()]
                              + kdates)
        err = finish(p)
        tap.ok(hits[SECRET.encode()] == 1 and hits[SESSION_TOKEN.encode()] == 1
               and sum(hits[k] for k in kdates) == 0 and hits[ENV_CANARY.encode()] >= 1,
               "cached credential_process credentials: after two connects the secret and "
               "session token are in memory exactly once (the cache), no signing key",
               f"secret {hits[SECRET.encode()]}, session token "
               f"{hits[SESSION_TOKEN.encode()]}, signing keys {sum(hits[k] for k in kdates)}, "
               f"canary {hits[ENV_CANARY.encode()]}; {err[-500:]}")
    else:
        tap.ok(False, "psql with credential_process credentials connects", out)

    # --- control: the same scan finds the secret when it is in the environment
    eenv = dict(fenv, AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET,
                AWS_SESSION_TOKEN=SESSION_TOKEN)
    eenv.pop("AWS_SHARED_CREDENTIALS_FILE")
    p, out = connected_psql(eenv, ci)
    if p is not None:
        hits, _ = memory_hits(p.pid, [SECRET.encode(), SESSION_TOKEN.encode()])
        finish(p)
        tap.ok(hits[SECRET.encode()] >= 1 and hits[SESSION_TOKEN.encode()] >= 1,
               "control: with the secret in the environment the scan finds it "
               "(the environment block is the caller's, not ours to wipe)", hits)
    else:
        tap.ok(False, "control run: psql with environment credentials connects", out)

    # --- messages: debug output, check, errors
    r = run([f"{PGBIN}/psql", "-X", "-At", "-c", "select 1", ci], dict(fenv, DSQL_AUTH_DEBUG="1"))
    tap.ok(r.returncode == 0 and "dsql_auth" in r.stderr and not leaks(r.stderr + r.stdout),
           "DSQL_AUTH_DEBUG=1 output names decisions, holds no secret",
           (r.returncode, leaks(r.stderr + r.stdout), r.stderr[-2000:]))
    for label, env in (("profile file", fenv), ("environment", eenv)):
        r = run([harness.CLI, "check", ci], env)
        tap.ok(r.returncode == 0 and "credentials" in r.stdout
               and not leaks(r.stdout + r.stderr),
               f"dsql-auth check ({label} credentials) prints no secret",
               (r.returncode, leaks(r.stdout + r.stderr), r.stdout + r.stderr))

    # a syntax error on the very line that holds the secret
    bad = work.file("bad_credentials",
                    f"[default]\naws_access_key_id = {AKID}\n"
                    f"aws_secret_access_key {SECRET}\n"
                    f"  aws_session_token = {SESSION_TOKEN}\n[broken\n")
    r = run([harness.CLI, "token", "--host", HOST1], dict(fenv, AWS_SHARED_CREDENTIALS_FILE=bad))
    r2 = run([f"{PGBIN}/psql", "-X", "-At", "-c", "select 1", ci],
             dict(fenv, AWS_SHARED_CREDENTIALS_FILE=bad))
    tap.ok(r.returncode != 0 and r2.returncode != 0 and "bad_credentials" in r.stderr + r2.stderr
           and not leaks(r.stderr + r2.stderr + r.stdout),
           "a credentials file error names the file, never the secret on the bad line",
           (r.returncode, r2.returncode, leaks(r.stderr + r2.stderr), r.stderr, r2.stderr))

    # the server refuses the token (wrong secret): no secret in the refusal
    wrong = work.file("wrong_credentials",
                      f"[default]\naws_access_key_id = {AKID}\n"
                      f"aws_secret_access_key = {SECRET[::-1]}\n"
                      f"aws_session_token = {SESSION_TOKEN}\n")
    r = run([f"{PGBIN}/psql", "-X", "-At", "-c", "select 1", ci],
            dict(fenv, AWS_SHARED_CREDENTIALS_FILE=wrong))
    tap.ok(r.returncode != 0 and "FATAL" in r.stderr
           and not leaks(r.stderr, (SECRET[::-1],)),
           "a refused login's message holds no secret", (r.returncode, r.stderr))

    # --- logs: the stand-in's event log and stderr, PostgreSQL's server log
    time.sleep(0.3)
    logs = {"stand-in event log": s.log, "stand-in stderr": s.log + ".stderr",
            "PostgreSQL server log": os.path.join(cluster.dir, "log")}
    for name, path in logs.items():
        with open(path, errors="replace") as f:
            text = f.read()
        tap.ok((len(text) > 0 or name == "stand-in stderr") and not leaks(text, (SECRET[::-1],)),
               f"{name} ({len(text)} bytes) holds no secret, session token or signature",
               leaks(text, (SECRET[::-1],)))
    with open(s.log) as f:
        ev = f.read()
    tap.ok(ev.count('"auth_ok"') >= 3 and '"auth_fail"' in ev,
           "control: the stand-in log recorded the logins and the refusal checked above",
           re.findall(r'"event": "[a-z_]+"', ev)[-10:])
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
