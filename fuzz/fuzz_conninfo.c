/*
 * fuzz_conninfo.c
 *		libFuzzer target: connection request handling in da_conninfo.c — a
 *		conninfo string or URI (da_conn_from_string), resolved against a
 *		service file with fuzzed contents (da_conn_resolve with
 *		PGSERVICEFILE), then planned (da_plan_make) and turned into the
 *		keyword list (da_plan_keywords) as the client library does.
 *
 * Input: the conninfo string up to the first NUL; the rest is written to
 * the service file.  The conninfo gets " service=fuzz" appended when it
 * names no service, so the service file is read on most inputs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "da_conninfo.h"

static const da_libpq pq = {PQconninfoParse, PQconninfoFree, PQfreemem, PQlibVersion};
static char svcpath[64];
static da_settings settings;
static int	devnull = -1;

/* A private service file, and no PG* variables from the caller. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const vars[] = {
		"PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD",
		"PGPASSFILE", "PGSSLMODE", "PGSSLROOTCERT", "PGSERVICE", "PGSYSCONFDIR",
		"DSQL_AUTH_HOSTS", NULL};
	int			fd;

	for (int i = 0; vars[i]; i++)
		unsetenv(vars[i]);
	snprintf(svcpath, sizeof(svcpath), "/tmp/fuzz_conninfo.%d.conf", (int) getpid());
	fd = open(svcpath, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	if (fd >= 0)
		close(fd);
	setenv("PGSERVICEFILE", svcpath, 1);
	setenv("PGSYSCONFDIR", "/nonexistent", 1);
	devnull = open("/dev/null", O_WRONLY);
	settings.expires_in = 900;
	settings.extra_hosts = "*.example.com";
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *ci = (const char *) data;
	size_t		n = strnlen(ci, size);
	char	   *conninfo;
	FILE	   *f;
	da_conn		c;
	da_plan		plan;
	da_kwlist	kw;
	char	   *err = NULL;

	f = fopen(svcpath, "w");
	if (f == NULL)
		return 0;
	if (n < size)
		fwrite(data + n + 1, 1, size - n - 1, f);
	fclose(f);

	conninfo = malloc(n + sizeof(" service=fuzz"));
	if (conninfo == NULL)
		return 0;
	memcpy(conninfo, ci, n);
	conninfo[n] = '\0';
	/* URIs cannot take a trailing keyword; keyword strings can */
	if (strstr(conninfo, "service") == NULL && strstr(conninfo, "://") == NULL)
		strcat(conninfo, " service=fuzz");

	memset(&c, 0, sizeof(c));
	if (!da_conn_from_string(&pq, conninfo, &c, &err))
	{
		if (err == NULL)
			abort();
		free(err);
		da_conn_free(&c);
		free(conninfo);
		return 0;
	}
	if (!da_conn_resolve(&pq, &c, &err))
	{
		if (err == NULL)
			abort();
		free(err);
		da_conn_free(&c);
		free(conninfo);
		return 0;
	}
	memset(&plan, 0, sizeof(plan));
	if (da_plan_make(&c, &settings, &plan, &err))
	{
		if (plan.applies && plan.pwmode != DA_PW_KEEP)
		{
			for (int i = 0; i < plan.nhosts; i++)
				if (plan.hosts[i].dsql)
					plan.hosts[i].token = strdup("tok/?Action=DbConnect");
		}
		if (plan.applies && plan.pwmode == DA_PW_PASSFILE)
		{
			if (!da_plan_write_passfile(&plan, devnull, &err))
				free(err);
			err = NULL;
		}
		if (plan.applies)
		{
			memset(&kw, 0, sizeof(kw));
			if (da_plan_keywords(&c, &plan,
								 plan.pwmode == DA_PW_PASSFILE ? "/dev/null" : "",
								 &kw, &err))
				da_kwlist_free(&kw);
			else
				free(err);
		}
	}
	else
		free(err);
	da_plan_free(&plan);
	da_conn_free(&c);
	free(conninfo);
	return 0;
}
