#!/usr/bin/python3
"""Loopback stand-ins for the AWS credential endpoints dsql_auth talks to.

One server (standard library only) speaks the real wire formats:

  * EC2 instance metadata: PUT /latest/api/token (IMDSv2), GET
    /latest/meta-data/iam/security-credentials/[ROLE]
  * container credentials (ECS / EKS Pod Identity): GET /container/...
    (checks the Authorization header against --container-token)
  * STS Query API: POST / with Action=AssumeRole (SigV4 signature verified)
    or Action=AssumeRoleWithWebIdentity; XML answers and <Error> documents
  * SSO portal: GET /federation/credentials (x-amz-sso_bearer_token)

It listens on plain HTTP and, with --cert/--key, on HTTPS; the HTTP port is
also an HTTPS proxy (CONNECT) that terminates TLS with the test certificate,
so a client configured with HTTPS_PROXY and a CA bundle reaches it under the
real AWS host names (that is how the AWS CLI is pointed at it).

Credentials are derived, not stored: the secret of any access key id is
secret_for(akid), so static test keys made with make_keys() verify, and the
keys STS / SSO / IMDS hand out are a function of what was asked (role ARN and
caller), so two clients resolving the same chain get the same key.

Failure modes, chosen by the request itself or by the --mode-file (JSON,
re-read on every request, e.g. {"imds": "silent"}):
  role names containing "denied" (403 AccessDenied), "throttle" (400
  Throttling on the first two calls from each client, by User-Agent), "error500" (500), "malformed" (a body
  that is not XML), "slow" (answers after 30 s); SSO tokens "ssotoken-revoked"
  and "ssotoken-expired" (401, as the portal rejects an expired token); modes imds = ok|v1only|v2only|silent|500|404|malformed,
  container = ok|500|malformed|silent, sts = ok|silent, sso = ok|500.
Every request is logged as one JSON line in --log.
"""
import argparse
import hashlib
import hmac
import json
import os
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

IMDS_ROLE = "standin-instance-role"


def secret_for(akid):
    """The secret access key of any access key id the stand-ins accept."""
    return hashlib.sha256(("secret:" + akid).encode()).hexdigest()[:40]


def token_for(akid):
    """The session token issued with akid."""
    return "FwoGZXIvYXdzE" + hashlib.sha256(("token:" + akid).encode()).hexdigest() * 4


def derived_akid(*parts):
    """A temporary access key id that is a function of parts."""
    h = hashlib.sha256("|".join(parts).encode()).hexdigest().upper()
    return "ASIA" + h[:16]


def make_keys(name):
    """Static test keys (long-term, AKIA...) named by name."""
    akid = "AKIA" + hashlib.sha256(name.encode()).hexdigest().upper()[:16]
    return akid, secret_for(akid)


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def sigv4_verify(method, path, query, headers, body, region_hint=None):
    """Check an AWS SigV4 Authorization header; returns (akid, error)."""
    auth = headers.get("Authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return None, "no SigV4 Authorization header"
    fields = {}
    for part in auth[len("AWS4-HMAC-SHA256 "):].split(","):
        k, _, v = part.strip().partition("=")
        fields[k] = v
    try:
        akid, date, region, service, term = fields["Credential"].split("/")
        signed = fields["SignedHeaders"].split(";")
        sig = fields["Signature"]
    except (KeyError, ValueError):
        return None, "malformed Authorization header"
    amz_date = headers.get("X-Amz-Date", "")
    canon_headers = ""
    for name in signed:
        v = headers.get(name)
        if v is None:
            return akid, f"signed header {name} missing"
        canon_headers += f"{name}:{' '.join(v.strip().split())}\n"
    cq = "&".join(sorted(query.split("&"))) if query else ""
    creq = "\n".join([method, path, cq, canon_headers, ";".join(signed),
                      hashlib.sha256(body).hexdigest()])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, f"{date}/{region}/{service}/{term}",
                     hashlib.sha256(creq.encode()).hexdigest()])
    k = ("AWS4" + secret_for(akid)).encode()
    for part in (date, region, service, term):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    want = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, sig):
        return akid, "signature mismatch"
    if "x-amz-security-token" not in signed and akid.startswith("ASIA"):
        return akid, "temporary key without a signed session token"
    if akid.startswith("ASIA") and headers.get("X-Amz-Security-Token") != token_for(akid):
        return akid, "wrong session token"
    return akid, None


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.counts = {}

    def mode(self, key):
        if not self.args.mode_file:
            return "ok"
        try:
            with open(self.args.mode_file) as f:
                return json.load(f).get(key, "ok")
        except (OSError, ValueError):
            return "ok"

    def log(self, **ev):
        ev["t"] = time.time()
        with self.lock:
            with open(self.args.log, "a") as f:
                f.write(json.dumps(ev) + "\n")

    def bump(self, key):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1
            return self.counts[key]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None
    tls_ctx = None

    def log_message(self, fmt, *a):
        pass

    # --- plumbing
    def reply(self, status, body, ctype="text/plain", headers=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def silent(self):
        time.sleep(60)
        self.close_connection = True

    def do_CONNECT(self):
        """HTTPS proxy: terminate TLS with the test certificate and serve."""
        host = self.path.split(":")[0]
        self.state.log(kind="connect", host=host)
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        try:
            conn = self.tls_ctx.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError):
            self.close_connection = True
            return
        self.connection = conn
        self.rfile = conn.makefile("rb")
        self.wfile = conn.makefile("wb")
        self.close_connection = False
        self.proxied_host = host

    def route(self, method):
        u = urllib.parse.urlsplit(self.path)
        path, query = u.path, u.query
        if path.startswith("/latest/"):
            return self.imds(method, path)
        if path.startswith("/container"):
            return self.container(method, path)
        if path == "/federation/credentials":
            return self.sso(query)
        if method == "POST":
            return self.sts(path, query)
        self.reply(404, "not found")

    def do_GET(self):
        self.route("GET")

    def do_PUT(self):
        self.route("PUT")

    def do_POST(self):
        self.route("POST")

    # --- EC2 instance metadata
    def imds(self, method, path):
        mode = self.state.mode("imds")
        tok = self.headers.get("X-aws-ec2-metadata-token")
        self.state.log(kind="imds", method=method, path=path, token=bool(tok), mode=mode)
        if mode == "silent":
            return self.silent()
        if mode in ("500", "404"):
            return self.reply(int(mode), "error")
        if path == "/latest/api/token":
            if method != "PUT":
                return self.reply(405, "")
            if mode == "v1only":
                return self.reply(403, "")
            if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                return self.reply(400, "")
            return self.reply(200, "imds-session-token-" + os.urandom(8).hex())
        if mode == "v2only" and not (tok and tok.startswith("imds-session-token-")):
            return self.reply(401, "")
        base = "/latest/meta-data/iam/security-credentials/"
        if path == base:
            return self.reply(200, IMDS_ROLE)
        if path == base + IMDS_ROLE:
            if mode == "malformed":
                return self.reply(200, "{not json")
            akid = derived_akid("imds", IMDS_ROLE)
            now = time.time()
            return self.reply(200, json.dumps({
                "Code": "Success", "LastUpdated": iso(now), "Type": "AWS-HMAC",
                "AccessKeyId": akid, "SecretAccessKey": secret_for(akid),
                "Token": token_for(akid), "Expiration": iso(now + 6 * 3600)}),
                "application/json")
        self.reply(404, "")

    # --- container credentials
    def container(self, method, path):
        mode = self.state.mode("container")
        auth = self.headers.get("Authorization")
        self.state.log(kind="container", path=path, auth=bool(auth), mode=mode)
        if mode == "silent":
            return self.silent()
        if mode == "500":
            return self.reply(500, "error")
        want = self.state.args.container_token
        if want and auth != want:
            return self.reply(401, json.dumps({"code": "Unauthorized"}), "application/json")
        if mode == "malformed":
            return self.reply(200, "[1, 2", "application/json")
        akid = derived_akid("container", path)
        return self.reply(200, json.dumps({
            "AccessKeyId": akid, "SecretAccessKey": secret_for(akid),
            "Token": token_for(akid), "Expiration": iso(time.time() + 6 * 3600),
            "RoleArn": "arn:aws:iam::123456789012:role/task"}), "application/json")

    # --- STS
    def sts_error(self, status, code, message, typ="Sender"):
        self.reply(status, (
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<Error><Type>{typ}</Type><Code>{code}</Code><Message>{message}</Message>"
            "</Error><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>"
            "</ErrorResponse>"), "text/xml")

    def sts(self, path, query):
        raw = self.body()
        params = dict(urllib.parse.parse_qsl(raw.decode(), keep_blank_values=True))
        action = params.get("Action")
        role = params.get("RoleArn", "")
        host = self.headers.get("Host", "")
        ev = dict(kind="sts", action=action, role=role, host=host,
                  session=params.get("RoleSessionName"),
                  external_id=params.get("ExternalId"),
                  duration=params.get("DurationSeconds"))
        if self.state.mode("sts") == "silent":
            self.state.log(**ev)
            return self.silent()
        if action == "AssumeRole":
            hdrs = {k.lower(): v for k, v in self.headers.items()}
            hdrs.update({k: v for k, v in self.headers.items()})
            caller, err = sigv4_verify("POST", path, query, hdrs, raw)
            ev.update(caller=caller, sig_error=err)
            self.state.log(**ev)
            if err:
                return self.sts_error(403, "SignatureDoesNotMatch", err)
            basis = caller
        elif action == "AssumeRoleWithWebIdentity":
            tok = params.get("WebIdentityToken", "")
            ev.update(web_token=hashlib.sha256(tok.encode()).hexdigest()[:12])
            self.state.log(**ev)
            if not tok or tok.startswith("invalid"):
                return self.sts_error(400, "InvalidIdentityToken",
                                      "The web identity token provided is invalid")
            basis = "web:" + tok
        else:
            self.state.log(**ev)
            return self.sts_error(400, "InvalidAction", f"Could not find operation {action}")
        if "denied" in role:
            return self.sts_error(403, "AccessDenied",
                                  f"User is not authorized to perform: sts:{action} on "
                                  f"resource: {role} &amp; more")
        ua = (self.headers.get("User-Agent") or "").split("/")[0]
        if "throttle" in role and self.state.bump("throttle:" + role + ua) <= 2:
            return self.sts_error(400, "Throttling", "Rate exceeded")
        if "error500" in role:
            return self.sts_error(500, "InternalFailure", "internal error", "Receiver")
        if "malformed" in role:
            return self.reply(200, "this is not <xml", "text/xml")
        if "slow" in role:
            time.sleep(30)
        akid = derived_akid("sts", role, basis)
        dur = int(params.get("DurationSeconds") or 3600)
        exp = iso(time.time() + dur)
        tag = action + "Result"
        self.reply(200, (
            f'<{action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<{tag}><Credentials><AccessKeyId>{akid}</AccessKeyId>"
            f"<SecretAccessKey>{secret_for(akid)}</SecretAccessKey>"
            f"<SessionToken>{token_for(akid)}</SessionToken>"
            f"<Expiration>{exp}</Expiration></Credentials>"
            f"<AssumedRoleUser><Arn>{role}/{params.get('RoleSessionName')}</Arn>"
            f"<AssumedRoleId>AROA:{params.get('RoleSessionName')}</AssumedRoleId>"
            f"</AssumedRoleUser></{tag}><ResponseMetadata><RequestId>"
            f"01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>"
            f"</{action}Response>"), "text/xml")

    # --- SSO portal
    def sso(self, query):
        q = dict(urllib.parse.parse_qsl(query))
        tok = self.headers.get("x-amz-sso_bearer_token", "")
        mode = self.state.mode("sso")
        self.state.log(kind="sso", account=q.get("account_id"), role=q.get("role_name"),
                       token=hashlib.sha256(tok.encode()).hexdigest()[:12], mode=mode)
        if mode == "500":
            return self.reply(500, json.dumps({"message": "internal"}), "application/json")
        if not tok.startswith("ssotoken-") or tok in ("ssotoken-revoked", "ssotoken-expired"):
            return self.reply(401, json.dumps({"message": "Session token not found or invalid"}),
                              "application/json",
                              [("x-amzn-ErrorType", "UnauthorizedException")])
        if not q.get("account_id") or not q.get("role_name"):
            return self.reply(400, json.dumps({"message": "missing parameter"}),
                              "application/json")
        if "denied" in q["role_name"]:
            return self.reply(403, json.dumps({"message": "No access"}), "application/json",
                              [("x-amzn-ErrorType", "ForbiddenException")])
        akid = derived_akid("sso", q["account_id"], q["role_name"], tok)
        self.reply(200, json.dumps({"roleCredentials": {
            "accessKeyId": akid, "secretAccessKey": secret_for(akid),
            "sessionToken": token_for(akid),
            "expiration": int((time.time() + 3600) * 1000)}}), "application/json")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", default="127.0.0.1")
    ap.add_argument("--port-file", required=True,
                    help="written as 'HTTP_PORT HTTPS_PORT' once listening")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--log", required=True)
    ap.add_argument("--mode-file")
    ap.add_argument("--container-token")
    args = ap.parse_args(argv)
    state = State(args)
    open(args.log, "a").close()

    ctx = None
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)

    handler = type("H", (Handler,), {"state": state, "tls_ctx": ctx})
    ThreadingHTTPServer.daemon_threads = True
    plain = ThreadingHTTPServer((args.listen, 0), handler)
    servers = [plain]
    tls_port = 0
    if ctx:
        tls = ThreadingHTTPServer((args.listen, 0), handler)
        tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
        tls_port = tls.server_address[1]
        servers.append(tls)
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{plain.server_address[1]} {tls_port}\n")
    os.rename(tmp, args.port_file)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main(sys.argv[1:])
