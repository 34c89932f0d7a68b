"""Shared fixtures for the end-to-end tests: a real PostgreSQL 15 cluster, a
test CA with a server certificate for *.dsql.<region>.on.aws, the DSQL
stand-in in front of the cluster, a client environment that preloads the
dsql_auth client library, and TAP output.

Standard library only (Debian's /usr/bin/python3).  Everything lives in one
temporary directory and is removed at exit, processes included.
"""
import atexit
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PGBIN = "/usr/lib/postgresql/15/bin"
PRELOAD = os.path.join(ROOT, "dsql_auth_preload.so")
CLI = os.path.join(ROOT, "dsql-auth")
STANDIN = os.path.join(ROOT, "test", "standin", "dsql_standin.py")
REGION = "us-east-1"
HOST1 = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws"
HOST2 = "zyxwvutsrqponmlkjihgfedcba.dsql.us-east-2.on.aws"
AKID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


class Tap:
    """TAP producer: ok/not ok lines, diagnostics, a plan at the end."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        print(f"{'ok' if cond else 'not ok'} {self.n} - {name}", flush=True)
        if not cond:
            self.failed += 1
            if diag:
                for line in str(diag).rstrip().splitlines()[-40:]:
                    print(f"#   {line}", flush=True)
        return cond

    def diag(self, msg):
        for line in str(msg).splitlines():
            print(f"# {line}", flush=True)

    def done(self):
        print(f"1..{self.n}", flush=True)
        return 1 if self.failed else 0


class Workdir:
    """A temporary directory readable by the postgres user, removed at exit."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="dsql_auth_e2e.")
        os.chmod(self.path, 0o755)
        atexit.register(shutil.rmtree, self.path, True)

    def file(self, name, content=None, mode=0o600):
        p = os.path.join(self.path, name)
        if content is not None:
            with open(p, "w") as f:
                f.write(content)
            os.chmod(p, mode)
        return p


def run_as_postgres(args, **kw):
    """Run a command as the postgres OS user (PostgreSQL refuses root)."""
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--"] + args
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


class Cluster:
    """A throwaway PostgreSQL 15 cluster on a unix socket with trust auth."""

    def __init__(self, work, port=55432):
        self.dir = os.path.join(work.path, f"pgdata{port}")
        self.sockdir = os.path.join(work.path, f"pgsock{port}")
        self.port = port
        os.makedirs(self.sockdir)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.sockdir, pw.pw_uid, pw.pw_gid)
            os.makedirs(self.dir)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        run_as_postgres([f"{PGBIN}/initdb", "-D", self.dir, "-U", "postgres",
                         "--auth=trust", "-E", "UTF8", "--locale=C"])
        with open(os.path.join(self.dir, "postgresql.auto.conf"), "a") as f:
            f.write(f"listen_addresses = ''\nunix_socket_directories = '{self.sockdir}'\n"
                    f"port = {port}\nfsync = off\nmax_connections = 100\n")
        run_as_postgres([f"{PGBIN}/pg_ctl", "-D", self.dir, "-w", "-l",
                         os.path.join(self.dir, "log"), "start"])
        atexit.register(self.stop)

    def stop(self):
        subprocess.run(["runuser", "-u", "postgres", "--", f"{PGBIN}/pg_ctl", "-D",
                        self.dir, "-m", "immediate", "stop"],
                       capture_output=True)

    def psql(self, sql, db="postgres"):
        """Run SQL directly on the backend as superuser, bypassing everything."""
        env = clean_env()
        out = subprocess.run([f"{PGBIN}/psql", "-X", "-At", "-v", "ON_ERROR_STOP=1",
                              "-h", self.sockdir, "-p", str(self.port), "-U", "postgres",
                              "-d", db, "-c", sql],
                             env=env, check=True, capture_output=True, text=True)
        return out.stdout


class CA:
    """A test CA and a server certificate for the DSQL host names."""

    def __init__(self, work, names=("*.dsql.us-east-1.on.aws", "*.dsql.us-east-2.on.aws",
                                    "localhost")):
        d = work.path
        self.crt = os.path.join(d, "ca.crt")
        self.key = os.path.join(d, "ca.key")
        self.server_crt = os.path.join(d, "server.crt")
        self.server_key = os.path.join(d, "server.key")
        ossl = ["openssl"]
        subprocess.run(ossl + ["req", "-x509", "-newkey", "rsa:2048", "-nodes",
                               "-keyout", self.key, "-out", self.crt, "-days", "2",
                               "-subj", "/CN=dsql_auth test CA"],
                       check=True, capture_output=True)
        csr = os.path.join(d, "server.csr")
        subprocess.run(ossl + ["req", "-newkey", "rsa:2048", "-nodes", "-keyout",
                               self.server_key, "-out", csr, "-subj", "/CN=dsql test server"],
                       check=True, capture_output=True)
        ext = os.path.join(d, "san.ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=" + ",".join("DNS:" + n for n in names) + "\n")
        subprocess.run(ossl + ["x509", "-req", "-in", csr, "-CA", self.crt, "-CAkey",
                               self.key, "-CAcreateserial", "-out", self.server_crt,
                               "-days", "2", "-extfile", ext],
                       check=True, capture_output=True)


class Standin:
    """The DSQL stand-in (test/standin/dsql_standin.py) in front of a cluster."""

    def __init__(self, work, cluster, ca, keys, name="standin", extra=()):
        self.log = os.path.join(work.path, f"{name}.log")
        portfile = os.path.join(work.path, f"{name}.port")
        keyfile = work.file(f"{name}.keys.json", json.dumps(keys))
        self.clock_file = work.file(f"{name}.clock", "0\n", 0o644)
        open(self.log, "w").close()
        self.proc = subprocess.Popen(
            [sys.executable, STANDIN, "--listen", "127.0.0.1:0", "--port-file", portfile,
             "--cert", ca.server_crt, "--key", ca.server_key,
             "--backend-socket-dir", cluster.sockdir, "--backend-port", str(cluster.port),
             "--keys", keyfile, "--log", self.log,
             "--clock-offset-file", self.clock_file] + list(extra),
            stdout=subprocess.DEVNULL, stderr=open(self.log + ".stderr", "w"))
        atexit.register(self.stop)
        for _ in range(100):
            if os.path.exists(portfile) and open(portfile).read().strip():
                self.port = int(open(portfile).read())
                break
            if self.proc.poll() is not None:
                raise RuntimeError("stand-in exited: " + open(self.log + ".stderr").read())
            time.sleep(0.05)
        else:
            raise RuntimeError("stand-in did not start")
        self.seen = 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def events(self):
        """All events so far."""
        with open(self.log) as f:
            return [json.loads(line) for line in f if line.strip()]

    def new_events(self):
        """Events since the previous call."""
        ev = self.events()
        new = ev[self.seen:]
        self.seen = len(ev)
        return new


def clean_env(**extra):
    """The environment minus anything that would steer libpq or AWS."""
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("PG") or k.startswith("AWS_") or k.startswith("DSQL_AUTH")
                   or k in ("LD_PRELOAD", "SSL_CERT_FILE", "SSL_CERT_DIR"))}
    env.update({k: v for k, v in extra.items() if v is not None})
    return env


def client_env(work, ca, preload=True, **extra):
    """Environment for a client program going through dsql_auth.

    HOME is an empty directory (no ~/.aws, ~/.pgpass, ~/.postgresql), the
    test CA plays the system CA bundle (SSL_CERT_FILE, as OpenSSL reads it),
    and the AWS keys are in the environment unless overridden.
    """
    home = os.path.join(work.path, "home")
    os.makedirs(home, exist_ok=True)
    env = clean_env(HOME=home, SSL_CERT_FILE=ca.crt, PGCONNECT_TIMEOUT="10",
                    AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET)
    if preload:
        env["LD_PRELOAD"] = PRELOAD
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def run(args, env, timeout=60, input=None):
    """Run a client program; returns CompletedProcess with text output.
    Variables set to None in env are removed."""
    env = {k: v for k, v in env.items() if v is not None}
    return subprocess.run(args, env=env, capture_output=True, text=True,
                          timeout=timeout, input=input)


def conninfo(standin, host=HOST1, **kw):
    """A keyword/value connection string to the stand-in under a DSQL name."""
    parts = {"host": host, "hostaddr": "127.0.0.1", "port": str(standin.port)}
    parts.update(kw)
    return " ".join(f"{k}={v}" for k, v in parts.items() if v is not None)


AWS_STANDIN = os.path.join(ROOT, "test", "standin", "aws_standin.py")
# The AWS host names the credential stand-in answers for (through its HTTPS
# proxy) and under which the test CA certifies it.
AWS_NAMES = ("localhost", "sts.amazonaws.com", "sts.us-east-1.amazonaws.com",
             "sts.us-west-2.amazonaws.com", "portal.sso.us-east-1.amazonaws.com",
             "portal.sso.eu-west-1.amazonaws.com")


class AwsStandin:
    """The AWS credential stand-in (test/standin/aws_standin.py): IMDS,
    container credentials, STS and the SSO portal on loopback, plain HTTP
    (also an HTTPS proxy) and HTTPS with the test CA."""

    def __init__(self, work, ca, name="aws", container_token=None):
        self.log = os.path.join(work.path, f"{name}.log")
        self.mode_file = work.file(f"{name}.mode.json", "{}", 0o644)
        portfile = os.path.join(work.path, f"{name}.ports")
        args = [sys.executable, AWS_STANDIN, "--port-file", portfile, "--log", self.log,
                "--mode-file", self.mode_file, "--cert", ca.server_crt,
                "--key", ca.server_key]
        if container_token:
            args += ["--container-token", container_token]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=open(self.log + ".stderr", "w"))
        atexit.register(self.stop)
        for _ in range(200):
            if os.path.exists(portfile):
                self.http_port, self.https_port = map(int, open(portfile).read().split())
                break
            if self.proc.poll() is not None:
                raise RuntimeError("aws stand-in exited: " + open(self.log + ".stderr").read())
            time.sleep(0.05)
        else:
            raise RuntimeError("aws stand-in did not start")
        self.http = f"http://127.0.0.1:{self.http_port}"
        self.https = f"https://localhost:{self.https_port}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def mode(self, **modes):
        """Set failure modes, e.g. mode(imds="silent"); mode() resets."""
        with open(self.mode_file, "w") as f:
            json.dump(modes, f)

    def events(self, kind=None):
        with open(self.log) as f:
            ev = [json.loads(line) for line in f if line.strip()]
        return [e for e in ev if kind is None or e.get("kind") == kind]
