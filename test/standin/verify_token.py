#!/usr/bin/python3
"""Independent verifier for Aurora DSQL (and RDS) IAM authentication tokens.

This module deliberately shares no code with the C signer in src/: it is
written from the SigV4 specification with the Python standard library only,
so that the test stand-in (dsql_standin.py) checks tokens independently.

A token is a SigV4 *query-presigned* URL with the scheme removed::

    <host>/?Action=DbConnectAdmin&X-Amz-Algorithm=AWS4-HMAC-SHA256
        &X-Amz-Credential=AKID%2F20240102%2Fus-east-1%2Fdsql%2Faws4_request
        &X-Amz-Date=20240102T030405Z&X-Amz-Expires=900
        &X-Amz-SignedHeaders=host[&X-Amz-Security-Token=...]
        &X-Amz-Signature=<64 hex>

Use as a module::

    ok, reason, info = verify(token, expected_host=..., user=..., keys=...,
                              now=time.time())

``reason`` is one of the REASON_* constants below ("ok" on success);
``info`` holds the non-secret fields of the token (never the signature, a
secret or a session token) plus a human-readable "detail" on failure.

Use as a command::

    verify_token.py --vectors test/vectors/dsql_tokens.tsv

verifies every vector of that file (see load_vectors) and prints TAP; an
RDS file (test/vectors/rds_tokens.tsv, with a "port" column) works too.
"""

import argparse
import calendar
import datetime
import hashlib
import hmac
import re
import sys
import time
import urllib.parse

# ---------------------------------------------------------------------------
# Reasons (short, stable strings; tests compare against them)
# ---------------------------------------------------------------------------
REASON_OK = "ok"
REASON_MALFORMED = "malformed"
REASON_HOST_MISMATCH = "host mismatch"
REASON_BAD_ALGORITHM = "bad algorithm"
REASON_BAD_SIGNED_HEADERS = "bad signed headers"
REASON_WRONG_SERVICE = "wrong service"
REASON_REGION_MISMATCH = "region mismatch"
REASON_WRONG_ACTION = "wrong action"
REASON_WRONG_USER = "wrong user"            # RDS tokens only (DBUser)
REASON_BAD_EXPIRES = "bad expires"
REASON_BAD_DATE = "bad date"
REASON_UNKNOWN_ACCESS_KEY = "unknown access key"
REASON_MISSING_SESSION_TOKEN = "missing session token"
REASON_BAD_SESSION_TOKEN = "bad session token"
REASON_UNEXPECTED_SESSION_TOKEN = "unexpected session token"
REASON_BAD_SIGNATURE = "bad signature"
REASON_EXPIRED = "expired"
REASON_NOT_YET_VALID = "not yet valid"

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_EXPIRES = 604800                 # 7 days, the SigV4 presigning maximum
MAX_CLOCK_SKEW = 300                 # a date up to 5 minutes ahead is accepted
EMPTY_PAYLOAD_SHA256 = hashlib.sha256(b"").hexdigest()
HOST_REGION_RE = re.compile(r"\.dsql[^.]*\.([^.]+)\.on\.aws$", re.IGNORECASE)
AMZ_DATE_RE = re.compile(r"^\d{8}T\d{6}Z$")
SIGNATURE_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_TOKEN_LENGTH = 64 * 1024


class TokenError(Exception):
    """A verification failure: ``reason`` is a REASON_*, ``detail`` free text."""

    def __init__(self, reason, detail=""):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


# ---------------------------------------------------------------------------
# SigV4 building blocks
# ---------------------------------------------------------------------------
def uri_encode(text):
    """RFC 3986 percent-encoding as SigV4 wants it: keep A-Za-z0-9-_.~ only,
    upper-case hex for everything else (UTF-8 first)."""
    return urllib.parse.quote(text, safe="-_.~")


def canonical_query(params):
    """The canonical query string from (name, value) pairs of decoded text."""
    encoded = sorted((uri_encode(k), uri_encode(v)) for k, v in params)
    return "&".join(f"{k}={v}" for k, v in encoded)


def canonical_host(host):
    """The host header value as signed: lower case, without the https
    default port ":443" (botocore keeps it in an RDS token's URL but signs
    the host without it)."""
    host = host.lower()
    return host[:-4] if host.endswith(":443") else host


def canonical_request(host, params):
    """The SigV4 canonical request of a presigned GET / with header host."""
    return "\n".join([
        "GET",
        "/",
        canonical_query(params),
        f"host:{canonical_host(host)}\n",
        "host",
        EMPTY_PAYLOAD_SHA256,
    ])


def string_to_sign(amz_date, scope, canon_request):
    """The SigV4 string to sign."""
    digest = hashlib.sha256(canon_request.encode("utf-8")).hexdigest()
    return "\n".join([ALGORITHM, amz_date, scope, digest])


def signing_key(secret, date, region, service):
    """The SigV4 signing key: HMAC chain over date, region, service."""
    key = ("AWS4" + secret).encode("utf-8")
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def compute_signature(secret, host, params, amz_date, region, service):
    """Hex signature of a presigned request; params exclude X-Amz-Signature."""
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    sts = string_to_sign(amz_date, scope, canonical_request(host, params))
    key = signing_key(secret, amz_date[:8], region, service)
    return hmac.new(key, sts.encode("utf-8"), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------
def split_token(token):
    """Split "<host>/?<query>" into (host, [(name, value), ...]), decoded.

    Raises TokenError(REASON_MALFORMED) on anything unexpected, including
    repeated parameters (a signer never emits them)."""
    if not isinstance(token, str) or not token:
        raise TokenError(REASON_MALFORMED, "empty token")
    if len(token) > MAX_TOKEN_LENGTH:
        raise TokenError(REASON_MALFORMED, "token too long")
    if any(c.isspace() for c in token):
        raise TokenError(REASON_MALFORMED, "whitespace in token")
    if "://" in token.split("/?", 1)[0]:
        raise TokenError(REASON_MALFORMED, "token has a URL scheme")
    host, sep, query = token.partition("/?")
    if not sep or not host or not query:
        raise TokenError(REASON_MALFORMED, "expected <host>/?<query>")
    if "/" in host or "?" in host or "#" in query:
        raise TokenError(REASON_MALFORMED, "bad host or query")
    params = []
    seen = set()
    for item in query.split("&"):
        name, eq, value = item.partition("=")
        if not eq or not name:
            raise TokenError(REASON_MALFORMED, "query item without name=value")
        name = urllib.parse.unquote(name, errors="strict")
        value = urllib.parse.unquote(value, errors="strict")
        if name in seen:
            raise TokenError(REASON_MALFORMED, f"repeated parameter {name}")
        seen.add(name)
        params.append((name, value))
    return host, params


def parse_amz_date(amz_date):
    """Seconds since the epoch of a YYYYMMDDTHHMMSSZ string (UTC)."""
    if not AMZ_DATE_RE.match(amz_date):
        raise TokenError(REASON_BAD_DATE, "X-Amz-Date is not YYYYMMDDTHHMMSSZ")
    fields = (int(amz_date[0:4]), int(amz_date[4:6]), int(amz_date[6:8]),
              int(amz_date[9:11]), int(amz_date[11:13]), int(amz_date[13:15]))
    try:
        datetime.datetime(*fields)          # rejects Feb 30, hour 25...
    except ValueError:
        raise TokenError(REASON_BAD_DATE, "X-Amz-Date is not a valid date")
    return calendar.timegm(fields + (0, 0, 0))


def parse_expires(text):
    """X-Amz-Expires as an integer in 1..MAX_EXPIRES."""
    if not text.isdigit() or len(text) > 7:
        raise TokenError(REASON_BAD_EXPIRES, "X-Amz-Expires is not an integer")
    value = int(text)
    if not 1 <= value <= MAX_EXPIRES:
        raise TokenError(REASON_BAD_EXPIRES, "X-Amz-Expires out of 1..604800")
    return value


def host_region(host):
    """The region named in a DSQL host name, or None."""
    match = HOST_REGION_RE.search(host)
    return match.group(1).lower() if match else None


def require(params, name):
    """The value of a required query parameter."""
    value = params.get(name)
    if value is None:
        raise TokenError(REASON_MALFORMED, f"missing {name}")
    return value


# ---------------------------------------------------------------------------
# The individual checks (in the order verify() applies them)
# ---------------------------------------------------------------------------
def check_host(host, expected_host):
    """The token's host must be the endpoint the client connected to."""
    if not expected_host or host.lower() != expected_host.lower():
        raise TokenError(REASON_HOST_MISMATCH,
                         f"token host {host!r} is not {expected_host!r}")


def parse_credential(credential, amz_date):
    """Split X-Amz-Credential "<akid>/<date>/<region>/<service>/aws4_request"
    into (access_key_id, region, service). The key id may itself hold "/"."""
    parts = credential.rsplit("/", 4)
    if len(parts) != 5 or parts[4] != "aws4_request" or not parts[0]:
        raise TokenError(REASON_MALFORMED, "bad X-Amz-Credential")
    akid, date, region, service, _ = parts
    if date != amz_date[:8]:
        raise TokenError(REASON_BAD_DATE,
                         "credential scope date differs from X-Amz-Date")
    return akid, region, service


def check_region(region, host, expected_region):
    """The scope's region must be the host's region and/or the given one."""
    wanted = {r.lower() for r in (host_region(host), expected_region) if r}
    if not wanted:
        raise TokenError(REASON_REGION_MISMATCH,
                         "no region in host name and none given")
    if len(wanted) > 1 or region.lower() not in wanted:
        raise TokenError(REASON_REGION_MISMATCH,
                         f"token region {region!r}, expected {sorted(wanted)}")


def check_action(params, user, service):
    """DSQL: DbConnectAdmin iff user is admin. RDS: connect + DBUser."""
    action = require(params, "Action")
    if service == "dsql":
        wanted = "DbConnectAdmin" if user == "admin" else "DbConnect"
        if action != wanted:
            raise TokenError(REASON_WRONG_ACTION,
                             f"Action={action}, user {user!r} needs {wanted}")
    elif service == "rds-db":
        if action != "connect":
            raise TokenError(REASON_WRONG_ACTION, f"Action={action}")
        if params.get("DBUser") != user:
            raise TokenError(REASON_WRONG_USER, "DBUser differs from user")
    return action


def check_session_token(params, key_entry):
    """With session credentials the token must carry the same session token;
    without, it must carry none."""
    expected = key_entry.get("session_token") or None
    given = params.get("X-Amz-Security-Token")
    if expected is None:
        if given is not None:
            raise TokenError(REASON_UNEXPECTED_SESSION_TOKEN,
                             "token carries a session token, key has none")
        return
    if given is None:
        raise TokenError(REASON_MISSING_SESSION_TOKEN,
                         "key needs X-Amz-Security-Token")
    if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise TokenError(REASON_BAD_SESSION_TOKEN,
                         "X-Amz-Security-Token differs")


def check_signature(params, signature, secret, host, amz_date, region,
                    service):
    """Recompute the signature and compare in constant time."""
    if not SIGNATURE_RE.match(signature):
        raise TokenError(REASON_BAD_SIGNATURE, "signature is not 64 hex digits")
    unsigned = [(k, v) for k, v in params if k != "X-Amz-Signature"]
    wanted = compute_signature(secret, host, unsigned, amz_date, region,
                               service)
    if not hmac.compare_digest(wanted, signature):
        raise TokenError(REASON_BAD_SIGNATURE, "signature does not match")


def check_time(signed_at, expires, now):
    """Valid from (signed_at - 5 min) to (signed_at + expires), inclusive."""
    if now > signed_at + expires:
        raise TokenError(REASON_EXPIRED,
                         f"expired {int(now - signed_at - expires)} s ago")
    if signed_at > now + MAX_CLOCK_SKEW:
        raise TokenError(REASON_NOT_YET_VALID,
                         f"signed {int(signed_at - now)} s in the future")


# ---------------------------------------------------------------------------
# The verifier
# ---------------------------------------------------------------------------
def verify(token, *, expected_host, user, keys, now, region=None,
           service="dsql"):
    """Verify a DSQL (service "dsql") or RDS (service "rds-db") token.

    expected_host: the endpoint the client meant (SNI), compared
        case-insensitively with the token's host.
    user: the database user of the connection.
    keys: {access_key_id: {"secret": str, "session_token": str or None}}.
    now: seconds since the epoch.
    region: the region the verifier serves; when None it comes from the host
        name (\\.dsql[^.]*\\.([^.]+)\\.on\\.aws$). When both exist, both must
        equal the token's region.

    Returns (ok, reason, info). info never holds the signature, the secret or
    the session token."""
    info = {}
    try:
        _verify(token, expected_host, user, keys, now, region, service, info)
    except TokenError as err:
        info["detail"] = err.detail
        return False, err.reason, info
    return True, REASON_OK, info


def _verify(token, expected_host, user, keys, now, region, service, info):
    """The body of verify(); fills info and raises TokenError on failure."""
    host, pairs = split_token(token)
    params = dict(pairs)
    info["host"] = host
    info["action"] = params.get("Action")
    info["x_amz_date"] = params.get("X-Amz-Date")
    info["expires"] = params.get("X-Amz-Expires")
    info["has_session_token"] = "X-Amz-Security-Token" in params

    check_host(host, expected_host)
    if require(params, "X-Amz-Algorithm") != ALGORITHM:
        raise TokenError(REASON_BAD_ALGORITHM, "X-Amz-Algorithm")
    if require(params, "X-Amz-SignedHeaders") != "host":
        raise TokenError(REASON_BAD_SIGNED_HEADERS, "X-Amz-SignedHeaders")
    amz_date = require(params, "X-Amz-Date")
    signed_at = parse_amz_date(amz_date)
    expires = parse_expires(require(params, "X-Amz-Expires"))
    akid, token_region, token_service = parse_credential(
        require(params, "X-Amz-Credential"), amz_date)
    info["access_key_id"] = akid
    info["region"] = token_region
    info["service"] = token_service
    signature = require(params, "X-Amz-Signature")

    if token_service != service:
        raise TokenError(REASON_WRONG_SERVICE,
                         f"service {token_service!r}, expected {service!r}")
    check_region(token_region, host, region)
    check_action(params, user, service)
    key_entry = keys.get(akid)
    if not isinstance(key_entry, dict) or not key_entry.get("secret"):
        raise TokenError(REASON_UNKNOWN_ACCESS_KEY, "access key not known")
    check_session_token(params, key_entry)
    check_signature(pairs, signature, key_entry["secret"], host, amz_date,
                    token_region, token_service)
    check_time(signed_at, expires, now)
    info["expires_at"] = signed_at + expires


# ---------------------------------------------------------------------------
# Test vectors (test/vectors/dsql_tokens.tsv, rds_tokens.tsv) and the CLI
# ---------------------------------------------------------------------------
VECTOR_COLUMNS = ["name", "host", "user", "region", "expires_in", "signed_at",
                  "access_key_id", "secret_access_key", "session_token",
                  "token"]


def signature_valid(token, secret):
    """True when the token's signature is right for secret, ignoring every
    other rule (host, region, action, time). For tests and diagnostics."""
    try:
        host, pairs = split_token(token)
        params = dict(pairs)
        amz_date = require(params, "X-Amz-Date")
        _, region, service = parse_credential(
            require(params, "X-Amz-Credential"), amz_date)
        check_signature(pairs, require(params, "X-Amz-Signature"), secret,
                        host, amz_date, region, service)
    except TokenError:
        return False
    return True


def load_vectors(path):
    """Read a vectors file: '#' comment lines, a header line, then one
    tab-separated vector per line. Returns a list of dicts keyed by the
    header names (at least VECTOR_COLUMNS; an RDS file also has "port").
    Blank lines are ignored."""
    vectors = []
    header = None
    with open(path, encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, 1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            if header is None:
                header = [f.strip() for f in fields]
                missing = [c for c in VECTOR_COLUMNS if c not in header]
                if missing:
                    raise ValueError(f"{path}: header lacks {missing}")
                continue
            if len(fields) != len(header):
                raise ValueError(f"{path}:{lineno}: {len(fields)} fields, "
                                 f"header has {len(header)}")
            vector = dict(zip(header, fields))
            vector["lineno"] = lineno
            vectors.append(vector)
    return vectors


def verify_vector(vector):
    """Verify one vector with now = its signed_at. Returns (ok, reason, info).

    A DSQL vector is checked against expected_host = its host and
    region = its region; an RDS vector (one with a "port" column) against
    "host:port" with service "rds-db"."""
    keys = {vector["access_key_id"]: {
        "secret": vector["secret_access_key"],
        "session_token": vector["session_token"] or None,
    }}
    now = parse_amz_date(vector["signed_at"])
    host, service = vector["host"], "dsql"
    if vector.get("port"):
        host, service = f"{host}:{vector['port']}", "rds-db"
    ok, reason, info = verify(vector["token"], expected_host=host,
                              user=vector["user"], keys=keys, now=now,
                              region=vector["region"] or None,
                              service=service)
    if ok and info.get("expires") != vector["expires_in"]:
        return False, "expires differs from vector", info
    return ok, reason, info


def vector_expectation(vector):
    """The reason a vector should give: "region mismatch" when its region is
    not the one in its DSQL host name (botocore signs such tokens, DSQL
    refuses them), else "ok". An "expect" column, if present, wins."""
    for column in ("expect", "expected", "expected_reason"):
        value = (vector.get(column) or "").strip()
        if value:
            return REASON_OK if value.lower() in ("ok", "valid") else value
    named = host_region(vector["host"]) if not vector.get("port") else None
    if named and vector["region"] and named != vector["region"].lower():
        return REASON_REGION_MISMATCH
    return REASON_OK


def check_vector(vector):
    """(passed, description) of one vector against its expectation; the
    signature must be right in every case."""
    ok, reason, info = verify_vector(vector)
    expected = vector_expectation(vector)
    got = REASON_OK if ok else reason
    sig_ok = signature_valid(vector["token"], vector["secret_access_key"])
    passed = got == expected and sig_ok
    text = f"vector {vector['name']} (line {vector['lineno']})"
    if expected != REASON_OK:
        text += f": refused as expected ({expected})"
    if not passed:
        text += f": got {got!r}, expected {expected!r}"
        if info.get("detail"):
            text += f" ({info['detail']})"
        if not sig_ok:
            text += ", signature does not verify"
    return passed, text


def main(argv=None):
    """CLI: --vectors FILE prints TAP; --token/--host/... verifies one."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vectors", help="TSV file of token vectors")
    parser.add_argument("--token", help="verify one token (needs --host, "
                        "--user, --access-key-id, --secret)")
    parser.add_argument("--host")
    parser.add_argument("--user")
    parser.add_argument("--region")
    parser.add_argument("--service", default="dsql")
    parser.add_argument("--access-key-id")
    parser.add_argument("--secret")
    parser.add_argument("--session-token")
    parser.add_argument("--now", type=float, help="epoch seconds "
                        "(default: the current time)")
    args = parser.parse_args(argv)

    if args.vectors:
        vectors = load_vectors(args.vectors)
        failures = 0
        for number, vector in enumerate(vectors, 1):
            passed, text = check_vector(vector)
            failures += not passed
            print(f"{'ok' if passed else 'not ok'} {number} - {text}")
        print(f"1..{len(vectors)}")
        return 1 if failures else 0
    if args.token:
        keys = {args.access_key_id: {"secret": args.secret,
                                     "session_token": args.session_token}}
        now = time.time() if args.now is None else args.now
        ok, reason, info = verify(args.token, expected_host=args.host,
                                  user=args.user, keys=keys, now=now,
                                  region=args.region, service=args.service)
        print(reason, {k: v for k, v in info.items()})
        return 0 if ok else 1
    parser.error("give --vectors FILE or --token TOKEN")
    return 2


if __name__ == "__main__":
    sys.exit(main())
