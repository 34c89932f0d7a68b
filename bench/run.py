#!/usr/bin/python3
"""dsql_auth benchmarks (make bench).  Prints tables of numbers; never
passes or fails on a timing.

  1. token generation in process: our signer vs the floor (the SHA-256 and
     HMAC calls a presign needs, same run) vs botocore in process;
  2. one-shot command: `dsql-auth token` vs a boto3 one-liner and
     `aws rds generate-db-auth-token` (hyperfine);
  3. connect path: `pgbench -C` through the library vs a static password
     without it, against the same PostgreSQL over TLS; psql start-up;
  4. connects per second per credential source (cache proof);
  5. footprint: RSS and load time the library adds.

Comparison tools that are missing (hyperfine, a python3 with botocore/boto3,
the aws CLI) turn their rows into "n/a" with the reason.  Usage:
    bench/run.py [--quick] [--only 1,2,...] [--markdown FILE]
BENCH_PYTHON: the python3 with botocore (default: the first python3 on PATH
that has it, e.g. pyenv's).
"""
import argparse
import http.server
import json
import os
import platform
import resource
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "test", "e2e"))
from harness import (AKID, HOST1, PGBIN, PRELOAD, SECRET, CA, Cluster,  # noqa: E402
                     Workdir, clean_env, run_as_postgres)

CLI = os.path.join(ROOT, "dsql-auth")
SIGN_BENCH = os.path.join(ROOT, "build-bench", "sign_bench")
PAM_SERVICE = "dsql_auth_bench"
PAM_FILE = f"/etc/pam.d/{PAM_SERVICE}"
ROWS = []          # (section, what, value, unit, note)


def row(section, what, value, unit="", note=""):
    ROWS.append((section, what, value, unit, note))
    v = value if isinstance(value, str) else f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
    print(f"  {what:<58} {v:>12} {unit:<8} {note}", flush=True)


def sh(args, env=None, **kw):
    return subprocess.run(args, env=env, capture_output=True, text=True, **kw)


def find_botocore_python():
    cands = [os.environ.get("BENCH_PYTHON"), os.path.expanduser("~/.pyenv/shims/python3"),
             shutil.which("python3")]
    for c in cands:
        if c and os.path.exists(c) and sh([c, "-c", "import botocore, boto3"]).returncode == 0:
            return c
    return None


def aws_cli():
    for c in (os.path.expanduser("~/.pyenv/shims/aws"), shutil.which("aws")):
        if c and os.path.exists(c) and sh([c, "--version"]).returncode == 0:
            return c
    return None


# --------------------------------------------------------------------------
# 1. token generation in process
# --------------------------------------------------------------------------
def bench_sign(quick):
    print("\n[1] token generation in process (ns per token, median of 3 rounds)")
    secs = "1.5" if quick else "6"
    out = sh([SIGN_BENCH, secs]).stdout.split("\n")
    vals = {}
    for line in out:
        if line.strip():
            k, v = line.split()
            vals.setdefault(k, []).append(float(v))
    med = {k: statistics.median(v) for k, v in vals.items()}
    py = find_botocore_python()
    if py:
        bout = sh([py, os.path.join(ROOT, "bench", "botocore_sign.py"), secs]).stdout
        bvals = {}
        for line in bout.splitlines():
            k, v = line.split()
            if k == "botocore_version":
                med["botocore_version"] = v
            else:
                bvals.setdefault(k, []).append(float(v))
        med.update({k: statistics.median(v) for k, v in bvals.items()})
    s = "1 sign"
    row(s, "dsql_auth signer (da_dsql_token), long-term keys", med["signer"] / 1000, "us")
    row(s, "floor: 1 SHA-256 + 5 HMAC, one-shot EVP_Digest/HMAC", med["floor"] / 1000, "us")
    row(s, "floor: same, digest/MAC fetched once (OpenSSL 3 advice)",
        med["floor_fetched"] / 1000, "us")
    row(s, "da_make_token: env credentials + region + signing", med["make_token_env"] / 1000, "us")
    row(s, "dsql_auth signer, 1 KB session token", med["signer_session"] / 1000, "us")
    row(s, "floor with the 1 KB session token", med["floor_session"] / 1000, "us")
    row(s, "ratio signer / floor (goal <= 2)", med["signer"] / med["floor"], "x")
    row(s, "ratio signer / fetched-once floor", med["signer"] / med["floor_fetched"], "x")
    row(s, "ratio signer / floor, session token", med["signer_session"] / med["floor_session"], "x")
    if "botocore" in med:
        row(s, f"botocore {med.get('botocore_version', '')} generate_db_connect_admin_auth_token",
            med["botocore"] / 1000, "us")
        row(s, "botocore, 1 KB session token", med["botocore_session"] / 1000, "us")
        row(s, "ratio botocore / signer (goal >= 20)", med["botocore"] / med["signer"], "x")
        row(s, "ratio botocore / signer, session token",
            med["botocore_session"] / med["signer_session"], "x")
    else:
        row(s, "botocore in process", "n/a", "", "no python3 with botocore")


# --------------------------------------------------------------------------
# 2. one-shot command
# --------------------------------------------------------------------------
def hyperfine(cmds, env, runs, warmup=2):
    """Mean and stddev (s) per command, via hyperfine's JSON export."""
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        args = ["hyperfine", "-N", "--style", "none", "--warmup", str(warmup),
                "--runs", str(runs), "--export-json", f.name] + cmds
        r = sh(args, env=env)
        if r.returncode != 0:
            # -N (no shell) needs hyperfine >= 1.13; retry with a shell
            args = [a for a in args if a != "-N"]
            r = sh(args, env=env)
            if r.returncode != 0:
                raise RuntimeError(r.stderr[-800:])
        data = json.load(open(f.name))
    return [(x["mean"], x["stddev"]) for x in data["results"]]


def interleaved(cases, n, warmup=3):
    """Median wall time (s) of each (args, env) case, runs alternating
    between the cases so that drift and noise hit them alike."""
    times = [[] for _ in cases]
    for i in range(warmup + n):
        for j, (args, env) in enumerate(cases):
            t = time.perf_counter()
            subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if i >= warmup:
                times[j].append(time.perf_counter() - t)
    return [statistics.median(t) for t in times]


def bench_oneshot(quick):
    print("\n[2] one-shot token command (wall time, hyperfine)")
    s = "2 one-shot"
    if not shutil.which("hyperfine"):
        row(s, "one-shot comparison", "n/a", "", "hyperfine not installed")
        return
    env = clean_env(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET,
                    AWS_DEFAULT_REGION="us-east-1", HOME=tempfile.mkdtemp())
    ours = hyperfine([f"{CLI} token --host {HOST1}"], env, 20 if quick else 100, 5)[0][0]
    row(s, "dsql-auth token --host H", ours * 1000, "ms")
    py = find_botocore_python()
    aws = aws_cli()
    runs = 5 if quick else 15
    if py:
        one = (f"{py} -c \"import boto3; print(boto3.client('dsql', region_name='us-east-1')"
               f".generate_db_connect_admin_auth_token('{HOST1}', 'us-east-1'))\"")
        t = hyperfine([one], env, runs)[0][0]
        row(s, "boto3 one-liner (generate_db_connect_admin_auth_token)", t * 1000, "ms")
        row(s, "ratio boto3 one-liner / dsql-auth token (goal >= 50)", t / ours, "x")
    else:
        row(s, "boto3 one-liner", "n/a", "", "no python3 with boto3")
    if aws:
        cmd = (f"{aws} rds generate-db-auth-token --hostname {HOST1} --port 5432 "
               f"--username admin --region us-east-1")
        t = hyperfine([cmd], env, runs)[0][0]
        ver = sh([aws, "--version"]).stdout.split()[0] if sh([aws, "--version"]).stdout else "aws"
        row(s, f"{ver} rds generate-db-auth-token", t * 1000, "ms")
        row(s, "ratio aws rds generate-db-auth-token / dsql-auth token (goal >= 50)",
            t / ours, "x")
    else:
        row(s, "aws rds generate-db-auth-token", "n/a", "", "no aws CLI")


# --------------------------------------------------------------------------
# a PostgreSQL over TLS that asks for a cleartext password (PAM)
# --------------------------------------------------------------------------
class TlsPamServer:
    """PostgreSQL 15 on 127.0.0.1 with ssl=on and `hostssl ... pam`: the server
    sends AuthenticationCleartextPassword and the client answers over TLS,
    exactly DSQL's exchange.  PAM (pam_exec expose_authtok /bin/true) accepts
    any password, so a fresh token and a static password cost the server the
    same; only the client side differs between the two runs."""

    def __init__(self, work, ca, port):
        self.created_pam = False
        if not os.path.exists(PAM_FILE):
            with open(PAM_FILE, "w") as f:
                f.write("# dsql_auth bench/run.py (removed at exit)\n"
                        "auth required pam_exec.so expose_authtok quiet /bin/true\n"
                        "account required pam_permit.so\n")
            self.created_pam = True
        self.cluster = Cluster(work, port)
        self.port = port
        d = self.cluster.dir
        for src, name in ((ca.server_crt, "server.crt"), (ca.server_key, "server.key")):
            shutil.copy(src, os.path.join(d, name))
            shutil.chown(os.path.join(d, name), "postgres", "postgres")
            os.chmod(os.path.join(d, name), 0o600)
        with open(os.path.join(d, "pg_hba.conf"), "w") as f:
            f.write(f"local all all trust\n"
                    f"hostssl all all 127.0.0.1/32 pam pamservice={PAM_SERVICE}\n")
        with open(os.path.join(d, "postgresql.auto.conf"), "a") as f:
            f.write("listen_addresses = '127.0.0.1'\nssl = on\nmax_connections = 60\n")
        run_as_postgres([f"{PGBIN}/pg_ctl", "-D", d, "-w", "-l", os.path.join(d, "log"),
                         "restart"])
        self.cluster.psql("CREATE ROLE alice LOGIN; CREATE ROLE admin LOGIN")

    def close(self):
        if self.created_pam and os.path.exists(PAM_FILE):
            os.unlink(PAM_FILE)

    def conninfo(self, **kw):
        parts = dict(host=HOST1, hostaddr="127.0.0.1", port=str(self.port), user="alice",
                     dbname="postgres")
        parts.update(kw)
        return " ".join(f"{k}={v}" for k, v in parts.items() if v is not None)


def pgbench_tps(env, ci, script, secs, clients=2, threads=2, cpu=None):
    """Connections per second; with cpu (a list), also appends pgbench's own
    CPU time (user + system) per connection in microseconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = sh([f"{PGBIN}/pgbench", "-n", "-C", "-c", str(clients), "-j", str(threads),
            "-T", str(secs), "-f", script, ci], env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    for line in r.stdout.splitlines():
        if line.startswith("number of transactions actually processed:"):
            n = int(line.split(":")[1].split("/")[0])
        if line.startswith("tps = "):
            if cpu is not None:
                used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                cpu.append(used / n * 1e6)
            return float(line.split()[2])
    raise RuntimeError("pgbench failed: " + r.stdout[-500:] + r.stderr[-1500:])


def bench_connect(work, ca, srv, quick):
    print("\n[3] connect path: pgbench -C over TLS, cleartext password (PAM), same server")
    s = "3 connect"
    home = os.path.join(work.path, "home")
    os.makedirs(home, exist_ok=True)
    base = clean_env(HOME=home, SSL_CERT_FILE=ca.crt)
    lib_env = dict(base, LD_PRELOAD=PRELOAD, AWS_ACCESS_KEY_ID=AKID,
                   AWS_SECRET_ACCESS_KEY=SECRET)
    token = sh([CLI, "token", "--host", HOST1, "--user", "alice"], env=lib_env).stdout.strip()
    static_env = dict(base, PGPASSWORD=token)
    ci_static = srv.conninfo(sslmode="verify-full", sslrootcert=ca.crt)
    ci_lib = srv.conninfo()       # the library raises sslmode to verify-full
    script = os.path.join(work.path, "select1.sql")
    with open(script, "w") as f:
        f.write("select 1;\n")
    secs = 4 if quick else 10
    rounds = 2 if quick else 5
    tb, tl, cb, cl = [], [], [], []
    for _ in range(rounds):             # interleaved: drift hits both alike
        tb.append(pgbench_tps(static_env, ci_static, script, secs, cpu=cb))
        tl.append(pgbench_tps(lib_env, ci_lib, script, secs, cpu=cl))
    b, lb = statistics.median(tb), statistics.median(tl)
    row(s, f"pgbench -C -c2 -j2, static password, no library ({rounds}x{secs}s)", b, "conn/s",
        "runs: " + " ".join(f"{x:.0f}" for x in tb))
    row(s, "pgbench -C -c2 -j2, through the library (fresh token each)", lb, "conn/s",
        "runs: " + " ".join(f"{x:.0f}" for x in tl))
    row(s, "throughput loss (goal < 2%)", (b - lb) / b * 100, "%")
    row(s, "wall time added per connect (from the medians; noisy)",
        (1 / lb - 1 / b) * 2 * 1e6, "us", "2 clients")
    row(s, "pgbench client CPU per connect, static password", statistics.median(cb), "us",
        "user+sys of the pgbench process")
    row(s, "pgbench client CPU per connect, through the library", statistics.median(cl), "us")
    row(s, "client CPU added per connect by the library",
        statistics.median(cl) - statistics.median(cb), "us")

    psql = [f"{PGBIN}/psql", "-X", "-c", "select 1"]
    runs = 30 if quick else 100
    tb2, tl2 = interleaved([(psql + [ci_static], static_env), (psql + [ci_lib], lib_env)], runs)
    row(s, f"psql -c 'select 1', static password, no library (median of {runs})",
        tb2 * 1000, "ms", "interleaved runs")
    row(s, "psql -c 'select 1' through the library", tl2 * 1000, "ms")
    row(s, "psql start-up: added by the library", (tl2 - tb2) * 1000, "ms")
    return script


# --------------------------------------------------------------------------
# 4. credential sources
# --------------------------------------------------------------------------
class Counting(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler_fn, tls_ca=None):
        self.fn = handler_fn
        self.hits = 0

        class H(http.server.BaseHTTPRequestHandler):
            def _do(self):
                n = int(self.headers.get("Content-Length") or 0)
                if n:
                    self.rfile.read(n)
                self.server.hits += 1
                status, body, ctype = self.server.fn(self.command, self.path)
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = _do

            def log_message(self, *a):
                pass

        super().__init__(("127.0.0.1", 0), H)
        if tls_ca:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(tls_ca.server_crt, tls_ca.server_key)
            self.socket = ctx.wrap_socket(self.socket, server_side=True)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def bench_sources(work, ca, srv, script, quick):
    print("\n[4] connects per second per credential source (pgbench -C, one process)")
    s = "4 sources"
    home = os.path.join(work.path, "home4")
    os.makedirs(home, exist_ok=True)
    empty = os.path.join(work.path, "empty_config")
    open(empty, "w").close()
    base = clean_env(HOME=home, SSL_CERT_FILE=ca.crt, LD_PRELOAD=PRELOAD,
                     AWS_CONFIG_FILE=empty, AWS_EC2_METADATA_DISABLED="true",
                     AWS_SHARED_CREDENTIALS_FILE=os.path.join(work.path, "none"))
    creds = os.path.join(work.path, "credentials")
    with open(creds, "w") as f:
        f.write(f"[default]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n"
                f"[base]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n")
    counter = os.path.join(work.path, "process_calls")
    helper = os.path.join(work.path, "helper.sh")
    with open(helper, "w") as f:
        f.write(f"#!/bin/sh\necho x >> {counter}\n"
                f"echo '{{\"Version\": 1, \"AccessKeyId\": \"{AKID}\", "
                f"\"SecretAccessKey\": \"{SECRET}\", \"Expiration\": \"{iso(time.time() + 7200)}\"}}'\n")
    os.chmod(helper, 0o755)

    def cfg(name, text):
        p = os.path.join(work.path, name)
        with open(p, "w") as f:
            f.write(text)
        return p

    exp = iso(time.time() + 7200)
    sts_xml = (f"<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIABENCH"
               f"</AccessKeyId><SecretAccessKey>{SECRET}</SecretAccessKey><SessionToken>"
               f"IQoJbench</SessionToken><Expiration>{exp}</Expiration></Credentials>"
               f"</AssumeRoleResult></AssumeRoleResponse>")
    sts = Counting(lambda m, p: (200, sts_xml, "text/xml"), ca)
    meta_json = json.dumps({"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "ASIABENCH",
                            "SecretAccessKey": SECRET, "Token": "IQoJbench", "Expiration": exp,
                            "LastUpdated": iso(time.time())})

    def imds(method, path):
        if method == "PUT" and path.startswith("/latest/api/token"):
            return 200, "imdstoken", "text/plain"
        if path.rstrip("/") == "/latest/meta-data/iam/security-credentials":
            return 200, "benchrole", "text/plain"
        if path.startswith("/latest/meta-data/iam/security-credentials/benchrole"):
            return 200, meta_json, "application/json"
        return 404, "", "text/plain"

    imds_srv = Counting(imds)
    cont = Counting(lambda m, p: (200, meta_json, "application/json"))
    cases = [
        ("environment keys", dict(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET),
         lambda: "-"),
        ("profile file (~/.aws/credentials)", dict(AWS_SHARED_CREDENTIALS_FILE=creds),
         lambda: "-"),
        ("credential_process", dict(AWS_CONFIG_FILE=cfg("c_proc",
                                    f"[default]\ncredential_process = {helper}\n")),
         lambda: str(len(open(counter).read().split())) if os.path.exists(counter) else "0"),
        ("STS AssumeRole (stand-in, https)", dict(
            AWS_SHARED_CREDENTIALS_FILE=creds, AWS_CA_BUNDLE=ca.crt,
            AWS_ENDPOINT_URL_STS=f"https://localhost:{sts.port}",
            AWS_CONFIG_FILE=cfg("c_sts", "[default]\nrole_arn = arn:aws:iam::123456789012:role/b\n"
                                         "source_profile = base\n")),
         lambda: str(sts.hits)),
        ("EC2 instance metadata (stand-in)", dict(
            AWS_EC2_METADATA_DISABLED=None,
            AWS_EC2_METADATA_SERVICE_ENDPOINT=f"http://127.0.0.1:{imds_srv.port}/"),
         lambda: str(imds_srv.hits)),
        ("container credentials (stand-in)", dict(
            AWS_CONTAINER_CREDENTIALS_FULL_URI=f"http://127.0.0.1:{cont.port}/creds"),
         lambda: str(cont.hits)),
    ]
    secs = 3 if quick else 8
    ci = srv.conninfo()
    print(f"  {'source':<40} {'conn/s':>8} {'connects':>9} {'source calls':>13}")
    for name, extra, calls in cases:
        env = dict(base)
        for k, v in extra.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        chk = sh([CLI, "check", ci], env=env)
        if chk.returncode != 0:
            row(s, name, "n/a", "", (chk.stdout + chk.stderr).strip().splitlines()[-1][:90])
            continue
        try:
            tps = pgbench_tps(env, ci, script, secs)
        except RuntimeError as e:
            row(s, name, "n/a", "", str(e).strip().splitlines()[-1][:90])
            continue
        row(s, name, tps, "conn/s", f"{int(tps * secs)} connects; {calls()} helper runs / HTTP "
            f"requests in all (incl. those of one dsql-auth check before)" if calls() != "-" else
            f"{int(tps * secs)} connects; read at each connect (static keys are not cached, "
            f"by design)")


# --------------------------------------------------------------------------
# 5. footprint
# --------------------------------------------------------------------------
def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def maps_libs(pid):
    with open(f"/proc/{pid}/maps") as f:
        return {os.path.basename(ln.split()[-1]) for ln in f if ".so" in ln}


def idle_rss(args, env, settle=0.3, stdin_text=None):
    p = subprocess.Popen(args, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    if stdin_text:
        p.stdin.write(stdin_text)
        p.stdin.flush()
        p.stdout.readline()
    time.sleep(settle)
    kb, libs = rss_kb(p.pid), maps_libs(p.pid)
    p.kill()
    p.communicate()
    return kb, libs


def bench_footprint(work, ca, srv, quick):
    print("\n[5] footprint")
    s = "5 footprint"
    home = os.path.join(work.path, "home5")
    os.makedirs(home, exist_ok=True)
    base = clean_env(HOME=home, SSL_CERT_FILE=ca.crt, AWS_ACCESS_KEY_ID=AKID,
                     AWS_SECRET_ACCESS_KEY=SECRET)
    lib = dict(base, LD_PRELOAD=PRELOAD)
    token = sh([CLI, "token", "--host", HOST1, "--user", "alice"], env=lib).stdout.strip()
    n = 3 if quick else 7
    heavy = ("libcurl", "libjson-c", "libpq")

    def med(args, env, stdin_text=None):
        vals, libs = [], set()
        for _ in range(n):
            kb, lb = idle_rss(args, env, stdin_text=stdin_text)
            vals.append(kb)
            libs |= lb
        return statistics.median(vals), libs

    ci_static = srv.conninfo(sslmode="verify-full", sslrootcert=ca.crt)
    psql = [f"{PGBIN}/psql", "-X", "-At"]
    b, _ = med(psql + [ci_static], dict(base, PGPASSWORD=token), "select 'up';\n")
    w, libs = med(psql + [srv.conninfo()], lib, "select 'up';\n")
    row(s, "psql connected and idle: RSS without the library", b / 1024, "MiB")
    row(s, "psql connected and idle: RSS added by the library (goal < 1 MiB)", w - b, "KiB",
        "heavy libs mapped: " + (", ".join(sorted(x for x in libs if x.startswith(
            ("libcurl", "libjson")))) or "none"))
    # a source that needs HTTP: libcurl (and json-c for JSON sources) appear
    exp = iso(time.time() + 7200)
    sts = Counting(lambda m, p: (200, f"<AssumeRoleResponse><AssumeRoleResult><Credentials>"
                                      f"<AccessKeyId>ASIABENCH</AccessKeyId><SecretAccessKey>"
                                      f"{SECRET}</SecretAccessKey><SessionToken>IQoJ"
                                      f"</SessionToken><Expiration>{exp}</Expiration>"
                                      f"</Credentials></AssumeRoleResult></AssumeRoleResponse>",
                                 "text/xml"), ca)
    cfg = os.path.join(work.path, "fp_config")
    with open(cfg, "w") as f:
        f.write("[default]\nrole_arn = arn:aws:iam::123456789012:role/b\nsource_profile = base\n")
    crd = os.path.join(work.path, "fp_creds")
    with open(crd, "w") as f:
        f.write(f"[base]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n")
    senv = dict(lib, AWS_CONFIG_FILE=cfg, AWS_SHARED_CREDENTIALS_FILE=crd, AWS_CA_BUNDLE=ca.crt,
                AWS_ENDPOINT_URL_STS=f"https://localhost:{sts.port}")
    senv.pop("AWS_ACCESS_KEY_ID")
    senv.pop("AWS_SECRET_ACCESS_KEY")
    w2, libs2 = med(psql + [srv.conninfo()], senv, "select 'up';\n")
    row(s, "psql connected with STS role credentials: RSS added", w2 - b, "KiB",
        "loaded on demand: " + (", ".join(sorted(x for x in libs2 if x.startswith(
            ("libcurl", "libjson")))) or "none"))
    sts.shutdown()
    for label, args in (("sleep (a process that never connects)", ["/bin/sleep", "5"]),
                        ("perl (Debian's psql wrapper language)", ["perl", "-e", "sleep 5"]),
                        ("less (a pager, reading a pipe)", ["less"]),
                        ("sh (a shell)", ["/bin/sh", "-c", "read x"])):
        b, _ = med(args, base)
        w, libs = med(args, lib)
        mapped = sorted(x for x in libs if x.startswith(heavy + ("libcrypto",)))
        row(s, f"{label}: RSS added", w - b, "KiB", "mapped: " + (", ".join(mapped) or "none"))
    crypto = next((ln.split()[-1] for ln in open(f"/proc/{os.getpid()}/maps")
                   if "libcrypto.so" in ln), None) or "/lib/x86_64-linux-gnu/libcrypto.so.3"
    b, _ = med(["/bin/sleep", "5"], base)
    w, _ = med(["/bin/sleep", "5"], dict(base, LD_PRELOAD=crypto))
    row(s, "  of which libcrypto alone (sleep with only libcrypto preloaded)", w - b, "KiB",
        "libcrypto is a DT_NEEDED of the library")
    t0, t1 = interleaved([(["/bin/true"], base), (["/bin/true"], lib)], 300 if not quick else 100)
    row(s, "load time added to a process that never connects (/bin/true)", (t1 - t0) * 1e6, "us",
        "interleaved medians")
    t0, t1 = interleaved([([f"{PGBIN}/psql", "--version"], base),
                          ([f"{PGBIN}/psql", "--version"], lib)], 200 if not quick else 60)
    row(s, "load time added to psql (psql --version, no connect)", (t1 - t0) * 1e6, "us")
    r = sh(["readelf", "-d", PRELOAD]).stdout
    needed = [ln.split("[")[1].rstrip("]") for ln in r.splitlines() if "NEEDED" in ln]
    row(s, "library size / DT_NEEDED", os.path.getsize(PRELOAD) / 1024, "KiB", ", ".join(needed))


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs ({cpu}), Linux {platform.release()}, " \
           f"{sh(['sh', '-c', '. /etc/os-release; echo $PRETTY_NAME']).stdout.strip()}"


def markdown():
    out = ["| # | measurement | value | unit | note |", "|---|---|---:|---|---|"]
    for sec, what, v, unit, note in ROWS:
        val = v if isinstance(v, str) else (f"{v:,.1f}" if abs(v) < 100 else f"{v:,.0f}")
        out.append(f"| {sec.split()[0]} | {what} | {val} | {unit} | {note} |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="1,2,3,4,5")
    ap.add_argument("--markdown")
    ap.add_argument("--machine-only", action="store_true")
    a = ap.parse_args()
    only = set(a.only.split(","))
    print(f"machine: {machine()}")
    if "1" in only:
        bench_sign(a.quick)
    if "2" in only:
        bench_oneshot(a.quick)
    if only & {"3", "4", "5"}:
        work = Workdir()
        ca = CA(work)
        srv = TlsPamServer(work, ca, 55501)
        try:
            script = os.path.join(work.path, "select1.sql")
            with open(script, "w") as f:
                f.write("select 1;\n")
            if "3" in only:
                bench_connect(work, ca, srv, a.quick)
            if "4" in only:
                bench_sources(work, ca, srv, script, a.quick)
            if "5" in only:
                bench_footprint(work, ca, srv, a.quick)
        finally:
            srv.close()
    print("\n" + markdown())
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(f"machine: {machine()}\n\n{markdown()}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
