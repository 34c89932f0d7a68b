/*
 * da_conninfo.h
 *		Resolve a libpq connection request the way libpq will (keywords,
 *		conninfo strings and URIs, expand_dbname, service files, PG*
 *		environment variables), decide what dsql_auth does for it, and build
 *		the keyword list that carries the fresh token.
 *
 * Client-side only (uses libpq's types, never links libpq itself): the
 * libpq functions it needs are passed in, so the preload library can use
 * the libpq instance the program uses and the command can use its own.
 * Never prints; errors via da_seterr as in the rest of the core.
 */
#ifndef DA_CONNINFO_H
#define DA_CONNINFO_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "da_creds.h"
#include "da_util.h"

/* The libpq functions the resolver needs. */
typedef struct da_libpq
{
	PQconninfoOption *(*conninfoParse) (const char *conninfo, char **errmsg);
	void		(*conninfoFree) (PQconninfoOption *connOptions);
	void		(*freemem) (void *ptr);
	int			(*libVersion) (void);
} da_libpq;

/* Where a resolved option came from. */
typedef enum da_src
{
	DA_SRC_NONE = 0,			/* not set anywhere: libpq's default applies */
	DA_SRC_EXPLICIT,			/* keyword, conninfo string or URI */
	DA_SRC_SERVICE,				/* service file */
	DA_SRC_ENV					/* PG* environment variable */
} da_src;

extern const char *da_src_name(da_src src);

/* A flat, ordered keyword list as PQconnectdbParams takes it. */
typedef struct da_kwlist
{
	int			n;
	int			cap;
	char	  **keys;
	char	  **vals;
} da_kwlist;

extern void da_kwlist_free(da_kwlist *l);
extern bool da_kwlist_add(da_kwlist *l, const char *key, const char *val);

/* Options we care about, resolved with their source. */
typedef struct da_opt
{
	char	   *val;			/* NULL when unset */
	da_src		src;
	char	   *where;			/* service file path or env var, if any */
} da_opt;

typedef enum da_optid
{
	DA_OPT_HOST,
	DA_OPT_HOSTADDR,
	DA_OPT_PORT,
	DA_OPT_USER,
	DA_OPT_DBNAME,
	DA_OPT_PASSWORD,
	DA_OPT_PASSFILE,
	DA_OPT_SSLMODE,
	DA_OPT_SSLROOTCERT,
	DA_OPT_SERVICE,
	DA_NOPTS
} da_optid;

typedef struct da_conn
{
	da_kwlist	explicit;		/* the request, flattened, in order */
	da_opt		opt[DA_NOPTS];
} da_conn;

extern void da_conn_free(da_conn *c);

/*
 * Flatten a request into c->explicit.  from_params: PQconnectdbParams-style
 * arrays (expand_dbname expands the first dbname that is a connection
 * string, in place, as libpq does).  from_string: a conninfo string or URI.
 * from_setdb: PQsetdbLogin's arguments.  False (with *errp) when libpq
 * would reject the syntax; callers then leave the request to libpq.
 */
extern bool da_conn_from_params(const da_libpq *pq, const char *const *keywords,
								const char *const *values, int expand_dbname,
								da_conn *c, char **errp);
extern bool da_conn_from_string(const da_libpq *pq, const char *conninfo,
								da_conn *c, char **errp);
extern bool da_conn_from_setdb(const da_libpq *pq, const char *host,
							   const char *port, const char *options,
							   const char *dbname, const char *user,
							   const char *password, da_conn *c, char **errp);

/*
 * Fill c->opt: explicit values, then the service file, then PG* variables.
 * False with *errp if the service file cannot be read or has an error (the
 * request is then left to libpq, which reports it).
 */
extern bool da_conn_resolve(const da_libpq *pq, da_conn *c, char **errp);

/* One host of a (possibly multi-host) connection. */
typedef struct da_plan_host
{
	char	   *host;
	char	   *port;			/* NULL: libpq's default */
	bool		dsql;
	char	   *token;			/* filled by the caller; a secret */
} da_plan_host;

typedef enum da_pwmode
{
	DA_PW_NONE,					/* not a DSQL connection: nothing to do */
	DA_PW_KEEP,					/* a real password was given: respect it */
	DA_PW_KEYWORD,				/* one token, as the last password= keyword */
	DA_PW_PASSFILE				/* a token per host, through a passfile */
} da_pwmode;

/* What dsql_auth does for one connection request. */
typedef struct da_plan
{
	bool		applies;		/* at least one host is a DSQL endpoint */
	char	   *why_not;		/* when !applies, a sentence saying why */
	int			nhosts;
	da_plan_host *hosts;
	char	   *user;			/* the user that will log in */
	bool		user_defaulted; /* we chose "admin" */
	char	   *dbname;
	bool		dbname_defaulted;	/* we chose "postgres" */
	da_pwmode	pwmode;
	bool		stale_token;	/* a given password was an old token */
	const char *sslmode_given;	/* NULL if unset */
	const char *sslmode;		/* what will be used */
	char	   *sslrootcert;	/* what we add, or NULL to leave alone */
	const char *sslrootcert_why;	/* why (for check/debug) */
} da_plan;

extern void da_plan_free(da_plan *p);

/*
 * Decide.  False with *errp when the connection must not be attempted
 * (sslmode=disable or allow-only for a DSQL host, a unix socket mixed in,
 * ...).
 */
extern bool da_plan_make(const da_conn *c, const da_settings *s, da_plan *p,
						 char **errp);

/*
 * Build the keyword list to hand to the real PQconnect*Params: the request
 * without stale tokens, plus user/dbname/sslmode/sslrootcert/password (or
 * passfile, whose path the caller supplies) as the plan says.  Always
 * expand_dbname=0.
 */
extern bool da_plan_keywords(const da_conn *c, const da_plan *p,
							 const char *passfile, da_kwlist *out,
							 char **errp);

/*
 * Write a libpq password file with one line per DSQL host into fd (':' and
 * '\' escaped as libpq expects).
 */
extern bool da_plan_write_passfile(const da_plan *p, int fd, char **errp);

/* The CA bundle OpenSSL would use by default (SSL_CERT_FILE first). */
extern const char *da_system_ca_file(void);

#endif							/* DA_CONNINFO_H */
