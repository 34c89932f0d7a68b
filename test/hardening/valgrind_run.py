#!/usr/bin/python3
"""valgrind memcheck over psql, pg_dump and pgbench running through the
client library (make valgrind).  Prints TAP.

Each program logs in to the DSQL stand-in in front of a real PostgreSQL,
once with keys from the environment and once with credentials from a
credential_process (the cached source).  A run passes when memcheck reports
no error at all (invalid reads/writes, uninitialised values, bad frees —
anywhere in the process) and no "definitely lost" block allocated from our
code (a stack with a frame in dsql_auth_preload.so).  Leaks of the
programs themselves are listed in the diagnostics, not counted.

Control: the same parser must find the definite leak of a tiny program that
leaks on purpose, so "0 from our code" is a measurement.
"""
import http.server
import json
import os
import re
import ssl
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "test", "e2e"))
from harness import (AKID, PGBIN, SECRET, CA, Cluster, Standin,  # noqa: E402
                     Tap, Workdir, client_env, conninfo)

PROC_AKID = "ASIAVALGRINDPROCKEY1"
PROC_SECRET = "valgrindProcSecret/44444444444+555555555"
PROC_TOKEN = "IQoJvalgrindSession/" + "dmFsZ3JpbmQ+/=" * 20
VG = ["valgrind", "--tool=memcheck", "--leak-check=full", "--show-leak-kinds=definite",
      "--errors-for-leak-kinds=none", "--error-exitcode=99", "--num-callers=40",
      "--track-origins=no"]


class Fake(http.server.ThreadingHTTPServer):
    """A loopback STS (HTTPS) or instance-metadata (HTTP) stand-in."""

    daemon_threads = True

    def __init__(self, kind, ca=None):
        exp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        sts = (f"<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>{PROC_AKID}"
               f"</AccessKeyId><SecretAccessKey>{PROC_SECRET}</SecretAccessKey><SessionToken>"
               f"{PROC_TOKEN}</SessionToken><Expiration>{exp}</Expiration></Credentials>"
               f"</AssumeRoleResult></AssumeRoleResponse>")
        meta = json.dumps({"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": PROC_AKID,
                           "SecretAccessKey": PROC_SECRET, "Token": PROC_TOKEN,
                           "Expiration": exp})

        class H(http.server.BaseHTTPRequestHandler):
            def _do(self):
                n = int(self.headers.get("Content-Length") or 0)
                if n:
                    self.rfile.read(n)
                if kind == "sts":
                    body = sts
                elif self.command == "PUT":
                    body = "imds-session-token"
                elif self.path.rstrip("/").endswith("security-credentials"):
                    body = "vgrole"
                else:
                    body = meta
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = _do

            def log_message(self, *a):
                pass

        super().__init__(("127.0.0.1", 0), H)
        if ca:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(ca.server_crt, ca.server_key)
            self.socket = ctx.wrap_socket(self.socket, server_side=True)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()


def parse(log):
    """(memcheck errors, definite leak records from our code, other definite
    leak records) from a valgrind log."""
    with open(log, errors="replace") as f:
        text = f.read()
    m = re.search(r"ERROR SUMMARY: (\d+) errors", text)
    errors = int(m.group(1)) if m else -1
    ours, others = [], []
    for block in re.split(r"\n==\d+== \n", text):
        if "definitely lost in loss record" not in block:
            continue
        (ours if "dsql_auth_preload.so" in block or re.search(r"\bda_\w+ \(", block)
         else others).append(block)
    return errors, ours, others, text


def main():
    tap = Tap()
    work = Workdir()
    ca = CA(work)
    cluster = Cluster(work, 55492)
    cluster.psql("CREATE ROLE alice LOGIN SUPERUSER")
    cluster.psql("CREATE TABLE t (id int primary key, v text); INSERT INTO t VALUES (1, 'a')")
    keys = {AKID: {"secret": SECRET, "session_token": None},
            PROC_AKID: {"secret": PROC_SECRET, "session_token": PROC_TOKEN}}
    s = Standin(work, cluster, ca, keys, "vg")
    helper = work.file("helper.sh", "#!/bin/sh\nprintf '%s' '" +
                       '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", '
                       '"SessionToken": "%s", "Expiration": "2099-01-01T00:00:00Z"}'
                       % (PROC_AKID, PROC_SECRET, PROC_TOKEN) + "'\n", 0o755)
    script = work.file("select1.sql", "select 1;\n", 0o644)
    ci = conninfo(s, user="alice")
    sts = Fake("sts", ca)
    imds = Fake("imds")
    base_creds = work.file("base_creds", f"[base]\naws_access_key_id = {AKID}\n"
                                         f"aws_secret_access_key = {SECRET}\n")

    def env(**kw):
        return {k: v for k, v in client_env(work, ca, AWS_ACCESS_KEY_ID=None,
                                            AWS_SECRET_ACCESS_KEY=None, **kw).items()
                if v is not None}

    envs = {
        "environment keys": client_env(work, ca),
        "credential_process": env(AWS_CONFIG_FILE=work.file(
            "config", f"[default]\ncredential_process = {helper}\n")),
        "STS AssumeRole over https (libcurl)": env(
            AWS_CONFIG_FILE=work.file("config_sts", "[default]\nrole_arn = "
                                      "arn:aws:iam::123456789012:role/vg\nsource_profile = base\n"),
            AWS_SHARED_CREDENTIALS_FILE=base_creds, AWS_CA_BUNDLE=ca.crt,
            AWS_ENDPOINT_URL_STS=f"https://localhost:{sts.port}"),
        "instance metadata (libcurl, json-c)": env(
            AWS_CONFIG_FILE=work.file("config_none", ""),
            AWS_EC2_METADATA_SERVICE_ENDPOINT=f"http://127.0.0.1:{imds.port}/"),
    }
    programs = [
        ("psql", [f"{PGBIN}/psql", "-X", "-At", "-c", "select count(*) from t", ci]),
        ("pg_dump", [f"{PGBIN}/pg_dump", "-t", "t", "-f", os.devnull, ci]),
        ("pgbench -C", [f"{PGBIN}/pgbench", "-n", "-C", "-c", "2", "-j", "2", "-t", "5",
                        "-f", script, ci]),
    ]
    for label, env in envs.items():
        for name, cmd in programs:
            log = os.path.join(work.path, f"vg.{name.split()[0]}.{label.split()[0]}.log")
            r = subprocess.run(VG + [f"--log-file={log}"] + cmd, env=env,
                               capture_output=True, text=True, timeout=600)
            errors, ours, others, text = parse(log)
            logins = [e for e in s.new_events() if e.get("event") == "auth_ok"]
            tap.ok(r.returncode == 0 and errors == 0 and not ours and logins,
                   f"valgrind {name} ({label}): exit {r.returncode}, {errors} memcheck errors, "
                   f"{len(ours)} definite leaks from dsql_auth"
                   f" ({len(others)} from the program itself), {len(logins)} token logins",
                   r.stderr[-1500:] + "\n" + "\n".join(ours)[-4000:]
                   + ("\n" + text[-3000:] if errors else ""))

    # control: the parser sees a definite leak when there is one
    src = os.path.join(work.path, "leak.c")
    with open(src, "w") as f:
        f.write("#include <stdlib.h>\n#include <string.h>\n"
                "void *keep;\nint da_leaky(void) { char *p = malloc(64); "
                "memset(p, 1, 64); p = 0; return 0; }\n"
                "int main(void) { return da_leaky(); }\n")
    exe = os.path.join(work.path, "leak")
    subprocess.run(["cc", "-g", "-O0", "-o", exe, src], check=True)
    log = os.path.join(work.path, "vg.control.log")
    subprocess.run(VG + [f"--log-file={log}", exe], capture_output=True)
    errors, ours, others, _ = parse(log)
    tap.ok(len(ours) == 1 and errors == 0,
           "control: a program that leaks from a da_ function is caught by the same parser",
           (errors, ours, others))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
