/*
 * test_creds.c
 *		Unit tests for settings from the environment, the credential chain
 *		and region resolution.
 *
 * The chain table was generated from cases run through botocore's
 * credential chain (botocore.session.Session().get_credentials(), what the
 * AWS CLI v1 uses); each row notes botocore's answer, and where we differ
 * on purpose, why.  "@C", "@F" and "@D" in the table stand for the case's
 * credentials file, config file and directory.  The tests do not need
 * botocore or the AWS CLI at run time.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "da_creds.h"

typedef struct chain_case
{
	const char *name;
	const char *env[6];			/* NAME=VALUE, NULL-terminated */
	const char *cred;			/* credentials file text; NULL: no file */
	const char *conf;			/* config file text; NULL: no file */
	bool		ok;
	const char *akid;
	const char *secret;
	const char *token;
	const char *source;
	const char *err[4];			/* substrings of the message */
} chain_case;

static const chain_case chain_cases[] = {
	/* botocore: ok EA ES None */
	{"environment keys", {"AWS_ACCESS_KEY_ID=EA", "AWS_SECRET_ACCESS_KEY=ES"}, NULL, NULL, true, "EA", "ES", NULL, "environment", {NULL}},
	/* botocore: ok EA ES ET */
	{"environment session token", {"AWS_ACCESS_KEY_ID=EA", "AWS_SECRET_ACCESS_KEY=ES", "AWS_SESSION_TOKEN=ET"}, NULL, NULL, true, "EA", "ES", "ET", "environment", {NULL}},
	/* botocore: ok EA ES T2 */
	{"AWS_SECURITY_TOKEN checked first", {"AWS_ACCESS_KEY_ID=EA", "AWS_SECRET_ACCESS_KEY=ES", "AWS_SESSION_TOKEN=T1", "AWS_SECURITY_TOKEN=T2"}, NULL, NULL, true, "EA", "ES", "T2", "environment", {NULL}},
	/* botocore: ok EA ES T1 */
	{"empty AWS_SECURITY_TOKEN ignored", {"AWS_ACCESS_KEY_ID=EA", "AWS_SECRET_ACCESS_KEY=ES", "AWS_SESSION_TOKEN=T1", "AWS_SECURITY_TOKEN="}, NULL, NULL, true, "EA", "ES", "T1", "environment", {NULL}},
	/* botocore: ok EA ES None */
	{"environment before credentials file", {"AWS_ACCESS_KEY_ID=EA", "AWS_SECRET_ACCESS_KEY=ES"}, "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n", NULL, true, "EA", "ES", NULL, "environment", {NULL}},
	/* botocore: err PartialCredentialsEr */
	{"key without secret in environment", {"AWS_ACCESS_KEY_ID=EA"}, "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n", NULL, false, NULL, NULL, NULL, NULL, {"AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID is set"}},
	/* botocore: err PartialCredentialsEr */
	{"key with empty secret in environment", {"AWS_ACCESS_KEY_ID=EA", "AWS_SECRET_ACCESS_KEY="}, "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n", NULL, false, NULL, NULL, NULL, NULL, {"AWS_SECRET_ACCESS_KEY"}},
	/* botocore: ok AK SK None; differs: botocore ignores a lone secret and uses the file */
	{"secret without key in environment", {"AWS_SECRET_ACCESS_KEY=ES"}, "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n", NULL, false, NULL, NULL, NULL, NULL, {"AWS_ACCESS_KEY_ID is not"}},
	/* botocore: ok AK SK None */
	{"empty AWS_ACCESS_KEY_ID is unset", {"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY="}, "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n", NULL, true, "AK", "SK", NULL, "profile \"default\" in @C", {NULL}},
	/* botocore: ok AK SK None */
	{"credentials file default", {NULL}, "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n", NULL, true, "AK", "SK", NULL, "profile \"default\" in @C", {NULL}},
	/* botocore: ok AK SK ST */
	{"credentials file session token", {NULL}, "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\naws_session_token = ST\n", NULL, true, "AK", "SK", "ST", "profile \"default\" in @C", {NULL}},
	/* botocore: ok AK SK SEC */
	{"aws_security_token checked first", {NULL}, "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\naws_session_token = ST\naws_security_token = SEC\n", NULL, true, "AK", "SK", "SEC", "profile \"default\" in @C", {NULL}},
	/* botocore: ok AK SK IQoJb3JpZ2luX2VjEABC */
	{"3 KB session token", {NULL}, "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\naws_session_token = IQoJb3JpZ2luX2VjEABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123\n", NULL, true, "AK", "SK", "IQoJb3JpZ2luX2VjEABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123", "profile \"default\" in @C", {NULL}},
	/* botocore: ok AK SK None */
	{"CRLF credentials file", {NULL}, "[default]\r\naws_access_key_id = AK\r\naws_secret_access_key = SK\r\n", NULL, true, "AK", "SK", NULL, "profile \"default\" in @C", {NULL}},
	/* botocore: ok AK DS None */
	{"[DEFAULT] supplies a key", {NULL}, "[DEFAULT]\naws_secret_access_key = DS\n[default]\naws_access_key_id = AK\n", NULL, true, "AK", "DS", NULL, "profile \"default\" in @C", {NULL}},
	/* botocore: ok C1 C2 None */
	{"credentials file before config file", {NULL}, "[default]\naws_access_key_id = C1\naws_secret_access_key = C2\n", "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n", true, "C1", "C2", NULL, "profile \"default\" in @C", {NULL}},
	/* botocore: ok AK SK None */
	{"lone secret in credentials file falls through", {NULL}, "[default]\naws_secret_access_key = C2\n", "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n", true, "AK", "SK", NULL, "profile \"default\" in @F", {NULL}},
	/* botocore: ok AK SK None */
	{"config [default]", {NULL}, NULL, "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\nregion = us-east-1\n", true, "AK", "SK", NULL, "profile \"default\" in @F", {NULL}},
	/* botocore: ok AK SK None */
	{"config [profile default]", {NULL}, NULL, "[profile default]\naws_access_key_id = AK\naws_secret_access_key = SK\n", true, "AK", "SK", NULL, "profile \"default\" in @F", {NULL}},
	/* botocore: ok A2 S2 None */
	{"config [default] then [profile default]: last wins", {NULL}, NULL, "[default]\naws_access_key_id = A1\naws_secret_access_key = S1\n[profile default]\naws_access_key_id = A2\naws_secret_access_key = S2\n", true, "A2", "S2", NULL, "profile \"default\" in @F", {NULL}},
	/* botocore: ok A1 S1 None */
	{"config [profile default] then [default]: last wins", {NULL}, NULL, "[profile default]\naws_access_key_id = A2\naws_secret_access_key = S2\n[default]\naws_access_key_id = A1\naws_secret_access_key = S1\n", true, "A1", "S1", NULL, "profile \"default\" in @F", {NULL}},
	/* botocore: none */
	{"last section wins even without keys", {NULL}, NULL, "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n[profile default]\nregion = x\n", false, NULL, NULL, NULL, NULL, {"no AWS credentials found", "profile \"default\" in @F (no aws_access_key_id)"}},
	/* botocore: ok DA DS None */
	{"AWS_PROFILE in credentials file", {"AWS_PROFILE=dev"}, "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n[dev]\naws_access_key_id = DA\naws_secret_access_key = DS\n", NULL, true, "DA", "DS", NULL, "profile \"dev\" in @C", {NULL}},
	/* botocore: ok DA DS None */
	{"AWS_PROFILE in config file", {"AWS_PROFILE=dev"}, NULL, "[profile dev]\naws_access_key_id = DA\naws_secret_access_key = DS\n", true, "DA", "DS", NULL, "profile \"dev\" in @F", {NULL}},
	/* botocore: ok DA DS None */
	{"quoted profile name in config", {"AWS_PROFILE=my dev"}, NULL, "[profile \"my dev\"]\naws_access_key_id = DA\naws_secret_access_key = DS\n", true, "DA", "DS", NULL, "profile \"my dev\" in @F", {NULL}},
	/* botocore: err ProfileNotFound */
	{"[dev] in config is not profile dev", {"AWS_PROFILE=dev"}, NULL, "[dev]\naws_access_key_id = AK\naws_secret_access_key = SK\n", false, NULL, NULL, NULL, NULL, {"profile \"dev\" could not be found", "@C (file not found)", "@F (no such profile)"}},
	/* botocore: err ProfileNotFound */
	{"[profile dev] in credentials is not profile dev", {"AWS_PROFILE=dev"}, "[profile dev]\naws_access_key_id = AK\naws_secret_access_key = SK\n", NULL, false, NULL, NULL, NULL, NULL, {"profile \"dev\" could not be found", "@C (no such profile)"}},
	/* botocore: ok AK SK None */
	{"AWS_DEFAULT_PROFILE", {"AWS_DEFAULT_PROFILE=dev"}, "[dev]\naws_access_key_id = AK\naws_secret_access_key = SK\n", NULL, true, "AK", "SK", NULL, "profile \"dev\" in @C", {NULL}},
	/* botocore: ok AK SK None; differs: botocore 1.x prefers AWS_DEFAULT_PROFILE; CLI v2 and the SDKs prefer AWS_PROFILE */
	{"AWS_PROFILE over AWS_DEFAULT_PROFILE", {"AWS_DEFAULT_PROFILE=dev", "AWS_PROFILE=dev2"}, "[dev]\naws_access_key_id = AK\naws_secret_access_key = SK\n[dev2]\naws_access_key_id = D2\naws_secret_access_key = S2\n", NULL, true, "D2", "S2", NULL, "profile \"dev2\" in @C", {NULL}},
	/* botocore: err ProfileNotFound; differs: botocore looks for a profile named "" */
	{"empty AWS_PROFILE is unset", {"AWS_PROFILE="}, "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n", NULL, true, "AK", "SK", NULL, "profile \"default\" in @C", {NULL}},
	/* botocore: err ProfileNotFound */
	{"named profile missing, even with environment keys", {"AWS_PROFILE=nope", "AWS_ACCESS_KEY_ID=EA", "AWS_SECRET_ACCESS_KEY=ES"}, "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n", NULL, false, NULL, NULL, NULL, NULL, {"profile \"nope\" could not be found"}},
	/* botocore: ok AK SK None */
	{"explicit profile skips environment keys", {"DSQL_AUTH_PROFILE=dev", "AWS_ACCESS_KEY_ID=EA", "AWS_SECRET_ACCESS_KEY=ES"}, "[dev]\naws_access_key_id = AK\naws_secret_access_key = SK\n", NULL, true, "AK", "SK", NULL, "profile \"dev\" in @C", {NULL}},
	/* botocore: ok AK SK None */
	{"explicit profile over AWS_PROFILE", {"DSQL_AUTH_PROFILE=dev", "AWS_PROFILE=other"}, "[dev]\naws_access_key_id = AK\naws_secret_access_key = SK\n", NULL, true, "AK", "SK", NULL, "profile \"dev\" in @C", {NULL}},
	/* botocore: err ProfileNotFound */
	{"explicit profile missing", {"DSQL_AUTH_PROFILE=dev", "AWS_ACCESS_KEY_ID=EA", "AWS_SECRET_ACCESS_KEY=ES"}, "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n", NULL, false, NULL, NULL, NULL, NULL, {"profile \"dev\" could not be found"}},
	/* botocore: none */
	{"explicit profile without keys", {"DSQL_AUTH_PROFILE=dev", "AWS_ACCESS_KEY_ID=EA", "AWS_SECRET_ACCESS_KEY=ES"}, NULL, "[profile dev]\nregion = us-east-1\n", false, NULL, NULL, NULL, NULL, {"no AWS credentials found: tried environment (skipped because a profile was chosen explicitly), profile \"dev\" in @C (file not found), profile \"dev\" in @F (no aws_access_key_id)"}},
	/* botocore: err PartialCredentialsEr */
	{"key without secret in credentials file", {NULL}, "[default]\naws_access_key_id = AK\n", "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n", false, NULL, NULL, NULL, NULL, {"profile \"default\" in @C has aws_access_key_id but no aws_secret_access_key"}},
	/* botocore: err PartialCredentialsEr */
	{"key without secret in config file", {"AWS_PROFILE=dev"}, NULL, "[profile dev]\naws_access_key_id = AK\n", false, NULL, NULL, NULL, NULL, {"profile \"dev\" in @F has aws_access_key_id but no aws_secret_access_key"}},
	/* botocore: ok  SK None; differs: botocore signs with an empty key */
	{"empty key in credentials file", {NULL}, "[default]\naws_access_key_id =\naws_secret_access_key = SK\n", NULL, false, NULL, NULL, NULL, NULL, {"empty aws_access_key_id"}},
	/* botocore: ok AK  None; differs: botocore signs with an empty secret */
	{"empty secret in credentials file", {NULL}, "[default]\naws_access_key_id = AK\naws_secret_access_key =\n", NULL, false, NULL, NULL, NULL, NULL, {"empty aws_secret_access_key"}},
	/* botocore: none */
	{"nothing anywhere", {NULL}, NULL, NULL, false, NULL, NULL, NULL, NULL, {"no AWS credentials found: tried environment (AWS_ACCESS_KEY_ID not set), profile \"default\" in @C (file not found), profile \"default\" in @F (file not found), container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI not set), instance metadata (disabled by AWS_EC2_METADATA_DISABLED); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, run \"aws configure\", or pick a profile with AWS_PROFILE"}},
	/* botocore: none */
	{"files without the profile", {NULL}, "[other]\naws_access_key_id = AK\naws_secret_access_key = SK\n", "[profile other]\nregion = x\n", false, NULL, NULL, NULL, NULL, {"tried environment (AWS_ACCESS_KEY_ID not set), profile \"default\" in @C (no such profile), profile \"default\" in @F (no such profile), container credentials"}},
	/* botocore: none */
	{"profile without keys", {NULL}, "[default]\naws_secret_access_key = S\n", "[default]\nregion = x\n", false, NULL, NULL, NULL, NULL, {"profile \"default\" in @C (aws_secret_access_key without aws_access_key_id), profile \"default\" in @F (no aws_access_key_id)"}},
	/* botocore: err ConfigParseError */
	{"syntax error in config, even with environment keys", {"AWS_ACCESS_KEY_ID=EA", "AWS_SECRET_ACCESS_KEY=ES"}, NULL, "[default]\njunk\n", false, NULL, NULL, NULL, NULL, {"\"@F\", line 2"}},
	/* botocore: err ConfigParseError */
	{"syntax error in credentials file", {NULL}, "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n[default]\n", NULL, false, NULL, NULL, NULL, NULL, {"\"@C\", line 4"}},
	/* botocore: err ConfigParseError */
	{"BOM in credentials file", {NULL}, "\357\273\277[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n", NULL, false, NULL, NULL, NULL, NULL, {"\"@C\", line 1", "byte order mark"}},
	/* botocore: ok AK SK None; differs: botocore ignores a directory */
	{"credentials file is a directory", {"AWS_SHARED_CREDENTIALS_FILE=@D"}, NULL, "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n", false, NULL, NULL, NULL, NULL, {"\"@D\" is a directory"}},
	/* botocore: ok AK SK None */
	{"AWS_CONFIG_FILE with $VAR", {"AWS_CONFIG_FILE=$DA_TEST_DIR/config"}, NULL, "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n", true, "AK", "SK", NULL, "profile \"default\" in @F", {NULL}},
};

/* Every variable the code under test reads. */
static const char *const all_vars[] = {
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION",
	"AWS_DEFAULT_REGION", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
	"DSQL_AUTH_PROFILE", "DSQL_AUTH_REGION", "DSQL_AUTH_EXPIRES_IN",
	"DSQL_AUTH_HOSTS", "DSQL_AUTH_DEBUG", "DA_TEST_DIR", "DA_X", "DA_EMPTY",
	NULL
};

static char tmpdir[] = "/tmp/test_creds.XXXXXX";
static char *saved_home;

/* Unset every variable we read and restore HOME. */
static void
clear_env(void)
{
	int			i;

	for (i = 0; all_vars[i]; i++)
		unsetenv(all_vars[i]);
	if (saved_home)
		setenv("HOME", saved_home, 1);
}

/* Replace @C, @F and @D with the case directory's paths; malloc'd. */
static char *
subst(const char *s, const char *dir)
{
	size_t		cap = strlen(s) * 8 + strlen(dir) * 8 + 64;
	char	   *out = malloc(cap);
	char	   *o = out;

	for (; *s; s++)
	{
		if (s[0] == '@' && (s[1] == 'C' || s[1] == 'F' || s[1] == 'D'))
		{
			o += sprintf(o, "%s%s", dir,
						 s[1] == 'C' ? "/credentials" :
						 s[1] == 'F' ? "/config" : "");
			s++;
		}
		else
			*o++ = *s;
	}
	*o = '\0';
	return out;
}

/* Write text to dir/name. */
static void
write_file(const char *dir, const char *name, const char *text)
{
	char		path[1024];
	FILE	   *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	if (fp == NULL || fwrite(text, 1, strlen(text), fp) != strlen(text))
		tap_diag("could not write test file");
	if (fp)
		fclose(fp);
}

/* True if hay contains needle (NULL hay never does). */
static int
contains(const char *hay, const char *needle)
{
	return hay != NULL && strstr(hay, needle) != NULL;
}

/* Make a fresh case directory with the given files; set the env for it. */
static void
setup_case(char *dir, size_t dirlen, int n, const char *cred,
		   const char *conf, const char *const *env)
{
	char		path[1024];
	int			i;

	snprintf(dir, dirlen, "%s/c%d", tmpdir, n);
	mkdir(dir, 0700);
	clear_env();
	if (cred)
		write_file(dir, "credentials", cred);
	if (conf)
		write_file(dir, "config", conf);
	snprintf(path, sizeof(path), "%s/credentials", dir);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	snprintf(path, sizeof(path), "%s/config", dir);
	setenv("AWS_CONFIG_FILE", path, 1);
	setenv("DA_TEST_DIR", dir, 1);
	/* never reach for the real instance metadata service */
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	for (i = 0; env && env[i]; i++)
	{
		char	   *kv = subst(env[i], dir);
		char	   *eq = strchr(kv, '=');

		*eq = '\0';
		setenv(kv, eq + 1, 1);
		free(kv);
	}
}

/* The credential chain against botocore's answers. */
static void
test_chain_table(void)
{
	size_t		i;
	char		name[512];

	for (i = 0; i < sizeof(chain_cases) / sizeof(chain_cases[0]); i++)
	{
		const chain_case *c = &chain_cases[i];
		char		dir[512];
		da_settings s;
		da_credentials cr;
		char	   *err = NULL;
		bool		ok;
		int			j;

		setup_case(dir, sizeof(dir), (int) i, c->cred, c->conf, c->env);
		memset(&cr, 0, sizeof(cr));
		if (!da_settings_from_env(&s, &err))
		{
			snprintf(name, sizeof(name), "%s: settings", c->name);
			tap_ok(0, name);
			printf("#   %s\n", err);
			free(err);
			continue;
		}
		ok = da_get_credentials(&s, &cr, &err);
		snprintf(name, sizeof(name), "%s: %s", c->name,
				 c->ok ? "found" : "fails");
		if (!tap_ok(ok == c->ok, name))
			printf("#   error: %s\n", err ? err : "(none)");
		if (c->ok && ok)
		{
			char	   *src = subst(c->source, dir);

			snprintf(name, sizeof(name), "%s: access key", c->name);
			tap_is_str(cr.access_key_id, c->akid, name);
			snprintf(name, sizeof(name), "%s: secret", c->name);
			tap_ok(cr.secret_access_key &&
				   strcmp(cr.secret_access_key, c->secret) == 0, name);
			snprintf(name, sizeof(name), "%s: token", c->name);
			tap_ok(c->token ? (cr.session_token &&
							   strcmp(cr.session_token, c->token) == 0)
				   : cr.session_token == NULL, name);
			snprintf(name, sizeof(name), "%s: source", c->name);
			tap_is_str(cr.source, src, name);
			free(src);
		}
		for (j = 0; !c->ok && j < 4 && c->err[j]; j++)
		{
			char	   *want = subst(c->err[j], dir);

			snprintf(name, sizeof(name), "%s: message has \"%.300s\"",
					 c->name, c->err[j]);
			if (!tap_ok(contains(err, want), name))
				printf("#   got: %s\n", err ? err : "(null)");
			free(want);
		}
		free(err);
		da_credentials_clear(&cr);
		da_settings_clear(&s);
	}
}

/* No secret or token value ever appears in an error message. */
static void
test_no_secret_in_messages(void)
{
	static const char *const secret = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY";
	static const char *const token = "IQoJb3JpZ2luX2VjEXAMPLETOKEN";
	struct
	{
		const char *cred;
		const char *env;
	}			cases[] = {
		{"[default]\naws_secret_access_key = %s\naws_session_token = %s\n", NULL},
		{"[default]\naws_access_key_id = AK\naws_secret_access_key = %s\n%s\n", NULL},
		{"[default]\naws_access_key_id =\naws_secret_access_key = %s\naws_session_token = %s\n", NULL},
		{"[default]\naws_secret_access_key = %s\n[default]\naws_session_token = %s\n", NULL},
		{"[default]\naws_secret_access_key = %s\n%s: x\naws_session_token = x\n", NULL},
		{"[x]\naws_secret_access_key = %s\naws_session_token = %s\n", "AWS_SECRET_ACCESS_KEY"},
		{"[x]\naws_secret_access_key = %s\naws_session_token = %s\n", "AWS_SESSION_TOKEN"},
	};
	size_t		i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		char		dir[512];
		char		text[512];
		da_settings s;
		da_credentials cr;
		char	   *err = NULL;
		char		name[128];

		snprintf(text, sizeof(text), cases[i].cred, secret, token);
		setup_case(dir, sizeof(dir), 1000 + (int) i, text, NULL, NULL);
		if (cases[i].env)
			setenv(cases[i].env, strcmp(cases[i].env, "AWS_SESSION_TOKEN") == 0 ? token : secret, 1);
		memset(&cr, 0, sizeof(cr));
		da_settings_from_env(&s, NULL);
		snprintf(name, sizeof(name), "secret-leak case %zu fails without the secret in the message", i + 1);
		tap_ok(!da_get_credentials(&s, &cr, &err) && err &&
			   !contains(err, "wJalr") && !contains(err, "IQoJ"), name);
		if (err && (contains(err, "wJalr") || contains(err, "IQoJ")))
			printf("#   %s\n", err);
		free(err);
		da_credentials_clear(&cr);
		da_settings_clear(&s);
	}
}

/* da_settings_from_env. */
static void
test_settings(void)
{
	da_settings s;
	char	   *err = NULL;
	char		want[1024];
	static const char *const truthy[] = {"1", "true", "TRUE", "Yes", "on", "ON", NULL};
	static const char *const falsy[] = {"0", "false", "no", "off", "2", "", "y", NULL};
	static const struct
	{
		const char *in;
		const char *out;
	}			paths[] = {
		/* answers of os.path.expanduser(os.path.expandvars(in)) with
		 * HOME=/h/ DA_X=/a DA_EMPTY= */
		{"~/c", "/h/c"},
		{"~", "/h"},
		{"~root/x", "/root/x"},
		{"~nosuchuserxyz/x", "~nosuchuserxyz/x"},
		{"$DA_X/y", "/a/y"},
		{"${DA_X}y", "/ay"},
		{"$DA_UNSET/y", "$DA_UNSET/y"},
		{"${}/z", "${}/z"},
		{"$DA_X$DA_X", "/a/a"},
		{"~/$DA_X", "/h//a"},
		{"$", "$"},
		{"a$-b", "a$-b"},
		{"${DA_X", "${DA_X"},
		{"$DA_EMPTY/q", "/q"},
		{"/plain/path", "/plain/path"},
	};
	size_t		i;

	clear_env();
	tap_ok(da_settings_from_env(&s, &err), "settings with nothing set");
	tap_is_str(s.profile, "default", "default profile");
	tap_ok(!s.profile_explicit, "default profile is not explicit");
	tap_ok(s.expires_in == 900 && !s.debug && !s.region && !s.extra_hosts,
		   "defaults: 900 s, no debug, no region, no hosts");
	snprintf(want, sizeof(want), "%s/.aws/config", saved_home);
	tap_is_str(s.config_file, want, "config file defaults to ~/.aws/config");
	snprintf(want, sizeof(want), "%s/.aws/credentials", saved_home);
	tap_is_str(s.credentials_file, want,
			   "credentials file defaults to ~/.aws/credentials");
	da_settings_clear(&s);

	clear_env();
	unsetenv("HOME");
	tap_ok(da_settings_from_env(&s, &err), "settings without HOME");
	tap_ok(s.config_file && s.config_file[0] == '/' &&
		   contains(s.config_file, "/.aws/config"),
		   "without HOME, ~ comes from the passwd entry");
	da_settings_clear(&s);

	clear_env();
	setenv("AWS_DEFAULT_PROFILE", "c", 1);
	da_settings_from_env(&s, NULL);
	tap_is_str(s.profile, "c", "AWS_DEFAULT_PROFILE");
	da_settings_clear(&s);
	setenv("AWS_PROFILE", "b", 1);
	da_settings_from_env(&s, NULL);
	tap_is_str(s.profile, "b", "AWS_PROFILE over AWS_DEFAULT_PROFILE");
	tap_ok(!s.profile_explicit, "AWS_PROFILE is not explicit");
	da_settings_clear(&s);
	setenv("DSQL_AUTH_PROFILE", "a", 1);
	da_settings_from_env(&s, NULL);
	tap_is_str(s.profile, "a", "DSQL_AUTH_PROFILE over AWS_PROFILE");
	tap_ok(s.profile_explicit, "DSQL_AUTH_PROFILE is explicit");
	da_settings_clear(&s);
	setenv("DSQL_AUTH_PROFILE", "", 1);
	setenv("AWS_PROFILE", "", 1);
	da_settings_from_env(&s, NULL);
	tap_ok(strcmp(s.profile, "c") == 0 && !s.profile_explicit,
		   "empty DSQL_AUTH_PROFILE and AWS_PROFILE count as unset");
	da_settings_clear(&s);

	clear_env();
	setenv("DSQL_AUTH_REGION", "eu-west-1", 1);
	setenv("DSQL_AUTH_HOSTS", "*.example.com", 1);
	setenv("DSQL_AUTH_EXPIRES_IN", "3600", 1);
	da_settings_from_env(&s, NULL);
	tap_is_str(s.region, "eu-west-1", "DSQL_AUTH_REGION");
	tap_is_str(s.extra_hosts, "*.example.com", "DSQL_AUTH_HOSTS");
	tap_ok(s.expires_in == 3600, "DSQL_AUTH_EXPIRES_IN");
	da_settings_clear(&s);
	setenv("DSQL_AUTH_REGION", "", 1);
	setenv("DSQL_AUTH_HOSTS", "", 1);
	setenv("DSQL_AUTH_EXPIRES_IN", "", 1);
	tap_ok(da_settings_from_env(&s, NULL) && !s.region && !s.extra_hosts &&
		   s.expires_in == 900, "empty DSQL_AUTH_* count as unset");
	da_settings_clear(&s);

	{
		static const char *const bad[] = {"abc", "0", "604801", "-5", "12s", " 60", NULL};

		for (i = 0; bad[i]; i++)
		{
			char		name[128];

			setenv("DSQL_AUTH_EXPIRES_IN", bad[i], 1);
			err = NULL;
			snprintf(name, sizeof(name), "DSQL_AUTH_EXPIRES_IN=\"%s\" is an error naming the variable", bad[i]);
			tap_ok(!da_settings_from_env(&s, &err) &&
				   contains(err, "DSQL_AUTH_EXPIRES_IN") && s.profile == NULL,
				   name);
			free(err);
		}
		setenv("DSQL_AUTH_EXPIRES_IN", "604800", 1);
		tap_ok(da_settings_from_env(&s, NULL) && s.expires_in == 604800,
			   "DSQL_AUTH_EXPIRES_IN maximum");
		da_settings_clear(&s);
		unsetenv("DSQL_AUTH_EXPIRES_IN");
	}

	for (i = 0; truthy[i]; i++)
	{
		char		name[64];

		setenv("DSQL_AUTH_DEBUG", truthy[i], 1);
		da_settings_from_env(&s, NULL);
		snprintf(name, sizeof(name), "DSQL_AUTH_DEBUG=%s is true", truthy[i]);
		tap_ok(s.debug, name);
		da_settings_clear(&s);
	}
	for (i = 0; falsy[i]; i++)
	{
		char		name[64];

		setenv("DSQL_AUTH_DEBUG", falsy[i], 1);
		da_settings_from_env(&s, NULL);
		snprintf(name, sizeof(name), "DSQL_AUTH_DEBUG=\"%s\" is false", falsy[i]);
		tap_ok(!s.debug, name);
		da_settings_clear(&s);
	}

	clear_env();
	setenv("HOME", "/h/", 1);
	setenv("DA_X", "/a", 1);
	setenv("DA_EMPTY", "", 1);
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
	{
		char		name[128];

		setenv("AWS_CONFIG_FILE", paths[i].in, 1);
		setenv("AWS_SHARED_CREDENTIALS_FILE", paths[i].in, 1);
		da_settings_from_env(&s, NULL);
		snprintf(name, sizeof(name), "AWS_CONFIG_FILE=%s expands as botocore does",
				 paths[i].in);
		tap_is_str(s.config_file, paths[i].out, name);
		snprintf(name, sizeof(name), "AWS_SHARED_CREDENTIALS_FILE=%s expands",
				 paths[i].in);
		tap_is_str(s.credentials_file, paths[i].out, name);
		da_settings_clear(&s);
	}
	setenv("AWS_CONFIG_FILE", "", 1);
	da_settings_from_env(&s, NULL);
	tap_is_str(s.config_file, "/h/.aws/config",
			   "empty AWS_CONFIG_FILE counts as unset");
	da_settings_clear(&s);
	setenv("HOME", "/", 1);
	unsetenv("AWS_CONFIG_FILE");
	da_settings_from_env(&s, NULL);
	tap_is_str(s.config_file, "/.aws/config", "HOME=/ gives /.aws/config");
	da_settings_clear(&s);
	da_settings_clear(NULL);
	clear_env();
}

/* da_resolve_region. */
static void
test_region(void)
{
	char		dir[512];
	da_settings s;
	char	   *err = NULL;
	char	   *r;
	const char *src;
	char		want[2048];
	const char *host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-2.on.aws";
	const char *plain = "db.example.com";

	setup_case(dir, sizeof(dir), 2000, "[default]\nregion = ap-south-1\n[dev]\naws_access_key_id = A\n",
			   "[default]\nregion = us-west-2\n[profile dev]\nregion = eu-north-1\n[profile bad]\nregion = Not A Region\n[profile none]\noutput = json\n",
			   NULL);
	da_settings_from_env(&s, NULL);

	free(s.region);
	s.region = strdup("eu-central-1");
	r = da_resolve_region(&s, host, &src, &err);
	tap_is_str(r, "eu-central-1", "settings region first");
	tap_is_str(src, "DSQL_AUTH_REGION", "source DSQL_AUTH_REGION");
	free(r);
	free(s.region);
	s.region = strdup("EU_central");
	r = da_resolve_region(&s, host, &src, &err);
	tap_ok(r == NULL && contains(err, "DSQL_AUTH_REGION") &&
		   contains(err, "EU_central"), "invalid settings region is an error naming it");
	free(err);
	err = NULL;
	free(s.region);
	s.region = NULL;

	setenv("AWS_REGION", "ca-central-1", 1);
	setenv("AWS_DEFAULT_REGION", "sa-east-1", 1);
	r = da_resolve_region(&s, host, &src, &err);
	tap_is_str(r, "us-east-2", "host name before AWS_REGION");
	tap_is_str(src, "host name", "source host name");
	free(r);
	r = da_resolve_region(&s, "ABC.DSQL.AP-NORTHEAST-1.ON.AWS", &src, &err);
	tap_is_str(r, "ap-northeast-1", "host name region lower-cased");
	free(r);
	r = da_resolve_region(&s, plain, &src, &err);
	tap_is_str(r, "ca-central-1", "AWS_REGION");
	tap_is_str(src, "AWS_REGION", "source AWS_REGION");
	free(r);
	setenv("AWS_REGION", "", 1);
	r = da_resolve_region(&s, plain, &src, &err);
	tap_is_str(r, "sa-east-1", "empty AWS_REGION skipped for AWS_DEFAULT_REGION");
	tap_is_str(src, "AWS_DEFAULT_REGION", "source AWS_DEFAULT_REGION");
	free(r);
	setenv("AWS_DEFAULT_REGION", "bad region", 1);
	r = da_resolve_region(&s, plain, &src, &err);
	tap_ok(r == NULL && contains(err, "AWS_DEFAULT_REGION"),
		   "invalid AWS_DEFAULT_REGION is an error naming it");
	free(err);
	err = NULL;
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");

	/* botocore merges the credentials-file profile over the config one */
	r = da_resolve_region(&s, plain, &src, &err);
	tap_is_str(r, "ap-south-1", "region in the credentials file wins, as in botocore");
	tap_is_str(src, "credentials file profile", "source credentials file profile");
	free(r);

	free(s.profile);
	s.profile = strdup("dev");
	r = da_resolve_region(&s, plain, &src, &err);
	tap_is_str(r, "eu-north-1", "region of [profile dev] in the config file");
	tap_is_str(src, "config file profile", "source config file profile");
	free(r);
	r = da_resolve_region(&s, NULL, &src, &err);
	tap_is_str(r, "eu-north-1", "no host is fine");
	free(r);

	free(s.profile);
	s.profile = strdup("bad");
	r = da_resolve_region(&s, plain, &src, &err);
	snprintf(want, sizeof(want), "%s/config", dir);
	tap_ok(r == NULL && contains(err, "Not A Region") && contains(err, want),
		   "invalid region in the config file names the file");
	free(err);
	err = NULL;

	free(s.profile);
	s.profile = strdup("none");
	r = da_resolve_region(&s, plain, &src, &err);
	snprintf(want, sizeof(want), "no AWS region for host \"db.example.com\": tried DSQL_AUTH_REGION (not set), the host name (no region in it), AWS_REGION (not set), AWS_DEFAULT_REGION (not set), profile \"none\" in %s/config (no region setting); set DSQL_AUTH_REGION or AWS_REGION, or add region to profile \"none\" in %s/config",
			 dir, dir);
	tap_ok(r == NULL, "no region anywhere fails");
	tap_is_str(err, want, "no-region message names every source and the fix");
	free(err);
	err = NULL;

	free(s.profile);
	s.profile = strdup("ghost");
	r = da_resolve_region(&s, plain, &src, &err);
	tap_ok(r == NULL && contains(err, "(no such profile)"),
		   "missing profile: no such profile");
	free(err);
	err = NULL;
	da_settings_clear(&s);

	setup_case(dir, sizeof(dir), 2001, NULL, NULL, NULL);
	da_settings_from_env(&s, NULL);
	r = da_resolve_region(&s, plain, &src, &err);
	tap_ok(r == NULL && contains(err, "(file not found)"),
		   "no config file: file not found");
	free(err);
	err = NULL;
	da_settings_clear(&s);

	setup_case(dir, sizeof(dir), 2002, NULL, "[default]\nregion = us-east-1\n[default]\n", NULL);
	da_settings_from_env(&s, NULL);
	r = da_resolve_region(&s, plain, &src, &err);
	snprintf(want, sizeof(want), "\"%s/config\", line 3", dir);
	tap_ok(r == NULL && contains(err, want), "syntax error in config is reported");
	free(err);
	err = NULL;
	r = da_resolve_region(&s, host, &src, &err);
	tap_is_str(r, "us-east-2", "files are not read when the host has the region");
	free(r);
	da_settings_clear(&s);
	clear_env();
}

int
main(void)
{
	char		cmd[256];
	const char *home = getenv("HOME");

	saved_home = strdup(home ? home : "/root");
	if (mkdtemp(tmpdir) == NULL)
	{
		perror("mkdtemp");
		return 1;
	}
	test_settings();
	test_chain_table();
	test_no_secret_in_messages();
	test_region();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		tap_diag("could not remove the temporary directory");
	free(saved_home);
	return tap_done();
}
