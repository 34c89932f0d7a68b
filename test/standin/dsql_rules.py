"""Aurora DSQL's statement rules, for the test stand-in (dsql_standin.py
--dsql-rules).  The rules are ONE table, RULES, each row citing the page of
the Aurora DSQL user guide it comes from, so it is easy to update as DSQL
changes.  Texts marked (unconfirmed) were not seen in AWS documentation or
public error reports; the SQLSTATE of a refused setting is assumed 0A000.

How the stand-in applies them (simple-query "Q" messages; the extended
protocol is relayed unchanged):

  * a statement a rule refuses is not run: the whole query string is
    replaced by a DO block that raises the rule's SQLSTATE and message on
    the backend, so the backend's transaction fails exactly as DSQL's does
    (inside BEGIN ... the transaction is aborted; "E" status);
  * DDL and DML are counted per transaction (a multi-statement query
    string is one implicit transaction, as in PostgreSQL);
  * rows modified (INSERT/UPDATE/DELETE/MERGE tags, COPY FROM rows) are
    counted per transaction.  An autocommit query string with DML is run
    inside BEGIN ... COMMIT that the stand-in adds and hides, so a string
    over the limit can be rolled back instead of committed;
  * CREATE INDEX ASYNC runs as a plain CREATE INDEX on the backend and
    answers with a job_id row; SELECT sys.wait_for_job('<job_id>') is
    answered here (true when the build finished).

Standard library only.
"""
import collections
import re
import threading
import uuid

GUIDE = "https://docs.aws.amazon.com/aurora-dsql/latest/userguide/"
DOC_PARAMS = GUIDE + "accessing.html (Supported session parameters)"
DOC_UNSUPPORTED = GUIDE + "working-with-postgresql-compatibility-unsupported-features.html"
DOC_DDL = GUIDE + "working-with-ddl.html"
DOC_ASYNC = GUIDE + "working-with-create-index-async.html"
DOC_QUOTAS = GUIDE + "CHAP_quotas.html"

ROW_LIMIT = 3000

# Session parameters DSQL lets clients set (DOC_PARAMS); plus enable_*.
ALLOWED_PARAMS = {"application_name", "client_encoding", "datestyle",
                  "extra_float_digits", "intervalstyle", "timezone",
                  "search_path", "dsql.enable_batched_nestloop",
                  "disable_sync_create_index"}

Rule = collections.namedtuple("Rule", "name doc sqlstate message when")
Rule.__doc__ = """One DSQL rule. when(stmt) -> True/str (refuse; a str is
the message's argument) or False; None for the transaction rules, which the
Session applies."""


def param_allowed(name):
    """Is this session parameter settable on DSQL?"""
    return name in ALLOWED_PARAMS or name.startswith("enable_")


# The rules, checked in this order for each statement; the last three are
# transaction rules (when=None) applied by Session.
RULES = [
    Rule("session-parameter", DOC_PARAMS, "0A000",
         'setting configuration parameter "{}" not supported',
         lambda s: s.kind == "set" and not param_allowed(s.param) and s.param),
    Rule("set-transaction", DOC_UNSUPPORTED, "0A000",
         "unsupported statement: SetTransaction (unconfirmed)",
         lambda s: s.kind == "set_txn"),
    Rule("lock", DOC_UNSUPPORTED, "0A000", "unsupported statement: Lock",
         lambda s: s.kind == "lock"),
    Rule("truncate", DOC_UNSUPPORTED, "0A000",
         "unsupported statement: Truncate (unconfirmed)",
         lambda s: s.kind == "truncate"),
    Rule("savepoint", DOC_UNSUPPORTED, "0A000",
         "unsupported statement: Savepoint (unconfirmed)",
         lambda s: s.kind == "savepoint"),
    Rule("sql-prepare", DOC_UNSUPPORTED, "0A000",
         "unsupported statement: {} (unconfirmed)",
         lambda s: s.kind in ("prepare", "execute", "deallocate")
         and s.kind.capitalize()),
    Rule("temporary-table", DOC_UNSUPPORTED, "0A000",
         "temporary tables are not supported (unconfirmed)",
         lambda s: s.kind == "create_temp"),
    Rule("trigger", DOC_UNSUPPORTED, "0A000",
         "unsupported statement: CreateTrig (unconfirmed)",
         lambda s: s.kind == "create_trigger"),
    Rule("extension", DOC_UNSUPPORTED, "0A000",
         "unsupported statement: CreateExtension (unconfirmed)",
         lambda s: s.kind == "create_extension"),
    Rule("function-language", DOC_UNSUPPORTED, "0A000",
         'language "{}" not supported (unconfirmed)',
         lambda s: s.kind == "create_function" and s.language != "sql"
         and s.language),
    Rule("partitioned-table", DOC_UNSUPPORTED, "0A000",
         "partitioned tables are not supported (unconfirmed)",
         lambda s: s.kind == "create_table" and s.partitioned),
    Rule("create-index-async", DOC_ASYNC, "0A000",
         "unsupported mode. please use CREATE INDEX ASYNC.",
         lambda s: s.kind == "create_index" and not s.async_),
    Rule("create-index-using", DOC_ASYNC, "0A000",
         "USING not supported for CREATE INDEX",
         lambda s: s.kind == "create_index" and s.using),
    Rule("add-key-later", DOC_DDL, "0A000",
         "unsupported ALTER TABLE ADD CONSTRAINT {} (unconfirmed)",
         lambda s: s.kind == "add_key" and s.key),
    Rule("one-ddl-per-transaction", DOC_DDL, "0A000",
         "multiple ddl statements are not supported in a transaction "
         "(unconfirmed)", None),
    Rule("no-ddl-with-dml", DOC_DDL, "0A000",
         "ddl and dml are not supported in the same transaction", None),
    Rule("row-limit", DOC_QUOTAS, "54000", "transaction row limit exceeded",
         None),
]
RULE = {rule.name: rule for rule in RULES}

# ---------------------------------------------------------------------------
# A small SQL lexer: enough for splitting and classifying statements.
# ---------------------------------------------------------------------------
_IDENT = re.compile(r"[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_$\x80-\U0010ffff]*")
_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


class Unterminated(Exception):
    """A quote or comment is not closed."""


def tokens(sql):
    """[(kind, text, depth, start)]: w word, q "ident", s string, d $$,
    p $n, n number, c punctuation.  Comments and whitespace are skipped."""
    out, i, n, depth = [], 0, len(sql), 0
    while i < n:
        c = sql[i]
        if c.isspace():
            i += 1
            continue
        if sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if sql.startswith("/*", i):
            level, i = 1, i + 2
            while level and i < n:
                if sql.startswith("/*", i):
                    level, i = level + 1, i + 2
                elif sql.startswith("*/", i):
                    level, i = level - 1, i + 2
                else:
                    i += 1
            if level:
                raise Unterminated()
            continue
        start = i
        if c in "'\"" or (c in "eE" and sql.startswith("'", i + 1)):
            backslash = c in "eE"
            quote = "'" if backslash else c
            i += 2 if backslash else 1
            while True:
                if i >= n:
                    raise Unterminated()
                if backslash and sql[i] == "\\":
                    i += 2
                    continue
                if sql[i] == quote:
                    if sql.startswith(quote, i + 1):
                        i += 2
                        continue
                    i += 1
                    break
                i += 1
            out.append(("q" if quote == '"' else "s", sql[start:i], depth,
                        start))
            continue
        if c == "$":
            m = re.match(r"\$\d+", sql[i:])
            if m:
                out.append(("p", m.group(), depth, start))
                i += m.end()
                continue
            m = _DOLLAR.match(sql, i)
            if m:
                j = sql.find(m.group(), m.end())
                if j < 0:
                    raise Unterminated()
                i = j + len(m.group())
                out.append(("d", sql[start:i], depth, start))
                continue
        m = _IDENT.match(sql, i)
        if m:
            out.append(("w", m.group(), depth, start))
            i = m.end()
            continue
        if c.isdigit():
            m = re.match(r"[0-9.]+([eE][+-]?[0-9]+)?", sql[i:])
            out.append(("n", m.group(), depth, start))
            i += m.end()
            continue
        if c == ")":
            depth = max(depth - 1, 0)
        out.append(("c", c, depth, start))
        if c == "(":
            depth += 1
        i += 1
    return out


def split(sql):
    """Statement texts of a query string (BEGIN ATOMIC bodies kept)."""
    toks = tokens(sql)
    stmts, start, begin_depth, head = [], None, 0, []
    for kind, text, _, pos in toks:
        if kind == "c" and text == ";" and begin_depth == 0:
            if start is not None:
                stmts.append(sql[start:pos].strip())
            start, head = None, []
            continue
        if start is None:
            start, begin_depth = pos, 0
        if kind == "w" and len(head) < 4:
            head.append(text.upper())
        if head[:1] == ["CREATE"] and ("FUNCTION" in head or "PROCEDURE" in head) \
                and kind == "w":
            up = text.upper()
            if up in ("BEGIN", "CASE"):
                begin_depth += 1
            elif up == "END" and begin_depth:
                begin_depth -= 1
    if start is not None and sql[start:].strip():
        stmts.append(sql[start:].strip())
    return stmts


class Stmt:
    """What a statement is, for the rules."""

    DDL_WORDS = {"CREATE", "ALTER", "DROP", "COMMENT", "GRANT", "REVOKE",
                 "REFRESH", "REINDEX", "SECURITY"}
    DML_WORDS = {"INSERT", "UPDATE", "DELETE", "MERGE"}

    def __init__(self, text):
        self.text = text
        self.toks = tokens(text)
        self.kind = "other"
        self.param = None
        self.async_ = self.using = self.partitioned = False
        self.language = None
        self.key = None
        self.job_id = None
        self.ddl = self.dml = self.copy_from = False
        self._classify()

    def word(self, i):
        """The i-th token, upper-cased if it is a word ('' past the end)."""
        if i >= len(self.toks):
            return ""
        kind, text = self.toks[i][:2]
        return text.upper() if kind == "w" else text

    def find(self, word, start=0):
        """Index of a depth-0 word at or after start, or -1."""
        for i in range(start, len(self.toks)):
            if self.toks[i][2] == 0 and self.word(i) == word:
                return i
        return -1

    def _classify(self):
        w0, w1 = self.word(0), self.word(1)
        if w0 == "SET":
            i = 1
            if w1 in ("SESSION", "LOCAL") and self.word(2) not in (
                    "CHARACTERISTICS", "AUTHORIZATION"):
                i = 2
            if self.word(i) == "TRANSACTION" or (
                    self.word(i) == "SESSION" and self.word(i + 1) == "CHARACTERISTICS"):
                self.kind = "set_txn"
            elif self.word(i) == "TIME" and self.word(i + 1) == "ZONE":
                self.kind, self.param = "set", "timezone"
            elif self.word(i) == "SESSION" and self.word(i + 1) == "AUTHORIZATION":
                self.kind, self.param = "set", "session_authorization"
            elif self.word(i) == "NAMES":
                self.kind, self.param = "set", "client_encoding"
            elif self.word(i) == "SCHEMA":
                self.kind, self.param = "set", "search_path"
            elif i < len(self.toks):
                name, j = self.toks[i][1], i + 1
                while self.word(j) == "." and j + 1 < len(self.toks):
                    name += "." + self.toks[j + 1][1]
                    j += 2
                self.kind = "set"
                self.param = name.strip('"') if name.startswith('"') else name.lower()
        elif w0 == "RESET" and w1 and w1 != "ALL":
            self.kind, self.param = "set", self.toks[1][1].lower()
        elif w0 in ("BEGIN", "START"):
            self.kind = "begin"
        elif w0 in ("COMMIT", "END"):
            self.kind = "commit"
        elif w0 in ("ROLLBACK", "ABORT"):
            self.kind = "savepoint" if self.find("TO") > 0 else "rollback"
        elif w0 in ("SAVEPOINT", "RELEASE"):
            self.kind = "savepoint"
        elif w0 == "LOCK":
            self.kind = "lock"
        elif w0 == "TRUNCATE":
            self.kind = "truncate"
        elif w0 == "PREPARE" and w1 != "TRANSACTION":
            self.kind = "prepare"
        elif w0 == "EXECUTE":
            self.kind = "execute"
        elif w0 == "DEALLOCATE":
            self.kind = "deallocate"
        elif w0 == "COPY":
            f = self.find("FROM")
            if f > 0:
                self.kind, self.dml, self.copy_from = "copy_from", True, True
        elif w0 in self.DML_WORDS:
            self.kind, self.dml = "dml", True
        elif w0 == "SELECT" and w1 == "SYS" and self.word(2) == "." and \
                self.word(3) == "WAIT_FOR_JOB" and len(self.toks) == 7 and \
                self.toks[5][0] == "s":
            self.kind = "wait_for_job"
            self.job_id = self.toks[5][1][1:-1].replace("''", "'")
        elif w0 in self.DDL_WORDS:
            self.ddl = True
            self.kind = "ddl"
            if w0 == "CREATE":
                self._classify_create()
            elif w0 == "ALTER" and w1 == "TABLE":
                add = self.find("ADD")
                if add > 0:
                    j = add + 1
                    if self.word(j) == "CONSTRAINT":
                        j += 2
                    if self.word(j) == "PRIMARY" and self.word(j + 1) == "KEY":
                        self.kind, self.key = "add_key", "PRIMARY KEY"
                    elif self.word(j) == "UNIQUE":
                        self.kind, self.key = "add_key", "UNIQUE"

    def _classify_create(self):
        i = 1
        if self.word(i) == "OR" and self.word(i + 1) == "REPLACE":
            i += 2
        if self.word(i) in ("GLOBAL", "LOCAL"):
            i += 1
        if self.word(i) in ("TEMP", "TEMPORARY"):
            self.kind = "create_temp"
            return
        if self.word(i) == "UNLOGGED":
            i += 1
        if self.word(i) == "TABLE":
            self.kind = "create_table"
            for j in range(i, len(self.toks)):
                if self.toks[j][2] == 0 and self.word(j) == "PARTITION" and \
                        self.word(j + 1) in ("BY", "OF"):
                    self.partitioned = True
            return
        if self.word(i) == "UNIQUE":
            i += 1
        if self.word(i) == "INDEX":
            self.kind = "create_index"
            self.async_ = self.word(i + 1) == "ASYNC"
            self.using = self.find("USING", i) > 0
            return
        if self.word(i) == "TRIGGER" or (
                self.word(i) in ("CONSTRAINT", "EVENT") and self.word(i + 1) == "TRIGGER"):
            self.kind = "create_trigger"
        elif self.word(i) == "EXTENSION":
            self.kind = "create_extension"
        elif self.word(i) in ("FUNCTION", "PROCEDURE"):
            self.kind = "create_function"
            lang = self.find("LANGUAGE", i)
            if lang > 0 and lang + 1 < len(self.toks):
                self.language = self.toks[lang + 1][1].strip("'\"").lower()


def rows_of(tag):
    """Rows modified according to a CommandComplete tag (0 if none)."""
    parts = tag.split()
    if parts and parts[0] in ("INSERT", "UPDATE", "DELETE", "MERGE", "COPY") \
            and parts[-1].isdigit():
        return int(parts[-1])
    return 0


# ---------------------------------------------------------------------------
# Protocol helpers (the stand-in's own are passed in, to avoid a cycle)
# ---------------------------------------------------------------------------
def _msg(msg_type, payload):
    return msg_type.encode("ascii") + (len(payload) + 4).to_bytes(4, "big") + payload


def _cstr(text):
    return text.encode("utf-8") + b"\0"


def raise_sql(sqlstate, message):
    """A statement that fails on the backend with this SQLSTATE/message."""
    text = message.replace("'", "''").replace("$dsql_rule$", "")
    return ("DO $dsql_rule$BEGIN RAISE EXCEPTION USING ERRCODE = '%s', "
            "MESSAGE = '%s'; END$dsql_rule$" % (sqlstate, text))


def strip_context(payload):
    """An ErrorResponse payload without the PL/pgSQL context fields."""
    fields = payload.rstrip(b"\0").split(b"\0")
    keep = [f for f in fields if f and f[:1] not in (b"W", b"F", b"L", b"R")]
    return b"\0".join(keep) + b"\0\0"


# Jobs of CREATE INDEX ASYNC, shared by all connections of the stand-in.
_jobs = {}
_jobs_lock = threading.Lock()


class Expect:
    """What to do with the backend's replies to one query we sent."""

    def __init__(self, wrapped=False, count=False, strip=False, job=None,
                 swallow_c=0, then_rollback=False):
        self.wrapped = wrapped          # we added BEGIN; COMMIT/ROLLBACK it
        self.count = count              # count modified rows
        self.strip = strip              # our DO error: drop its context
        self.job = job                  # CREATE INDEX ASYNC job id
        self.swallow_c = swallow_c      # CommandCompletes to hide
        self.then_rollback = then_rollback
        self.exceeded = False


class Session:
    """The rules for one client connection."""

    def __init__(self, state, event):
        self.state = state
        self.event = event              # event(name, **fields) -> log
        self.expect = collections.deque()
        self.ddl = 0
        self.dml = False
        self.rows = 0

    # -- client -> backend ------------------------------------------------------
    def on_frontend(self, msg_type, payload):
        """Returns ("forward"|"handled"|("replace", payload))."""
        if msg_type != "Q":
            return "forward"
        sql = payload.rstrip(b"\0").decode("utf-8", "surrogateescape")
        try:
            stmts = [Stmt(text) for text in split(sql)]
        except Unterminated:
            self.expect.append(Expect())
            return "forward"
        state = self.state
        if state.txn_status == "E":
            self.expect.append(Expect())
            return "forward"            # the backend refuses it (25P02)
        in_block = state.txn_status == "T"
        ddl, dml, control = (self.ddl, self.dml, False) if in_block else (0, False, False)
        refusal = None
        for stmt in stmts:
            refusal = self.check(stmt)
            if stmt.kind in ("begin", "commit", "rollback"):
                control = True
                in_block = stmt.kind == "begin"
                ddl, dml = 0, False
            elif stmt.ddl:
                ddl += 1
                if ddl > 1 and not refusal:
                    refusal = (RULE["one-ddl-per-transaction"], None)
                if dml and not refusal:
                    refusal = (RULE["no-ddl-with-dml"], None)
            elif stmt.dml:
                if ddl and not refusal:
                    refusal = (RULE["no-ddl-with-dml"], None)
                dml = True
            if refusal:
                break
        if refusal:
            rule, arg = refusal
            message = rule.message.format(arg) if arg else rule.message
            self.event("dsql_rule", rule=rule.name, sqlstate=rule.sqlstate,
                       message=message, statement=stmt.text[:200])
            self.expect.append(Expect(strip=True))
            return ("replace", _cstr(raise_sql(rule.sqlstate, message)))
        self.ddl, self.dml = (ddl, dml) if in_block else (0, False)
        if len(stmts) == 1 and stmts[0].kind == "wait_for_job" and \
                not state.backend_busy and not self.expect:
            return self.wait_for_job(stmts[0])
        if len(stmts) == 1 and stmts[0].kind == "create_index":
            job = uuid.uuid4().hex[:26]
            text = re.sub(r"(?i)\bINDEX\s+ASYNC\b", "INDEX", stmts[0].text, count=1)
            self.event("dsql_async_index", job_id=job, statement=text[:200])
            self.expect.append(Expect(job=job))
            return ("replace", _cstr(text))
        if any(s.dml for s in stmts):
            if state.txn_status == "I" and not control:
                self.expect.append(Expect(wrapped=True, count=True, swallow_c=1))
                return ("replace", _cstr("BEGIN;" + sql))
            self.expect.append(Expect(count=True))
            return "forward"
        self.expect.append(Expect())
        return "forward"

    def check(self, stmt):
        """The first statement rule that refuses stmt: (rule, arg) or None."""
        for rule in RULES:
            if rule.when is None:
                continue
            verdict = rule.when(stmt)
            if verdict:
                return rule, (verdict if isinstance(verdict, str) else None)
        return None

    def wait_for_job(self, stmt):
        """SELECT sys.wait_for_job('<id>'), answered here."""
        with _jobs_lock:
            status = _jobs.get(stmt.job_id)
        if status is None:
            message = f'job "{stmt.job_id}" does not exist (unconfirmed)'
            self.expect.append(Expect(strip=True))
            return ("replace", _cstr(raise_sql("42704", message)))
        self.event("dsql_wait_for_job", job_id=stmt.job_id, status=status)
        col = _cstr("wait_for_job") + (0).to_bytes(4, "big") + (0).to_bytes(2, "big") + \
            (16).to_bytes(4, "big") + (1).to_bytes(2, "big", signed=True) + \
            (-1).to_bytes(4, "big", signed=True) + (0).to_bytes(2, "big")
        value = b"t" if status == "completed" else b"f"
        self.state.send_to_client(
            _msg("T", (1).to_bytes(2, "big") + col) +
            _msg("D", (1).to_bytes(2, "big") + len(value).to_bytes(4, "big") + value) +
            _msg("C", _cstr("SELECT 1")) +
            _msg("Z", self.state.txn_status.encode("ascii")))
        return "handled"

    # -- backend -> client ------------------------------------------------------
    def inject(self, sql, expect):
        """Send a query of our own to the backend."""
        self.expect.append(expect)
        self.state.send_to_backend(_msg("Q", _cstr(sql)))

    def on_backend(self, msg_type, payload, raw):
        """The messages to pass to the client instead of raw (a list)."""
        if not self.expect:
            return [raw]
        exp = self.expect[0]
        if msg_type == "Z":
            self.expect.popleft()
            status = payload[:1].decode("ascii", "replace")
            if status == "I":
                self.ddl, self.dml, self.rows = 0, False, 0
            if exp.exceeded:
                rule = RULE["row-limit"]
                self.event("dsql_rule", rule=rule.name, sqlstate=rule.sqlstate,
                           message=rule.message, rows=self.rows)
                self.inject(raise_sql(rule.sqlstate, rule.message),
                            Expect(strip=True, then_rollback=exp.wrapped))
                return []
            if exp.then_rollback or (exp.wrapped and status == "E"):
                self.inject("ROLLBACK", Expect(swallow_c=1))
                return []
            if exp.wrapped and status == "T":
                self.event("dsql_autocommit", rows=self.rows)
                self.inject("COMMIT", Expect(swallow_c=1))
                return []
            return [raw]
        if exp.exceeded:
            return []
        if msg_type == "C":
            if exp.swallow_c:
                exp.swallow_c -= 1
                return []
            tag = payload.rstrip(b"\0").decode("utf-8", "replace")
            if exp.job and tag == "CREATE INDEX":
                with _jobs_lock:
                    _jobs[exp.job] = "completed"
                col = _cstr("job_id") + (0).to_bytes(4, "big") + (0).to_bytes(2, "big") + \
                    (25).to_bytes(4, "big") + (-1).to_bytes(2, "big", signed=True) + \
                    (-1).to_bytes(4, "big", signed=True) + (0).to_bytes(2, "big")
                value = exp.job.encode("ascii")
                return [_msg("T", (1).to_bytes(2, "big") + col),
                        _msg("D", (1).to_bytes(2, "big") + len(value).to_bytes(4, "big") + value),
                        raw]
            if exp.count:
                self.rows += rows_of(tag)
                if self.rows > ROW_LIMIT:
                    exp.exceeded = True
                    return []
            return [raw]
        if msg_type == "E":
            if exp.job:
                with _jobs_lock:
                    _jobs[exp.job] = "failed"
            if exp.strip:
                return [_msg("E", strip_context(payload))]
        return [raw]
