#!/usr/bin/python3
"""A test stand-in for Aurora DSQL: a PostgreSQL-protocol front for a real
PostgreSQL server that behaves as DSQL does at login.

  * TLS is required (SSLRequest -> 'S', TLS 1.2+); GSSENCRequest -> 'N'; a
    plaintext startup packet gets FATAL 28000 and no password request.
  * The password is an IAM token, checked with verify_token.verify() against
    the SNI host name (or --endpoint), the keys in --keys and the current
    time (plus --clock-offset-file); failures get FATAL 28P01.
  * Only the database "postgres" exists (else FATAL 3D000).
  * Then the connection is relayed to a backend PostgreSQL (trust auth) on a
    unix socket; client->server messages pass one hook,
    on_frontend_message(), where DSQL's statement rules can be added later.
  * With --dsql-rules, DSQL's statement rules (dsql_rules.py: session
    parameters, unsupported statements, CREATE INDEX ASYNC and
    sys.wait_for_job, one DDL per transaction, 3,000 rows per transaction)
    are applied to simple queries.
  * CancelRequest packets are forwarded to the backend.
  * Every event is one JSON line in --log (flushed at once). Never the
    token's signature, a secret or a session token.

Standard library only (Debian's /usr/bin/python3). Run with --help.
"""

import argparse
import collections
import json
import os
import select
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import verify_token  # noqa: E402  (our sibling module)
import dsql_rules  # noqa: E402  (DSQL's statement rules, --dsql-rules)

# Protocol codes (PostgreSQL src/include/libpq/pqcomm.h)
SSL_REQUEST_CODE = 80877103
GSSENC_REQUEST_CODE = 80877104
CANCEL_REQUEST_CODE = 80877102
PROTOCOL_MAJOR = 3

MAX_PREAUTH_LENGTH = 1 << 20          # any message before authentication
MAX_MESSAGE_LENGTH = 1 << 30          # after authentication (as PostgreSQL)
TLS_RECORD = 16384                    # largest chunk per SSL write
HIGH_WATER = 1 << 20                  # stop reading a side past this backlog
TLS_HANDSHAKE_BYTE = 0x16             # first byte of a direct-TLS ClientHello

# ---------------------------------------------------------------------------
# Event log
# ---------------------------------------------------------------------------
class EventLog:
    """JSON lines, one per event, flushed at once; thread-safe.

    Fields with value None are left out. Callers must never pass a token's
    signature, a secret or a session token."""

    FORBIDDEN = ("password", "token", "signature", "secret", "session_token")

    def __init__(self, path):
        self._lock = threading.Lock()
        if path in (None, "-"):
            self._file = sys.stderr
        else:
            self._file = open(path, "a", encoding="utf-8")

    def write(self, event, **fields):
        """Append one event line."""
        record = {"event": event, "ts": round(time.time(), 3)}
        for key, value in fields.items():
            if key in self.FORBIDDEN:
                raise ValueError(f"refusing to log field {key!r}")
            if value is not None:
                record[key] = value
        line = json.dumps(record, sort_keys=False)
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()


# ---------------------------------------------------------------------------
# Protocol helpers
# ---------------------------------------------------------------------------
class ClientGone(Exception):
    """The peer closed the connection (or reset it)."""


class ProtocolViolation(Exception):
    """The peer sent something malformed; sqlstate/message go to the client."""

    def __init__(self, message, sqlstate="08P01"):
        super().__init__(message)
        self.sqlstate = sqlstate
        self.message = message


def build_message(msg_type, payload=b""):
    """A protocol-3 message: type byte, int32 length (incl. itself), payload."""
    return msg_type.encode("ascii") + struct.pack("!i", len(payload) + 4) + payload


def cstring(text):
    """A NUL-terminated UTF-8 string."""
    return text.encode("utf-8", "surrogateescape") + b"\0"


def error_response(severity, sqlstate, message, detail=None, hint=None,
                   msg_type="E"):
    """An ErrorResponse (or NoticeResponse with msg_type "N")."""
    fields = [("S", severity), ("V", severity), ("C", sqlstate),
              ("M", message)]
    if detail:
        fields.append(("D", detail))
    if hint:
        fields.append(("H", hint))
    payload = b"".join(code.encode("ascii") + cstring(value)
                       for code, value in fields) + b"\0"
    return build_message(msg_type, payload)


def ready_for_query(status):
    """ReadyForQuery with transaction status "I", "T" or "E"."""
    return build_message("Z", status.encode("ascii"))


def command_complete(tag):
    """CommandComplete with the given tag (e.g. "SET")."""
    return build_message("C", cstring(tag))


def startup_packet(version, params):
    """A startup packet: length, protocol version, name/value pairs, NUL."""
    body = struct.pack("!i", version)
    for name, value in params.items():
        body += cstring(name) + cstring(value)
    body += b"\0"
    return struct.pack("!i", len(body) + 4) + body


def parse_startup_params(body):
    """Name/value pairs of a startup packet body (after the version)."""
    # body = name\0value\0 ... name\0value\0 \0
    if not body.endswith(b"\0"):
        raise ProtocolViolation("invalid startup packet layout: "
                                "expected terminator as last byte")
    parts = body[:-1].split(b"\0")
    if parts[-1] != b"" or len(parts) % 2 == 0:
        raise ProtocolViolation("invalid startup packet layout")
    parts.pop()                      # the empty string after the last \0
    params = collections.OrderedDict()
    for i in range(0, len(parts), 2):
        name = parts[i].decode("utf-8", "surrogateescape")
        if not name:
            raise ProtocolViolation("invalid startup packet layout")
        params[name] = parts[i + 1].decode("utf-8", "surrogateescape")
    return params


def recv_exact(sock, count):
    """Read exactly count bytes from a blocking socket, or raise ClientGone."""
    chunks = []
    while count > 0:
        try:
            data = sock.recv(min(count, 65536))
        except (ConnectionError, ssl.SSLEOFError, ssl.SSLZeroReturnError):
            data = b""
        if not data:
            raise ClientGone()
        chunks.append(data)
        count -= len(data)
    return b"".join(chunks)


def read_startup(sock):
    """Read one startup-phase packet; returns (code, body after the code)."""
    length = struct.unpack("!i", recv_exact(sock, 4))[0]
    if length < 8 or length > MAX_PREAUTH_LENGTH:
        raise ProtocolViolation("invalid length of startup packet")
    data = recv_exact(sock, length - 4)
    return struct.unpack("!i", data[:4])[0], data[4:]


def read_message(sock, max_length):
    """Read one typed message from a blocking socket: (type, payload)."""
    header = recv_exact(sock, 5)
    msg_type = chr(header[0])
    length = struct.unpack("!i", header[1:])[0]
    if length < 4 or length > max_length:
        raise ProtocolViolation(f"invalid message length {length}")
    return msg_type, recv_exact(sock, length - 4)


class MessageFramer:
    """Splits a byte stream into protocol-3 messages (type byte + length)."""

    def __init__(self, max_length=MAX_MESSAGE_LENGTH):
        self._buffer = bytearray()
        self._max_length = max_length

    def feed(self, data):
        """Add bytes; return the list of complete (type, payload, raw)."""
        self._buffer += data
        messages = []
        while len(self._buffer) >= 5:
            length = struct.unpack("!i", self._buffer[1:5])[0]
            if length < 4 or length > self._max_length:
                raise ProtocolViolation(f"invalid message length {length}")
            if len(self._buffer) < length + 1:
                break
            raw = bytes(self._buffer[:length + 1])
            del self._buffer[:length + 1]
            messages.append((chr(raw[0]), raw[5:], raw))
        return messages


# ---------------------------------------------------------------------------
# The hook for DSQL's statement rules
# ---------------------------------------------------------------------------
FORWARD = "forward"      # send the message to the backend unchanged
HANDLED = "handled"      # the hook dealt with it (e.g. replied); send nothing

Replace = collections.namedtuple("Replace", "msg_type payload")
Replace.__doc__ = """Action: send this message to the backend instead."""


def on_frontend_message(conn_state, msg_type, payload):
    """Called for every client->server message after authentication.

    msg_type is the one-letter type ("Q" simple query, "P" Parse, "B" Bind,
    "E" Execute, "S" Sync, "d" CopyData, "X" Terminate, ...), payload the
    message body without type and length. Return one of:

      FORWARD                 pass the message to the backend as it is;
      Replace(type, payload)  pass this message instead;
      HANDLED                 pass nothing: the hook answered the client
                              itself, e.g. with
                              conn_state.reply_error("0A000", "unsupported
                              statement: Lock") for a simple query (sends
                              ErrorResponse + ReadyForQuery), or
                              conn_state.reply_ok("SET").

    A local answer is only consistent when the backend has no reply still
    owed to the client (conn_state.backend_busy is False: always the case
    for a simple "Q" because libpq waits for ReadyForQuery). For extended
    protocol, reply with ready=False and send ReadyForQuery at the "S" Sync.
    Note that a locally answered error does not abort the backend's
    transaction, as a real error would.

    Today it forwards everything: the stand-in only models DSQL's login.
    """
    return FORWARD


# ---------------------------------------------------------------------------
# Per-connection state and handling
# ---------------------------------------------------------------------------
class ConnState:
    """What the hook may look at and use for one client connection."""

    def __init__(self, conn_id):
        self.conn_id = conn_id
        self.user = None
        self.database = None
        self.startup_params = {}      # name -> value, as the client sent them
        self.protocol_version = None
        self.sni = None
        self.tls_version = None
        self.txn_status = "I"         # from the backend's last ReadyForQuery
        self.backend_busy = False     # a query is forwarded, no Z seen yet
        self.backend_pid = None
        self.to_client = bytearray()  # queued bytes for the client
        self.to_backend = bytearray()  # queued bytes for the backend

    def send_to_client(self, raw):
        """Queue raw protocol bytes for the client."""
        self.to_client += raw

    def send_to_backend(self, raw):
        """Queue raw protocol bytes for the backend."""
        self.to_backend += raw

    def reply_error(self, sqlstate, message, detail=None, ready=True,
                    severity="ERROR"):
        """Answer the client with an ErrorResponse (+ ReadyForQuery)."""
        self.send_to_client(error_response(severity, sqlstate, message,
                                           detail))
        if ready:
            self.send_to_client(ready_for_query(self.txn_status))

    def reply_ok(self, tag, ready=True):
        """Answer the client with CommandComplete(tag) (+ ReadyForQuery)."""
        self.send_to_client(command_complete(tag))
        if ready:
            self.send_to_client(ready_for_query(self.txn_status))


class Config:
    """Settings shared by all connections (from the command line)."""

    def __init__(self, args):
        self.keys_path = args.keys
        self.endpoint = args.endpoint
        self.region = args.region
        self.clock_offset_file = args.clock_offset_file
        self.backend_socket_dir = args.backend_socket_dir
        self.backend_port = args.backend_port
        self.refuse_tls = args.refuse_tls
        self.auth_timeout = args.auth_timeout
        self.dsql_rules = args.dsql_rules
        self.ssl_context = None
        if not args.refuse_tls:
            self.ssl_context = make_ssl_context(args.cert, args.key)

    def backend_path(self):
        """The backend's unix socket path."""
        return os.path.join(self.backend_socket_dir,
                            f".s.PGSQL.{self.backend_port}")

    def load_keys(self):
        """The key table, re-read on every connect (tests may change it)."""
        with open(self.keys_path, encoding="utf-8") as handle:
            keys = json.load(handle)
        if not isinstance(keys, dict):
            raise ValueError("keys file is not a JSON object")
        return keys

    def clock_offset(self):
        """Seconds to add to time.time() (from --clock-offset-file, or 0)."""
        if not self.clock_offset_file:
            return 0.0
        try:
            with open(self.clock_offset_file, encoding="utf-8") as handle:
                text = handle.read().strip()
        except FileNotFoundError:
            return 0.0
        return float(text) if text else 0.0


_sni_seen = threading.local()


def _remember_sni(ssl_socket, server_name, context):
    """sni_callback: runs in the handshaking (= connection's) thread."""
    _sni_seen.name = server_name
    return None


def make_ssl_context(cert, key):
    """Server context: TLS 1.2+, our certificate, SNI recorded."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    context.sni_callback = _remember_sni
    context.set_alpn_protocols(["postgresql"])
    return context


class Connection:
    """Handles one client connection from accept to close (own thread)."""

    def __init__(self, server, sock, conn_id, peer):
        self.server = server
        self.config = server.config
        self.log = server.log
        self.sock = sock              # the raw socket, later the TLS socket
        self.backend = None
        self.state = ConnState(conn_id)
        self.peer = peer
        self.phase = "startup"
        self.rules = (dsql_rules.Session(self.state, self.event)
                      if self.config.dsql_rules else None)

    # -- helpers ----------------------------------------------------------
    def event(self, name, **fields):
        """Log an event with this connection's common fields."""
        state = self.state
        base = {"conn": state.conn_id, "user": state.user,
                "database": state.database, "sni": state.sni,
                "tls_version": state.tls_version}
        base.update(fields)
        self.log.write(name, **base)

    def fatal(self, sqlstate, message, detail=None):
        """Send FATAL ErrorResponse to the client (best effort)."""
        try:
            self.sock.sendall(error_response("FATAL", sqlstate, message,
                                             detail))
        except (OSError, ValueError):
            pass

    # -- main -------------------------------------------------------------
    def run(self):
        """Thread body: never raises."""
        try:
            self.sock.settimeout(self.config.auth_timeout)
            self.serve()
        except ClientGone:
            self.event("client_gone", phase=self.phase)
        except ProtocolViolation as err:
            self.event("malformed", phase=self.phase, reason=err.message)
            self.fatal(err.sqlstate, err.message)
        except socket.timeout:
            self.event("timeout", phase=self.phase)
        except Exception as err:  # per-connection: log, never crash
            self.event("conn_error", phase=self.phase,
                       reason=f"{type(err).__name__}: {err}")
            traceback.print_exc(file=sys.stderr)
        finally:
            self.close()

    def close(self):
        """Close both sockets."""
        for sock in (self.sock, self.backend):
            if sock is not None:
                try:
                    sock.close()
                except OSError:
                    pass
        self.server.forget(self)

    def shutdown(self):
        """Called on SIGTERM from another thread: wake the relay up."""
        for sock in (self.sock, self.backend):
            try:
                if sock is not None:
                    sock.shutdown(socket.SHUT_RDWR)
            except (OSError, ValueError):
                pass

    def serve(self):
        """Startup negotiation, authentication, backend login, relay."""
        version, body = self.negotiate()
        if version is None:
            return
        state = self.state
        state.protocol_version = version
        state.startup_params = parse_startup_params(body)
        state.user = state.startup_params.get("user")
        state.database = state.startup_params.get("database") or state.user
        if not state.user:
            raise ProtocolViolation("no PostgreSQL user name specified in "
                                    "startup packet", "28000")
        if state.tls_version is None:
            self.refuse_plaintext()
            return
        self.phase = "auth"
        if not self.authenticate():
            return
        self.phase = "backend_login"
        if not self.backend_login():
            return
        self.phase = "relay"
        self.sock.settimeout(None)
        self.relay()

    # -- startup ------------------------------------------------------------
    def negotiate(self):
        """Handle SSLRequest/GSSENCRequest/CancelRequest until a startup
        packet arrives. Returns (version, body) or (None, None)."""
        while True:
            if self.state.tls_version is None and self.starts_with_tls():
                self.start_tls()          # direct TLS (libpq 17+)
                continue
            code, body = read_startup(self.sock)
            if code == SSL_REQUEST_CODE:
                self.on_ssl_request()
            elif code == GSSENC_REQUEST_CODE:
                self.sock.sendall(b"N")
            elif code == CANCEL_REQUEST_CODE:
                self.forward_cancel(body)
                return None, None
            elif code >> 16 == PROTOCOL_MAJOR:
                return code, body
            else:
                raise ProtocolViolation(
                    f"unsupported frontend protocol {code >> 16}.{code & 0xffff}",
                    "0A000")

    def starts_with_tls(self):
        """True when the client opened with a TLS ClientHello directly."""
        if self.config.ssl_context is None:
            return False
        first = self.sock.recv(1, socket.MSG_PEEK)
        if not first:
            raise ClientGone()
        return first[0] == TLS_HANDSHAKE_BYTE

    def on_ssl_request(self):
        """Answer an SSLRequest: 'S' and handshake, or 'N' (--refuse-tls)."""
        if self.state.tls_version is not None:
            raise ProtocolViolation("SSLRequest inside TLS")
        if self.config.ssl_context is None:
            self.sock.sendall(b"N")
            return
        self.sock.sendall(b"S")
        self.start_tls()

    def start_tls(self):
        """Wrap the socket in TLS and record SNI and version."""
        self.phase = "tls_handshake"
        _sni_seen.name = None
        try:
            self.sock = self.config.ssl_context.wrap_socket(
                self.sock, server_side=True)
        except (ssl.SSLError, OSError) as err:
            self.event("tls_error", reason=f"{type(err).__name__}: {err}")
            raise ClientGone() from err
        self.state.sni = _sni_seen.name
        self.state.tls_version = self.sock.version()
        self.phase = "startup"

    def refuse_plaintext(self):
        """A startup packet without TLS. DSQL: FATAL, no password request.
        --refuse-tls: ask for a password anyway and log if one arrives."""
        if not self.config.refuse_tls:
            self.event("no_tls")
            self.fatal("28000", "unable to accept connection, "
                       "SSL/TLS is required")
            return
        self.phase = "plaintext_auth"
        self.sock.sendall(build_message("R", struct.pack("!i", 3)))
        msg_type, payload = read_message(self.sock, MAX_PREAUTH_LENGTH)
        if msg_type == "p":
            self.event("plaintext_password", length=max(len(payload) - 1, 0))
        else:
            self.event("malformed", phase=self.phase,
                       reason=f"expected password message, got {msg_type!r}")
        self.fatal("28000", "unable to accept connection, "
                   "SSL/TLS is required")

    def forward_cancel(self, body):
        """Pass a CancelRequest to the backend on a new connection."""
        pid = struct.unpack("!i", body[:4])[0] if len(body) >= 4 else None
        raw = struct.pack("!ii", len(body) + 8, CANCEL_REQUEST_CODE) + body
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as back:
                back.settimeout(10)
                back.connect(self.config.backend_path())
                back.sendall(raw)
            self.event("cancel", backend_pid=pid)
        except OSError as err:
            self.event("cancel", backend_pid=pid,
                       reason=f"backend: {err}")

    # -- authentication -------------------------------------------------------
    def authenticate(self):
        """Cleartext password request, token check, database check."""
        state = self.state
        self.sock.sendall(build_message("R", struct.pack("!i", 3)))
        try:
            msg_type, payload = read_message(self.sock, MAX_PREAUTH_LENGTH)
        except ClientGone:
            self.event("auth_fail", reason="client closed without password")
            return False
        if msg_type != "p":
            raise ProtocolViolation(
                f"expected password response, got message type {msg_type!r}")
        token = payload.split(b"\0", 1)[0].decode("utf-8", "replace")
        ok, reason, info = self.check_token(token)
        fields = {k: info.get(k) for k in ("action", "x_amz_date", "expires",
                                           "access_key_id", "region")}
        if not ok:
            self.event("auth_fail", reason=reason, detail=info.get("detail"),
                       **fields)
            self.fatal("28P01",
                       f'password authentication failed for user "{state.user}"',
                       detail=reason)
            return False
        if state.database != "postgres":
            self.event("auth_fail", reason="no such database", **fields)
            self.fatal("3D000", f'database "{state.database}" does not exist')
            return False
        self.event("auth_ok", application_name=state.startup_params.get(
            "application_name"), **fields)
        return True

    def check_token(self, token):
        """verify_token.verify() with this server's keys, host and clock."""
        expected_host = self.state.sni or self.config.endpoint
        if not expected_host:
            return False, "no SNI and no --endpoint", {}
        try:
            keys = self.config.load_keys()
            now = time.time() + self.config.clock_offset()
        except (OSError, ValueError) as err:
            return False, "server misconfigured", {"detail": str(err)}
        return verify_token.verify(token, expected_host=expected_host,
                                   user=self.state.user, keys=keys, now=now,
                                   region=self.config.region)

    # -- backend ----------------------------------------------------------------
    def backend_login(self):
        """Log in to the backend with the client's startup parameters and
        relay its reply up to the first ReadyForQuery."""
        state = self.state
        params = collections.OrderedDict(state.startup_params)
        params["database"] = state.database
        self.backend = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.backend.settimeout(self.config.auth_timeout)
        try:
            self.backend.connect(self.config.backend_path())
        except OSError as err:
            self.event("backend_error", reason=f"connect: {err}")
            self.fatal("08006", "could not reach the database backend")
            return False
        self.backend.sendall(startup_packet(state.protocol_version, params))
        while True:
            try:
                msg_type, payload = read_message(self.backend,
                                                 MAX_MESSAGE_LENGTH)
            except ClientGone:
                self.event("backend_error", reason="backend closed at login")
                self.fatal("08006", "the database backend closed the "
                           "connection")
                return False
            if msg_type == "R" and payload[:4] != b"\0\0\0\0":
                self.event("backend_error",
                           reason="backend wants authentication (use trust)")
                self.fatal("08006", "backend requires a password; the "
                           "stand-in expects trust authentication")
                return False
            if msg_type == "K" and len(payload) >= 4:
                state.backend_pid = struct.unpack("!i", payload[:4])[0]
            self.sock.sendall(build_message(msg_type, payload))
            if msg_type == "E":
                self.event("backend_error", reason="backend refused login")
                return False
            if msg_type == "Z":
                state.txn_status = payload[:1].decode("ascii", "replace")
                self.event("backend_ready", backend_pid=state.backend_pid)
                return True

    # -- relay --------------------------------------------------------------------
    def relay(self):
        """Relay until either side closes: one thread, select(), non-blocking
        sockets and output queues (no concurrent use of the SSL object)."""
        state = self.state
        client, backend = self.sock, self.backend
        client.setblocking(False)
        backend.setblocking(False)
        from_client = MessageFramer()
        from_backend = MessageFramer()
        pending_tls_write = 0
        counts = {"from_client": 0, "from_backend": 0}
        while True:
            read_client = len(state.to_backend) < HIGH_WATER
            read_backend = len(state.to_client) < HIGH_WATER
            rlist = ([client] if read_client else []) + \
                    ([backend] if read_backend else [])
            wlist = ([client] if state.to_client else []) + \
                    ([backend] if state.to_backend else [])
            timeout = 0 if read_client and client.pending() else None
            readable, writable, _ = select.select(rlist, wlist, [], timeout)

            if client in writable:
                pending_tls_write = self.write_tls(client, state.to_client,
                                                   pending_tls_write)
            if backend in writable:
                self.write_plain(backend, state.to_backend)
            if read_client and (client in readable or client.pending()):
                data = self.read_some(client)
                if data == b"":
                    self.finish("client closed", counts)
                    return
                if data:
                    counts["from_client"] += len(data)
                    for msg_type, payload, raw in from_client.feed(data):
                        self.frontend_message(msg_type, payload, raw)
            if backend in readable:
                data = self.read_some(backend)
                if data == b"":
                    self.finish("backend closed", counts)
                    return
                if data:
                    counts["from_backend"] += len(data)
                    for msg_type, payload, raw in from_backend.feed(data):
                        self.backend_message(msg_type, payload, raw)

    def frontend_message(self, msg_type, payload, raw):
        """Pass one client message through the hook."""
        state = self.state
        if self.rules is not None:
            action = self.rules.on_frontend(msg_type, payload)
            if isinstance(action, tuple):
                action = Replace(msg_type, action[1])
        else:
            action = on_frontend_message(state, msg_type, payload)
        if action == FORWARD:
            state.send_to_backend(raw)
        elif isinstance(action, Replace):
            state.send_to_backend(build_message(action.msg_type,
                                                action.payload))
        elif action == HANDLED:
            return
        else:
            raise TypeError(f"on_frontend_message returned {action!r}")
        if msg_type in ("Q", "S", "F"):
            state.backend_busy = True

    def backend_message(self, msg_type, payload, raw):
        """Pass one backend message to the client, tracking ReadyForQuery."""
        state = self.state
        if self.rules is not None:
            for out in self.rules.on_backend(msg_type, payload, raw):
                if out[:1] == b"Z":
                    state.txn_status = out[5:6].decode("ascii", "replace")
                state.send_to_client(out)
            state.backend_busy = bool(self.rules.expect)
            return
        if msg_type == "Z":
            state.txn_status = payload[:1].decode("ascii", "replace")
            state.backend_busy = False
        state.send_to_client(raw)

    @staticmethod
    def read_some(sock):
        """Non-blocking read: bytes, b"" at end of stream, None if nothing."""
        try:
            return sock.recv(65536)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError,
                BlockingIOError, InterruptedError):
            return None
        except (ConnectionError, ssl.SSLEOFError, ssl.SSLZeroReturnError,
                ssl.SSLError, OSError):
            return b""

    @staticmethod
    def write_tls(sock, buffer, pending):
        """Non-blocking TLS write of the head of buffer. An interrupted
        SSL_write must be retried with the same bytes: pending is that
        length (0 = none). Returns the new pending length."""
        size = pending or min(len(buffer), TLS_RECORD)
        try:
            sent = sock.send(buffer[:size])
        except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
            return size
        except OSError:
            del buffer[:]            # client gone; the read side will notice
            return 0
        del buffer[:sent]
        return 0

    @staticmethod
    def write_plain(sock, buffer):
        """Non-blocking write of as much of buffer as the socket takes."""
        try:
            sent = sock.send(buffer)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            del buffer[:]
            return
        del buffer[:sent]

    def finish(self, why, counts):
        """One side closed: flush what the other side is owed, then log."""
        state = self.state
        for sock, buffer in ((self.backend, state.to_backend),
                             (self.sock, state.to_client)):
            if buffer:
                try:
                    sock.settimeout(5)
                    sock.sendall(bytes(buffer))
                except (OSError, ValueError):
                    pass
        self.event("disconnect", reason=why, **counts)


# ---------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------
class Server:
    """Accept loop; one thread per connection; stops on SIGTERM/SIGINT."""

    def __init__(self, config, log, listen_host, listen_port):
        self.config = config
        self.log = log
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._connections = set()
        self._next_id = 0
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((listen_host, listen_port))
        self.listener.listen(128)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]

    def forget(self, connection):
        """A connection ended."""
        with self._lock:
            self._connections.discard(connection)

    def serve_forever(self):
        """Accept until stop() is called."""
        while not self.stopping.is_set():
            try:
                sock, peer = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                if self.stopping.is_set():
                    break
                time.sleep(0.05)     # e.g. EMFILE: do not spin
                continue
            self.start_connection(sock, peer)
        self.listener.close()

    def start_connection(self, sock, peer):
        """Spawn the thread for one accepted socket."""
        with self._lock:
            self._next_id += 1
            connection = Connection(self, sock, self._next_id, peer)
            self._connections.add(connection)
        self.log.write("accept", conn=connection.state.conn_id,
                       peer=f"{peer[0]}:{peer[1]}")
        thread = threading.Thread(target=connection.run, daemon=True,
                                  name=f"conn-{connection.state.conn_id}")
        thread.start()

    def stop(self):
        """Stop accepting and wake up every connection."""
        self.stopping.set()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            connection.shutdown()


def write_port_file(path, port):
    """Write "<port>\\n" atomically (readers never see a partial file)."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="ascii") as handle:
        handle.write(f"{port}\n")
    os.replace(tmp, path)


def parse_listen(text):
    """"HOST:PORT" -> (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError("expected HOST:PORT")
    return host or "127.0.0.1", int(port)


def parse_args(argv):
    """The command line."""
    parser = argparse.ArgumentParser(
        description="Aurora DSQL login stand-in in front of a PostgreSQL "
        "server (test infrastructure).")
    parser.add_argument("--listen", type=parse_listen,
                        default=("127.0.0.1", 0), metavar="HOST:PORT",
                        help="address to listen on; port 0 picks a free one "
                        "(default 127.0.0.1:0)")
    parser.add_argument("--port-file", help='write "<port>\\n" here once '
                        "listening")
    parser.add_argument("--cert", help="server certificate (PEM)")
    parser.add_argument("--key", help="server private key (PEM)")
    parser.add_argument("--keys", required=True,
                        help='JSON {access_key_id: {"secret": ..., '
                        '"session_token": ... or null}}; re-read per connect')
    parser.add_argument("--endpoint", help="expected token host when the "
                        "client sends no SNI")
    parser.add_argument("--region", help="region the stand-in serves "
                        "(default: from the host name)")
    parser.add_argument("--clock-offset-file", help="file holding seconds "
                        "to add to the clock; re-read per connect")
    parser.add_argument("--backend-socket-dir", required=True,
                        help="unix socket directory of the backend server")
    parser.add_argument("--backend-port", type=int, default=5432,
                        help="backend port number (socket name; default "
                        "5432)")
    parser.add_argument("--log", help="event log, JSON lines (default: "
                        "stderr)")
    parser.add_argument("--refuse-tls", action="store_true",
                        help="answer 'N' to SSLRequest and, if the client "
                        "goes on in plaintext, request a password and log "
                        "plaintext_password (a trap for tests)")
    parser.add_argument("--auth-timeout", type=float, default=60.0,
                        help="seconds allowed for each read/write before "
                        "the relay starts (default 60)")
    parser.add_argument("--dsql-rules", action="store_true",
                        help="apply Aurora DSQL's statement rules "
                        "(dsql_rules.py: session parameters, unsupported "
                        "statements, CREATE INDEX ASYNC, one DDL per "
                        "transaction, 3,000 rows per transaction)")
    args = parser.parse_args(argv)
    if not args.refuse_tls and not (args.cert and args.key):
        parser.error("--cert and --key are required (unless --refuse-tls)")
    return args


def main(argv=None):
    """Entry point."""
    args = parse_args(argv)
    log = EventLog(args.log)
    config = Config(args)
    server = Server(config, log, *args.listen)
    signal.signal(signal.SIGTERM, lambda *_: server.stop())
    signal.signal(signal.SIGINT, lambda *_: server.stop())
    log.write("listening", port=server.port, refuse_tls=args.refuse_tls,
              pid=os.getpid())
    if args.port_file:
        write_port_file(args.port_file, server.port)
    server.serve_forever()
    log.write("shutdown")
    return 0


if __name__ == "__main__":
    sys.exit(main())
