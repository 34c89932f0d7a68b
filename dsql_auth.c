/*-------------------------------------------------------------------------
 *
 * dsql_auth.c
 *		SQL functions that build Aurora DSQL IAM auth tokens in the server.
 *
 * Thin glue over the backend-free core in src/: arguments are checked and
 * turned into C strings here, the core signs, and its malloc'd error
 * messages are turned into ereport()s.  Nothing here prints a secret; the
 * secret key, the session token and the finished token are wiped from
 * memory once they are no longer needed.
 *
 * dsql_auth.generate_token() signs with the AWS credentials of the server
 * process (its environment and ~/.aws of the operating-system user that
 * runs the server), so it is not executable by PUBLIC.
 * dsql_auth.sign_token() signs with credentials passed as arguments.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <time.h>

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "da_creds.h"
#include "da_host.h"
#include "da_sigv4.h"
#include "da_token.h"
#include "da_util.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(dsql_auth_generate_token);
PG_FUNCTION_INFO_V1(dsql_auth_sign_token);

/*
 * Signing times accepted by sign_token: the Unix epoch up to the end of
 * year 9999 (X-Amz-Date has a four-digit year), in seconds since the epoch.
 */
#define DA_SIGNED_AT_MIN	((int64) 0)
#define DA_SIGNED_AT_MAX	INT64CONST(253402300799)	/* 9999-12-31
														 * 23:59:59Z */

/* Raise an error if argument argno (named name) is SQL NULL. */
static void
require_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
}

/* Copy a non-null text argument into a palloc'd C string. */
static char *
arg_cstring(FunctionCallInfo fcinfo, int argno)
{
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/*
 * Copy a non-null text argument that holds a secret into a palloc'd C
 * string, wiping any detoasted intermediate copy.  The caller wipes the
 * result with wipe_cstring().
 */
static char *
secret_arg_cstring(FunctionCallInfo fcinfo, int argno)
{
	Datum		d = PG_GETARG_DATUM(argno);
	text	   *t = DatumGetTextPP(d);
	size_t		len = VARSIZE_ANY_EXHDR(t);
	char	   *s = palloc(len + 1);

	memcpy(s, VARDATA_ANY(t), len);
	s[len] = '\0';
	if ((Pointer) t != DatumGetPointer(d))
	{
		explicit_bzero(t, VARSIZE_ANY(t));
		pfree(t);
	}
	return s;
}

/* Zero a palloc'd C string and free it; NULL is fine. */
static void
wipe_cstring(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	pfree(s);
}

/* Reject an empty string argument. */
static void
check_not_empty(const char *value, const char *name)
{
	if (value[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", name)));
}

/* Reject a token lifetime outside what AWS accepts. */
static void
check_expires_in(int32 expires_in)
{
	if (expires_in < DA_EXPIRES_MIN || expires_in > DA_EXPIRES_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expires_in must be between %d and %d seconds",
						DA_EXPIRES_MIN, DA_EXPIRES_MAX),
				 errdetail("The value given was %d.", expires_in),
				 errhint("Pass a lifetime from %d second to %d seconds (7 days); the default is %d.",
						 DA_EXPIRES_MIN, DA_EXPIRES_MAX, DA_EXPIRES_DEFAULT)));
}

/*
 * Reject a malformed region name.  The value is not echoed: a mistaken
 * positional call could put a secret key in this position.
 */
static void
check_region(const char *region)
{
	if (!da_region_valid(region))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid AWS region name"),
				 errdetail("A region name consists of 1 to 64 lower-case letters, digits and hyphens."),
				 errhint("Pass a region such as \"us-east-1\".")));
}

/*
 * Take a core error message (malloc'd, may be NULL after out-of-memory)
 * into a palloc'd sentence for errdetail: first letter capitalized, a
 * final period.  The malloc'd message is freed.
 */
static char *
core_error_detail(char *err)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (err == NULL || err[0] == '\0')
		appendStringInfoString(&buf, "The signing code reported no reason (probably out of memory).");
	else
	{
		appendStringInfoString(&buf, err);
		if (buf.data[0] >= 'a' && buf.data[0] <= 'z')
			buf.data[0] += 'A' - 'a';
		if (buf.data[buf.len - 1] != '.')
			appendStringInfoChar(&buf, '.');
	}
	free(err);
	return buf.data;
}

/*
 * Turn a token made by the core into a text datum, then wipe and free the
 * malloc'd C string.  Allocation failure is reported only after the token
 * is wiped, so no path leaks it.
 */
static text *
token_to_text(char *token)
{
	size_t		len = strlen(token);
	text	   *result;

	result = (text *) palloc_extended(VARHDRSZ + len, MCXT_ALLOC_NO_OOM);
	if (result != NULL)
	{
		SET_VARSIZE(result, VARHDRSZ + len);
		memcpy(VARDATA(result), token, len);
	}
	da_free_secret(token);
	if (result == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	return result;
}

/*
 * Seconds since the Unix epoch for a timestamptz, dropping any fraction of
 * a second (as botocore's strftime does).  Infinite values and times
 * outside 1970..9999 are rejected.
 */
static time_t
signed_at_to_time_t(TimestampTz ts)
{
	int64		secs;

	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("signed_at must be finite")));

	/* Floor division: TimestampTz counts microseconds from 2000-01-01. */
	secs = ts / USECS_PER_SEC;
	if (ts % USECS_PER_SEC < 0)
		secs--;
	secs += (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;

	if (secs < DA_SIGNED_AT_MIN || secs > DA_SIGNED_AT_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("signed_at is out of range"),
				 errdetail("A signing time must lie between 1970-01-01 and 9999-12-31 UTC.")));
	return (time_t) secs;
}

/*
 * dsql_auth.generate_token(hostname, user, region, expires_in): a token
 * signed now with the server process's own AWS credentials.
 */
Datum
dsql_auth_generate_token(PG_FUNCTION_ARGS)
{
	char	   *hostname;
	char	   *user;
	char	   *region = NULL;
	int32		expires_in;
	da_settings settings;
	char	   *err = NULL;
	char	   *token;

	require_arg(fcinfo, 0, "hostname");
	require_arg(fcinfo, 1, "user");
	require_arg(fcinfo, 3, "expires_in");

	hostname = arg_cstring(fcinfo, 0);
	user = arg_cstring(fcinfo, 1);
	if (!PG_ARGISNULL(2))
		region = arg_cstring(fcinfo, 2);
	expires_in = PG_GETARG_INT32(3);

	check_not_empty(hostname, "hostname");
	check_not_empty(user, "user");
	if (region != NULL)
		check_region(region);
	check_expires_in(expires_in);

	/*
	 * The server's environment supplies the profile, the shared files and,
	 * when region is NULL, the region (DSQL_AUTH_REGION, then the host name,
	 * then AWS_REGION...), exactly as for the client library.  The
	 * arguments override the region and the lifetime.
	 */
	memset(&settings, 0, sizeof(settings));
	if (!da_settings_from_env(&settings, &err))
	{
		char	   *detail;

		da_settings_clear(&settings);
		detail = core_error_detail(err);
		ereport(ERROR,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("invalid dsql_auth setting in the server's environment"),
				 errdetail_internal("%s", detail),
				 errhint("Correct the DSQL_AUTH_* and AWS_* environment variables of the server process.")));
	}

	if (region != NULL)
	{
		char	   *copy = strdup(region);

		if (copy == NULL)
		{
			da_settings_clear(&settings);
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
		}
		free(settings.region);
		settings.region = copy;
	}
	else
	{
		const char *source = NULL;
		char	   *resolved;

		/*
		 * Resolve the region first on our own, so that a missing region gets
		 * its own message; what da_make_token reports after this is about
		 * the credentials.
		 */
		resolved = da_resolve_region(&settings, hostname, &source, &err);
		if (resolved == NULL)
		{
			char	   *detail;

			da_settings_clear(&settings);
			detail = core_error_detail(err);
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("could not determine the AWS region for host \"%s\"",
							hostname),
					 errdetail_internal("%s", detail),
					 errhint("Pass the region argument, e.g. region => 'us-east-1'.")));
		}
		free(settings.region);
		settings.region = resolved;
	}
	settings.expires_in = expires_in;

	token = da_make_token(&settings, hostname, user, time(NULL), NULL, &err);
	da_settings_clear(&settings);
	if (token == NULL)
	{
		char	   *detail = core_error_detail(err);

		ereport(ERROR,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("could not sign a token with the server's AWS credentials"),
				 errdetail_internal("%s", detail),
				 errhint("Give the operating-system user running the server AWS credentials (environment or ~/.aws/credentials), or call dsql_auth.sign_token() with explicit credentials.")));
	}

	PG_RETURN_TEXT_P(token_to_text(token));
}

/*
 * dsql_auth.sign_token(hostname, user, region, access_key_id,
 * secret_access_key, session_token, signed_at, expires_in): a token signed
 * with the given credentials at the given time; no server state is used.
 */
Datum
dsql_auth_sign_token(PG_FUNCTION_ARGS)
{
	char	   *hostname;
	char	   *user;
	char	   *region;
	int32		expires_in;
	time_t		signed_at;
	da_credentials creds;
	char	   *err = NULL;
	char	   *token;

	require_arg(fcinfo, 0, "hostname");
	require_arg(fcinfo, 1, "user");
	require_arg(fcinfo, 3, "access_key_id");
	require_arg(fcinfo, 4, "secret_access_key");
	require_arg(fcinfo, 6, "signed_at");
	require_arg(fcinfo, 7, "expires_in");

	/* Everything but the secrets is checked before the secrets are copied. */
	hostname = arg_cstring(fcinfo, 0);
	user = arg_cstring(fcinfo, 1);
	expires_in = PG_GETARG_INT32(7);
	signed_at = signed_at_to_time_t(PG_GETARG_TIMESTAMPTZ(6));

	check_not_empty(hostname, "hostname");
	check_not_empty(user, "user");
	check_expires_in(expires_in);

	if (!PG_ARGISNULL(2))
	{
		region = arg_cstring(fcinfo, 2);
		check_region(region);
	}
	else
	{
		char	   *from_host = da_region_from_host(hostname);

		if (from_host == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("could not determine the AWS region from host name \"%s\"",
							hostname),
					 errdetail("Only Aurora DSQL endpoint names (\"<cluster>.dsql.<region>.on.aws\") carry their region."),
					 errhint("Pass the region argument, e.g. region => 'us-east-1'.")));
		region = pstrdup(from_host);
		free(from_host);
	}

	memset(&creds, 0, sizeof(creds));
	creds.access_key_id = arg_cstring(fcinfo, 3);
	check_not_empty(creds.access_key_id, "access_key_id");

	/* An empty key holds nothing to wipe, so it may simply be rejected. */
	creds.secret_access_key = secret_arg_cstring(fcinfo, 4);
	check_not_empty(creds.secret_access_key, "secret_access_key");

	/* An empty session token means none, as in botocore. */
	if (!PG_ARGISNULL(5))
	{
		creds.session_token = secret_arg_cstring(fcinfo, 5);
		if (creds.session_token[0] == '\0')
		{
			pfree(creds.session_token);
			creds.session_token = NULL;
		}
	}

	token = da_dsql_token(hostname, user, region, expires_in, signed_at,
						  &creds, &err);

	wipe_cstring(creds.secret_access_key);
	wipe_cstring(creds.session_token);

	if (token == NULL)
	{
		char	   *detail = core_error_detail(err);

		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not sign a DSQL auth token"),
				 errdetail_internal("%s", detail)));
	}

	PG_RETURN_TEXT_P(token_to_text(token));
}
