#!/usr/bin/python3
"""End-to-end runs of a sanitizer build of the client library (make asan,
make tsan).  Prints TAP.

    san_e2e.py asan BUILD_DIR     (build-asan: ASan+UBSan)
    san_e2e.py tsan BUILD_DIR     (build-tsan: ThreadSanitizer)

BUILD_DIR holds the sanitized dsql_auth_preload.so and connect_driver, a
libpq program built with the same sanitizer so that its runtime is loaded
first.  Why not psql: preloading the ASan runtime (gcc 12's libasan or
clang 14's) into Debian 12's uninstrumented psql, pg_dump or even
`curl --version` hangs them — at exit, in libp11-kit's destructor, and with
TLS, in GSSAPI's glob(): glibc's __libc_setlocale_lock ends up with a
corrupt reader count.  That happens with the runtime alone, without
dsql_auth.  So the driver stands in for psql under the sanitizers, and
valgrind (make valgrind) covers the real psql, pg_dump and pgbench.

Credentials come from a credential_process whose credentials expire every
few seconds, so the process-wide cache refreshes while many threads
connect, and from a profile file rewritten underneath the connects.  Any
sanitizer report fails the run.
"""
import http.server
import os
import re
import ssl
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "test", "e2e"))
from harness import (AKID, HOST1, HOST2, SECRET, CA, Cluster, Standin, Tap,  # noqa: E402
                     Workdir, client_env)

REPORT = re.compile(r"ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer|"
                    r"WARNING: ThreadSanitizer|ThreadSanitizer: reported")
AKID2 = "AKIASANE2ETESTKEY002"
SECRET2 = "sanE2Esecret/0000000000+1111111111111111"
PROC_AKID = "ASIASANE2EPROCKEY0{n}"
PROC_SECRET = "sanE2EprocSecret/2222222222+33333333333{n}"
PROC_TOKEN = "IQoJsanE2Esession/" + "dG9rZW4+/=" * 30 + "{n}"


class FakeSts(http.server.ThreadingHTTPServer):
    """A loopback HTTPS STS whose AssumeRole credentials expire in 4 s, so
    the cache refreshes them through libcurl while threads connect."""

    daemon_threads = True

    def __init__(self, ca):
        self.calls = 0

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                n = self.server.calls % 10
                self.server.calls += 1
                exp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 4))
                body = (f"<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>"
                        f"{PROC_AKID.format(n=n)}</AccessKeyId><SecretAccessKey>"
                        f"{PROC_SECRET.format(n=n)}</SecretAccessKey><SessionToken>"
                        f"{PROC_TOKEN.format(n=n)}</SessionToken><Expiration>{exp}"
                        f"</Expiration></Credentials></AssumeRoleResult>"
                        f"</AssumeRoleResponse>").encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        super().__init__(("127.0.0.1", 0), H)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ca.server_crt, ca.server_key)
        self.socket = ctx.wrap_socket(self.socket, server_side=True)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()


def main(argv):
    mode, build = argv[1], os.path.abspath(argv[2])
    tap = Tap()
    work = Workdir()
    ca = CA(work)
    cluster = Cluster(work, 55482 if mode == "asan" else 55483)
    cluster.psql("CREATE ROLE alice LOGIN; CREATE ROLE admin LOGIN")
    keys = {AKID: {"secret": SECRET, "session_token": None},
            AKID2: {"secret": SECRET2, "session_token": None}}
    for n in range(10):
        keys[PROC_AKID.format(n=n)] = {"secret": PROC_SECRET.format(n=n),
                                       "session_token": PROC_TOKEN.format(n=n)}
    s = Standin(work, cluster, ca, keys, "san")
    driver = os.path.join(build, "connect_driver")
    lib = os.path.join(build, "dsql_auth_preload.so")

    counter = os.path.join(work.path, "proc_count")
    helper = work.file("helper.py", f"""#!/usr/bin/python3
import json, os, time, fcntl
with open({counter!r}, "a+") as f:
    fcntl.flock(f, fcntl.LOCK_EX)
    f.seek(0)
    n = len(f.read())
    f.write("x")
print(json.dumps({{"Version": 1, "AccessKeyId": {PROC_AKID!r}.format(n=n % 10),
    "SecretAccessKey": {PROC_SECRET!r}.format(n=n % 10),
    "SessionToken": {PROC_TOKEN!r}.format(n=n % 10),
    "Expiration": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 4))}}))
""", 0o755)
    san_opts = {"asan": dict(ASAN_OPTIONS="detect_leaks=1:exitcode=86:strict_string_checks=1:verify_asan_link_order=0",
                             UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=87"),
                "tsan": dict(TSAN_OPTIONS="halt_on_error=0:exitcode=66:second_deadlock_stack=1:"
                                          "report_signal_unsafe=0")}[mode]
    base = client_env(work, ca, LD_PRELOAD=lib, **san_opts)
    env_keys = dict(base)
    env_proc = dict(base, AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None,
                    AWS_CONFIG_FILE=work.file("config", f"[default]\ncredential_process = {helper}\n"))
    rot = work.file("rotating", f"[default]\naws_access_key_id = {AKID}\n"
                                f"aws_secret_access_key = {SECRET}\n")
    env_file = dict(base, AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None,
                    AWS_SHARED_CREDENTIALS_FILE=rot, AWS_CONFIG_FILE=work.file("empty", ""))
    sts = FakeSts(ca)
    env_sts = dict(base, AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None,
                   AWS_CONFIG_FILE=work.file("config_sts", "[default]\nrole_arn = "
                                             "arn:aws:iam::123456789012:role/san\n"
                                             "source_profile = base\n"),
                   AWS_SHARED_CREDENTIALS_FILE=work.file(
                       "base_creds", f"[base]\naws_access_key_id = {AKID}\n"
                                     f"aws_secret_access_key = {SECRET}\n"),
                   AWS_CA_BUNDLE=ca.crt, AWS_ENDPOINT_URL_STS=f"https://localhost:{sts.port}")
    for e in (env_proc, env_file, env_sts):
        for k in [k for k, v in e.items() if v is None]:
            del e[k]

    def drive(label, args, env, limit=600):
        t0 = time.time()
        r = subprocess.run([driver] + args, env=env, capture_output=True, text=True,
                           timeout=limit)
        reports = [ln for ln in r.stderr.splitlines() if REPORT.search(ln)]
        for line in r.stdout.splitlines():
            if line.startswith(("ok", "not ok")):
                tap.diag(f"{label}: {line}")
        tap.ok(r.returncode == 0 and not reports and "not ok" not in r.stdout,
               f"{label} under {mode}: exit {r.returncode}, {len(reports)} sanitizer "
               f"reports ({time.time() - t0:.1f} s)",
               r.stdout[-3000:] + "\n" + r.stderr[-6000:])

    port = str(s.port)
    # controls: the library is instrumented, and this runner sees reports
    syms = subprocess.run(["nm", "-D", lib], capture_output=True, text=True).stdout
    probe = {"asan": "__asan_report", "tsan": "__tsan_func_entry"}[mode]
    tap.ok(probe in syms, f"control: {os.path.basename(lib)} is built with {mode} ({probe})")
    r = subprocess.run([driver, "control"], env=base, capture_output=True, text=True, timeout=60)
    tap.ok(bool(REPORT.search(r.stderr)),
           f"control: a deliberate bug in the driver is reported by {mode}", r.stderr[-2000:])
    if mode == "asan":
        drive("every entry point, keys from the environment",
              ["entry", HOST1, port, HOST2], env_keys)
        drive("every entry point, cached credential_process credentials",
              ["entry", HOST1, port, HOST2], env_proc)
        drive("4 threads x 40 connects, credentials refreshed every few seconds",
              ["threads", HOST1, port, "4", "40"], env_proc)
        drive("4 threads x 40 connects, STS role credentials (libcurl) refreshed every "
              "few seconds", ["threads", HOST1, port, "4", "40"], env_sts)
    else:
        drive("8 threads x 60 connects, credential_process credentials refreshed "
              "every few seconds", ["threads", HOST1, port, "8", "60"], env_proc)
        stop = threading.Event()

        def rotate():
            i = 0
            while not stop.is_set():
                a, k = (AKID, SECRET) if i % 2 else (AKID2, SECRET2)
                with open(rot + ".tmp", "w") as f:
                    f.write(f"[default]\naws_access_key_id = {a}\naws_secret_access_key = {k}\n")
                os.rename(rot + ".tmp", rot)
                i += 1
                time.sleep(0.02)

        t = threading.Thread(target=rotate, daemon=True)
        t.start()
        drive("8 threads x 12 connects while the credentials file is rewritten",
              ["threads", HOST1, port, "8", "12"], env_file)
        stop.set()
        t.join()
        t0 = time.time()
        drive("8 threads x 60 connects, STS role credentials (libcurl) refreshed every "
              "few seconds", ["threads", HOST1, port, "8", "60"], env_sts)
        windows = (time.time() - t0) / 2 + 1       # a refresh every ~2 s of a 4 s life
        tap.ok(1 <= sts.calls <= windows + 2,
               f"one refresh at a time: {sts.calls} AssumeRole calls for 480 connects by 8 "
               f"threads in {time.time() - t0:.1f} s (at most {windows + 2:.0f}; a refresh "
               f"per thread would be 8 per window)")
    calls = len(open(counter).read()) if os.path.exists(counter) else 0
    tap.diag(f"credential_process ran {calls} times, STS answered {sts.calls} AssumeRole calls")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
