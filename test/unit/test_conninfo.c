/*
 * test_conninfo.c
 *		Connection resolution and planning, checked against libpq itself.
 *
 * The oracle: libpq's own resolution, obtained by starting a connection
 * whose last keyword is invalid (channel_binding=x) so that libpq stops
 * after filling in every option, then reading PQconninfo().  For each
 * scenario our resolver must agree on every option it tracks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "tap.h"
#include "da_conninfo.h"
#include "da_host.h"

static const da_libpq pq = {PQconninfoParse, PQconninfoFree, PQfreemem, PQlibVersion};
static char tmpdir[] = "/tmp/da_conninfo.XXXXXX";

static const char *tracked[] = {"host", "hostaddr", "port", "user", "dbname",
"password", "passfile", "sslmode", "sslrootcert", "service"};

/* Write a file in tmpdir; returns its path (static buffer per call). */
static const char *
write_file(const char *name, const char *content)
{
	static char path[4][512];
	static int	n;
	char	   *p = path[n++ % 4];
	FILE	   *f;

	snprintf(p, 512, "%s/%s", tmpdir, name);
	f = fopen(p, "w");
	fputs(content, f);
	fclose(f);
	return p;
}

/* libpq's value for keyword after resolving keys/vals; malloc'd or NULL. */
static char *
libpq_value(const char *const *keys, const char *const *vals, int expand,
			const char *keyword)
{
	const char *k[64];
	const char *v[64];
	int			n = 0;
	PGconn	   *conn;
	PQconninfoOption *opts;
	char	   *res = NULL;

	for (; keys[n]; n++)
	{
		k[n] = keys[n];
		v[n] = vals[n];
	}
	k[n] = "channel_binding";
	v[n++] = "dsql-auth-test-invalid";
	k[n] = NULL;
	v[n] = NULL;
	conn = PQconnectStartParams(k, v, expand);
	opts = PQconninfo(conn);
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, keyword) == 0 && o->val && o->val[0])
			res = strdup(o->val);
	PQconninfoFree(opts);
	PQfinish(conn);
	return res;
}

/* Is libpq's default for keyword what it reports when we say "unset"? */
static bool
is_libpq_default(const char *keyword, const char *val)
{
	if (val == NULL)
		return true;
	if (strcmp(keyword, "port") == 0)
		return strcmp(val, "5432") == 0;
	if (strcmp(keyword, "sslmode") == 0)
		return strcmp(val, "prefer") == 0;
	if (strcmp(keyword, "user") == 0 || strcmp(keyword, "dbname") == 0)
		return true;			/* OS user name */
	if (strcmp(keyword, "passfile") == 0)
	{
		char		def[600];

		snprintf(def, sizeof(def), "%s/.pgpass", getenv("HOME"));
		return strcmp(val, def) == 0;
	}
	return false;
}

/* Compare our resolution with libpq's for one request. */
static void
check_params(const char *name, const char *const *keys,
			 const char *const *vals, int expand)
{
	da_conn		c;
	char	   *err = NULL;
	char		label[512];
	bool		ok = da_conn_from_params(&pq, keys, vals, expand, &c, &err) &&
		da_conn_resolve(&pq, &c, &err);

	snprintf(label, sizeof(label), "%s: resolves", name);
	if (!tap_ok(ok, label))
	{
		printf("#   error: %s\n", err ? err : "(none)");
		free(err);
		da_conn_free(&c);
		return;
	}
	for (int i = 0; i < DA_NOPTS; i++)
	{
		char	   *want;

		/* PQconninfo never reports "service" (it is not kept in PGconn) */
		if (i == DA_OPT_SERVICE)
			continue;
		want = libpq_value(keys, vals, expand, tracked[i]);
		const char *got = c.opt[i].val;
		bool		same;

		if (got == NULL)
			same = is_libpq_default(tracked[i], want);
		else
			same = want && strcmp(got, want) == 0;
		snprintf(label, sizeof(label), "%s: %s agrees with libpq", name, tracked[i]);
		if (!tap_ok(same, label))
			printf("#   ours: %s  libpq: %s\n", got ? got : "(unset)",
				   want ? want : "(unset)");
		free(want);
	}
	da_conn_free(&c);
}

/* Plan a conninfo string with the given DSQL_AUTH_HOSTS; asserts success. */
static bool
plan_for(const char *conninfo, const char *extra, da_conn *c, da_plan *p,
		 char **err)
{
	da_settings s;

	memset(&s, 0, sizeof(s));
	s.extra_hosts = (char *) extra;
	s.expires_in = 900;
	if (!da_conn_from_string(&pq, conninfo, c, err) || !da_conn_resolve(&pq, c, err))
		return false;
	return da_plan_make(c, &s, p, err);
}

static const char *H1 = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws";
static const char *TOKEN =
"abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws/?Action=DbConnectAdmin"
"&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20240102%2Fus-east-1%2Fdsql%2Faws4_request"
"&X-Amz-Date=20240102T030405Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host"
"&X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/* Unset every variable that would steer libpq. */
static void
clear_env(void)
{
	const char *vars[] = {"PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER", "PGDATABASE",
		"PGPASSWORD", "PGPASSFILE", "PGSSLMODE", "PGSSLROOTCERT", "PGSERVICE",
	"PGSERVICEFILE", "PGSYSCONFDIR", NULL};

	for (int i = 0; vars[i]; i++)
		unsetenv(vars[i]);
}

int
main(void)
{
	char	   *err = NULL;

	if (mkdtemp(tmpdir) == NULL)
		return 1;
	clear_env();
	setenv("HOME", tmpdir, 1);
	setenv("PGSYSCONFDIR", tmpdir, 1);	/* no system service file */

	/* ---- resolution parity with libpq ---- */
	{
		const char *k[] = {"host", "port", "user", NULL};
		const char *v[] = {H1, "5433", "alice", NULL};

		check_params("keywords", k, v, 0);
	}
	{
		const char *k[] = {"host", "host", "user", "user", NULL};
		const char *v[] = {"first", "second", "bob", "", NULL};

		check_params("later keyword wins, empty skipped", k, v, 0);
	}
	{
		const char *k[] = {"host", "dbname", "port", NULL};
		const char *v[] = {"early", "host=fromstr port=7000 user=carol sslmode=require", "7001", NULL};

		check_params("expand_dbname in place", k, v, 1);
	}
	{
		const char *k[] = {"dbname", "host", NULL};
		const char *v[] = {"host=x user=y", "h", NULL};

		check_params("no expansion without expand_dbname", k, v, 0);
	}
	{
		const char *k[] = {"dbname", NULL};
		const char *v[] = {"postgresql://u%40x@h1.dsql.us-east-1.on.aws:6000,h2:6001/db?sslmode=verify-ca&hostaddr=127.0.0.1,127.0.0.2", NULL};

		check_params("URI with query and two hosts", k, v, 1);
	}
	{
		const char *k[] = {"dbname", "dbname", NULL};
		const char *v[] = {"user=first", "host=second", NULL};

		check_params("only the first connection-string dbname expands", k, v, 1);
	}

	setenv("PGHOST", "envhost", 1);
	setenv("PGUSER", "envuser", 1);
	setenv("PGSSLMODE", "verify-full", 1);
	setenv("PGPASSWORD", "envpass", 1);
	{
		const char *k[] = {"user", NULL};
		const char *v[] = {"explicit", NULL};

		check_params("environment below explicit", k, v, 0);
	}
	clear_env();
	setenv("PGSYSCONFDIR", tmpdir, 1);

	setenv("PGSERVICEFILE", write_file("svc.conf",
									   "# comment\n\n[other]\nhost=wrong\n"
									   "  [dsql]  \n"
									   "host=svc.dsql.us-west-2.on.aws\n"
									   "port=6543\n  user=svcuser  \n"
									   "sslrootcert=/x/root.crt\n[next]\nhost=no\n"), 1);
	setenv("PGPORT", "9999", 1);
	{
		const char *k[] = {"service", "user", NULL};
		const char *v[] = {"dsql", "explicit", NULL};

		check_params("service file under explicit, over environment", k, v, 0);
	}
	setenv("PGSERVICE", "dsql", 1);
	{
		const char *k[] = {NULL};
		const char *v[] = {NULL};

		check_params("PGSERVICE", k, v, 0);
	}
	unsetenv("PGSERVICE");
	unsetenv("PGPORT");
	setenv("PGSERVICEFILE", write_file("none.conf", "[a]\nhost=a\n"), 1);
	write_file("pg_service.conf", "[sys]\nhost=sys.dsql.eu-west-1.on.aws\nuser=sysuser\n");
	{
		const char *k[] = {"service", NULL};
		const char *v[] = {"sys", NULL};

		check_params("service from PGSYSCONFDIR/pg_service.conf", k, v, 0);
	}
	{
		da_conn		c;
		const char *k[] = {"service", NULL};
		const char *v[] = {"missing", NULL};

		err = NULL;
		tap_ok(da_conn_from_params(&pq, k, v, 0, &c, &err) &&
			   !da_conn_resolve(&pq, &c, &err) && err &&
			   strstr(err, "definition of service \"missing\" not found"),
			   "unknown service is an error, as in libpq");
		free(err);
		da_conn_free(&c);
	}
	setenv("PGSERVICEFILE", write_file("bad.conf", "[bad]\nhost = spaced\n"), 1);
	{
		da_conn		c;
		const char *k[] = {"service", NULL};
		const char *v[] = {"bad", NULL};

		err = NULL;
		tap_ok(da_conn_from_params(&pq, k, v, 0, &c, &err) &&
			   !da_conn_resolve(&pq, &c, &err) && err &&
			   strstr(err, "syntax error in service file"),
			   "service file key with blanks is a syntax error, as in libpq");
		free(err);
		da_conn_free(&c);
	}
	unsetenv("PGSERVICEFILE");
	{
		da_conn		c;

		err = NULL;
		tap_ok(!da_conn_from_string(&pq, "host='unterminated", &c, &err) && err,
			   "a conninfo syntax error is reported (the request goes to libpq)");
		free(err);
		da_conn_free(&c);
	}
	{
		da_conn		c;

		err = NULL;
		tap_ok(da_conn_from_setdb(&pq, "h.dsql.us-east-1.on.aws", NULL, NULL,
								  "user=fromdb port=7", "login", NULL, &c, &err) &&
			   da_conn_resolve(&pq, &c, &err) &&
			   strcmp(c.opt[DA_OPT_USER].val, "login") == 0 &&
			   strcmp(c.opt[DA_OPT_PORT].val, "7") == 0,
			   "PQsetdbLogin: dbname expanded, login overrides it");
		free(err);
		da_conn_free(&c);
	}

	/* ---- planning ---- */
	{
		da_conn		c;
		da_plan		p;
		char		ci[256];

		snprintf(ci, sizeof(ci), "host=%s", H1);
		err = NULL;
		tap_ok(plan_for(ci, NULL, &c, &p, &err) && p.applies && p.user_defaulted &&
			   strcmp(p.user, "admin") == 0 && strcmp(p.dbname, "postgres") == 0 &&
			   strcmp(p.sslmode, "verify-full") == 0 && p.sslrootcert &&
			   p.pwmode == DA_PW_KEYWORD,
			   "plan: DSQL host, nothing else: admin, postgres, verify-full, system CA, token");
		da_plan_free(&p);
		da_conn_free(&c);
		free(err);
	}
	{
		da_conn		c;
		da_plan		p;
		char		ci[256];

		snprintf(ci, sizeof(ci), "host=%s sslmode=disable", H1);
		err = NULL;
		tap_ok(!plan_for(ci, NULL, &c, &p, &err) && err && strstr(err, "sslmode=disable"),
			   "plan: sslmode=disable refused");
		da_plan_free(&p);
		da_conn_free(&c);
		free(err);
	}
	{
		const char *modes[] = {"prefer", "allow", "require", "verify-ca", "verify-full"};
		const char *want[] = {"verify-full", "verify-full", "require", "verify-ca", "verify-full"};

		for (int i = 0; i < 5; i++)
		{
			da_conn		c;
			da_plan		p;
			char		ci[256],
						label[128];

			snprintf(ci, sizeof(ci), "host=%s sslmode=%s", H1, modes[i]);
			snprintf(label, sizeof(label), "plan: sslmode=%s becomes %s", modes[i], want[i]);
			err = NULL;
			tap_ok(plan_for(ci, NULL, &c, &p, &err) && strcmp(p.sslmode, want[i]) == 0, label);
			da_plan_free(&p);
			da_conn_free(&c);
			free(err);
		}
	}
	{
		da_conn		c;
		da_plan		p;
		char		ci[256];

		snprintf(ci, sizeof(ci), "host=%s sslrootcert=/my/ca.crt password=hunter2 user=bob", H1);
		err = NULL;
		tap_ok(plan_for(ci, NULL, &c, &p, &err) && p.sslrootcert == NULL &&
			   p.pwmode == DA_PW_KEEP && !p.user_defaulted,
			   "plan: given sslrootcert kept, real password respected");
		da_plan_free(&p);
		da_conn_free(&c);
		free(err);
	}
	{
		da_conn		c;
		da_plan		p;
		da_kwlist	kw;
		char		ci[2048];
		bool		ok;
		int			npw = 0;

		snprintf(ci, sizeof(ci), "host=%s password='%s'", H1, TOKEN);
		err = NULL;
		ok = plan_for(ci, NULL, &c, &p, &err) && p.stale_token && p.pwmode == DA_PW_KEYWORD;
		p.hosts[0].token = strdup("fresh-token");
		ok = ok && da_plan_keywords(&c, &p, NULL, &kw, &err);
		for (int i = 0; ok && i < kw.n; i++)
			if (strcmp(kw.keys[i], "password") == 0)
			{
				npw++;
				ok = strcmp(kw.vals[i], "fresh-token") == 0;
			}
		tap_ok(ok && npw == 1, "plan: a stale token is dropped and the fresh one added once");
		da_kwlist_free(&kw);
		da_plan_free(&p);
		da_conn_free(&c);
		free(err);
	}
	{
		da_conn		c;
		da_plan		p;
		char		ci[256];

		snprintf(ci, sizeof(ci), "host=%s,other.dsql.us-west-2.on.aws,/tmp port=1,2,3", H1);
		err = NULL;
		tap_ok(plan_for(ci, NULL, &c, &p, &err) && p.nhosts == 3 && p.hosts[0].dsql &&
			   p.hosts[1].dsql && !p.hosts[2].dsql && p.pwmode == DA_PW_PASSFILE &&
			   strcmp(p.hosts[1].port, "2") == 0,
			   "plan: several hosts get a token each through a password file");
		da_plan_free(&p);
		da_conn_free(&c);
		free(err);
	}
	{
		da_conn		c;
		da_plan		p;
		char		ci[256];

		setenv("PGPASSWORD", TOKEN, 1);
		snprintf(ci, sizeof(ci), "host=%s,%s", H1, H1);
		err = NULL;
		tap_ok(plan_for(ci, NULL, &c, &p, &err) && p.stale_token &&
			   p.pwmode == DA_PW_KEYWORD,
			   "plan: several hosts with a stale PGPASSWORD fall back to one keyword token");
		unsetenv("PGPASSWORD");
		da_plan_free(&p);
		da_conn_free(&c);
		free(err);
	}
	{
		da_conn		c;
		da_plan		p;

		err = NULL;
		tap_ok(plan_for("host=localhost", NULL, &c, &p, &err) && !p.applies && p.why_not,
			   "plan: localhost does not apply");
		da_plan_free(&p);
		da_conn_free(&c);
		free(err);
		err = NULL;
		tap_ok(plan_for("host=db.corp.example hostaddr=10.0.0.1", "*.corp.example", &c, &p, &err) &&
			   p.applies, "plan: DSQL_AUTH_HOSTS pattern applies");
		da_plan_free(&p);
		da_conn_free(&c);
		free(err);
		err = NULL;
		tap_ok(plan_for("hostaddr=127.0.0.1", NULL, &c, &p, &err) && !p.applies,
			   "plan: hostaddr alone does not apply");
		da_plan_free(&p);
		da_conn_free(&c);
		free(err);
	}

	/* ---- the in-memory password file, read by libpq itself ---- */
	{
		da_conn		c;
		da_plan		p;
		char		ci[256];
		char		path[64];
		int			fd = memfd_create("t", 0);
		bool		ok;

		snprintf(ci, sizeof(ci), "host=x.dsql.us-east-1.on.aws,%s user=u", H1);
		err = NULL;
		ok = plan_for(ci, NULL, &c, &p, &err);
		if (ok)
		{
			p.hosts[0].token = strdup("tok:for\\first");
			p.hosts[1].token = strdup("token-two");
		}
		ok = ok && fchmod(fd, 0600) == 0 && da_plan_write_passfile(&p, fd, &err);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (ok)
		{
			const char *k[] = {"host", "user", "passfile", "channel_binding", NULL};
			const char *v[] = {"x.dsql.us-east-1.on.aws,other", "u", path, "invalid", NULL};
			PGconn	   *conn = PQconnectStartParams(k, v, 0);

			ok = strcmp(PQpass(conn), "tok:for\\first") == 0;
			if (!ok)
				printf("#   PQpass: %s\n", PQpass(conn));
			PQfinish(conn);
		}
		tap_ok(ok, "libpq reads the per-host token from the in-memory password file, escapes undone");
		close(fd);
		da_plan_free(&p);
		da_conn_free(&c);
		free(err);
	}

	{
		char		cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd) != 0)
			tap_diag("could not remove the temp dir");
	}
	return tap_done();
}
