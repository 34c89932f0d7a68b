/*
 * da_src.h
 *		The credential sources that need more than a file read: STS
 *		(AssumeRole, AssumeRoleWithWebIdentity), the SSO portal,
 *		credential_process, container credentials and EC2 instance metadata.
 *		Internal to the core; da_creds.c strings them into the chain.
 *
 * Backend-free core; see da_util.h for the error convention.  Each fetch
 * fills out's keys and expiration (0 if the credentials never expire);
 * out->source is left for the caller to set.
 */
#ifndef DA_SRC_H
#define DA_SRC_H

#include <stdbool.h>
#include <time.h>

#include "da_sigv4.h"
#include "da_util.h"

/* STS ---------------------------------------------------------------- */

/* The parameters of one AssumeRole / AssumeRoleWithWebIdentity call. */
typedef struct da_sts_params
{
	const char *region;			/* signing region and regional endpoint;
								 * NULL: the global endpoint, us-east-1 */
	const char *role_arn;
	const char *session_name;	/* NULL: botocore-session-<epoch> */
	const char *external_id;	/* AssumeRole only; may be NULL */
	int			duration_seconds;	/* 0: STS default */
	const char *web_identity_token_file;	/* AssumeRoleWithWebIdentity */
} da_sts_params;

/* The STS endpoint URL for region (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, or
 * the regional one); malloc'd. */
extern char *da_sts_endpoint(const char *region);

/* AssumeRole, signed with src by our SigV4 signer. */
extern bool da_sts_assume_role(const da_sts_params *p,
							   const da_credentials *src, time_t now,
							   da_credentials *out, char **errp);

/* AssumeRoleWithWebIdentity (unsigned); reads the token file each time. */
extern bool da_sts_assume_role_web_identity(const da_sts_params *p,
											time_t now, da_credentials *out,
											char **errp);

/*
 * Parse an STS Query API response body: the <Credentials> of a successful
 * call, or the <Error> document (its Code and Message in *errp).  Exposed
 * for the unit tests.
 */
extern bool da_sts_parse_response(const char *body, long status,
								  const char *action, da_credentials *out,
								  char **errp);

/* SSO ---------------------------------------------------------------- */

typedef struct da_sso_params
{
	const char *profile;		/* for messages ("aws sso login --profile") */
	const char *session_name;	/* sso_session; NULL for the legacy form */
	const char *start_url;
	const char *sso_region;
	const char *account_id;
	const char *role_name;
	const char *cache_dir;		/* ~/.aws/sso/cache */
} da_sso_params;

/* Read the cached SSO token and call GetRoleCredentials. */
extern bool da_sso_get_credentials(const da_sso_params *p, time_t now,
								   da_credentials *out, char **errp);

/* credential_process --------------------------------------------------- */

/*
 * Split a command line as the AWS CLI does (Python's shlex.split, POSIX
 * mode).  Returns a NULL-terminated malloc'd vector (free with
 * da_argv_free), or NULL with *errp (unbalanced quotes, empty command).
 */
extern char **da_shell_split(const char *cmd, char **errp);
extern void da_argv_free(char **argv);

/*
 * Run the command (no shell), wait at most timeout_ms, parse its JSON
 * (Version 1).  Failures name the exit status and the helper's stderr.
 */
extern bool da_process_credentials(const char *command, const char *profile,
								   long timeout_ms, da_credentials *out,
								   char **errp);

/* Parse credential_process output (exposed for the unit tests). */
extern bool da_process_parse_output(const char *text, size_t len,
									const char *profile,
									da_credentials *out, char **errp);

/* Container and instance metadata -------------------------------------- */

typedef enum da_meta_result
{
	DA_META_FOUND,
	DA_META_NOTHING,			/* not configured / unavailable: *why set */
	DA_META_ERROR				/* configured but failed: *errp set */
} da_meta_result;

/*
 * Container credentials (ECS, EKS Pod Identity) from
 * AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI.  *why is a static
 * string.  *where (malloc'd, no secrets) names the URL used.
 */
extern da_meta_result da_container_credentials(da_credentials *out,
											   char **where,
											   const char **why,
											   char **errp);

/*
 * EC2 instance metadata (IMDSv2 with IMDSv1 fallback).  *role (malloc'd)
 * is the instance profile role; *why (malloc'd) says why nothing came.
 */
extern da_meta_result da_imds_credentials(da_credentials *out, char **role,
										  char **why, char **errp);

/* The JSON credential document served by containers and IMDS. */
extern bool da_meta_parse_credentials(const char *text, size_t len,
									  const char *what, da_credentials *out,
									  char **errp);

/* Shared helpers ------------------------------------------------------- */

/* getenv, with an empty value counting as unset. */
extern const char *da_env(const char *name);

/* Fill out's keys with copies (token may be NULL/empty); false on OOM. */
extern bool da_creds_set_keys(da_credentials *out, const char *key,
							  const char *secret, const char *token,
							  time_t expiration);

/* A copy of s fit for a message: control characters replaced, capped. */
extern char *da_printable(const char *s, size_t max);

/* Sleep for ms milliseconds (retry back-off). */
extern void da_sleep_ms(long ms);

#endif							/* DA_SRC_H */
