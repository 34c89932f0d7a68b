/* dsql_auth--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION dsql_auth" to load this file. \quit

-- The schema is created by CREATE EXTENSION (schema = dsql_auth in the
-- control file); let everyone look up names in it.  What may be called is
-- decided per function below.
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;

-- generate_token: signs with the server process's own AWS credentials and
-- reads the clock, so VOLATILE.  Not STRICT: a NULL region means "find it"
-- (server environment, then the host name); NULL hostname, user or
-- expires_in raise an error instead of quietly returning NULL.  PARALLEL
-- SAFE: a worker has the same environment and files as its leader.
CREATE FUNCTION @extschema@.generate_token(
	hostname text,
	"user" text DEFAULT 'admin',
	region text DEFAULT NULL,
	expires_in integer DEFAULT 900)
RETURNS text
AS 'MODULE_PATHNAME', 'dsql_auth_generate_token'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL SAFE;

-- Anyone who can call it acts with the server's AWS identity.
REVOKE EXECUTE ON FUNCTION @extschema@.generate_token(text, text, text, integer) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.generate_token(text, text, text, integer) IS
'Aurora DSQL IAM auth token for "user" at hostname, signed now with the AWS credentials of the server process (its environment and ~/.aws); region NULL means DSQL_AUTH_REGION, the host name, AWS_REGION, ... as the client library resolves it. Not executable by PUBLIC: it acts with the server''s AWS identity.';

-- sign_token: uses no server state, not even the clock -- the signing time
-- is an argument.  The same arguments always give the same token, which is
-- what IMMUTABLE promises.  The now() default does not change that: a
-- default is inserted into the calling expression at parse time and
-- evaluated there (now() is STABLE, so such a call is not folded at plan
-- time), while a call with constant arguments may be folded because its
-- result can never change.  Not STRICT: session_token may be NULL (no
-- session token) and region may be NULL (taken from the host name); NULLs in
-- the other arguments raise an error.
CREATE FUNCTION @extschema@.sign_token(
	hostname text,
	"user" text,
	region text,
	access_key_id text,
	secret_access_key text,
	session_token text DEFAULT NULL,
	signed_at timestamptz DEFAULT now(),
	expires_in integer DEFAULT 900)
RETURNS text
AS 'MODULE_PATHNAME', 'dsql_auth_sign_token'
LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.sign_token(text, text, text, text, text, text, timestamptz, integer) IS
'Aurora DSQL IAM auth token for "user" at hostname, signed at signed_at (default now()) with the AWS credentials given as arguments; region NULL means the region in the DSQL host name; an empty session_token means none. Uses no server credentials. Warning: the secret key and session token are ordinary arguments: written as literals they are visible in pg_stat_activity, and the server log records them with the statement when log_statement covers it or the statement fails (log_min_error_statement), bind-parameter values included unless log_parameter_max_length = 0.';
