/*
 * da_sigv4.h
 *		AWS Signature Version 4: query presigning (auth tokens) and header
 *		signing (STS and other AWS API calls).
 *
 * Backend-free core; see da_util.h for the error convention.  The clock is
 * always passed in (signed_at), so every function is deterministic and
 * testable against known answers.
 */
#ifndef DA_SIGV4_H
#define DA_SIGV4_H

#include <stdbool.h>
#include <time.h>

#include "da_util.h"

/* Token lifetime bounds, as botocore/the AWS CLI accept them. */
#define DA_EXPIRES_DEFAULT	900
#define DA_EXPIRES_MIN		1
#define DA_EXPIRES_MAX		604800

/*
 * A set of AWS credentials.  Every string is malloc'd and owned;
 * session_token is NULL for long-term keys.  expiration is 0 when the
 * credentials never expire.  source is a human-readable description of
 * where they came from ("environment", "profile \"dev\" in
 * /root/.aws/credentials") and is safe to print.
 */
typedef struct da_credentials
{
	char	   *access_key_id;
	char	   *secret_access_key;
	char	   *session_token;
	time_t		expiration;
	char	   *source;
} da_credentials;

/* Wipe the secrets and free every member; the struct is zeroed. */
extern void da_credentials_clear(da_credentials *c);
/* Deep copy; false on OOM. */
extern bool da_credentials_copy(da_credentials *dst, const da_credentials *src);

/*
 * RFC 3986 percent-encoding as SigV4 wants it: A-Z a-z 0-9 - _ . ~ kept,
 * everything else %XX with upper-case hex.  Appends to b.
 */
extern bool da_uri_encode(da_buf *b, const char *s);

/*
 * Build a SigV4 query-presigned URL without its scheme, exactly as botocore's
 * RequestSigner.generate_presigned_url does for the RDS/DSQL token
 * generators:
 *
 *   <host>/?<params>&X-Amz-Algorithm=...&X-Amz-Credential=...&X-Amz-Date=...
 *   &X-Amz-Expires=<n>&X-Amz-SignedHeaders=host[&X-Amz-Security-Token=...]
 *   &X-Amz-Signature=<hex>
 *
 * host is emitted as given (botocore keeps its case in the URL) but signed
 * lower-cased; it may carry ":port" (RDS).  params is an array of nparams
 * name/value pairs (unencoded), emitted in the order given before the
 * X-Amz-* parameters; the canonical query sorts everything.  The payload
 * hash is SHA-256 of the empty string.  Returns a malloc'd string or NULL
 * with *errp set (bad expiry, empty host/region, OOM, crypto failure).
 */
extern char *da_sigv4_presign(const char *host,
							  const char *const *param_names,
							  const char *const *param_values,
							  int nparams,
							  const char *service,
							  const char *region,
							  int expires_in,
							  time_t signed_at,
							  const da_credentials *creds,
							  char **errp);

/*
 * Aurora DSQL token for one connection: service "dsql",
 * Action=DbConnectAdmin when user is exactly "admin", else DbConnect.
 * Identical to botocore's generate_db_connect[_admin]_auth_token.
 */
extern char *da_dsql_token(const char *host, const char *user,
						   const char *region, int expires_in,
						   time_t signed_at, const da_credentials *creds,
						   char **errp);

/*
 * RDS/Aurora PostgreSQL IAM token: service "rds-db", host "host:port",
 * Action=connect&DBUser=user, as botocore's generate_db_auth_token.
 */
extern char *da_rds_token(const char *host, int port, const char *user,
						  const char *region, int expires_in,
						  time_t signed_at, const da_credentials *creds,
						  char **errp);

/*
 * Header signing for AWS API calls (STS Query API etc.).  Computes the
 * Authorization header value for a request with the given method, host,
 * canonical path ("/"), query string (already canonical, may be ""),
 * body and extra signed headers (each "name:value", lower-case names;
 * may be NULL/0).  Also returns the X-Amz-Date value (16 chars + NUL) in
 * amz_date and, with session credentials, the caller must send
 * X-Amz-Security-Token itself (it is included in the signed headers here).
 * Returns malloc'd "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
 * Signature=..." or NULL with *errp.
 */
extern char *da_sigv4_authorization(const char *method, const char *host,
									const char *path, const char *query,
									const char *body, size_t body_len,
									const char *const *extra_headers,
									int nextra,
									const char *service, const char *region,
									time_t signed_at,
									const da_credentials *creds,
									char amz_date[17],
									char **errp);

#endif							/* DA_SIGV4_H */
