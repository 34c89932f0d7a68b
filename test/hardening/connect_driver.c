/*
 * connect_driver.c
 *		A libpq program for the sanitizer runs of the client library: it is
 *		built with the sanitizer itself (so the runtime is loaded first, as
 *		it must be) and runs with the sanitized dsql_auth_preload.so in
 *		LD_PRELOAD.  It goes through every interposed entry point against a
 *		DSQL stand-in and prints TAP.
 *
 *	connect_driver entry HOST PORT HOST2
 *		PQconnectdb, PQconnectdbParams (expand_dbname), PQconnectStart +
 *		PQconnectPoll, PQconnectStartParams, PQsetdbLogin, PQpingParams,
 *		PQreset, a stale token as password, two hosts (passfile), a
 *		non-DSQL connection left alone.
 *	connect_driver threads HOST PORT NTHREADS PER_THREAD
 *		NTHREADS threads each connecting PER_THREAD times at once
 *		(PQconnectdbParams and PQconnectStart alternately); every
 *		connection must log in.
 *	connect_driver control
 *		A deliberate data race and heap overflow, so the runner can show
 *		that the sanitizer in this build does report (a control).
 */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

static int	n_tests = 0;
static int	n_failed = 0;
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;

static void
ok(int cond, const char *name, PGconn *conn)
{
	pthread_mutex_lock(&out_mu);
	n_tests++;
	printf("%s %d - %s\n", cond ? "ok" : "not ok", n_tests, name);
	if (!cond)
	{
		n_failed++;
		if (conn)
			printf("#   %s\n", PQerrorMessage(conn));
	}
	fflush(stdout);
	pthread_mutex_unlock(&out_mu);
}

/* Logged in as the expected user? */
static int
logged_in(PGconn *conn, const char *user)
{
	PGresult   *res;
	int			good;

	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
		return 0;
	res = PQexec(conn, "select current_user");
	good = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
		strcmp(PQgetvalue(res, 0, 0), user) == 0;
	PQclear(res);
	return good;
}

/* Drive an asynchronous connection to its end. */
static PGconn *
finish_async(PGconn *conn)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;

	if (conn == NULL || PQstatus(conn) == CONNECTION_BAD)
		return conn;
	while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED)
	{
		struct pollfd pfd = {PQsocket(conn),
		st == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0};

		if (poll(&pfd, 1, 10000) <= 0)
			break;
		st = PQconnectPoll(conn);
	}
	return conn;
}

static int
entry_points(const char *host, const char *port, const char *host2)
{
	char		ci[1024];
	char		stale[4096];
	PGconn	   *conn;

	snprintf(ci, sizeof(ci), "host=%s hostaddr=127.0.0.1 port=%s user=alice", host, port);

	conn = PQconnectdb(ci);
	ok(logged_in(conn, "alice"), "PQconnectdb", conn);
	/* keep this token: a stale password for a later test */
	snprintf(stale, sizeof(stale), "%s", conn && PQpass(conn) ? PQpass(conn) : "");
	PQreset(conn);
	ok(logged_in(conn, "alice"), "PQreset with a fresh token", conn);
	PQfinish(conn);

	{
		const char *k[] = {"dbname", "user", NULL};
		const char *v[] = {ci, "admin", NULL};

		conn = PQconnectdbParams(k, v, 1);
		ok(logged_in(conn, "admin"), "PQconnectdbParams, expand_dbname, later user wins", conn);
		PQfinish(conn);
	}
	{
		const char *k[] = {"host", "hostaddr", "port", "user", "password", NULL};
		const char *v[] = {host, "127.0.0.1", port, "alice", stale, NULL};

		conn = PQconnectdbParams(k, v, 0);
		ok(logged_in(conn, "alice"), "PQconnectdbParams, a stale token as password is replaced", conn);
		PQfinish(conn);
		conn = PQconnectStartParams(k, v, 0);
		ok(logged_in(finish_async(conn), "alice"), "PQconnectStartParams + PQconnectPoll", conn);
		PQfinish(conn);
		ok(PQpingParams(k, v, 0) == PQPING_OK, "PQpingParams", NULL);
	}
	conn = PQconnectStart(ci);
	ok(logged_in(finish_async(conn), "alice"), "PQconnectStart + PQconnectPoll", conn);
	if (conn && PQresetStart(conn))
	{
		PostgresPollingStatusType st = PGRES_POLLING_WRITING;

		while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED)
		{
			struct pollfd pfd = {PQsocket(conn),
			st == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0};

			if (poll(&pfd, 1, 10000) <= 0)
				break;
			st = PQresetPoll(conn);
		}
	}
	ok(logged_in(conn, "alice"), "PQresetStart + PQresetPoll", conn);
	PQfinish(conn);

	setenv("PGHOSTADDR", "127.0.0.1", 1);
	conn = PQsetdbLogin(host, port, NULL, NULL, "postgres", "alice", NULL);
	ok(logged_in(conn, "alice"), "PQsetdbLogin", conn);
	PQfinish(conn);
	unsetenv("PGHOSTADDR");

	snprintf(ci, sizeof(ci), "host=%s,%s hostaddr=127.0.0.1,127.0.0.1 port=%s,%s user=alice",
			 host2, host, port, port);
	conn = PQconnectdb(ci);
	ok(logged_in(conn, "alice"), "two DSQL hosts: one token each (in-memory passfile)", conn);
	PQfinish(conn);

	conn = PQconnectdb("host=127.0.0.1 port=1 user=alice connect_timeout=2");
	ok(conn && PQstatus(conn) == CONNECTION_BAD &&
	   strstr(PQerrorMessage(conn), "dsql_auth") == NULL,
	   "a non-DSQL connection is left to libpq", conn);
	PQfinish(conn);

	conn = PQconnectdb("host=x.dsql.us-east-1.on.aws hostaddr=127.0.0.1 port=1 sslmode=disable");
	ok(conn && PQstatus(conn) == CONNECTION_BAD &&
	   strstr(PQerrorMessage(conn), "sslmode") != NULL,
	   "sslmode=disable for a DSQL host is refused", conn);
	PQfinish(conn);
	return 0;
}

typedef struct worker
{
	const char *host;
	const char *port;
	int			count;
	int			good;
	char		err[512];
} worker;

static void *
worker_main(void *arg)
{
	worker	   *w = arg;
	const char *k[] = {"host", "hostaddr", "port", "user", NULL};
	const char *v[] = {w->host, "127.0.0.1", w->port, "alice", NULL};

	for (int i = 0; i < w->count; i++)
	{
		PGconn	   *conn = (i % 2) ? finish_async(PQconnectStartParams(k, v, 0))
			: PQconnectdbParams(k, v, 0);

		if (logged_in(conn, "alice"))
			w->good++;
		else if (w->err[0] == '\0')
			snprintf(w->err, sizeof(w->err), "%s", conn ? PQerrorMessage(conn) : "OOM");
		PQfinish(conn);
	}
	return NULL;
}

static int
threads(const char *host, const char *port, int nthreads, int per)
{
	pthread_t  *tid = calloc(nthreads, sizeof(pthread_t));
	worker	   *w = calloc(nthreads, sizeof(worker));
	int			good = 0;
	char		name[128];

	for (int i = 0; i < nthreads; i++)
	{
		w[i].host = host;
		w[i].port = port;
		w[i].count = per;
		pthread_create(&tid[i], NULL, worker_main, &w[i]);
	}
	for (int i = 0; i < nthreads; i++)
	{
		pthread_join(tid[i], NULL);
		good += w[i].good;
		if (w[i].err[0])
			printf("#   thread %d: %s", i, w[i].err);
	}
	snprintf(name, sizeof(name), "%d threads x %d connects at once: %d logged in",
			 nthreads, per, good);
	ok(good == nthreads * per, name, NULL);
	free(tid);
	free(w);
	return 0;
}

static int	racy;
static volatile char sinkc;

static void *
racer(void *arg)
{
	racy++;
	return NULL;
}

/* Deliberate bugs: the sanitizer must report them. */
static int
control(int off)
{
	pthread_t	t;
	char	   *p = malloc(8);

	pthread_create(&t, NULL, racer, NULL);
	racy++;
	pthread_join(t, NULL);
	sinkc = p[off];				/* off is 8: one past the end */
	free(p);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "control") == 0)
		return control(argc + 6);
	if (argc == 5 && strcmp(argv[1], "entry") == 0)
		entry_points(argv[2], argv[3], argv[4]);
	else if (argc == 6 && strcmp(argv[1], "threads") == 0)
		threads(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
	else
	{
		fprintf(stderr, "usage: connect_driver entry HOST PORT HOST2 | threads HOST PORT N PER\n");
		return 2;
	}
	printf("1..%d\n", n_tests);
	return n_failed ? 1 : 0;
}
