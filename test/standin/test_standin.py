#!/usr/bin/python3
"""Self-test of the DSQL stand-in (verify_token.py and dsql_standin.py).

Run as root from anywhere:  /usr/bin/python3 test/standin/test_standin.py

Prints TAP ("ok N - ...", then "1..N") and exits 1 on any failure.

  1. verify_token against tokens from a small signer in this file
     (independent of verify_token's own code): each field tampered.
  2. every vector of test/vectors/dsql_tokens.tsv (skipped if absent).
  3. end to end: a throwaway PostgreSQL 15 cluster (unix socket, trust), a
     test CA and server certificate made with openssl, the stand-in, psql
     and a small raw protocol client.

Everything started is stopped, and the temp dir removed, even on failure.
"""

import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import verify_token  # noqa: E402

STANDIN = os.path.join(HERE, "dsql_standin.py")
VECTORS = os.path.join(REPO, "test", "vectors", "dsql_tokens.tsv")
PGBIN = "/usr/lib/postgresql/15/bin"
PSQL = os.path.join(PGBIN, "psql")
BACKEND_PORT = 54329

HOST = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws"
REGION = "us-east-1"
AKID = "AKIDSTANDINTEST00001"
SECRET = "standin/test+secret=0123456789abcdefghij"
ASIA = "ASIASTANDINTEST00002"
ASIA_SECRET = "session/secret+key=abcdefghij0123456789"
SESSION_TOKEN = "IQoJb3JpZ2luX2Vj/standin+session=token=="
KEYS = {AKID: {"secret": SECRET, "session_token": None},
        ASIA: {"secret": ASIA_SECRET, "session_token": SESSION_TOKEN}}


# ---------------------------------------------------------------------------
# TAP
# ---------------------------------------------------------------------------
class Tap:
    """Minimal TAP producer."""

    def __init__(self):
        self.count = 0
        self.failed = 0

    def ok(self, condition, description, diagnostic=None):
        """One test line; diagnostic lines ("# ...") on failure."""
        self.count += 1
        if not condition:
            self.failed += 1
        print(f"{'ok' if condition else 'not ok'} {self.count} - {description}",
              flush=True)
        if not condition and diagnostic:
            for line in str(diagnostic).splitlines()[-15:]:
                print(f"#   {line}", flush=True)
        return condition

    def skip(self, description, why):
        """A skipped test."""
        self.count += 1
        print(f"ok {self.count} - {description} # SKIP {why}", flush=True)

    def note(self, text):
        """A comment line."""
        print(f"# {text}", flush=True)

    def finish(self):
        """The plan line; the exit status."""
        print(f"1..{self.count}", flush=True)
        return 1 if self.failed else 0


# ---------------------------------------------------------------------------
# A small independent SigV4 presigner (deliberately not verify_token's code)
# ---------------------------------------------------------------------------
def amz_date_of(epoch):
    """Epoch seconds -> YYYYMMDDTHHMMSSZ."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))


def _hmac(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def make_token(host=HOST, user="admin", *, region=REGION, akid=AKID,
               secret=SECRET, session_token=None, signed_at=None,
               expires=900, action=None, service="dsql"):
    """A DSQL token, as botocore would make it."""
    if signed_at is None:
        signed_at = time.time()
    amz_date = amz_date_of(signed_at)
    day = amz_date[:8]
    if action is None:
        action = "DbConnectAdmin" if user == "admin" else "DbConnect"
    params = {
        "Action": action,
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": f"{akid}/{day}/{region}/{service}/aws4_request",
        "X-Amz-Date": amz_date,
        "X-Amz-Expires": str(expires),
        "X-Amz-SignedHeaders": "host",
    }
    if session_token:
        params["X-Amz-Security-Token"] = session_token
    query = "&".join(
        f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
        for k, v in sorted(params.items()))
    request = "\n".join(["GET", "/", query, f"host:{host.lower()}", "",
                         "host", hashlib.sha256(b"").hexdigest()])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date,
                         f"{day}/{region}/{service}/aws4_request",
                         hashlib.sha256(request.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (day, region, service, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{host.lower()}/?{query}&X-Amz-Signature={signature}"


def set_param(token, name, value):
    """The token with one query parameter replaced (value already encoded),
    added (if absent), or removed (value None); the signature is kept."""
    host, query = token.split("/?", 1)
    items = [item.split("=", 1) for item in query.split("&")]
    found = False
    result = []
    for key, old in items:
        if key == name:
            found = True
            if value is not None:
                result.append(f"{key}={value}")
        else:
            result.append(f"{key}={old}")
    if not found and value is not None:
        result.insert(-1, f"{name}={value}")
    return f"{host}/?{'&'.join(result)}"


def get_param(token, name):
    """A raw (encoded) query parameter of a token."""
    for item in token.split("/?", 1)[1].split("&"):
        key, _, value = item.partition("=")
        if key == name:
            return value
    return None


# ---------------------------------------------------------------------------
# 1. verify_token unit tests
# ---------------------------------------------------------------------------
def unit_tests(tap):
    """Valid tokens pass; each tampered field fails with its reason."""
    now = 1_730_000_000            # a fixed clock: 2024-10-27T03:33:20Z

    def check(description, token, expected, *, host=HOST, user="admin",
              keys=KEYS, at=now, region=None, service="dsql"):
        ok, reason, info = verify_token.verify(
            token, expected_host=host, user=user, keys=keys, now=at,
            region=region, service=service)
        got = "ok" if ok else reason
        tap.ok(got == expected and ok == (expected == "ok"),
               f"verify: {description} -> {expected}",
               f"got {got!r} ({info.get('detail')})")
        return info

    good = make_token(signed_at=now)
    info = check("valid admin token", good, "ok")
    tap.ok(info.get("action") == "DbConnectAdmin"
           and info.get("access_key_id") == AKID
           and info.get("x_amz_date") == amz_date_of(now)
           and info.get("expires") == "900",
           "verify: info carries action, key id, date, expires")
    secrets = [SECRET, get_param(good, "X-Amz-Signature")]
    tap.ok(not any(s in json.dumps(info) for s in secrets),
           "verify: info holds neither signature nor secret")
    check("valid DbConnect token for another user",
          make_token(user="app_user", signed_at=now), "ok", user="app_user")
    check("valid token with session token",
          make_token(akid=ASIA, secret=ASIA_SECRET,
                     session_token=SESSION_TOKEN, signed_at=now), "ok")
    check("host compared case-insensitively", good, "ok", host=HOST.upper())
    check("valid at the last second", good, "ok", at=now + 900)
    check("valid when signed 5 minutes ahead of the clock", good, "ok",
          at=now - 300)
    check("explicit region that agrees with the host", good, "ok",
          region=REGION)

    # host
    check("token for another host",
          make_token(host="zzzzzzzzzzzzzzzzzzzzzzzzzz.dsql.us-east-1.on.aws",
                     signed_at=now), "host mismatch")
    check("host edited, signature kept",
          good.replace("abcdefghij", "abcdefghik", 1), "host mismatch")
    # region
    check("signed for another region than the host's",
          make_token(region="us-west-2", signed_at=now), "region mismatch")
    check("server region differs from the host's", good, "region mismatch",
          region="us-west-2")
    check("non-DSQL host and no region given",
          make_token(host="localhost", signed_at=now), "region mismatch",
          host="localhost")
    check("non-DSQL host with the region given",
          make_token(host="localhost", signed_at=now), "ok",
          host="localhost", region=REGION)
    # action
    check("DbConnect for admin", make_token(action="DbConnect",
                                            signed_at=now), "wrong action")
    check("DbConnectAdmin for a non-admin user",
          make_token(user="app_user", action="DbConnectAdmin",
                     signed_at=now), "wrong action", user="app_user")
    check("user Admin is not admin", good, "wrong action", user="Admin")
    check("Action edited, signature kept",
          set_param(make_token(user="app", signed_at=now), "Action",
                    "DbConnectAdmin"), "bad signature")
    # date
    check("token expired (now > date + expires)", good, "expired",
          at=now + 901)
    check("old token, re-signed", make_token(signed_at=now - 3600),
          "expired")
    check("date in the future (> 5 minutes)", good, "not yet valid",
          at=now - 301)
    check("date edited to another day (scope date differs)",
          set_param(good, "X-Amz-Date", amz_date_of(now + 86400)),
          "bad date")
    moved = set_param(good, "X-Amz-Date", amz_date_of(now + 1))
    check("date moved by one second, signature kept", moved, "bad signature")
    check("date not a date", set_param(good, "X-Amz-Date",
                                       "20241345T256161Z"), "bad date")
    # expires
    check("expires edited, signature kept",
          set_param(good, "X-Amz-Expires", "3600"), "bad signature")
    check("expires 0", make_token(expires=0, signed_at=now), "bad expires")
    check("expires 604801", make_token(expires=604801, signed_at=now),
          "bad expires")
    check("expires 604800", make_token(expires=604800, signed_at=now), "ok")
    check("expires not a number",
          set_param(good, "X-Amz-Expires", "9e2"), "bad expires")
    # signature
    signature = get_param(good, "X-Amz-Signature")
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    check("signature changed", set_param(good, "X-Amz-Signature", flipped),
          "bad signature")
    check("signature in upper case",
          set_param(good, "X-Amz-Signature", signature.upper()),
          "bad signature")
    check("signature missing", set_param(good, "X-Amz-Signature", None),
          "malformed")
    check("wrong secret", make_token(secret="not-the-secret", signed_at=now),
          "bad signature")
    # session token
    check("session token missing",
          make_token(akid=ASIA, secret=ASIA_SECRET, signed_at=now),
          "missing session token")
    check("other session token, re-signed",
          make_token(akid=ASIA, secret=ASIA_SECRET, session_token="other",
                     signed_at=now), "bad session token")
    session_good = make_token(akid=ASIA, secret=ASIA_SECRET,
                              session_token=SESSION_TOKEN, signed_at=now)
    check("session token removed, signature kept",
          set_param(session_good, "X-Amz-Security-Token", None),
          "missing session token")
    check("session token where the key has none",
          make_token(session_token="stray", signed_at=now),
          "unexpected session token")
    # access key
    check("unknown access key",
          make_token(akid="AKIDUNKNOWN", signed_at=now),
          "unknown access key")
    check("key id edited, signature kept",
          set_param(session_good, "X-Amz-Credential",
                    get_param(session_good, "X-Amz-Credential").replace(
                        ASIA, AKID)),
          "unexpected session token")
    # service, algorithm, shape
    check("service rds-db", make_token(service="rds-db", signed_at=now),
          "wrong service")
    check("algorithm changed",
          set_param(good, "X-Amz-Algorithm", "AWS4-HMAC-SHA512"),
          "bad algorithm")
    check("signed headers changed",
          set_param(good, "X-Amz-SignedHeaders", "host%3Bx-amz-date"),
          "bad signed headers")
    check("with https:// scheme", "https://" + good, "malformed")
    check("not a URL", "hunter2", "malformed")
    check("empty token", "", "malformed")
    check("parameter repeated", good + "&Action=DbConnect", "malformed")


def hook_tests(tap):
    """The statement-rule hook's contract (in-process, no server)."""
    import dsql_standin
    state = dsql_standin.ConnState(1)
    tap.ok(dsql_standin.on_frontend_message(state, "Q", b"select 1\0")
           == dsql_standin.FORWARD, "hook: forwards by default")
    state.txn_status = "T"
    state.reply_error("0A000", "unsupported statement: Lock")
    framer = dsql_standin.MessageFramer()
    messages = framer.feed(bytes(state.to_client))
    tap.ok([m[0] for m in messages] == ["E", "Z"]
           and error_fields(messages[0][1]).get("C") == "0A000"
           and messages[1][1] == b"T",
           "hook: reply_error queues ErrorResponse + ReadyForQuery",
           messages)


# ---------------------------------------------------------------------------
# 2. botocore vectors
# ---------------------------------------------------------------------------
def vector_tests(tap):
    """Every line of test/vectors/dsql_tokens.tsv, if present."""
    if not os.path.exists(VECTORS):
        tap.skip("vectors", f"{os.path.relpath(VECTORS, REPO)} not present")
        return
    try:
        vectors = verify_token.load_vectors(VECTORS)
    except (OSError, ValueError) as err:
        tap.ok(False, "vectors: file loads", err)
        return
    tap.ok(len(vectors) > 0, f"vectors: {len(vectors)} loaded")
    for vector in vectors:
        passed, text = verify_token.check_vector(vector)
        tap.ok(passed, text)
    cli = subprocess.run([sys.executable, os.path.join(HERE, "verify_token.py"),
                          "--vectors", VECTORS], capture_output=True,
                         text=True, timeout=60)
    tap.ok(cli.returncode == 0 and f"1..{len(vectors)}" in cli.stdout,
           "vectors: verify_token.py --vectors exits 0",
           cli.stdout + cli.stderr)


# ---------------------------------------------------------------------------
# 3. end to end
# ---------------------------------------------------------------------------
def run(cmd, timeout=60, **kwargs):
    """Run a command, capture output; raise with the output on failure."""
    result = subprocess.run(cmd, capture_output=True, text=True,
                            timeout=timeout, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({result.returncode}): "
                           f"{result.stdout}{result.stderr}")
    return result


def as_postgres(cmd, **kwargs):
    """Run a command as the postgres user."""
    return run(["runuser", "-u", "postgres", "--"] + cmd, **kwargs)


def clean_env(**extra):
    """The environment without any PG* variable or preload, plus extra."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PG") and k != "LD_PRELOAD"}
    env.update(extra)
    return env


class Cluster:
    """A throwaway PostgreSQL 15 cluster: unix socket only, trust auth."""

    def __init__(self, root):
        self.data = os.path.join(root, "data")
        self.socket_dir = root
        self.logfile = os.path.join(root, "postgres.log")
        self.started = False

    def start(self):
        """initdb, configure, start, create the test roles."""
        as_postgres([os.path.join(PGBIN, "initdb"), "-D", self.data,
                     "-A", "trust", "-U", "postgres", "-E", "UTF8",
                     "--no-sync", "--no-instructions"])
        with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
            conf.write(f"listen_addresses = ''\n"
                       f"unix_socket_directories = '{self.socket_dir}'\n"
                       f"port = {BACKEND_PORT}\n"
                       "fsync = off\n")
        as_postgres([os.path.join(PGBIN, "pg_ctl"), "-D", self.data, "-l",
                     self.logfile, "-w", "-t", "30", "start"])
        self.started = True
        as_postgres([PSQL, "-X", "-q", "-h", self.socket_dir, "-p",
                     str(BACKEND_PORT), "-d", "postgres", "-v",
                     "ON_ERROR_STOP=1", "-c",
                     "CREATE ROLE admin LOGIN SUPERUSER; "
                     "CREATE ROLE app_user LOGIN"], env=clean_env())

    def stop(self):
        """Stop the server (immediate; it is thrown away anyway)."""
        if self.started:
            subprocess.run(["runuser", "-u", "postgres", "--",
                            os.path.join(PGBIN, "pg_ctl"), "-D", self.data,
                            "-m", "immediate", "-w", "stop"],
                           capture_output=True, timeout=30)
            self.started = False


def make_certs(root):
    """A test CA and a server certificate for *.dsql.us-east-1.on.aws."""
    ca_key, ca_crt = os.path.join(root, "ca.key"), os.path.join(root, "ca.crt")
    key, csr, crt = (os.path.join(root, n)
                     for n in ("server.key", "server.csr", "server.crt"))
    ext = os.path.join(root, "server.ext")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
          "-nodes"]
    run(["openssl", "req", "-x509"] + ec + ["-keyout", ca_key, "-out",
        ca_crt, "-days", "2", "-subj", "/CN=dsql standin test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    run(["openssl", "req", "-new"] + ec + ["-keyout", key, "-out", csr,
        "-subj", "/CN=*.dsql.us-east-1.on.aws"])
    with open(ext, "w") as handle:
        handle.write("subjectAltName=DNS:*.dsql.us-east-1.on.aws\n"
                     "basicConstraints=CA:FALSE\n"
                     "keyUsage=critical,digitalSignature\n"
                     "extendedKeyUsage=serverAuth\n")
    run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey",
         ca_key, "-set_serial", "1", "-days", "2", "-out", crt,
         "-extfile", ext])
    return ca_crt, crt, key


class Standin:
    """One dsql_standin.py process."""

    def __init__(self, root, name, cluster, cert, key, extra=()):
        self.root = root
        self.log_path = os.path.join(root, f"{name}.log")
        self.port_file = os.path.join(root, f"{name}.port")
        self.stderr_path = os.path.join(root, f"{name}.stderr")
        self.keys_path = os.path.join(root, "keys.json")
        self.clock_path = os.path.join(root, f"{name}.clock")
        with open(self.keys_path, "w") as handle:
            json.dump(KEYS, handle)
        cmd = [sys.executable, STANDIN, "--listen", "127.0.0.1:0",
               "--port-file", self.port_file, "--keys", self.keys_path,
               "--backend-socket-dir", cluster.socket_dir,
               "--backend-port", str(BACKEND_PORT), "--log", self.log_path,
               "--clock-offset-file", self.clock_path]
        if cert:
            cmd += ["--cert", cert, "--key", key]
        cmd += list(extra)
        self.stderr = open(self.stderr_path, "w")
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                        stderr=self.stderr)
        self.port = self.wait_for_port()

    def wait_for_port(self):
        """The port from --port-file (written once listening)."""
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("stand-in exited: " + self.stderr_text())
            if os.path.exists(self.port_file):
                with open(self.port_file) as handle:
                    text = handle.read()
                if text.endswith("\n"):
                    return int(text)
            time.sleep(0.05)
        raise RuntimeError("stand-in did not write its port file")

    def stderr_text(self):
        """What the stand-in wrote to stderr."""
        with open(self.stderr_path) as handle:
            return handle.read()

    def events(self, name=None):
        """The event log so far (all, or those named name)."""
        events = []
        with open(self.log_path) as handle:
            for line in handle:
                if line.strip():
                    events.append(json.loads(line))
        return [e for e in events if name is None or e["event"] == name]

    def log_text(self):
        """The raw event log."""
        with open(self.log_path) as handle:
            return handle.read()

    def wait_event(self, name, count=1, timeout=10):
        """Wait until the log has count events named name."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.events(name)) >= count:
                return True
            time.sleep(0.05)
        return False

    def set_clock_offset(self, seconds):
        """Shift the stand-in's clock for the next connections."""
        with open(self.clock_path, "w") as handle:
            handle.write(f"{seconds}\n")

    def stop(self):
        """SIGTERM; returns the exit status (kills after 10 s)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stderr.close()
        return self.process.returncode


def psql(port, token, sql="select 1", *, user="admin", sslmode="verify-full",
         ca=None, extra="", timeout=30):
    """Run psql against the stand-in; returns CompletedProcess."""
    conninfo = (f"host={HOST} hostaddr=127.0.0.1 port={port} user={user} "
                f"dbname=postgres sslmode={sslmode} connect_timeout=10 {extra}")
    env = clean_env()
    if ca:
        env["PGSSLROOTCERT"] = ca
    if token is not None:
        env["PGPASSWORD"] = token
    return subprocess.run([PSQL, "-X", "-w", "-A", "-t", "-d", conninfo,
                           "-c", sql], capture_output=True, text=True,
                          env=env, timeout=timeout)


# -- a small raw protocol client, for exact SQLSTATEs ---------------------------
def raw_connect(port, *, tls=True, ca=None, sni=HOST):
    """A socket to the stand-in, after SSLRequest + handshake if tls."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    if not tls:
        return sock
    sock.sendall(struct.pack("!ii", 8, 80877103))
    answer = sock.recv(1)
    if answer != b"S":
        sock.close()
        raise RuntimeError(f"SSLRequest answered {answer!r}")
    context = ssl.create_default_context(cafile=ca)
    if sni is None:
        context.check_hostname = False          # nothing to check against
    return context.wrap_socket(sock, server_hostname=sni)


def raw_startup(sock, user, database="postgres"):
    """Send a protocol 3.0 startup packet."""
    body = struct.pack("!i", 196608)
    for name, value in (("user", user), ("database", database)):
        body += name.encode() + b"\0" + value.encode() + b"\0"
    body += b"\0"
    sock.sendall(struct.pack("!i", len(body) + 4) + body)


def raw_read(sock):
    """One message: (type, payload), or (None, b"") at end of stream."""
    header = b""
    while len(header) < 5:
        chunk = sock.recv(5 - len(header))
        if not chunk:
            return None, b""
        header += chunk
    length = struct.unpack("!i", header[1:])[0]
    payload = b""
    while len(payload) < length - 4:
        chunk = sock.recv(length - 4 - len(payload))
        if not chunk:
            return None, b""
        payload += chunk
    return chr(header[0]), payload


def error_fields(payload):
    """ErrorResponse payload -> {field code: text}."""
    fields = {}
    for part in payload.split(b"\0"):
        if part:
            fields[chr(part[0])] = part[1:].decode()
    return fields


def raw_login(port, ca, user, password, database="postgres", sni=HOST):
    """Log in over TLS; returns (first message type after the password,
    its fields or payload, whether a password was requested)."""
    sock = raw_connect(port, ca=ca, sni=sni)
    try:
        raw_startup(sock, user, database)
        msg_type, payload = raw_read(sock)
        if msg_type != "R" or payload != struct.pack("!i", 3):
            return msg_type, error_fields(payload), False
        data = password.encode() + b"\0"
        sock.sendall(b"p" + struct.pack("!i", len(data) + 4) + data)
        msg_type, payload = raw_read(sock)
        return msg_type, (error_fields(payload) if msg_type == "E"
                          else payload), True
    finally:
        sock.close()


def e2e_tests(tap, root):
    """The end-to-end part; root is a temp dir owned by postgres."""
    cluster = Cluster(root)
    standins = []
    try:
        cluster.start()
        tap.ok(True, "e2e: PostgreSQL 15 cluster started (unix socket, trust)")
        ca, cert, key = make_certs(root)
        tap.ok(True, "e2e: test CA and *.dsql.us-east-1.on.aws certificate")
        standin = Standin(root, "standin", cluster, cert, key)
        standins.append(standin)
        tap.ok(standin.port > 0,
               f"e2e: stand-in listening on port {standin.port}")
        e2e_login(tap, standin, ca)
        e2e_refusals(tap, standin, ca)
        e2e_robustness(tap, standin, ca)
        e2e_refuse_tls(tap, root, cluster, standins)
        e2e_log_hygiene(tap, standin)
        status = standin.stop()
        tap.ok(status == 0 and standin.events("shutdown"),
               "e2e: stand-in exits 0 on SIGTERM", standin.stderr_text())
    finally:
        for standin in standins:
            standin.stop()
        cluster.stop()


def e2e_login(tap, standin, ca):
    """Good tokens get in; the session reaches the backend."""
    port = standin.port
    result = psql(port, make_token(), "select 1", ca=ca)
    tap.ok(result.returncode == 0 and result.stdout.strip() == "1",
           "e2e: psql verify-full as admin with a fresh token: select 1",
           result.stderr)
    ok_events = standin.events("auth_ok")
    last = ok_events[-1] if ok_events else {}
    tap.ok(last.get("sni") == HOST and last.get("user") == "admin"
           and last.get("database") == "postgres"
           and last.get("action") == "DbConnectAdmin"
           and last.get("access_key_id") == AKID
           and str(last.get("tls_version", "")).startswith("TLSv1."),
           "e2e: auth_ok logged with sni, user, action, key id, TLS version",
           json.dumps(last))

    result = psql(port, make_token(user="app_user"),
                  "select current_user, current_setting('application_name')",
                  user="app_user", ca=ca, extra="application_name=standin_t")
    tap.ok(result.returncode == 0
           and result.stdout.strip() == "app_user|standin_t",
           "e2e: non-admin user with DbConnect; startup parameters relayed",
           result.stdout + result.stderr)

    token = make_token(akid=ASIA, secret=ASIA_SECRET,
                       session_token=SESSION_TOKEN)
    result = psql(port, token, "select 2", ca=ca)
    tap.ok(result.returncode == 0 and result.stdout.strip() == "2",
           "e2e: token with session token", result.stderr)

    result = psql(port, make_token(),
                  "select count(*) from generate_series(1, 200000) g; "
                  "select repeat('x', 3000000) is not null", ca=ca)
    tap.ok(result.returncode == 0
           and result.stdout.split() == ["200000", "t"],
           "e2e: larger results and a 3 MB row relayed", result.stderr)

    procs = [subprocess.Popen(
        [PSQL, "-X", "-w", "-A", "-t", "-d",
         f"host={HOST} hostaddr=127.0.0.1 port={port} user=admin "
         f"dbname=postgres sslmode=verify-full",
         "-c", f"select pg_sleep(0.3), {n}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=clean_env(PGPASSWORD=make_token(), PGSSLROOTCERT=ca))
        for n in range(8)]
    outputs = [p.communicate(timeout=30) for p in procs]
    tap.ok(all(p.returncode == 0 for p in procs)
           and sorted(o[0].strip() for o in outputs)
           == sorted(f"|{n}" for n in range(8)),
           "e2e: 8 concurrent connections", outputs)

    e2e_cancel(tap, standin, ca)


def e2e_cancel(tap, standin, ca):
    """psql's cancel (SIGINT) reaches the backend through the stand-in."""
    before = len(standin.events("auth_ok"))
    proc = subprocess.Popen(
        [PSQL, "-X", "-w", "-d",
         f"host={HOST} hostaddr=127.0.0.1 port={standin.port} user=admin "
         f"dbname=postgres sslmode=verify-full", "-c", "select pg_sleep(30)"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=clean_env(PGPASSWORD=make_token(), PGSSLROOTCERT=ca))
    try:
        standin.wait_event("auth_ok", before + 1)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    tap.ok("canceling statement due to user request" in err
           and standin.wait_event("cancel"),
           "e2e: CancelRequest forwarded to the backend", err)


def e2e_refusals(tap, standin, ca):
    """Bad tokens, wrong database, plaintext."""
    port = standin.port
    bad = make_token(secret="wrong-secret")
    result = psql(port, bad, ca=ca)
    tap.ok(result.returncode != 0
           and 'password authentication failed for user "admin"'
           in result.stderr,
           "e2e: psql with a bad token is refused", result.stderr)
    msg_type, fields, asked = raw_login(port, ca, "admin", bad)
    tap.ok(asked and msg_type == "E" and fields.get("C") == "28P01"
           and fields.get("S") == "FATAL"
           and fields.get("D") == "bad signature",
           "e2e: bad token -> FATAL 28P01, DETAIL bad signature", fields)
    fail = standin.events("auth_fail")
    tap.ok(fail and fail[-1].get("reason") == "bad signature",
           "e2e: auth_fail logged with its reason",
           json.dumps(fail[-1:]))

    msg_type, fields, _ = raw_login(port, ca, "admin",
                                    make_token(user="app_user"))
    tap.ok(msg_type == "E" and fields.get("C") == "28P01"
           and fields.get("D") == "wrong action",
           "e2e: DbConnect token for admin -> 28P01 wrong action", fields)

    standin.set_clock_offset(3600)
    msg_type, fields, _ = raw_login(port, ca, "admin", make_token())
    standin.set_clock_offset(0)
    tap.ok(msg_type == "E" and fields.get("C") == "28P01"
           and fields.get("D") == "expired",
           "e2e: --clock-offset-file +1 h -> 28P01 expired", fields)

    msg_type, fields, _ = raw_login(port, ca, "admin", make_token(),
                                    sni=None)
    tap.ok(msg_type == "E" and fields.get("C") == "28P01"
           and fields.get("D") == "no SNI and no --endpoint",
           "e2e: no SNI and no --endpoint -> 28P01", fields)

    msg_type, fields, _ = raw_login(port, ca, "admin", make_token(),
                                    database="other")
    tap.ok(msg_type == "E" and fields.get("C") == "3D000",
           "e2e: database other than postgres -> 3D000", fields)

    result = psql(port, make_token(), sslmode="disable")
    tap.ok(result.returncode != 0
           and "SSL/TLS is required" in result.stderr
           and "password" not in result.stderr,
           "e2e: psql sslmode=disable refused without a password request",
           result.stderr)
    sock = raw_connect(port, tls=False)
    try:
        raw_startup(sock, "admin")
        msg_type, payload = raw_read(sock)
    finally:
        sock.close()
    fields = error_fields(payload) if msg_type == "E" else {}
    tap.ok(msg_type == "E" and fields.get("C") == "28000"
           and fields.get("S") == "FATAL",
           "e2e: plaintext startup -> FATAL 28000 first (no 'R')",
           (msg_type, payload))
    tap.ok(standin.wait_event("no_tls", 2),
           "e2e: no_tls events logged")


def e2e_robustness(tap, standin, ca):
    """Garbage and vanishing clients do not hurt the server."""
    port = standin.port
    for data in (struct.pack("!i", 0x7fffffff),            # huge length
                 struct.pack("!ii", 8, 12345678),          # unknown code
                 struct.pack("!ii", 3, 0),                 # too short
                 b""):                                     # vanishes
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        try:
            # the server may already have closed on seeing the bad packet
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            while sock.recv(4096):
                pass
        except OSError:
            pass
        sock.close()
    sock = raw_connect(port, ca=ca)       # TLS, then a huge password message
    try:
        raw_startup(sock, "admin")
        raw_read(sock)
        sock.sendall(b"p" + struct.pack("!i", 0x7ffffff0))
        msg_type, payload = raw_read(sock)
    finally:
        sock.close()
    tap.ok(msg_type == "E" and error_fields(payload).get("C") == "08P01",
           "e2e: password message over 1 MB refused (08P01)",
           (msg_type, payload))
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(struct.pack("!ii", 8, 80877104))          # GSSENCRequest
    answer = sock.recv(1)
    sock.close()
    tap.ok(answer == b"N", "e2e: GSSENCRequest answered 'N'", answer)
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(struct.pack("!ii", 8, 80877103))
    sock.recv(1)
    sock.sendall(b"\x16\x03\x01\x00\x05hello")          # broken handshake
    sock.close()
    result = psql(port, make_token(), "select 3", ca=ca)
    tap.ok(result.returncode == 0 and result.stdout.strip() == "3"
           and standin.process.poll() is None,
           "e2e: still serving after malformed packets and vanished clients",
           result.stderr + standin.stderr_text())


def e2e_refuse_tls(tap, root, cluster, standins):
    """--refuse-tls: sslmode=require never sends the password in plaintext;
    sslmode=prefer does (the trap works)."""
    trap = Standin(root, "refuse", cluster, None, None, ["--refuse-tls"])
    standins.append(trap)
    result = psql(trap.port, make_token(), sslmode="require")
    tap.ok(result.returncode != 0
           and "server does not support SSL" in result.stderr,
           "e2e: --refuse-tls: psql sslmode=require gives up",
           result.stderr)
    tap.ok(not trap.events("plaintext_password"),
           "e2e: --refuse-tls: no plaintext_password with sslmode=require",
           trap.log_text())
    result = psql(trap.port, make_token(), sslmode="prefer")
    tap.ok(trap.wait_event("plaintext_password", timeout=5),
           "e2e: --refuse-tls: sslmode=prefer sends it (trap detects)",
           trap.log_text() + result.stderr)
    tap.ok(trap.stop() == 0, "e2e: --refuse-tls stand-in exits 0 on SIGTERM")


def e2e_log_hygiene(tap, standin):
    """The event log never holds a secret, a session token or a signature."""
    text = standin.log_text()
    forbidden = [SECRET, ASIA_SECRET, SESSION_TOKEN,
                 urllib.parse.quote(SESSION_TOKEN, safe="-_.~"),
                 "X-Amz-Signature", "X-Amz-Security-Token"]
    leaked = [f for f in forbidden if f in text]
    tap.ok(not leaked, "e2e: event log holds no secret, session token or "
           "signature", leaked)
    lines = text.splitlines()
    tap.ok(all(json.loads(line).get("event") for line in lines),
           f"e2e: event log is {len(lines)} JSON lines")


def e2e_prerequisites():
    """None if the end-to-end part can run, else why not."""
    if os.geteuid() != 0:
        return "must run as root (to run PostgreSQL as user postgres)"
    for path in (os.path.join(PGBIN, "initdb"), PSQL):
        if not os.access(path, os.X_OK):
            return f"{path} missing (install postgresql-15)"
    if not shutil.which("openssl"):
        return "openssl missing"
    if not shutil.which("runuser"):
        return "runuser missing"
    return None


def main():
    """Run all parts; TAP on stdout."""
    for name in list(os.environ):     # PGHOST, PGPASSWORD, PGSERVICE...
        if name.startswith("PG") or name == "LD_PRELOAD":
            del os.environ[name]
    tap = Tap()
    unit_tests(tap)
    hook_tests(tap)
    vector_tests(tap)
    why_not = e2e_prerequisites()
    if why_not:
        tap.skip("end-to-end tests", why_not)
        return tap.finish()
    root = tempfile.mkdtemp(prefix="dsql_standin_test.")
    try:
        shutil.chown(root, "postgres", "postgres")
        os.chmod(root, 0o700)
        e2e_tests(tap, root)
    except Exception as err:  # report, then clean up
        import traceback
        tap.ok(False, f"e2e: unexpected {type(err).__name__}",
               traceback.format_exc())
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
