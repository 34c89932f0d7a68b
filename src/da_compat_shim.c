/*
 * da_compat_shim.c
 *		The dump/restore compatibility layer: interposes libpq's query and
 *		COPY functions in pg_dump, pg_restore and pg_dumpall, and on
 *		connections to Aurora DSQL only, rewrites or answers locally the
 *		statements DSQL refuses (see README "Dump and restore with Aurora
 *		DSQL" for the list and the DSQL documentation behind each).
 *
 * It acts only when all of these hold: the program is pg_dump,
 * pg_restore or pg_dumpall (program_invocation_short_name); the
 * connection is to a DSQL endpoint (da_conn_is_dsql); DSQL_AUTH_COMPAT is
 * not "off"; the call is not nested inside another dsql_auth shim
 * (da_depth).  Everything it rewrites or answers is shown by
 * DSQL_AUTH_DEBUG=1.  psql and all other programs are never changed.
 *
 * State is kept per PGconn (a list under a mutex); the pg_restore archive
 * analysis is per process (done before the first statement, inherited by
 * pg_restore -j workers, which are forked).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "da_compat.h"
#include "da_interpose.h"
#include "da_util.h"

/* Default and maximum rows per COPY transaction (DSQL's limit: 3,000). */
#define DA_COPY_ROWS_DEFAULT 1000
#define DA_COPY_ROWS_MAX 3000
/* Bytes per COPY transaction, well under DSQL's 10 MiB. */
#define DA_COPY_BYTES (4 * 1024 * 1024)

typedef enum da_tool
{
	DA_TOOL_NONE,
	DA_TOOL_DUMP,
	DA_TOOL_RESTORE,
	DA_TOOL_DUMPALL
} da_tool;

typedef enum da_mode
{
	DA_MODE_OFF,
	DA_MODE_ON,
	DA_MODE_SKIP
} da_mode;

static pthread_once_t cfg_once = PTHREAD_ONCE_INIT;
static struct
{
	da_tool		tool;
	da_mode		mode;
	long		copy_rows;
}			cfg;

/* The real libpq functions. */
static pthread_mutex_t pq_lock = PTHREAD_MUTEX_INITIALIZER;
static struct
{
	bool		ok;
	PGresult   *(*exec) (PGconn *, const char *);
	int			(*putCopyData) (PGconn *, const char *, int);
	int			(*putCopyEnd) (PGconn *, const char *);
	PGresult   *(*getResult) (PGconn *);
	PGresult   *(*makeEmpty) (PGconn *, ExecStatusType);
	ExecStatusType (*status) (const PGresult *);
	void		(*clear) (PGresult *);
	char	   *(*getvalue) (const PGresult *, int, int);
	int			(*ntuples) (const PGresult *);
	int			(*nfields) (const PGresult *);
	int			(*backendPID) (const PGconn *);
	PGTransactionStatusType (*txnStatus) (const PGconn *);
	char	   *(*escapeLiteral) (PGconn *, const char *, size_t);
	void		(*freemem) (void *);
}			pq;

/* A SQL-level prepared statement of one connection. */
typedef struct da_prep
{
	da_prepared p;
	struct da_prep *next;
} da_prep;

/* What the layer remembers about one connection. */
typedef struct da_cstate
{
	const PGconn *conn;
	int			pid;			/* backend pid: a reused PGconn address is a
								 * new connection */
	bool		rr_ro;			/* pg_dump's BEGIN became START TRANSACTION
								 * ISOLATION LEVEL REPEATABLE READ, READ ONLY */
	bool		local_txn;		/* pg_restore's BEGIN answered locally */
	da_prep    *preps;
	/* chunked COPY FROM stdin */
	bool		copy_active;	/* the program is in COPY mode */
	bool		copy_open;		/* a COPY is open on the server */
	bool		copy_failed;
	char	   *copy_sql;
	da_copy_scan scan;
	long		copy_chunks;
	PGresult   *pending;		/* returned by the next PQgetResult */
	struct da_cstate *next;
} da_cstate;

static pthread_mutex_t st_lock = PTHREAD_MUTEX_INITIALIZER;
static da_cstate *states;
static int	ncopies;			/* chunked COPYs in progress (atomic) */
static int	npending;			/* pending results (atomic) */

/* The archive analysis (pg_restore only; one per process). */
static pthread_once_t arch_once = PTHREAD_ONCE_INIT;
static da_archive arch;
static bool *folded;			/* arch key i folded into its CREATE TABLE */

/* Read which tool this is and DSQL_AUTH_COMPAT (pthread_once). */
static void
load_cfg(void)
{
	const char *p = program_invocation_short_name;
	const char *mode = getenv("DSQL_AUTH_COMPAT");
	const char *rows = getenv("DSQL_AUTH_COPY_ROWS");

	if (p && strcmp(p, "pg_dump") == 0)
		cfg.tool = DA_TOOL_DUMP;
	else if (p && strcmp(p, "pg_restore") == 0)
		cfg.tool = DA_TOOL_RESTORE;
	else if (p && strcmp(p, "pg_dumpall") == 0)
		cfg.tool = DA_TOOL_DUMPALL;
	else
		cfg.tool = DA_TOOL_NONE;
	if (mode == NULL || mode[0] == '\0' || strcmp(mode, "on") == 0)
		cfg.mode = DA_MODE_ON;
	else if (strcmp(mode, "off") == 0)
		cfg.mode = DA_MODE_OFF;
	else if (strcmp(mode, "skip-unsupported") == 0)
		cfg.mode = DA_MODE_SKIP;
	else
	{
		if (cfg.tool != DA_TOOL_NONE)
			fprintf(stderr, "dsql_auth: DSQL_AUTH_COMPAT=%s is not one of on, off, skip-unsupported; using on\n",
					mode);
		cfg.mode = DA_MODE_ON;
	}
	cfg.copy_rows = DA_COPY_ROWS_DEFAULT;
	if (rows && rows[0])
	{
		char	   *end;
		long		v = strtol(rows, &end, 10);

		if (*end == '\0' && v >= 1 && v <= DA_COPY_ROWS_MAX)
			cfg.copy_rows = v;
		else if (cfg.tool != DA_TOOL_NONE)
			fprintf(stderr, "dsql_auth: DSQL_AUTH_COPY_ROWS=%s is not 1..%d; using %d\n",
					rows, DA_COPY_ROWS_MAX, DA_COPY_ROWS_DEFAULT);
	}
}

#define LOADPQ(field, name) \
	(*(void **) (&pq.field) = da_real_symbol(name, caller))

/* Resolve the real libpq functions once; false if there is no libpq. */
static bool
ensure_pq(void *caller)
{
	if (__atomic_load_n(&pq.ok, __ATOMIC_ACQUIRE))
		return true;
	pthread_mutex_lock(&pq_lock);
	if (!pq.ok)
	{
		bool		ok = true;

		ok &= LOADPQ(exec, "PQexec") != NULL;
		ok &= LOADPQ(putCopyData, "PQputCopyData") != NULL;
		ok &= LOADPQ(putCopyEnd, "PQputCopyEnd") != NULL;
		ok &= LOADPQ(getResult, "PQgetResult") != NULL;
		ok &= LOADPQ(makeEmpty, "PQmakeEmptyPGresult") != NULL;
		ok &= LOADPQ(status, "PQresultStatus") != NULL;
		ok &= LOADPQ(clear, "PQclear") != NULL;
		ok &= LOADPQ(getvalue, "PQgetvalue") != NULL;
		ok &= LOADPQ(ntuples, "PQntuples") != NULL;
		ok &= LOADPQ(nfields, "PQnfields") != NULL;
		ok &= LOADPQ(backendPID, "PQbackendPID") != NULL;
		ok &= LOADPQ(txnStatus, "PQtransactionStatus") != NULL;
		ok &= LOADPQ(escapeLiteral, "PQescapeLiteral") != NULL;
		ok &= LOADPQ(freemem, "PQfreemem") != NULL;
		if (ok)
			__atomic_store_n(&pq.ok, true, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&pq_lock);
	return pq.ok;
}

/* Should the layer act on this connection? */
static bool
active(const PGconn *conn)
{
	pthread_once(&cfg_once, load_cfg);
	return cfg.tool != DA_TOOL_NONE && cfg.mode != DA_MODE_OFF &&
		conn != NULL && da_conn_is_dsql(conn);
}

/* Forget what a connection's state holds (keeps conn and next). */
static void
state_reset(da_cstate *st)
{
	while (st->preps)
	{
		da_prep    *p = st->preps;

		st->preps = p->next;
		da_prepared_free(&p->p);
		free(p);
	}
	if (st->copy_active)
		__atomic_sub_fetch(&ncopies, 1, __ATOMIC_RELEASE);
	if (st->pending)
	{
		pq.clear(st->pending);
		__atomic_sub_fetch(&npending, 1, __ATOMIC_RELEASE);
	}
	free(st->copy_sql);
	st->rr_ro = st->local_txn = false;
	st->copy_active = st->copy_open = st->copy_failed = false;
	st->copy_sql = NULL;
	st->pending = NULL;
	st->copy_chunks = 0;
	memset(&st->scan, 0, sizeof(st->scan));
}

/* The state of conn; created if create.  NULL if none (or OOM). */
static da_cstate *
get_state(const PGconn *conn, bool create)
{
	da_cstate  *st;
	int			pid = pq.backendPID(conn);

	pthread_mutex_lock(&st_lock);
	for (st = states; st; st = st->next)
		if (st->conn == conn)
			break;
	if (st && st->pid != pid)
	{
		/* the PGconn address was reused for a new connection */
		state_reset(st);
		st->pid = pid;
	}
	if (st == NULL && create && (st = calloc(1, sizeof(da_cstate))) != NULL)
	{
		st->conn = conn;
		st->pid = pid;
		st->next = states;
		states = st;
	}
	pthread_mutex_unlock(&st_lock);
	return st;
}

/* Drop the state of a connection being closed (called from PQfinish). */
void
da_compat_forget(const PGconn *conn)
{
	da_cstate **pp;

	if (__atomic_load_n(&states, __ATOMIC_ACQUIRE) == NULL)
		return;
	pthread_mutex_lock(&st_lock);
	for (pp = &states; *pp; pp = &(*pp)->next)
	{
		if ((*pp)->conn == conn)
		{
			da_cstate  *st = *pp;

			*pp = st->next;
			state_reset(st);
			free(st);
			break;
		}
	}
	pthread_mutex_unlock(&st_lock);
}

/* A successful result made here, not by the server. */
static PGresult *
local_ok(PGconn *conn, const char *what, const char *why)
{
	da_debug("answered locally: %s (%s)", what, why);
	return pq.makeEmpty(conn, PGRES_COMMAND_OK);
}

/* A failed result made here; the message goes to stderr (always). */
static PGresult *
local_error(PGconn *conn, const char *msg)
{
	fprintf(stderr, "dsql_auth: %s\n", msg);
	return pq.makeEmpty(conn, PGRES_FATAL_ERROR);
}

/* Is res a failure? */
static bool
failed(const PGresult *res)
{
	ExecStatusType s = res ? pq.status(res) : PGRES_FATAL_ERROR;

	return s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK &&
		s != PGRES_EMPTY_QUERY && s != PGRES_COPY_IN && s != PGRES_COPY_OUT;
}

/* One-line, shortened form of a statement for debug output. */
static char *
brief(const char *s)
{
	da_buf		b;
	int			n = 0;

	da_buf_init(&b);
	for (; *s && n < 100; s++, n++)
		da_buf_appendc(&b, (*s == '\n' || *s == '\t') ? ' ' : *s);
	if (*s)
		da_buf_append(&b, "...");
	return b.oom ? NULL : da_buf_steal(&b);
}

/* Read /proc/self/cmdline into a vector. */
static char **
read_cmdline(int *argc)
{
	da_buf		b;
	char		chunk[4096];
	ssize_t		r;
	int			fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	char	  **v = NULL;
	int			n = 0;

	*argc = 0;
	if (fd < 0)
		return NULL;
	da_buf_init(&b);
	while ((r = read(fd, chunk, sizeof(chunk))) > 0)
		da_buf_append_len(&b, chunk, (size_t) r);
	close(fd);
	if (r < 0 || b.oom || b.len == 0)
	{
		da_buf_free(&b);
		return NULL;
	}
	for (size_t i = 0; i < b.len; i += strlen(b.data + i) + 1)
		n++;
	v = calloc((size_t) n + 1, sizeof(char *));
	if (v)
	{
		int			k = 0;

		for (size_t i = 0; i < b.len; i += strlen(b.data + i) + 1)
			if ((v[k++] = strdup(b.data + i)) == NULL)
			{
				da_free_strv(v, k - 1);
				v = NULL;
				break;
			}
	}
	da_buf_free(&b);
	*argc = v ? n : 0;
	return v;
}

/*
 * Run argv (without LD_PRELOAD) and collect its standard output.  Returns
 * the exit status (-1 if it could not run or was killed).
 */
static int
run_child(char **argv, da_buf *out)
{
	int			fds[2],
				status;
	pid_t		pid;
	char		chunk[65536];
	ssize_t		r;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
	{
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0)
	{
		unsetenv("LD_PRELOAD");
		if (dup2(fds[1], STDOUT_FILENO) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	while ((r = read(fds[0], chunk, sizeof(chunk))) != 0)
	{
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		da_buf_append_len(out, chunk, (size_t) r);
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Stop pg_restore before it changes anything. */
static void
stop_restore(const char *msg)
{
	fprintf(stderr, "dsql_auth: %s\n", msg);
	fprintf(stderr, "dsql_auth: stopping pg_restore before it changes anything in the database\n");
	fflush(stderr);
	exit(1);
}

/*
 * pg_restore: read the archive ahead (the real pg_restore, not preloaded,
 * prints its schema: pg_restore <the same selection options> -s -f -),
 * find the keys to fold into CREATE TABLE and the objects DSQL cannot
 * hold; report those and stop unless DSQL_AUTH_COMPAT=skip-unsupported.
 */
static void
analyze_archive(void)
{
	int			argc;
	char	  **argv = read_cmdline(&argc);
	char		exe[PATH_MAX];
	ssize_t		el;
	char	  **cargv;
	const char *why = NULL;
	da_buf		out;
	int			rc;

	if (argv == NULL)
		stop_restore("could not read this program's command line (/proc/self/cmdline)");
	el = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (el <= 0 || (size_t) el >= sizeof(exe) - 1)
		stop_restore("could not find this program's executable (/proc/self/exe)");
	exe[el] = '\0';
	if (da_restore_single_txn(argc, argv))
		stop_restore("pg_restore --single-transaction (-1) cannot work against Aurora DSQL: DSQL allows one DDL statement per transaction, no DDL with data, and 3,000 rows per transaction. Run without it (each object and each data chunk then commits on its own).");
	cargv = da_restore_child_argv(argc, argv, exe, &why);
	da_free_strv(argv, argc);
	if (cargv == NULL)
	{
		if (why == NULL)
			stop_restore("out of memory");
		if (strstr(why, "standard input"))
			fprintf(stderr, "dsql_auth: %s: cannot read it ahead, so primary keys and unique constraints are not folded into CREATE TABLE (DSQL refuses adding them later) and unsupported objects are not listed; give the archive as a file\n",
					why);
		da_debug("not reading the archive ahead: %s", why);
		return;
	}
	da_debug("reading the archive ahead: %s ... -s -f -", cargv[0]);
	da_buf_init(&out);
	rc = run_child(cargv, &out);
	da_free_strv(cargv, -1);
	if (rc != 0 || out.oom)
	{
		da_buf_free(&out);
		stop_restore(rc != 0 ? "could not read the archive ahead (pg_restore -s -f - failed; see its message above)"
					 : "out of memory reading the archive");
	}
	if (!da_archive_analyze(out.data ? out.data : "", out.len, &arch))
	{
		da_buf_free(&out);
		stop_restore("could not analyse the archive (out of memory, or unterminated SQL)");
	}
	da_buf_free(&out);
	folded = calloc((size_t) arch.nkeys + 1, sizeof(bool));
	if (folded == NULL)
		stop_restore("out of memory");
	da_debug("archive: %d primary keys/unique constraints to create inside CREATE TABLE, %d objects DSQL cannot hold",
			 arch.nkeys, arch.nunsupported);
	if (arch.nunsupported > 0)
	{
		fprintf(stderr, "dsql_auth: this archive has %d object%s that Aurora DSQL cannot hold:\n",
				arch.nunsupported, arch.nunsupported == 1 ? "" : "s");
		for (int i = 0; i < arch.nunsupported; i++)
			fprintf(stderr, "dsql_auth:   %s\n", arch.unsupported[i]);
		if (cfg.mode != DA_MODE_SKIP)
			stop_restore("to restore everything else without them, run again with DSQL_AUTH_COMPAT=skip-unsupported (or leave them out with pg_restore -l / -L)");
		fprintf(stderr, "dsql_auth: DSQL_AUTH_COMPAT=skip-unsupported: skipping them and %d dependent entr%s (comments, grants, statements on them)\n",
				arch.ndependent, arch.ndependent == 1 ? "y" : "ies");
	}
}

/* Should this statement be skipped (an object DSQL cannot hold)? */
static bool
in_skip_list(const char *stmt, size_t len)
{
	char	   *norm;
	bool		hit = false;

	if (arch.nskip == 0 || cfg.mode != DA_MODE_SKIP)
		return false;
	if ((norm = da_stmt_normalise(stmt, len)) == NULL)
		return false;
	for (int i = 0; i < arch.nskip && !hit; i++)
		hit = strcmp(arch.skip[i], norm) == 0;
	free(norm);
	return hit;
}

/* CREATE INDEX ASYNC, then wait for its job: DSQL builds indexes async. */
static PGresult *
exec_async_index(PGconn *conn, const char *sql)
{
	PGresult   *res = pq.exec(conn, sql),
			   *wait;
	char	   *lit,
			   *q;
	const char *job;
	da_buf		b;
	bool		ok;

	if (failed(res) || pq.status(res) != PGRES_TUPLES_OK ||
		pq.ntuples(res) != 1 || pq.nfields(res) < 1)
		return res;
	job = pq.getvalue(res, 0, 0);
	lit = pq.escapeLiteral(conn, job, strlen(job));
	if (lit == NULL)
		return res;
	da_buf_init(&b);
	da_buf_printf(&b, "SELECT sys.wait_for_job(%s)", lit);
	pq.freemem(lit);
	if (b.oom)
	{
		da_buf_free(&b);
		pq.clear(res);
		return local_error(conn, "out of memory");
	}
	q = da_buf_steal(&b);
	da_debug("index job %s started; waiting: %s", job, q);
	wait = pq.exec(conn, q);
	free(q);
	if (failed(wait))
	{
		pq.clear(res);
		return wait;
	}
	ok = pq.status(wait) == PGRES_TUPLES_OK && pq.ntuples(wait) == 1 &&
		strcmp(pq.getvalue(wait, 0, 0), "t") == 0;
	pq.clear(wait);
	if (!ok)
	{
		da_buf		m;
		PGresult   *r;

		da_buf_init(&m);
		da_buf_printf(&m, "index build job %s failed (sys.wait_for_job returned false); see sys.jobs",
					  job);
		pq.clear(res);
		r = local_error(conn, m.oom ? "index build job failed" : m.data);
		da_buf_free(&m);
		return r;
	}
	da_debug("index job %s finished", job);
	pq.clear(res);
	return pq.makeEmpty(conn, PGRES_COMMAND_OK);
}

/* Run one statement of a dump tool on a DSQL connection. */
static PGresult *
exec_stmt(PGconn *conn, da_cstate *st, const char *text, size_t len,
		  const char *send)
{
	da_stmt_info info;
	PGresult   *res = NULL;
	char	   *b = brief(text);
	const char *bs = b ? b : "(statement)";
	bool		restore = cfg.tool == DA_TOOL_RESTORE;
	bool		dump = cfg.tool == DA_TOOL_DUMP || cfg.tool == DA_TOOL_DUMPALL;

	if (!da_classify(text, len, &info))
	{
		free(b);
		return pq.exec(conn, send);
	}
	if (restore && in_skip_list(text, len))
	{
		res = local_ok(conn, bs, "skipped: part of an object DSQL cannot hold (DSQL_AUTH_COMPAT=skip-unsupported)");
		goto done;
	}
	switch (info.kind)
	{
		case DA_K_SET_OTHER:
			if (info.name && strcmp(info.name, "standard_conforming_strings") == 0 &&
				(info.value == NULL || strcmp(info.value, "on") != 0))
				break;			/* only on is DSQL's (fixed) behaviour */
			res = local_ok(conn, bs, "DSQL does not let clients set this parameter");
			break;
		case DA_K_LOCK:
			res = local_ok(conn, bs, "DSQL has no LOCK; its repeatable-read snapshot gives the consistency the lock would");
			break;
		case DA_K_BEGIN:
			if (dump)
			{
				static const char start[] = "START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";

				da_debug("rewritten: %s -> %s (DSQL does not support SET TRANSACTION)", bs, start);
				res = pq.exec(conn, start);
				st->rr_ro = !failed(res);
			}
			else if (restore)
			{
				st->local_txn = true;
				res = local_ok(conn, bs, "pg_restore -j load: DSQL cannot TRUNCATE and limits rows per transaction, so each COPY chunk commits on its own");
			}
			break;
		case DA_K_SET_TXN_RR_RO:
			if (dump && st->rr_ro && pq.txnStatus(conn) == PQTRANS_INTRANS)
				res = local_ok(conn, bs, "already in effect: the transaction was started REPEATABLE READ, READ ONLY");
			break;
		case DA_K_COMMIT:
		case DA_K_ROLLBACK:
			st->rr_ro = false;
			if (restore && st->local_txn)
			{
				st->local_txn = false;
				res = local_ok(conn, bs, "ends a transaction answered locally");
			}
			break;
		case DA_K_TRUNCATE:
			if (restore && st->local_txn && info.name)
				res = local_ok(conn, bs, "pg_restore -j truncates only a table it has just created, which is empty; DSQL has no TRUNCATE");
			break;
		case DA_K_PREPARE:
			{
				da_prep    *p = calloc(1, sizeof(da_prep));

				if (p == NULL || !da_parse_prepare(text, len, &p->p))
				{
					free(p);
					break;		/* send it: DSQL reports the error */
				}
				for (da_prep **pp = &st->preps; *pp; pp = &(*pp)->next)
				{
					if (strcmp((*pp)->p.name, p->p.name) == 0)
					{
						da_prep    *old = *pp;

						*pp = old->next;
						da_prepared_free(&old->p);
						free(old);
						break;
					}
				}
				p->next = st->preps;
				st->preps = p;
				res = local_ok(conn, bs, "DSQL has no SQL-level PREPARE; kept here and run with literal arguments on EXECUTE");
				break;
			}
		case DA_K_EXECUTE:
			{
				char	   *name,
						  **args;
				int			nargs;
				da_prep    *p;

				if (!da_parse_execute(text, len, &name, &args, &nargs))
					break;
				for (p = st->preps; p; p = p->next)
					if (strcmp(p->p.name, name) == 0)
						break;
				if (p)
				{
					char	   *q = da_substitute_params(&p->p, args, nargs);

					if (q)
					{
						da_debug("rewritten: %s -> the PREPAREd statement %s with literal arguments",
								 bs, name);
						res = pq.exec(conn, q);
						free(q);
					}
				}
				free(name);
				da_free_strv(args, nargs);
				break;
			}
		case DA_K_DEALLOCATE:
			for (da_prep **pp = &st->preps; *pp; pp = &(*pp)->next)
			{
				if (info.name && strcmp((*pp)->p.name, info.name) == 0)
				{
					da_prep    *old = *pp;

					*pp = old->next;
					da_prepared_free(&old->p);
					free(old);
					res = local_ok(conn, bs, "drops a statement PREPAREd here");
					break;
				}
			}
			break;
		case DA_K_EXPORT_SNAPSHOT:
		case DA_K_SET_SNAPSHOT:
			if (dump)
				res = local_error(conn, "pg_dump -j cannot give a consistent dump of Aurora DSQL: the workers need pg_export_snapshot() and SET TRANSACTION SNAPSHOT to share the leader's snapshot, and DSQL has neither. Run pg_dump without -j (one connection, one snapshot).");
			break;
		case DA_K_CREATE_TABLE:
			if (restore && info.name && arch.nkeys > 0)
			{
				char	  **clauses = calloc((size_t) arch.nkeys, sizeof(char *));
				int			n = 0;
				char	   *q;

				if (clauses == NULL)
					break;
				for (int k = 0; k < arch.nkeys; k++)
					if (strcmp(arch.key_table[k], info.name) == 0)
						clauses[n++] = arch.key_clause[k];
				if (n > 0 && (q = da_fold_constraints(text, len, clauses, n)) != NULL)
				{
					da_debug("rewritten: %s -> with %d key constraint%s inside (DSQL adds primary keys and unique constraints only in CREATE TABLE)",
							 bs, n, n == 1 ? "" : "s");
					res = pq.exec(conn, q);
					free(q);
					if (!failed(res))
						for (int k = 0; k < arch.nkeys; k++)
							if (strcmp(arch.key_table[k], info.name) == 0)
								folded[k] = true;
				}
				free(clauses);
			}
			break;
		case DA_K_ADD_KEY:
			if (restore && info.name && info.name2)
				for (int k = 0; k < arch.nkeys && res == NULL; k++)
					if (folded[k] && strcmp(arch.key_table[k], info.name) == 0 &&
						strcmp(arch.key_name[k], info.name2) == 0)
						res = local_ok(conn, bs, "already created inside its CREATE TABLE");
			break;
		case DA_K_CREATE_INDEX:
			if (restore)
			{
				const char *why;
				char	   *q = da_rewrite_create_index(text, len, &why);

				if (q == NULL)
					break;		/* cannot be expressed: DSQL reports it */
				da_debug("rewritten: %s -> %s (DSQL builds indexes only with CREATE INDEX ASYNC, without USING)",
						 bs, q);
				res = exec_async_index(conn, q);
				free(q);
			}
			break;
		case DA_K_COPY_FROM_STDIN:
			if (restore)
			{
				res = pq.exec(conn, send);
				if (pq.status(res) == PGRES_COPY_IN && (st->copy_sql = strdup(text)) != NULL)
				{
					st->copy_active = true;
					st->copy_open = true;
					st->copy_failed = false;
					st->copy_chunks = 1;
					memset(&st->scan, 0, sizeof(st->scan));
					__atomic_add_fetch(&ncopies, 1, __ATOMIC_RELEASE);
					da_debug("chunking: %s (at most %ld rows and %d MiB per transaction; DSQL allows 3,000 rows and 10 MiB)",
							 bs, cfg.copy_rows, DA_COPY_BYTES >> 20);
				}
			}
			break;
		default:
			break;
	}
	if (res == NULL)
		res = pq.exec(conn, send);
done:
	da_stmt_info_free(&info);
	free(b);
	return res;
}

/* PQexec on a DSQL connection of a dump tool. */
static PGresult *
compat_exec(PGconn *conn, const char *query)
{
	da_cstate  *st;
	da_span    *sp;
	int			n;
	PGresult   *res = NULL;

	if (cfg.tool == DA_TOOL_RESTORE)
		pthread_once(&arch_once, analyze_archive);
	if ((st = get_state(conn, true)) == NULL)
		return pq.exec(conn, query);
	n = da_sql_split(query, strlen(query), &sp);
	if (n <= 0)
		return pq.exec(conn, query);
	if (n > 1)
		da_debug("split a query string of %d statements into %d calls (DSQL allows one DDL statement per transaction)",
				 n, n);
	for (int i = 0; i < n; i++)
	{
		char	   *text = malloc(sp[i].len + 1);

		if (text == NULL)
		{
			if (res)
				pq.clear(res);
			res = local_error(conn, "out of memory");
			break;
		}
		memcpy(text, query + sp[i].off, sp[i].len);
		text[sp[i].len] = '\0';
		if (res)
			pq.clear(res);
		res = exec_stmt(conn, st, text, sp[i].len, n == 1 ? query : text);
		free(text);
		if (failed(res) || pq.status(res) == PGRES_COPY_IN)
			break;
	}
	free(sp);
	return res;
}

/* Start the next COPY chunk (a new transaction). */
static bool
copy_start(PGconn *conn, da_cstate *st)
{
	PGresult   *res = pq.exec(conn, st->copy_sql);

	if (pq.status(res) == PGRES_COPY_IN)
	{
		pq.clear(res);
		st->copy_open = true;
		st->copy_chunks++;
		return true;
	}
	st->pending = res;
	__atomic_add_fetch(&npending, 1, __ATOMIC_RELEASE);
	st->copy_failed = true;
	return false;
}

/* End the open COPY chunk and collect its result. */
static bool
copy_end(PGconn *conn, da_cstate *st)
{
	PGresult   *res,
			   *extra;

	st->copy_open = false;
	if (pq.putCopyEnd(conn, NULL) != 1)
		res = pq.makeEmpty(conn, PGRES_FATAL_ERROR);
	else
		res = pq.getResult(conn);
	while ((extra = pq.getResult(conn)) != NULL)
		pq.clear(extra);
	if (res && pq.status(res) == PGRES_COMMAND_OK)
	{
		pq.clear(res);
		return true;
	}
	st->pending = res ? res : pq.makeEmpty(conn, PGRES_FATAL_ERROR);
	__atomic_add_fetch(&npending, 1, __ATOMIC_RELEASE);
	st->copy_failed = true;
	return false;
}

/* COPY data of a chunked COPY: forward it, ending a chunk at each limit. */
static int
copy_data(PGconn *conn, da_cstate *st, const char *buf, int nbytes)
{
	size_t		off = 0,
				n = nbytes > 0 ? (size_t) nbytes : 0;

	while (off < n && !st->copy_failed)
	{
		bool		boundary;
		size_t		take;
		long		before = st->scan.total;

		take = da_copy_scan_buf(&st->scan, buf + off, n - off, cfg.copy_rows,
								DA_COPY_BYTES, &boundary);
		if (!st->copy_open && st->scan.ended && st->scan.total == before)
		{
			/* only the end marker after a full chunk: no new transaction */
			off += take;
			continue;
		}
		if (!st->copy_open && !copy_start(conn, st))
			break;
		if (take > 0 && pq.putCopyData(conn, buf + off, (int) take) != 1)
			return -1;
		off += take;
		if (boundary)
			copy_end(conn, st);
	}
	/* after a failure the rest is dropped; the error comes at the end */
	return 1;
}

/* The program ends its COPY: end the last chunk. */
static int
copy_finish(PGconn *conn, da_cstate *st, const char *errormsg)
{
	int			r = 1;

	if (!st->copy_failed)
	{
		if (st->copy_open)
			r = pq.putCopyEnd(conn, errormsg);	/* its result: PQgetResult */
		else
		{
			st->pending = pq.makeEmpty(conn, PGRES_COMMAND_OK);
			__atomic_add_fetch(&npending, 1, __ATOMIC_RELEASE);
		}
	}
	da_debug("%s: %ld rows in %ld transaction%s%s", st->copy_sql, st->scan.total,
			 st->copy_chunks, st->copy_chunks == 1 ? "" : "s",
			 st->copy_failed ? " (failed; the rows of the committed chunks stay)" : "");
	st->copy_open = st->copy_active = false;
	free(st->copy_sql);
	st->copy_sql = NULL;
	__atomic_sub_fetch(&ncopies, 1, __ATOMIC_RELEASE);
	return r;
}

/* ---- exported shims ---- */

DA_EXPORT PGresult *
PQexec(PGconn *conn, const char *query)
{
	PGresult   *res;

	if (!ensure_pq(__builtin_return_address(0)))
		return NULL;
	if (da_depth > 0 || query == NULL || !active(conn))
		return pq.exec(conn, query);
	da_depth++;
	res = compat_exec(conn, query);
	da_depth--;
	return res;
}

DA_EXPORT int
PQputCopyData(PGconn *conn, const char *buffer, int nbytes)
{
	da_cstate  *st;
	int			r;

	if (!ensure_pq(__builtin_return_address(0)))
		return -1;
	if (da_depth > 0 || __atomic_load_n(&ncopies, __ATOMIC_ACQUIRE) == 0 ||
		(st = get_state(conn, false)) == NULL || !st->copy_active)
		return pq.putCopyData(conn, buffer, nbytes);
	da_depth++;
	r = copy_data(conn, st, buffer, nbytes);
	da_depth--;
	return r;
}

DA_EXPORT int
PQputCopyEnd(PGconn *conn, const char *errormsg)
{
	da_cstate  *st;
	int			r;

	if (!ensure_pq(__builtin_return_address(0)))
		return -1;
	if (da_depth > 0 || __atomic_load_n(&ncopies, __ATOMIC_ACQUIRE) == 0 ||
		(st = get_state(conn, false)) == NULL || !st->copy_active)
		return pq.putCopyEnd(conn, errormsg);
	da_depth++;
	r = copy_finish(conn, st, errormsg);
	da_depth--;
	return r;
}

DA_EXPORT PGresult *
PQgetResult(PGconn *conn)
{
	da_cstate  *st;
	PGresult   *res;

	if (!ensure_pq(__builtin_return_address(0)))
		return NULL;
	if (da_depth > 0 || __atomic_load_n(&npending, __ATOMIC_ACQUIRE) == 0 ||
		(st = get_state(conn, false)) == NULL || st->pending == NULL)
		return pq.getResult(conn);
	res = st->pending;
	st->pending = NULL;
	__atomic_sub_fetch(&npending, 1, __ATOMIC_RELEASE);
	return res;
}
