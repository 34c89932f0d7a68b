/*
 * da_host.h
 *		Which hosts are Aurora DSQL endpoints, which region they are in, and
 *		whether a password is an IAM auth token.  Pure string functions.
 */
#ifndef DA_HOST_H
#define DA_HOST_H

#include <stdbool.h>

#include "da_util.h"

/*
 * True when host is a DSQL endpoint name: "<id>.dsql.<region>.on.aws" or
 * the PrivateLink form "<id>.dsql-<suffix>.<region>.on.aws" (case
 * insensitive, one trailing dot allowed), or matches one of the
 * comma-separated shell-style patterns in extra_patterns ('*' matches any
 * run of characters, including dots; case insensitive; blanks around
 * commas ignored; NULL or "" means none).
 */
extern bool da_host_is_dsql(const char *host, const char *extra_patterns);

/* True if pattern (a single '*' glob) matches host, case-insensitively. */
extern bool da_glob_match(const char *pattern, const char *host);

/*
 * The region encoded in a DSQL endpoint name, as the AWS connectors take it
 * (\.dsql[^.]*\.([^.]+)\.on\.aws$), lower-cased and malloc'd; NULL if the
 * name has no region.
 */
extern char *da_region_from_host(const char *host);

/* True if region looks like an AWS region name ([a-z0-9-]+, 1..64 chars). */
extern bool da_region_valid(const char *region);

/*
 * True when password is an AWS IAM database auth token (DSQL DbConnect /
 * DbConnectAdmin or RDS connect): a presigned URL "<host>/?...Action=...
 * &X-Amz-Algorithm=AWS4-HMAC-SHA256...&X-Amz-Signature=<64 hex>".  Used to
 * tell a stale token (to be replaced) from a real password (respected).
 */
extern bool da_password_is_token(const char *password);

/*
 * Parse a token lifetime in seconds ("900").  Accepts DA_EXPIRES_MIN ..
 * DA_EXPIRES_MAX, decimal digits only; otherwise false with *errp set
 * naming the value and the valid range.
 */
extern bool da_parse_expires(const char *s, int *out, char **errp);

#endif							/* DA_HOST_H */
