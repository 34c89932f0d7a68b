/*
 * da_interpose.c
 *		The client library: preloaded into unmodified libpq programs, it
 *		interposes libpq's connect entry points and hands libpq a freshly
 *		signed Aurora DSQL token on every connection attempt.
 *
 * Pattern (libfaketime, torsocks, libeatmydata): thin exported shims that
 * call one internal function; real symbols resolved lazily, from whichever
 * libpq the program uses (which may have been dlopen'ed with local scope,
 * as Python extensions are); configuration read once; a thread-local depth
 * guard so that exactly one level of nested libpq calls acts; silent unless
 * DSQL_AUTH_DEBUG is set.  No constructor: the library is also loaded into
 * processes that never touch libpq (Debian's Perl pg_wrapper, pagers,
 * shells), where it must cost nothing.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "da_conninfo.h"
#include "da_host.h"
#include "da_interpose.h"
#include "da_token.h"

/* The real libpq functions, all from the same libpq instance. */
static struct
{
	bool		ok;
	void	   *handle;			/* the libpq these came from */
	PGconn	   *(*connectdb) (const char *);
	PGconn	   *(*connectStart) (const char *);
	PGconn	   *(*connectdbParams) (const char *const *, const char *const *, int);
	PGconn	   *(*connectStartParams) (const char *const *, const char *const *, int);
	PGconn	   *(*setdbLogin) (const char *, const char *, const char *,
							   const char *, const char *, const char *,
							   const char *);
	void		(*reset) (PGconn *);
	int			(*resetStart) (PGconn *);
	char	   *(*errorMessage) (const PGconn *);
	void		(*finish) (PGconn *);
	char	   *(*host) (const PGconn *);
	char	   *(*user) (const PGconn *);
	char	   *(*pass) (const PGconn *);
	da_libpq	api;
}			real;

static pthread_mutex_t real_lock = PTHREAD_MUTEX_INITIALIZER;

/* Settings, read once per process. */
static pthread_once_t settings_once = PTHREAD_ONCE_INIT;
static da_settings settings;
static char *settings_err;

/* Depth of our own shims on this thread: only the outermost one acts. */
__thread int da_depth;

/* Error messages for connections we refused, keyed by PGconn. */
typedef struct da_errent
{
	const PGconn *conn;
	char	   *msg;
	struct da_errent *next;
} da_errent;

static pthread_mutex_t errs_lock = PTHREAD_MUTEX_INITIALIZER;
static da_errent *errs;
static volatile int nerrs;

/*
 * In a child forked while another thread held one of our locks, that lock
 * would stay held forever: start the child with fresh ones.  Only the
 * forking thread exists in the child, so nothing else can be using them.
 */
static void
atfork_child(void)
{
	pthread_mutex_init(&real_lock, NULL);
	pthread_mutex_init(&errs_lock, NULL);
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* Register atfork_child (pthread_once). */
static void
register_atfork(void)
{
	pthread_atfork(NULL, NULL, atfork_child);
}

/* Read the settings from the environment (pthread_once). */
static void
load_settings(void)
{
	if (!da_settings_from_env(&settings, &settings_err) && settings_err == NULL)
		settings_err = strdup("could not read the dsql_auth settings");
}

/* Print a debug line when DSQL_AUTH_DEBUG is set; never given secrets. */
void
da_debug(const char *fmt,...)
{
	va_list		ap;
	da_buf		b;

	pthread_once(&settings_once, load_settings);
	if (!settings.debug)
		return;
	da_buf_init(&b);
	da_buf_append(&b, "dsql_auth: ");
	va_start(ap, fmt);
	{
		va_list		ap2;
		int			n;

		va_copy(ap2, ap);
		n = vsnprintf(NULL, 0, fmt, ap2);
		va_end(ap2);
		if (n >= 0)
		{
			char	   *tmp = malloc((size_t) n + 1);

			if (tmp)
			{
				vsnprintf(tmp, (size_t) n + 1, fmt, ap);
				da_buf_append(&b, tmp);
				free(tmp);
			}
		}
	}
	va_end(ap);
	da_buf_appendc(&b, '\n');
	if (!b.oom)
		fputs(b.data, stderr);
	da_buf_free(&b);
}

/* Find the libpq that defines PQconnectdb for this caller; NULL if none. */
static void *
libpq_handle(void *caller)
{
	void	   *sym;
	Dl_info		info;

	/* 1. libpq in the global scope, after us */
	sym = dlsym(RTLD_NEXT, "PQconnectdb");
	if (sym && dladdr(sym, &info) && info.dli_fname)
	{
		void	   *h = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);

		if (h)
			return h;
	}
	/* 2. the system libpq, loaded with local scope (Python extensions) */
	{
		void	   *h = dlopen("libpq.so.5", RTLD_LAZY | RTLD_NOLOAD);

		if (h)
			return h;
	}
	/* 3. whatever the calling object links (e.g. a wheel's bundled libpq) */
	if (caller && dladdr(caller, &info) && info.dli_fname)
	{
		void	   *h = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);

		if (h)
		{
			sym = dlsym(h, "PQconnectdb");
			if (sym && dladdr(sym, &info) && info.dli_fname)
			{
				void	   *lib = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);

				dlclose(h);
				return lib;
			}
			dlclose(h);
		}
	}
	return NULL;
}

#define LOAD(field, name) \
	(*(void **) (&real.field) = dlsym(h, name))

/* Resolve the real libpq functions once; false if libpq cannot be found. */
static bool
ensure_real(void *caller)
{
	void	   *h;

	if (__atomic_load_n(&real.ok, __ATOMIC_ACQUIRE))
		return true;
	pthread_once(&atfork_once, register_atfork);
	pthread_mutex_lock(&real_lock);
	if (!real.ok && (h = libpq_handle(caller)) != NULL)
	{
		bool		ok = true;

		ok &= LOAD(connectdb, "PQconnectdb") != NULL;
		ok &= LOAD(connectStart, "PQconnectStart") != NULL;
		ok &= LOAD(connectdbParams, "PQconnectdbParams") != NULL;
		ok &= LOAD(connectStartParams, "PQconnectStartParams") != NULL;
		ok &= LOAD(setdbLogin, "PQsetdbLogin") != NULL;
		ok &= LOAD(reset, "PQreset") != NULL;
		ok &= LOAD(resetStart, "PQresetStart") != NULL;
		ok &= LOAD(errorMessage, "PQerrorMessage") != NULL;
		ok &= LOAD(finish, "PQfinish") != NULL;
		ok &= LOAD(host, "PQhost") != NULL;
		ok &= LOAD(user, "PQuser") != NULL;
		ok &= LOAD(pass, "PQpass") != NULL;
		ok &= LOAD(api.conninfoParse, "PQconninfoParse") != NULL;
		ok &= LOAD(api.conninfoFree, "PQconninfoFree") != NULL;
		ok &= LOAD(api.freemem, "PQfreemem") != NULL;
		ok &= LOAD(api.libVersion, "PQlibVersion") != NULL;
		/* the handle stays open: libpq stays loaded while we use it */
		real.handle = h;
		if (ok)
			__atomic_store_n(&real.ok, true, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&real_lock);
	return real.ok;
}

/* A libpq function from the libpq the program uses. */
void *
da_real_symbol(const char *name, void *caller)
{
	if (!ensure_real(caller))
		return NULL;
	return dlsym(real.handle, name);
}

/* The settings, read once. */
const da_settings *
da_current_settings(void)
{
	pthread_once(&settings_once, load_settings);
	return &settings;
}

/* Is this connection to a DSQL endpoint? */
bool
da_conn_is_dsql(const PGconn *conn)
{
	const char *host;

	if (conn == NULL || !ensure_real(NULL))
		return false;
	host = real.host(conn);
	pthread_once(&settings_once, load_settings);
	return host && host[0] != '/' && da_host_is_dsql(host, settings.extra_hosts);
}

/* Remember msg as the error of conn (for our PQerrorMessage). */
static void
remember_error(const PGconn *conn, const char *msg)
{
	da_errent  *e = calloc(1, sizeof(da_errent));

	if (e == NULL || (e->msg = malloc(strlen(msg) + 13)) == NULL)
	{
		free(e);
		return;
	}
	sprintf(e->msg, "dsql_auth: %s\n", msg);
	e->conn = conn;
	pthread_mutex_lock(&errs_lock);
	e->next = errs;
	errs = e;
	__atomic_add_fetch(&nerrs, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&errs_lock);
}

/*
 * A connection object that has already failed, with msg as its error: the
 * program reports it as any connection failure, without prompting for a
 * password or touching the network.
 */
static PGconn *
failed_conn(const char *msg)
{
	static const char *const keys[] = {"sslmode", NULL};
	static const char *const vals[] = {"dsql_auth-refused", NULL};
	PGconn	   *conn;

	da_debug("refusing the connection: %s", msg);
	conn = real.connectStartParams(keys, vals, 0);
	if (conn)
		remember_error(conn, msg);
	return conn;
}

/* Show the last four characters of an access key id, as the AWS CLI does. */
static const char *
key_tail(const char *akid)
{
	size_t		n = akid ? strlen(akid) : 0;

	return n > 4 ? akid + n - 4 : "";
}

/*
 * Plan and, for DSQL endpoints, make the connection with fresh tokens.
 * Returns false when the request is not ours (the caller passes it to libpq
 * unchanged); otherwise *out is the connection (possibly already failed).
 */
static bool
handle(da_conn *c, bool async, PGconn **out)
{
	da_plan		plan;
	da_kwlist	kw;
	char	   *err = NULL;
	int			memfd = -1;
	char		passfile[64] = "";
	const da_settings *s;
	da_settings fallback;

	pthread_once(&settings_once, load_settings);
	s = &settings;
	if (settings_err)
	{
		/* still recognise DSQL hosts, to report the bad setting for them */
		memset(&fallback, 0, sizeof(fallback));
		fallback.extra_hosts = getenv("DSQL_AUTH_HOSTS");
		s = &fallback;
	}

	if (!da_conn_resolve(&real.api, c, &err))
	{
		da_debug("leaving the connection to libpq: %s", err);
		free(err);
		return false;
	}
	if (!da_plan_make(c, s, &plan, &err))
	{
		*out = failed_conn(err);
		free(err);
		da_plan_free(&plan);
		return true;
	}
	if (!plan.applies)
	{
		da_debug("not acting: %s", plan.why_not);
		da_plan_free(&plan);
		return false;
	}
	if (settings_err)
	{
		*out = failed_conn(settings_err);
		da_plan_free(&plan);
		return true;
	}

	if (plan.pwmode == DA_PW_KEEP)
		da_debug("host=%s user=%s: a password was given (%s) that is not an IAM token; using it",
			  plan.hosts[0].host, plan.user,
			  da_src_name(c->opt[DA_OPT_PASSWORD].src));
	else
	{
		time_t		now = time(NULL);

		for (int i = 0; i < plan.nhosts; i++)
		{
			da_token_info info;

			if (!plan.hosts[i].dsql)
				continue;
			plan.hosts[i].token = da_make_token(s, plan.hosts[i].host,
												plan.user, now, &info, &err);
			if (plan.hosts[i].token == NULL)
			{
				*out = failed_conn(err);
				free(err);
				da_plan_free(&plan);
				return true;
			}
			da_debug("host=%s user=%s%s dbname=%s%s region=%s (%s) action=%s credentials=%s (key ...%s) expires_in=%d%s",
				  plan.hosts[i].host, plan.user,
				  plan.user_defaulted ? " (default)" : "", plan.dbname,
				  plan.dbname_defaulted ? " (default)" : "",
				  info.region, info.region_source, info.action,
				  info.cred_source, key_tail(info.access_key_id),
				  info.expires_in,
				  plan.stale_token ? " (replacing a stale token)" : "");
			da_token_info_clear(&info);
		}
	}
	da_debug("sslmode=%s (%s%s)%s%s%s%s", plan.sslmode,
			 plan.sslmode_given ? "given: " : "was unset",
			 plan.sslmode_given ? plan.sslmode_given : "",
			 plan.sslrootcert ? " sslrootcert=" : "",
			 plan.sslrootcert ? plan.sslrootcert : "",
			 plan.sslrootcert_why ? " from " : "",
			 plan.sslrootcert_why ? plan.sslrootcert_why : "");

	if (plan.pwmode == DA_PW_PASSFILE)
	{
		memfd = memfd_create("dsql_auth-pgpass", MFD_CLOEXEC);
		if (memfd < 0 || fchmod(memfd, 0600) != 0 ||
			!da_plan_write_passfile(&plan, memfd, &err))
		{
			if (err == NULL)
				da_seterr(&err, "could not create an in-memory password file: %s",
						  strerror(errno));
			*out = failed_conn(err);
			free(err);
			if (memfd >= 0)
				close(memfd);
			da_plan_free(&plan);
			return true;
		}
		snprintf(passfile, sizeof(passfile), "/proc/self/fd/%d", memfd);
		da_debug("%d hosts: one token per DSQL host through an in-memory password file",
			  plan.nhosts);
	}

	if (!da_plan_keywords(c, &plan, passfile, &kw, &err))
	{
		*out = failed_conn(err);
		free(err);
	}
	else
	{
		*out = async
			? real.connectStartParams((const char *const *) kw.keys,
									  (const char *const *) kw.vals, 0)
			: real.connectdbParams((const char *const *) kw.keys,
								   (const char *const *) kw.vals, 0);
		da_kwlist_free(&kw);
	}
	if (memfd >= 0)
		close(memfd);
	da_plan_free(&plan);
	return true;
}

/* One connection request, as it reached one of the entry points. */
typedef enum da_entry
{
	DA_ENTRY_STRING,			/* PQconnectdb, PQconnectStart */
	DA_ENTRY_PARAMS,			/* PQconnectdbParams, PQconnectStartParams */
	DA_ENTRY_SETDB				/* PQsetdbLogin */
} da_entry;

typedef struct da_request
{
	da_entry	entry;
	bool		async;
	const char *conninfo;
	const char *const *keywords;
	const char *const *values;
	int			expand_dbname;
	const char *host,
			   *port,
			   *options,
			   *tty,
			   *dbname,
			   *login,
			   *pwd;
} da_request;

/* Hand the request to libpq unchanged. */
static PGconn *
call_real(const da_request *r)
{
	switch (r->entry)
	{
		case DA_ENTRY_STRING:
			return r->async ? real.connectStart(r->conninfo)
				: real.connectdb(r->conninfo);
		case DA_ENTRY_PARAMS:
			return r->async
				? real.connectStartParams(r->keywords, r->values, r->expand_dbname)
				: real.connectdbParams(r->keywords, r->values, r->expand_dbname);
		case DA_ENTRY_SETDB:
			break;
	}
	return real.setdbLogin(r->host, r->port, r->options, r->tty, r->dbname,
						   r->login, r->pwd);
}

/* Flatten the request into a keyword list, as libpq will read it. */
static bool
flatten(const da_request *r, da_conn *c, char **errp)
{
	switch (r->entry)
	{
		case DA_ENTRY_STRING:
			return da_conn_from_string(&real.api, r->conninfo, c, errp);
		case DA_ENTRY_PARAMS:
			return da_conn_from_params(&real.api, r->keywords, r->values,
									   r->expand_dbname, c, errp);
		case DA_ENTRY_SETDB:
			break;
	}
	return da_conn_from_setdb(&real.api, r->host, r->port, r->options,
							  r->dbname, r->login, r->pwd, c, errp);
}

/*
 * The body of every connect entry point: act at the outermost level only,
 * and leave to libpq whatever is not a DSQL connection.
 */
static PGconn *
intercept(const da_request *r, void *caller)
{
	da_conn		c;
	PGconn	   *conn = NULL;
	char	   *err = NULL;
	bool		done = false;

	if (!ensure_real(caller))
		return NULL;
	if (da_depth > 0)
		return call_real(r);
	da_depth++;
	if (flatten(r, &c, &err))
		done = handle(&c, r->async, &conn);
	da_conn_free(&c);
	free(err);
	if (!done)
		conn = call_real(r);
	da_depth--;
	return conn;
}

/*
 * Before libpq re-sends a connection's stored password (PQreset, as psql
 * does after losing its connection), replace a DSQL token in it with a
 * fresh one.  libpq has no setter: PQpass() returns libpq's own buffer,
 * which we overwrite in place when the new token has the same length (it
 * does while the credentials' key, session token, region and lifetime are
 * unchanged).  Otherwise the old token is sent and the debug output says
 * why.
 */
static void
refresh_stored_token(PGconn *conn)
{
	char	   *pass,
			   *host,
			   *user,
			   *tok,
			   *err = NULL;

	if (conn == NULL)
		return;
	pthread_once(&settings_once, load_settings);
	if (settings_err)
		return;
	pass = real.pass(conn);
	host = real.host(conn);
	user = real.user(conn);
	if (!pass || !host || !user || !da_password_is_token(pass) ||
		!da_host_is_dsql(host, settings.extra_hosts))
		return;
	tok = da_make_token(&settings, host, user, time(NULL), NULL, &err);
	if (tok == NULL)
	{
		da_debug("reset of host=%s: could not make a fresh token: %s", host, err);
		free(err);
		return;
	}
	if (strlen(tok) == strlen(pass))
	{
		memcpy(pass, tok, strlen(tok));
		da_debug("reset of host=%s user=%s: stored token refreshed", host, user);
	}
	else
		da_debug("reset of host=%s user=%s: the fresh token has another length (credentials changed); the old one is re-sent",
			  host, user);
	da_free_secret(tok);
}

/* ---- exported shims ---- */

DA_EXPORT PGconn *
PQconnectdb(const char *conninfo)
{
	da_request	r = {.entry = DA_ENTRY_STRING, .conninfo = conninfo};

	return intercept(&r, __builtin_return_address(0));
}

DA_EXPORT PGconn *
PQconnectStart(const char *conninfo)
{
	da_request	r = {.entry = DA_ENTRY_STRING, .async = true, .conninfo = conninfo};

	return intercept(&r, __builtin_return_address(0));
}

DA_EXPORT PGconn *
PQconnectdbParams(const char *const *keywords, const char *const *values,
				  int expand_dbname)
{
	da_request	r = {.entry = DA_ENTRY_PARAMS, .keywords = keywords,
	.values = values, .expand_dbname = expand_dbname};

	return intercept(&r, __builtin_return_address(0));
}

DA_EXPORT PGconn *
PQconnectStartParams(const char *const *keywords, const char *const *values,
					 int expand_dbname)
{
	da_request	r = {.entry = DA_ENTRY_PARAMS, .async = true, .keywords = keywords,
	.values = values, .expand_dbname = expand_dbname};

	return intercept(&r, __builtin_return_address(0));
}

DA_EXPORT PGconn *
PQsetdbLogin(const char *pghost, const char *pgport, const char *pgoptions,
			 const char *pgtty, const char *dbName, const char *login,
			 const char *pwd)
{
	da_request	r = {.entry = DA_ENTRY_SETDB, .host = pghost, .port = pgport,
		.options = pgoptions, .tty = pgtty, .dbname = dbName, .login = login,
	.pwd = pwd};

	return intercept(&r, __builtin_return_address(0));
}

DA_EXPORT void
PQreset(PGconn *conn)
{
	if (!ensure_real(__builtin_return_address(0)))
		return;
	if (da_depth == 0)
	{
		da_depth++;
		refresh_stored_token(conn);
		da_depth--;
	}
	real.reset(conn);
}

DA_EXPORT int
PQresetStart(PGconn *conn)
{
	if (!ensure_real(__builtin_return_address(0)))
		return 0;
	if (da_depth == 0)
	{
		da_depth++;
		refresh_stored_token(conn);
		da_depth--;
	}
	return real.resetStart(conn);
}

DA_EXPORT char *
PQerrorMessage(const PGconn *conn)
{
	if (__atomic_load_n(&nerrs, __ATOMIC_ACQUIRE) > 0 && conn)
	{
		char	   *msg = NULL;

		pthread_mutex_lock(&errs_lock);
		for (da_errent *e = errs; e; e = e->next)
			if (e->conn == conn)
				msg = e->msg;
		pthread_mutex_unlock(&errs_lock);
		if (msg)
			return msg;
	}
	if (!ensure_real(__builtin_return_address(0)))
		return (char *) "";
	return real.errorMessage(conn);
}

DA_EXPORT void
PQfinish(PGconn *conn)
{
	if (__atomic_load_n(&nerrs, __ATOMIC_ACQUIRE) > 0 && conn)
	{
		da_errent **pp;

		pthread_mutex_lock(&errs_lock);
		for (pp = &errs; *pp; pp = &(*pp)->next)
		{
			if ((*pp)->conn == conn)
			{
				da_errent  *e = *pp;

				*pp = e->next;
				free(e->msg);
				free(e);
				__atomic_sub_fetch(&nerrs, 1, __ATOMIC_RELEASE);
				break;
			}
		}
		pthread_mutex_unlock(&errs_lock);
	}
	if (conn)
		da_compat_forget(conn);
	if (ensure_real(__builtin_return_address(0)))
		real.finish(conn);
}
