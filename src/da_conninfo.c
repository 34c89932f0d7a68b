/*
 * da_conninfo.c
 *		Resolve libpq connection requests as libpq does, and plan what
 *		dsql_auth does for them.
 *
 * Option precedence follows fe-connect.c: explicit keywords (a later one
 * wins; NULL/empty values are skipped; with expand_dbname the first dbname
 * that is a connection string is expanded in place) > service file > PG*
 * environment > libpq's compiled defaults.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "da_conninfo.h"
#include "da_host.h"

#ifndef PG_SYSCONFDIR
#define PG_SYSCONFDIR "/etc/postgresql-common"
#endif

/* Service files longer than this are refused (libpq has no limit). */
#define DA_MAX_SERVICE_FILE (16 * 1024 * 1024)

static const struct
{
	const char *keyword;
	const char *envvar;
}			da_optinfo[DA_NOPTS] =
{
	[DA_OPT_HOST] = {"host", "PGHOST"},
	[DA_OPT_HOSTADDR] = {"hostaddr", "PGHOSTADDR"},
	[DA_OPT_PORT] = {"port", "PGPORT"},
	[DA_OPT_USER] = {"user", "PGUSER"},
	[DA_OPT_DBNAME] = {"dbname", "PGDATABASE"},
	[DA_OPT_PASSWORD] = {"password", "PGPASSWORD"},
	[DA_OPT_PASSFILE] = {"passfile", "PGPASSFILE"},
	[DA_OPT_SSLMODE] = {"sslmode", "PGSSLMODE"},
	[DA_OPT_SSLROOTCERT] = {"sslrootcert", "PGSSLROOTCERT"},
	[DA_OPT_SERVICE] = {"service", "PGSERVICE"},
};

/* Human-readable name of an option source. */
const char *
da_src_name(da_src src)
{
	switch (src)
	{
		case DA_SRC_EXPLICIT:
			return "connection string";
		case DA_SRC_SERVICE:
			return "service file";
		case DA_SRC_ENV:
			return "environment";
		case DA_SRC_NONE:
			break;
	}
	return "default";
}

/* Free a keyword list; values may be secrets, so they are wiped. */
void
da_kwlist_free(da_kwlist *l)
{
	for (int i = 0; i < l->n; i++)
	{
		free(l->keys[i]);
		da_free_secret(l->vals[i]);
	}
	free(l->keys);
	free(l->vals);
	memset(l, 0, sizeof(*l));
}

/* Append key=val (copied); keeps a NULL slot at the end for libpq. */
bool
da_kwlist_add(da_kwlist *l, const char *key, const char *val)
{
	if (l->n + 2 > l->cap)
	{
		int			cap = l->cap ? l->cap * 2 : 16;
		char	  **k = calloc(cap, sizeof(char *));
		char	  **v = calloc(cap, sizeof(char *));

		if (!k || !v)
		{
			free(k);
			free(v);
			return false;
		}
		if (l->n)
		{
			memcpy(k, l->keys, l->n * sizeof(char *));
			memcpy(v, l->vals, l->n * sizeof(char *));
		}
		free(l->keys);
		free(l->vals);
		l->keys = k;
		l->vals = v;
		l->cap = cap;
	}
	l->keys[l->n] = strdup(key);
	l->vals[l->n] = strdup(val);
	if (!l->keys[l->n] || !l->vals[l->n])
	{
		free(l->keys[l->n]);
		free(l->vals[l->n]);
		l->keys[l->n] = l->vals[l->n] = NULL;
		return false;
	}
	l->n++;
	l->keys[l->n] = NULL;
	l->vals[l->n] = NULL;
	return true;
}

/* Release everything a da_conn holds. */
void
da_conn_free(da_conn *c)
{
	da_kwlist_free(&c->explicit);
	for (int i = 0; i < DA_NOPTS; i++)
	{
		if (i == DA_OPT_PASSWORD)
			da_free_secret(c->opt[i].val);
		else
			free(c->opt[i].val);
		free(c->opt[i].where);
	}
	memset(c, 0, sizeof(*c));
}

/* libpq's recognized_connection_string(): a URI or something with '='. */
static bool
is_connection_string(const char *s)
{
	return strncmp(s, "postgresql://", 13) == 0 ||
		strncmp(s, "postgres://", 11) == 0 ||
		strchr(s, '=') != NULL;
}

/* Append every set option of a parsed conninfo to the list, in order. */
static bool
add_parsed(da_kwlist *l, PQconninfoOption *opts)
{
	for (PQconninfoOption *o = opts; o->keyword; o++)
	{
		if (o->val && o->val[0] && !da_kwlist_add(l, o->keyword, o->val))
			return false;
	}
	return true;
}

/* Parse a conninfo/URI with libpq's own parser; NULL with *errp on error. */
static PQconninfoOption *
parse_conninfo(const da_libpq *pq, const char *conninfo, char **errp)
{
	char	   *pqerr = NULL;
	PQconninfoOption *opts = pq->conninfoParse(conninfo, &pqerr);

	if (opts == NULL)
	{
		size_t		len;

		if (pqerr == NULL)
		{
			da_seterr(errp, "out of memory");
			return NULL;
		}
		len = strlen(pqerr);
		while (len > 0 && pqerr[len - 1] == '\n')
			len--;
		da_seterr(errp, "%.*s", (int) len, pqerr);
		pq->freemem(pqerr);
	}
	return opts;
}

/* Flatten PQconnectdbParams-style arrays. */
bool
da_conn_from_params(const da_libpq *pq, const char *const *keywords,
					const char *const *values, int expand_dbname,
					da_conn *c, char **errp)
{
	PQconninfoOption *dbopts = NULL;
	bool		ok = true;

	memset(c, 0, sizeof(*c));
	if (keywords == NULL || values == NULL)
		return true;

	if (expand_dbname)
	{
		for (int i = 0; keywords[i]; i++)
		{
			if (strcmp(keywords[i], "dbname") == 0 && values[i] &&
				is_connection_string(values[i]))
			{
				dbopts = parse_conninfo(pq, values[i], errp);
				if (dbopts == NULL)
					return false;
				break;
			}
		}
	}

	for (int i = 0; ok && keywords[i]; i++)
	{
		if (dbopts && strcmp(keywords[i], "dbname") == 0)
		{
			/* expanded in place; later dbnames are taken literally */
			ok = add_parsed(&c->explicit, dbopts);
			pq->conninfoFree(dbopts);
			dbopts = NULL;
		}
		else if (values[i] && values[i][0])
			ok = da_kwlist_add(&c->explicit, keywords[i], values[i]);
	}
	if (dbopts)
		pq->conninfoFree(dbopts);
	if (!ok)
		da_seterr(errp, "out of memory");
	return ok;
}

/* Flatten a conninfo string or URI. */
bool
da_conn_from_string(const da_libpq *pq, const char *conninfo, da_conn *c,
					char **errp)
{
	PQconninfoOption *opts;
	bool		ok;

	memset(c, 0, sizeof(*c));
	opts = parse_conninfo(pq, conninfo ? conninfo : "", errp);
	if (opts == NULL)
		return false;
	ok = add_parsed(&c->explicit, opts);
	pq->conninfoFree(opts);
	if (!ok)
		da_seterr(errp, "out of memory");
	return ok;
}

/*
 * Flatten PQsetdbLogin's arguments: a dbname that is a connection string is
 * expanded first, then the other non-empty arguments override it.
 */
bool
da_conn_from_setdb(const da_libpq *pq, const char *host, const char *port,
				   const char *options, const char *dbname,
				   const char *user, const char *password, da_conn *c,
				   char **errp)
{
	const char *keys[7];
	const char *vals[7];
	int			n = 0;

	if (dbname)
	{
		keys[n] = "dbname";
		vals[n++] = dbname;
	}
	keys[n] = "host";
	vals[n++] = host;
	keys[n] = "port";
	vals[n++] = port;
	keys[n] = "options";
	vals[n++] = options;
	keys[n] = "user";
	vals[n++] = user;
	keys[n] = "password";
	vals[n++] = password;
	keys[n] = NULL;
	vals[n] = NULL;
	return da_conn_from_params(pq, keys, vals, 1, c, errp);
}

/* Set an option if it has no value yet. */
static bool
set_opt(da_opt *o, const char *val, da_src src, const char *where)
{
	if (o->val != NULL || val == NULL || val[0] == '\0')
		return true;
	o->val = strdup(val);
	o->src = src;
	o->where = where ? strdup(where) : NULL;
	return o->val != NULL;
}

/* The user's home directory as libpq finds it; NULL if unknown. */
static char *
home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd pw,
			   *res = NULL;
	char		buf[4096];

	if (h && h[0])
		return strdup(h);
	if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &res) == 0 && res &&
		res->pw_dir)
		return strdup(res->pw_dir);
	return NULL;
}

/* Is key one of the connection options this libpq knows? */
static bool
is_libpq_keyword(const da_libpq *pq, const char *key)
{
	PQconninfoOption *all = pq->conninfoParse("", NULL);
	bool		found = false;

	if (all == NULL)
		return true;			/* cannot tell: let libpq judge later */
	for (PQconninfoOption *o = all; o->keyword && !found; o++)
		found = strcmp(o->keyword, key) == 0;
	pq->conninfoFree(all);
	return found;
}

/*
 * Read one service file as libpq's parseServiceFile does: lines trimmed,
 * '#' comments, "[name]" groups, "key=value" with no blanks around '='.
 * Returns 0 when done, 1 on error (*errp set).  *found tells whether the
 * group was there.
 */
static int
read_service_file(const da_libpq *pq, const char *path, const char *service,
				  da_conn *c, bool *found, char **errp)
{
	FILE	   *f;
	char	   *line = NULL;
	size_t		cap = 0;
	ssize_t		len;
	int			linenr = 0;
	int			rc = 0;
	long		total = 0;
	size_t		slen = strlen(service);

	*found = false;
	f = fopen(path, "r");
	if (f == NULL)
	{
		da_seterr(errp, "could not open service file \"%s\": %s", path,
				  strerror(errno));
		return 1;
	}
	while ((len = getline(&line, &cap, f)) != -1)
	{
		char	   *p = line;
		char	   *eq;

		linenr++;
		total += len;
		if (total > DA_MAX_SERVICE_FILE)
		{
			da_seterr(errp, "service file \"%s\" is larger than 16 MiB", path);
			rc = 1;
			break;
		}
		if ((size_t) len != strlen(line))
		{
			da_seterr(errp, "service file \"%s\" has a NUL byte on line %d",
					  path, linenr);
			rc = 1;
			break;
		}
		while (len > 0 && isspace((unsigned char) p[len - 1]))
			p[--len] = '\0';
		while (*p && isspace((unsigned char) *p))
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		if (*p == '[')
		{
			if (*found)
				break;			/* end of our group */
			*found = strncmp(p + 1, service, slen) == 0 && p[slen + 1] == ']';
			continue;
		}
		if (!*found)
			continue;
		eq = strchr(p, '=');
		if (eq == NULL)
		{
			da_seterr(errp, "syntax error in service file \"%s\", line %d",
					  path, linenr);
			rc = 1;
			break;
		}
		*eq = '\0';
		if (strcmp(p, "service") == 0)
		{
			da_seterr(errp, "nested service specifications not supported in service file \"%s\", line %d",
					  path, linenr);
			rc = 1;
			break;
		}
		if (!is_libpq_keyword(pq, p))
		{
			da_seterr(errp, "syntax error in service file \"%s\", line %d",
					  path, linenr);
			rc = 1;
			break;
		}
		for (int i = 0; i < DA_NOPTS; i++)
		{
			if (i != DA_OPT_SERVICE && strcmp(p, da_optinfo[i].keyword) == 0 &&
				!set_opt(&c->opt[i], eq + 1, DA_SRC_SERVICE, path))
			{
				da_seterr(errp, "out of memory");
				rc = 1;
			}
		}
		if (rc)
			break;
	}
	if (line)
	{
		da_wipe(line, cap);
		free(line);
	}
	fclose(f);
	return rc;
}

/*
 * Apply the service, as libpq's parseServiceInfo: PGSERVICEFILE or
 * ~/.pg_service.conf first, then PGSYSCONFDIR (or the compiled
 * sysconfdir)/pg_service.conf.
 */
static bool
apply_service(const da_libpq *pq, const char *service, da_conn *c, char **errp)
{
	char	   *path = NULL;
	const char *env;
	struct stat st;
	bool		found = false;
	da_buf		b;

	da_buf_init(&b);
	if ((env = getenv("PGSERVICEFILE")) != NULL)
		da_buf_append(&b, env);
	else
	{
		char	   *home = home_dir();

		if (home)
			da_buf_printf(&b, "%s/.pg_service.conf", home);
		free(home);
	}
	path = da_buf_steal(&b);
	if (path && path[0] && stat(path, &st) == 0)
	{
		if (read_service_file(pq, path, service, c, &found, errp))
		{
			free(path);
			return false;
		}
	}
	free(path);
	if (found)
		return true;

	da_buf_init(&b);
	env = getenv("PGSYSCONFDIR");
	da_buf_printf(&b, "%s/pg_service.conf", env ? env : PG_SYSCONFDIR);
	path = da_buf_steal(&b);
	if (path && stat(path, &st) == 0)
	{
		if (read_service_file(pq, path, service, c, &found, errp))
		{
			free(path);
			return false;
		}
	}
	free(path);
	if (!found)
	{
		da_seterr(errp, "definition of service \"%s\" not found", service);
		return false;
	}
	return true;
}

/* Fill c->opt from the explicit list, the service file and PG* variables. */
bool
da_conn_resolve(const da_libpq *pq, da_conn *c, char **errp)
{
	const char *service;

	/* explicit: the last non-empty occurrence wins */
	for (int k = c->explicit.n - 1; k >= 0; k--)
	{
		for (int i = 0; i < DA_NOPTS; i++)
		{
			if (strcmp(c->explicit.keys[k], da_optinfo[i].keyword) == 0 &&
				!set_opt(&c->opt[i], c->explicit.vals[k], DA_SRC_EXPLICIT, NULL))
			{
				da_seterr(errp, "out of memory");
				return false;
			}
		}
	}

	service = c->opt[DA_OPT_SERVICE].val;
	if (service == NULL)
	{
		service = getenv("PGSERVICE");
		if (service && service[0] &&
			!set_opt(&c->opt[DA_OPT_SERVICE], service, DA_SRC_ENV, "PGSERVICE"))
		{
			da_seterr(errp, "out of memory");
			return false;
		}
	}
	if (service && service[0] && !apply_service(pq, service, c, errp))
		return false;

	for (int i = 0; i < DA_NOPTS; i++)
	{
		if (!set_opt(&c->opt[i], getenv(da_optinfo[i].envvar), DA_SRC_ENV,
					 da_optinfo[i].envvar))
		{
			da_seterr(errp, "out of memory");
			return false;
		}
	}
	return true;
}

/* Release a plan, wiping the tokens. */
void
da_plan_free(da_plan *p)
{
	for (int i = 0; i < p->nhosts; i++)
	{
		free(p->hosts[i].host);
		free(p->hosts[i].port);
		da_free_secret(p->hosts[i].token);
	}
	free(p->hosts);
	free(p->why_not);
	free(p->user);
	free(p->dbname);
	free(p->sslrootcert);
	memset(p, 0, sizeof(*p));
}

/* Split a comma-separated list as libpq does (no quoting); count in *n. */
static char **
split_list(const char *s, int *n)
{
	int			count = 1;
	char	  **out;
	const char *start = s;

	for (const char *p = s; *p; p++)
		if (*p == ',')
			count++;
	out = calloc(count, sizeof(char *));
	if (out == NULL)
		return NULL;
	for (int i = 0; i < count; i++)
	{
		const char *end = strchr(start, ',');
		size_t		len = end ? (size_t) (end - start) : strlen(start);

		out[i] = strndup(start, len);
		if (out[i] == NULL)
		{
			while (i-- > 0)
				free(out[i]);
			free(out);
			return NULL;
		}
		start = end ? end + 1 : start + len;
	}
	*n = count;
	return out;
}

/* Free a list from split_list. */
static void
free_list(char **l, int n)
{
	if (l == NULL)
		return;
	for (int i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

/* The CA bundle OpenSSL uses by default; SSL_CERT_FILE wins as in OpenSSL. */
const char *
da_system_ca_file(void)
{
	const char *f = getenv(X509_get_default_cert_file_env());

	if (f && f[0])
		return f;
	f = X509_get_default_cert_file();
	if (f && access(f, R_OK) == 0)
		return f;
	return "/etc/ssl/certs/ca-certificates.crt";
}

/* True when ~/.postgresql/root.crt exists (libpq's default root cert). */
static bool
have_default_root_cert(void)
{
	char	   *home = home_dir();
	da_buf		b;
	char	   *path;
	bool		ok;

	if (home == NULL)
		return false;
	da_buf_init(&b);
	da_buf_printf(&b, "%s/.postgresql/root.crt", home);
	free(home);
	path = da_buf_steal(&b);
	ok = path && access(path, F_OK) == 0;
	free(path);
	return ok;
}

/* Decide what to do for a resolved connection. */
bool
da_plan_make(const da_conn *c, const da_settings *s, da_plan *p, char **errp)
{
	const char *hostval = c->opt[DA_OPT_HOST].val;
	const char *portval = c->opt[DA_OPT_PORT].val;
	const char *password = c->opt[DA_OPT_PASSWORD].val;
	const char *sslmode = c->opt[DA_OPT_SSLMODE].val;
	char	  **hosts = NULL;
	char	  **ports = NULL;
	int			nports = 0;
	int			ndsql = 0;

	memset(p, 0, sizeof(*p));
	p->pwmode = DA_PW_NONE;

	if (hostval == NULL)
	{
		da_buf		b;

		da_buf_init(&b);
		da_buf_append(&b, c->opt[DA_OPT_HOSTADDR].val
					  ? "only hostaddr is given, no host name to sign a token for"
					  : "no host given: libpq uses its local default");
		p->why_not = da_buf_steal(&b);
		return true;
	}

	hosts = split_list(hostval, &p->nhosts);
	if (hosts == NULL)
		goto oom;
	if (portval)
	{
		ports = split_list(portval, &nports);
		if (ports == NULL)
			goto oom;
	}
	p->hosts = calloc(p->nhosts, sizeof(da_plan_host));
	if (p->hosts == NULL)
		goto oom;
	for (int i = 0; i < p->nhosts; i++)
	{
		p->hosts[i].host = hosts[i];
		hosts[i] = NULL;
		if (ports && (nports == 1 || i < nports) && ports[nports == 1 ? 0 : i][0])
		{
			p->hosts[i].port = strdup(ports[nports == 1 ? 0 : i]);
			if (p->hosts[i].port == NULL)
				goto oom;
		}
		p->hosts[i].dsql = p->hosts[i].host[0] != '/' &&
			da_host_is_dsql(p->hosts[i].host, s->extra_hosts);
		if (p->hosts[i].dsql)
			ndsql++;
	}
	free_list(hosts, p->nhosts);
	free_list(ports, nports);
	hosts = ports = NULL;

	if (ndsql == 0)
	{
		da_buf		b;

		da_buf_init(&b);
		if (p->nhosts == 1)
			da_buf_printf(&b, "host \"%s\" is not an Aurora DSQL endpoint (<id>.dsql.<region>.on.aws)%s",
						  p->hosts[0].host,
						  s->extra_hosts ? " and matches no DSQL_AUTH_HOSTS pattern"
						  : "; add it to DSQL_AUTH_HOSTS if it is one");
		else
			da_buf_printf(&b, "none of the hosts \"%s\" is an Aurora DSQL endpoint",
						  hostval);
		p->why_not = da_buf_steal(&b);
		return true;
	}
	p->applies = true;

	/* user and database: DSQL's built-in role and only database */
	p->user = strdup(c->opt[DA_OPT_USER].val ? c->opt[DA_OPT_USER].val : "admin");
	p->user_defaulted = c->opt[DA_OPT_USER].val == NULL;
	p->dbname = strdup(c->opt[DA_OPT_DBNAME].val ? c->opt[DA_OPT_DBNAME].val : "postgres");
	p->dbname_defaulted = c->opt[DA_OPT_DBNAME].val == NULL;
	if (!p->user || !p->dbname)
		goto oom;

	/* TLS: never send a token in clear text */
	p->sslmode_given = sslmode;
	if (sslmode == NULL || strcmp(sslmode, "prefer") == 0 ||
		strcmp(sslmode, "allow") == 0)
		p->sslmode = "verify-full";
	else if (strcmp(sslmode, "disable") == 0)
	{
		da_seterr(errp, "sslmode=disable (from the %s) refused for Aurora DSQL host \"%s\": DSQL requires TLS and dsql_auth never sends a token without it; remove sslmode=disable or use sslmode=verify-full",
				  da_src_name(c->opt[DA_OPT_SSLMODE].src),
				  p->hosts[0].host);
		return false;
	}
	else
		p->sslmode = sslmode;
	if (strncmp(p->sslmode, "verify-", 7) == 0)
	{
		if (c->opt[DA_OPT_SSLROOTCERT].val)
			p->sslrootcert_why = "sslrootcert given";
		else if (have_default_root_cert())
			p->sslrootcert_why = "~/.postgresql/root.crt";
		else
		{
			p->sslrootcert = strdup(da_system_ca_file());
			if (p->sslrootcert == NULL)
				goto oom;
			p->sslrootcert_why = "system CA bundle";
		}
	}

	/* password */
	p->stale_token = password && da_password_is_token(password);
	if (password && !p->stale_token)
		p->pwmode = DA_PW_KEEP;
	else if (p->nhosts == 1 ||
			 (p->stale_token && c->opt[DA_OPT_PASSWORD].src != DA_SRC_EXPLICIT))
		p->pwmode = DA_PW_KEYWORD;	/* one token overrides everything */
	else
		p->pwmode = DA_PW_PASSFILE; /* a token per host */
	return true;

oom:
	free_list(hosts, p->nhosts);
	free_list(ports, nports);
	da_seterr(errp, "out of memory");
	return false;
}

/* Build the keyword list for the real libpq call. */
bool
da_plan_keywords(const da_conn *c, const da_plan *p, const char *passfile,
				 da_kwlist *out, char **errp)
{
	bool		ok = true;
	bool		drop_tokens = p->pwmode == DA_PW_KEYWORD ||
		p->pwmode == DA_PW_PASSFILE;

	memset(out, 0, sizeof(*out));
	for (int i = 0; ok && i < c->explicit.n; i++)
	{
		if (drop_tokens && strcmp(c->explicit.keys[i], "password") == 0)
			continue;
		ok = da_kwlist_add(out, c->explicit.keys[i], c->explicit.vals[i]);
	}
	if (ok && p->user_defaulted)
		ok = da_kwlist_add(out, "user", p->user);
	if (ok && p->dbname_defaulted)
		ok = da_kwlist_add(out, "dbname", p->dbname);
	if (ok && (p->sslmode_given == NULL || strcmp(p->sslmode, p->sslmode_given) != 0))
		ok = da_kwlist_add(out, "sslmode", p->sslmode);
	if (ok && p->sslrootcert)
		ok = da_kwlist_add(out, "sslrootcert", p->sslrootcert);
	if (ok && p->pwmode == DA_PW_KEYWORD)
	{
		const char *tok = NULL;

		for (int i = 0; i < p->nhosts && !tok; i++)
			if (p->hosts[i].dsql)
				tok = p->hosts[i].token;
		if (tok == NULL)
		{
			da_seterr(errp, "internal error: no token was made");
			da_kwlist_free(out);
			return false;
		}
		ok = da_kwlist_add(out, "password", tok);
	}
	if (ok && p->pwmode == DA_PW_PASSFILE)
		ok = da_kwlist_add(out, "passfile", passfile);
	if (!ok)
	{
		da_seterr(errp, "out of memory");
		da_kwlist_free(out);
	}
	return ok;
}

/* Append s to b with ':' and '\' escaped for a libpq password file. */
static void
append_pgpass_field(da_buf *b, const char *s)
{
	for (; *s; s++)
	{
		if (*s == ':' || *s == '\\')
			da_buf_appendc(b, '\\');
		da_buf_appendc(b, *s);
	}
}

/* Write "host:*:*:*:token" lines for every DSQL host. */
bool
da_plan_write_passfile(const da_plan *p, int fd, char **errp)
{
	da_buf		b;
	size_t		off = 0;

	da_buf_init(&b);
	for (int i = 0; i < p->nhosts; i++)
	{
		if (!p->hosts[i].dsql || !p->hosts[i].token)
			continue;
		append_pgpass_field(&b, p->hosts[i].host);
		da_buf_append(&b, ":*:*:*:");
		append_pgpass_field(&b, p->hosts[i].token);
		da_buf_appendc(&b, '\n');
	}
	if (b.oom)
	{
		da_buf_free(&b);
		da_seterr(errp, "out of memory");
		return false;
	}
	while (off < b.len)
	{
		ssize_t		w = write(fd, b.data + off, b.len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
		{
			da_seterr(errp, "could not write the in-memory password file: %s",
					  strerror(errno));
			da_buf_free(&b);
			return false;
		}
		off += (size_t) w;
	}
	da_buf_free(&b);
	return true;
}
