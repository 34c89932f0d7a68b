/*
 * da_token.h
 *		One call that turns (settings, host, user) into a fresh DSQL token:
 *		region, action, credentials and signing.  Used by the client library,
 *		the dsql-auth command and the server extension.
 */
#ifndef DA_TOKEN_H
#define DA_TOKEN_H

#include <stdbool.h>
#include <time.h>

#include "da_creds.h"

/* What was decided, for debug output and "dsql-auth check"; no secrets. */
typedef struct da_token_info
{
	char	   *region;
	const char *region_source;
	const char *action;			/* "DbConnect" or "DbConnectAdmin" */
	int			expires_in;		/* after capping to the credentials' life */
	char	   *cred_source;
	char	   *access_key_id;	/* public identifier, safe to show */
} da_token_info;

extern void da_token_info_clear(da_token_info *info);

/*
 * A fresh token for user at host, signed at now.  info may be NULL.
 * Returns malloc'd token (free with da_free_secret) or NULL with *errp.
 */
extern char *da_make_token(const da_settings *s, const char *host,
						   const char *user, time_t now,
						   da_token_info *info, char **errp);

#endif							/* DA_TOKEN_H */
