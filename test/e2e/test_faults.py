#!/usr/bin/python3
"""Fault injection (issue 4).  Prints TAP.

Each fault is one test: the program under test (the dsql-auth command or psql
through the client library) must end — no crash (no signal, no sanitizer
report), no hang past a stated bound — with a clear message, and no secret in
any message.

  * files: a 10 MB config file, a 10 MB credentials file and a 10 MB single
    line, a file over the 16 MiB limit, binary junk, an unreadable file, a
    directory, a symlink loop;
  * a clock far off: the client's (libfaketime) and the server's (the
    stand-in's --clock-offset-file);
  * credentials that change between two connects of one psql session;
  * sources from the credential chain (issue 3): instance metadata and a
    container endpoint that never answer, an SSO token cache holding junk, a
    credential_process that hangs or prints garbage (or binary junk), STS
    throttling and 5xx, credentials expiring between connects.  These use
    the standard AWS variables (AWS_EC2_METADATA_SERVICE_ENDPOINT,
    AWS_ENDPOINT_URL_STS, credential_process in a profile) and are skipped
    only while the source is absent, which is detected by behaviour: the
    stand-in server saw no request and the error names no such source.

Standard library only (Debian's /usr/bin/python3); libfaketime from Debian's
faketime package.
"""
import hashlib
import http.server
import os
import random
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (HOST1, PGBIN, CA, Cluster, Standin, Tap, Workdir,  # noqa: E402
                     client_env, conninfo)

AKID = "AKIAFAULTSTESTKEY001"
SECRET = "fAuLtSsEcReT/0123456789+abcdefghijklmnop"
AKID2 = "AKIAFAULTSTESTKEY002"
SECRET2 = "sEcOnDsEcReT/9876543210+ponmlkjihgfedcb"
ROLE_AKID = "ASIAFAULTSROLEKEY001"
ROLE_SECRET = "rOlEsEcReT/aaaaaaaaaaaaaaaaaa+bbbbbbbbbbb"
ROLE_TOKEN = "IQoJroleSESSIONtoken/" + "c2Vzc2lvbg+/=" * 40
PROC_AKID = "ASIAFAULTSPROCKEY0{n}"
PROC_SECRET = "pRoCsEcReT/cccccccccccccccccc+dddddddddd{n}"
PROC_TOKEN = "IQoJprocSESSIONtoken/" + "cHJvYw+/=" * 40 + "{n}"
SECRETS = [SECRET, SECRET2, ROLE_SECRET, ROLE_TOKEN[:30], "pRoCsEcReT", "IQoJproc"]
FAULTTIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
SANITIZER = re.compile(r"AddressSanitizer|runtime error:|LeakSanitizer|ThreadSanitizer")


class Result:
    """A finished (or killed) program run."""

    def __init__(self, rc, out, err, secs, timed_out):
        self.returncode, self.stdout, self.stderr = rc, out, err
        self.secs, self.timed_out = secs, timed_out

    def crashed(self):
        return (self.returncode is not None and self.returncode < 0) or \
            self.returncode in (86, 87) or bool(SANITIZER.search(self.stderr))

    def leaked(self):
        """Secrets in any output; a token's signature only where no token is
        expected (stderr)."""
        found = [s[:12] + "..." for s in SECRETS if s in self.stdout + self.stderr]
        if "X-Amz-Signature=" in self.stderr:
            found.append("token signature on stderr")
        return found

    def diag(self):
        return (f"exit {self.returncode} after {self.secs:.1f} s"
                f"{' (killed: timed out)' if self.timed_out else ''}\n"
                f"stdout: {self.stdout[-600:]}\nstderr: {self.stderr[-1500:]}")


def run(args, env, limit):
    """Run with a hard limit (the process group is killed past it)."""
    env = {k: v for k, v in env.items() if v is not None}
    t0 = time.time()
    p = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, text=True, errors="replace",
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=limit)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        timed_out = True
    return Result(p.returncode, out, err, time.time() - t0, timed_out)


def clean(r):
    """Ended by itself, no crash, no secret."""
    return not r.timed_out and not r.crashed() and not r.leaked()


# ---------------------------------------------------------------------------
# loopback servers for the credential-chain faults
# ---------------------------------------------------------------------------
class Silent:
    """Accepts TCP connections and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.conns = []
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self.conns.append(c)


class Scripted(http.server.ThreadingHTTPServer):
    """HTTP(S) server answering from a list of (status, body) responses;
    the last one repeats.  Records each request's time and path."""

    daemon_threads = True

    def __init__(self, responses, ca=None):
        super().__init__(("127.0.0.1", 0), ScriptedHandler)
        self.responses = list(responses)
        self.requests = []
        if ca is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(ca.server_crt, ca.server_key)
            self.socket = ctx.wrap_socket(self.socket, server_side=True)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()


class ScriptedHandler(http.server.BaseHTTPRequestHandler):
    def _answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        srv = self.server
        srv.requests.append((time.time(), self.command, self.path, body))
        status, text = srv.responses[min(len(srv.requests), len(srv.responses)) - 1]
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args):
        pass


def sts_error(code, msg):
    return (f'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
            f"<Type>Sender</Type><Code>{code}</Code><Message>{msg}</Message></Error>"
            f"<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>")


def sts_ok():
    exp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    return (f'<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<AssumeRoleResult><Credentials><AccessKeyId>{ROLE_AKID}</AccessKeyId>"
            f"<SecretAccessKey>{ROLE_SECRET}</SecretAccessKey>"
            f"<SessionToken>{ROLE_TOKEN}</SessionToken><Expiration>{exp}</Expiration>"
            f"</Credentials><AssumedRoleUser><AssumedRoleId>AROA:s</AssumedRoleId>"
            f"<Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn></AssumedRoleUser>"
            f"</AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId>"
            f"</ResponseMetadata></AssumeRoleResponse>")


def names(text, *words):
    t = text.lower()
    return any(w.lower() in t for w in words)


def main():
    tap = Tap()
    work = Workdir()
    ca = CA(work)
    cluster = Cluster(work, 55472)
    cluster.psql("CREATE ROLE alice LOGIN")
    keys = {AKID: {"secret": SECRET, "session_token": None},
            AKID2: {"secret": SECRET2, "session_token": None},
            ROLE_AKID: {"secret": ROLE_SECRET, "session_token": ROLE_TOKEN}}
    for n in range(10):
        keys[PROC_AKID.format(n=n)] = {"secret": PROC_SECRET.format(n=n),
                                       "session_token": PROC_TOKEN.format(n=n)}
    s = Standin(work, cluster, ca, keys, "faults")
    ci = conninfo(s, user="alice")
    cli = harness.CLI
    psql = [f"{PGBIN}/psql", "-X", "-At", "-c", "select current_user", ci]
    empty = work.file("empty_config", "", 0o644)
    nowhere = os.path.join(work.path, "no-such-file")

    def env_with(**kw):
        base = dict(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None,
                    AWS_CONFIG_FILE=empty, AWS_SHARED_CREDENTIALS_FILE=nowhere,
                    AWS_EC2_METADATA_DISABLED="true")
        base.update(kw)
        return client_env(work, ca, **base)

    good_creds = f"[default]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n"

    # ----- big files -------------------------------------------------------
    rng = random.Random(4)
    filler = "".join(f"[profile p{i}]\nregion = us-west-2\nfoo = {'x' * 60}\n"
                     for i in range(100000))
    big = work.file("big_config", filler[:10 * 1024 * 1024 - 200]
                    + "\n[default]\nregion = us-east-1\n")
    bigc = work.file("big_credentials", filler[:10 * 1024 * 1024 - 200] + "\n" + good_creds)
    r = run([cli, "token", "--host", HOST1], env_with(AWS_CONFIG_FILE=big,
                                                       AWS_SHARED_CREDENTIALS_FILE=bigc), 20)
    tap.ok(clean(r) and r.returncode == 0 and r.stdout.startswith(HOST1) and r.secs < 5,
           f"10 MB config and credentials files (100k profiles): token in {r.secs:.2f} s "
           f"(bound 5 s)", r.diag())
    r = run(psql, env_with(AWS_CONFIG_FILE=big, AWS_SHARED_CREDENTIALS_FILE=bigc), 20)
    tap.ok(clean(r) and r.returncode == 0 and r.stdout.strip() == "alice" and r.secs < 5,
           f"psql through the library with the 10 MB files logs in ({r.secs:.2f} s)", r.diag())

    oneline = work.file("oneline", "[default]\n" + good_creds.split("\n", 1)[1]
                        + "x = " + "y" * (10 * 1024 * 1024) + "\n")
    r = run([cli, "token", "--host", HOST1], env_with(AWS_SHARED_CREDENTIALS_FILE=oneline), 20)
    tap.ok(clean(r) and r.returncode == 0 and r.secs < 5,
           f"a 10 MB single line: handled in {r.secs:.2f} s", r.diag())

    huge = work.file("huge", "")
    with open(huge, "w") as f:
        f.write(good_creds)
        f.write("# " + "z" * (17 * 1024 * 1024) + "\n")
    r = run([cli, "token", "--host", HOST1], env_with(AWS_SHARED_CREDENTIALS_FILE=huge), 20)
    tap.ok(clean(r) and r.returncode == 1 and "huge" in r.stderr and r.secs < 5,
           "a 17 MiB credentials file is refused with a message naming it", r.diag())

    # ----- junk, unreadable, directory, symlink loop -----------------------
    junk = work.file("junk", "")
    with open(junk, "wb") as f:
        f.write(bytes(rng.getrandbits(8) for _ in range(65536)))
    r = run([cli, "token", "--host", HOST1], env_with(AWS_SHARED_CREDENTIALS_FILE=junk), 20)
    r2 = run(psql, env_with(AWS_SHARED_CREDENTIALS_FILE=junk), 20)
    tap.ok(clean(r) and clean(r2) and r.returncode == 1 and r2.returncode == 2
           and "junk" in r.stderr and "junk" in r2.stderr,
           "64 KB of binary junk as the credentials file: a clear error naming it "
           "(command exit 1, psql exit 2)", r.diag() + "\n" + r2.diag())
    junkcfg = work.file("junkcfg", "")
    with open(junkcfg, "wb") as f:
        f.write(b"[default]\n\x00\xff\xfe region = \x01\x02\n[profile \x00]\n" * 1000)
    r = run([cli, "check", ci], env_with(AWS_CONFIG_FILE=junkcfg,
                                         AWS_SHARED_CREDENTIALS_FILE=work.file("c", good_creds)),
            20)
    tap.ok(clean(r) and r.returncode in (0, 1) and r.stdout + r.stderr,
           "NUL bytes and control characters in the config file: check ends cleanly",
           r.diag())

    locked_dir = os.path.join(work.path, "locked")
    os.makedirs(locked_dir)
    locked = os.path.join(locked_dir, "credentials")
    with open(locked, "w") as f:
        f.write(good_creds)
    os.chmod(locked, 0o600)
    if os.geteuid() == 0:
        os.chmod(work.path, 0o755)
        os.chmod(locked_dir, 0o755)
        envp = env_with(AWS_SHARED_CREDENTIALS_FILE=locked, HOME="/tmp")
        r = run(["runuser", "-u", "postgres", "--", cli, "token", "--host", HOST1], envp, 20)
        ctrl = run(["runuser", "-u", "postgres", "--", cli, "--help"], envp, 20)
        tap.ok(clean(r) and r.returncode == 1 and "Permission denied" in r.stderr
               and locked in r.stderr and ctrl.returncode == 0,
               "an unreadable credentials file (another user's, mode 0600): clear error, "
               "no fall-through to other sources", r.diag() + "\n" + ctrl.diag())
    else:
        os.chmod(locked, 0)
        r = run([cli, "token", "--host", HOST1], env_with(AWS_SHARED_CREDENTIALS_FILE=locked), 20)
        tap.ok(clean(r) and r.returncode == 1 and "Permission denied" in r.stderr,
               "an unreadable credentials file: clear error", r.diag())

    r = run([cli, "token", "--host", HOST1], env_with(AWS_SHARED_CREDENTIALS_FILE=locked_dir), 20)
    tap.ok(clean(r) and r.returncode == 1 and "locked" in r.stderr,
           "a directory as the credentials file: clear error", r.diag())

    loop_a = os.path.join(work.path, "loop_a")
    loop_b = os.path.join(work.path, "loop_b")
    os.symlink(loop_b, loop_a)
    os.symlink(loop_a, loop_b)
    r = run([cli, "token", "--host", HOST1], env_with(AWS_SHARED_CREDENTIALS_FILE=loop_a), 20)
    r2 = run(psql, env_with(AWS_CONFIG_FILE=loop_a,
                            AWS_SHARED_CREDENTIALS_FILE=work.file("c2", good_creds)), 20)
    tap.ok(clean(r) and clean(r2) and r.returncode == 1 and "loop_a" in r.stderr
           and "symbolic links" in r.stderr.lower(),
           "a symlink loop as the credentials file: clear error, no hang", r.diag())
    tap.ok(r2.returncode in (0, 2) and not r2.timed_out and not r2.crashed(),
           "a symlink loop as the config file: psql ends (logs in or says why)", r2.diag())

    # ----- credentials that change between connects (file rotation) -------
    rot = work.file("rotating", good_creds)
    envr = env_with(AWS_SHARED_CREDENTIALS_FILE=rot)
    p = subprocess.Popen([f"{PGBIN}/psql", "-X", "-At", ci], env=envr, text=True,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    s.new_events()
    p.stdin.write("select 'first';\n")
    p.stdin.flush()
    p.stdout.readline()
    with open(rot + ".new", "w") as f:
        f.write(f"[default]\naws_access_key_id = {AKID2}\naws_secret_access_key = {SECRET2}\n")
    os.rename(rot + ".new", rot)
    out, err = p.communicate("\\c\nselect 'second';\n", timeout=30)
    ev = [e.get("access_key_id") for e in s.new_events() if e.get("event") == "auth_ok"]
    tap.ok(p.returncode == 0 and "second" in out and ev == [AKID, AKID2]
           and not [x for x in SECRETS if x in out + err],
           "credentials rotated in the file between two connects of one psql: the "
           "second connect signs with the new key", (p.returncode, out, err, ev))

    # ----- a clock far off --------------------------------------------------
    if os.path.exists(FAULTTIME):
        def fenv(offset):
            return env_with(AWS_SHARED_CREDENTIALS_FILE=work.file("c3", good_creds),
                            FAKETIME=offset, FAKETIME_DONT_FAKE_MONOTONIC="1",
                            LD_PRELOAD=f"{FAULTTIME} {harness.PRELOAD}")
        r = run([cli, "token", "--host", HOST1], fenv("+2h"), 20)
        want = time.strftime("%Y%m%dT%H", time.gmtime(time.time() + 7200))
        tap.ok(clean(r) and f"X-Amz-Date={want}" in r.stdout,
               "control: under libfaketime +2h the token is dated two hours ahead",
               r.diag())
        s.new_events()
        r = run(psql, fenv("+2h"), 30)
        ev = [e for e in s.new_events() if e.get("event", "").startswith("auth")]
        tap.ok(clean(r) and r.returncode == 2 and "FATAL" in r.stderr
               and ev and ev[0].get("event") == "auth_fail" and r.secs < 15,
               f"client clock 2 hours ahead: the server's refusal of the token is "
               f"reported at once ({r.secs:.1f} s)", r.diag() + f"\n{ev}")
        r = run(psql, fenv("-3d"), 30)
        tap.ok(clean(r) and r.returncode == 2 and "certificate" in r.stderr and r.secs < 15,
               f"client clock 3 days behind: TLS refuses the not-yet-valid server "
               f"certificate first; a clear error ({r.secs:.1f} s)", r.diag())
    else:
        for _ in range(3):
            tap.ok(True, "# SKIP libfaketime not installed (Debian package faketime)")
    with open(s.clock_file, "w") as f:
        f.write("86400\n")
    envc = env_with(AWS_SHARED_CREDENTIALS_FILE=work.file("c4", good_creds))
    r = run(psql, envc, 30)
    with open(s.clock_file, "w") as f:
        f.write("0\n")
    r2 = run(psql, envc, 30)
    tap.ok(clean(r) and r.returncode == 2 and "FATAL" in r.stderr and r.secs < 15
           and r2.returncode == 0,
           "server clock a day ahead: a clear refusal, no hang; logs in once the clock is "
           "right", r.diag() + "\n" + r2.diag())

    # ----- credential chain (issue 3) --------------------------------------
    # instance metadata that never answers
    silent = Silent()
    envm = env_with(AWS_EC2_METADATA_DISABLED=None,
                    AWS_EC2_METADATA_SERVICE_ENDPOINT=f"http://127.0.0.1:{silent.port}/")
    r = run([cli, "token", "--host", HOST1], envm, 60)
    if silent.accepted == 0 and not names(r.stderr, "metadata", "imds", "ec2"):
        tap.ok(True, "# SKIP issue 3 source not built yet (instance metadata)")
        tap.ok(True, "# SKIP issue 3 source not built yet (instance metadata)")
    else:
        tap.ok(clean(r) and r.returncode == 1 and r.secs < 5
               and names(r.stderr, "metadata", "imds"),
               f"instance metadata that never answers: error naming it after {r.secs:.1f} s "
               f"(SDK default 1 s x 1 attempt; bound 5 s)", r.diag())
        r2 = run(psql, envm, 60)
        tap.ok(clean(r2) and r2.returncode == 2 and r2.secs < 5,
               f"psql with silent instance metadata fails in {r2.secs:.1f} s, no hang",
               r2.diag())

    # container credentials endpoint that never answers
    silent2 = Silent()
    r = run([cli, "token", "--host", HOST1],
            env_with(AWS_CONTAINER_CREDENTIALS_FULL_URI=f"http://127.0.0.1:{silent2.port}/creds"),
            60)
    if silent2.accepted == 0 and not names(r.stderr, "container"):
        tap.ok(True, "# SKIP issue 3 source not built yet (container credentials)")
    else:
        tap.ok(clean(r) and r.returncode == 1 and r.secs < 12 and names(r.stderr, "container"),
               f"a container credentials endpoint that never answers: error naming it after "
               f"{r.secs:.1f} s (2 s x 3 attempts as botocore; bound 12 s)", r.diag())

    # SSO token cache holding junk (binary, truncated JSON)
    sso_home = os.path.join(work.path, "sso_home")
    cache_dir = os.path.join(sso_home, ".aws", "sso", "cache")
    os.makedirs(cache_dir)
    cache = os.path.join(cache_dir, hashlib.sha1(b"corp").hexdigest() + ".json")
    sso_cfg = work.file("config_sso", "[default]\nsso_session = corp\nsso_account_id = "
                        "123456789012\nsso_role_name = r\n[sso-session corp]\n"
                        "sso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n")
    results = []
    for label, content in (("binary junk", bytes(rng.getrandbits(8) for _ in range(4096))),
                           ("truncated JSON", b'{"accessToken": "abc", "expiresAt": "20'),
                           ("a bad date", b'{"accessToken": "abc", "expiresAt": "soon"}')):
        with open(cache, "wb") as f:
            f.write(content)
        results.append((label, run([cli, "token", "--host", HOST1],
                                   env_with(AWS_CONFIG_FILE=sso_cfg, HOME=sso_home), 30)))
    if all(not names(r.stderr, "sso") for _, r in results):
        tap.ok(True, "# SKIP issue 3 source not built yet (SSO)")
    else:
        bad = [(label, r.diag()) for label, r in results
               if not (clean(r) and r.returncode == 1 and names(r.stderr, "sso login")
                       and r.secs < 10)]
        tap.ok(not bad, "an SSO token cache holding binary junk, truncated JSON or a bad "
               "date: a clear error saying to run aws sso login", bad)

    # credential_process that hangs / prints garbage
    marker = f"{int(time.time()) % 100000}.{os.getpid()}"
    hang = work.file("config_hang", f"[default]\ncredential_process = /bin/sleep {marker}\n")
    t0 = time.time()
    # DSQL_AUTH_PROCESS_TIMEOUT (default 60 s) shortened to keep the suite quick
    r = run([cli, "token", "--host", HOST1], env_with(AWS_CONFIG_FILE=hang,
                                                       DSQL_AUTH_PROCESS_TIMEOUT="3"), 120)
    leftover = [d for d in os.listdir("/proc") if d.isdigit() and _cmdline_has(d, marker)]
    if r.secs < 1 and not names(r.stderr, "credential_process", "process"):
        tap.ok(True, "# SKIP issue 3 source not built yet (credential_process)")
        tap.ok(True, "# SKIP issue 3 source not built yet (credential_process)")
        tap.ok(True, "# SKIP issue 3 source not built yet (credential_process)")
    else:
        tap.ok(clean(r) and r.returncode == 1 and names(r.stderr, "credential_process")
               and names(r.stderr, "did not finish", "timed out", "time")
               and r.secs < 10 and not leftover,
               f"a credential_process that hangs is stopped after {time.time() - t0:.1f} s "
               f"(DSQL_AUTH_PROCESS_TIMEOUT=3, bound 10 s) with a message; no helper left "
               f"running", r.diag() + f"\n{leftover}")
        garbage = work.file("garbage.sh", "#!/bin/sh\necho 'not json {'\necho oops >&2\n", 0o755)
        r = run([cli, "token", "--host", HOST1],
                env_with(AWS_CONFIG_FILE=work.file(
                    "config_garbage", f"[default]\ncredential_process = {garbage}\n")), 30)
        tap.ok(clean(r) and r.returncode == 1 and names(r.stderr, "credential_process")
               and r.secs < 10,
               "a credential_process printing garbage: a clear error", r.diag())
        binj = work.file("binjunk.sh", "#!/bin/sh\nhead -c 65536 /dev/urandom\nexit 0\n", 0o755)
        r = run([cli, "token", "--host", HOST1],
                env_with(AWS_CONFIG_FILE=work.file(
                    "config_binjunk", f"[default]\ncredential_process = {binj}\n")), 30)
        tap.ok(clean(r) and r.returncode == 1 and r.secs < 10,
               "a credential_process printing 64 KB of binary junk: a clear error", r.diag())

    # credentials expiring between connects (credential_process with Expiration)
    counter = os.path.join(work.path, "proc_count")
    expiring = work.file("expiring.py", f"""#!/usr/bin/python3
import json, os, time
n = 0
if os.path.exists({counter!r}):
    n = int(open({counter!r}).read())
open({counter!r}, "w").write(str(n + 1))
print(json.dumps({{"Version": 1, "AccessKeyId": {PROC_AKID!r}.format(n=n % 10),
    "SecretAccessKey": {PROC_SECRET!r}.format(n=n % 10),
    "SessionToken": {PROC_TOKEN!r}.format(n=n % 10),
    "Expiration": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3))}}))
""", 0o755)
    envx = env_with(AWS_CONFIG_FILE=work.file("config_exp",
                                              f"[default]\ncredential_process = {expiring}\n"))
    s.new_events()
    p = subprocess.Popen([f"{PGBIN}/psql", "-X", "-At", ci], env=envx, text=True,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdin.write("select 'first';\n")
    p.stdin.flush()
    first = p.stdout.readline()
    if "first" not in first and not os.path.exists(counter):
        p.kill()
        p.communicate()
        tap.ok(True, "# SKIP issue 3 source not built yet (credential_process expiry)")
    else:
        time.sleep(4)
        out, err = p.communicate("\\c\nselect 'second';\n", timeout=60)
        ev = [e.get("access_key_id") for e in s.new_events() if e.get("event") == "auth_ok"]
        calls = int(open(counter).read()) if os.path.exists(counter) else 0
        tap.ok(p.returncode == 0 and "second" in out and len(ev) == 2 and ev[0] != ev[1]
               and calls >= 2 and not [x for x in SECRETS if x in err],
               "credentials that expire between two connects are fetched again; the "
               "second connect signs with the new ones", (p.returncode, out, err, ev, calls))

    # STS throttling and 5xx (a role assumed from a base profile)
    role_cfg = work.file("config_role",
                         "[profile base]\nregion = us-east-1\n"
                         "[default]\nrole_arn = arn:aws:iam::123456789012:role/r\n"
                         "source_profile = base\nregion = us-east-1\n")
    base_creds = work.file("creds_base", f"[base]\naws_access_key_id = {AKID}\n"
                                         f"aws_secret_access_key = {SECRET}\n")
    throttle = Scripted([(400, sts_error("Throttling", "Rate exceeded")),
                         (503, sts_error("ServiceUnavailable", "try later")),
                         (200, sts_ok())], ca)
    envs = env_with(AWS_CONFIG_FILE=role_cfg, AWS_SHARED_CREDENTIALS_FILE=base_creds,
                    AWS_ENDPOINT_URL_STS=f"https://localhost:{throttle.port}",
                    AWS_CA_BUNDLE=ca.crt)
    r = run([cli, "token", "--host", HOST1], envs, 60)
    if not throttle.requests and not names(r.stderr, "role", "sts", "assume", "localhost"):
        for _ in range(2):
            tap.ok(True, "# SKIP issue 3 source not built yet (STS AssumeRole)")
    else:
        times = [t for t, *_ in throttle.requests]
        gaps = [b - a for a, b in zip(times, times[1:])]
        tap.ok(clean(r) and r.returncode == 0 and ROLE_AKID in r.stdout
               and len(throttle.requests) == 3 and all(g >= 0.01 for g in gaps) and r.secs < 20,
               f"STS throttled then 503: retried with backoff (gaps "
               f"{', '.join(f'{g:.2f}' for g in gaps)} s), then the role's token",
               r.diag() + f"\nrequests: {len(throttle.requests)}")
        down = Scripted([(500, sts_error("InternalFailure", "boom"))], ca)
        r = run([cli, "token", "--host", HOST1],
                dict(envs, AWS_ENDPOINT_URL_STS=f"https://localhost:{down.port}"), 120)
        tap.ok(clean(r) and r.returncode == 1 and 1 <= len(down.requests) <= 5
               and names(r.stderr, "sts", "assume", "localhost") and r.secs < 30,
               f"STS always 500: gives up after {len(down.requests)} requests in "
               f"{r.secs:.1f} s with a message (bounds: 5 requests, 30 s)", r.diag())

    return tap.done()


def _cmdline_has(pid, marker):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return marker.encode() in f.read()
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
