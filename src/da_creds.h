/*
 * da_creds.h
 *		Settings read from the environment, and the AWS credential chain.
 *
 * Backend-free core; see da_util.h for the error convention.
 */
#ifndef DA_CREDS_H
#define DA_CREDS_H

#include <stdbool.h>
#include <time.h>

#include "da_sigv4.h"
#include "da_util.h"

/*
 * What the user configured, from the environment (and, in the command,
 * from options that override it).  All strings malloc'd or NULL.
 */
typedef struct da_settings
{
	char	   *profile;		/* DSQL_AUTH_PROFILE, AWS_PROFILE,
								 * AWS_DEFAULT_PROFILE, else "default" */
	bool		profile_explicit;	/* from DSQL_AUTH_PROFILE or --profile:
									 * environment keys are skipped */
	char	   *region;			/* DSQL_AUTH_REGION or --region, else NULL */
	int			expires_in;		/* DSQL_AUTH_EXPIRES_IN, default 900 */
	char	   *extra_hosts;	/* DSQL_AUTH_HOSTS */
	bool		debug;			/* DSQL_AUTH_DEBUG set to a true value */
	char	   *config_file;	/* AWS_CONFIG_FILE or ~/.aws/config */
	char	   *credentials_file;	/* AWS_SHARED_CREDENTIALS_FILE or
									 * ~/.aws/credentials */
} da_settings;

/*
 * Read settings from the environment.  Fails (with *errp) only on values
 * that are present but invalid, e.g. DSQL_AUTH_EXPIRES_IN=abc.
 */
extern bool da_settings_from_env(da_settings *s, char **errp);
extern void da_settings_clear(da_settings *s);

/*
 * Resolve credentials along the chain, in the AWS CLI's order: environment
 * keys (unless profile_explicit), assume-role (role_arn with source_profile
 * or credential_source), web identity, SSO, the credentials file,
 * credential_process, the config file, container credentials, EC2
 * instance metadata.  Credentials from network and process sources are
 * cached in the process and refreshed ahead of their expiry; many threads
 * asking at once cause one refresh.  On failure *errp names each
 * source tried and why it gave nothing, and how to fix it, e.g.
 *   no AWS credentials found: tried environment (AWS_ACCESS_KEY_ID not
 *   set), profile "dev" in /root/.aws/credentials (no such profile), ...
 */
extern bool da_get_credentials(const da_settings *s, da_credentials *out,
							   char **errp);

/*
 * How many times the chain has been walked without the cache answering
 * (in this process), and a way to empty the cache; for tests and debug
 * output.  See the cache comment in da_creds.c for the refresh rules.
 */
extern unsigned long da_credentials_resolutions(void);
extern void da_credentials_cache_reset(void);

/*
 * The region for host: settings->region, else from the DSQL host name,
 * else AWS_REGION, else AWS_DEFAULT_REGION, else the profile's "region" in
 * the config file.  *source is set to a static description of where it
 * came from ("DSQL_AUTH_REGION", "host name", "AWS_REGION", ...).  NULL
 * with *errp when none is found.
 */
extern char *da_resolve_region(const da_settings *s, const char *host,
							   const char **source, char **errp);

#endif							/* DA_CREDS_H */
