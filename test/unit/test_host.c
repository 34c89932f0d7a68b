/*
 * test_host.c
 *		Table-driven tests for src/da_host.c.  Run from the repository root
 *		(real tokens are read from test/vectors/):
 *
 *   cc -std=gnu99 -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE -O2 -g \
 *      -Isrc -Itest/unit -o /tmp/test_host test/unit/test_host.c \
 *      src/da_util.c src/da_sigv4.c src/da_host.c -lcrypto && /tmp/test_host
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "da_host.h"
#include "da_sigv4.h"

/* A host, extra patterns and the expected answer. */
typedef struct host_case
{
	const char *host;
	const char *patterns;
	bool		want;
	const char *why;
} host_case;

static const host_case host_cases[] = {
	/* endpoint names */
	{"abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws", NULL, true, "plain"},
	{"4aabugk53f6nxpbd5gdh2jlmzi.dsql.eu-west-1.on.aws", NULL, true,
	"other region"},
	{"abc.dsql-abcd.us-east-1.on.aws", NULL, true, "PrivateLink"},
	{"abc.dsql-fnh4.ap-southeast-2.on.aws", NULL, true, "PrivateLink 2"},
	{"abc.dsql.us-east-1.on.aws.", NULL, true, "one trailing dot"},
	{"ABC.DSQL.US-EAST-1.ON.AWS", NULL, true, "upper case"},
	{"Abc.Dsql-AbCd.Us-East-1.On.Aws.", NULL, true, "mixed case + dot"},
	{"a.b.dsql.us-east-1.on.aws", NULL, true,
	"id of two labels (the connectors' regex allows it)"},
	{"a_b.dsql.us-east-1.on.aws", NULL, true, "underscore in id"},
	/* near misses */
	{"dsql.us-east-1.on.aws", NULL, false, "no id label"},
	{".dsql.us-east-1.on.aws", NULL, false, "empty id label"},
	{"a..dsql.us-east-1.on.aws", NULL, false, "empty label"},
	{"x.dsql.us-east-1.on.aws.evil.com", NULL, false, "suffix attack"},
	{"x.dsql.us-east-1.on.aws..", NULL, false, "two trailing dots"},
	{"x.dsqlx.us-east-1.on.aws", NULL, false,
	"dsqlx: not dsql or dsql-<suffix> (da_host.h)"},
	{"x.dsql-.us-east-1.on.aws", NULL, false, "dsql- with empty suffix"},
	{"x.xdsql.us-east-1.on.aws", NULL, false, "xdsql label"},
	{"xdsql.us-east-1.on.aws", NULL, false, "no dot before dsql"},
	{"x.dsql..on.aws", NULL, false, "empty region"},
	{"x.dsql.on.aws", NULL, false, "no region label"},
	{"x.dsql.us-east-1.on.aws:5432", NULL, false, "with a port"},
	{"x.dsql.us-east-1.on.aws/", NULL, false, "with a slash"},
	{"x y.dsql.us-east-1.on.aws", NULL, false, "blank in id"},
	{"x.dsql.us-east-1.amazonaws.com", NULL, false, "amazonaws.com"},
	{"x.dsql.us-east-1.onxaws", NULL, false, "onxaws"},
	{"x.dsql.us-east-1.on.aws.x", NULL, false, "label after aws"},
	{"x.rds.us-east-1.on.aws", NULL, false, "rds"},
	{"db.cluster-abc.us-east-1.rds.amazonaws.com", NULL, false, "RDS host"},
	{"localhost", NULL, false, "localhost"},
	{"127.0.0.1", NULL, false, "IPv4"},
	{"/var/run/postgresql", NULL, false, "socket directory"},
	{"", NULL, false, "empty"},
	{NULL, NULL, false, "NULL"},
	/* extra patterns */
	{"db.example.com", "*.example.com", true, "pattern *.example.com"},
	{"DB.Example.COM", "*.EXAMPLE.com", true, "pattern, case-insensitive"},
	{"a.b.example.com", "*.example.com", true, "'*' spans dots"},
	{"example.com", "*.example.com", false, "'*.' needs the dot"},
	{"db.example.org", "*.example.com", false, "other domain"},
	{"db.example.com", "*", true, "pattern *"},
	{"db.example.com", "db.*.com", true, "'*' in the middle"},
	{"db.example.com", "foo.bar,*.example.com", true, "second pattern"},
	{"db.example.com", "  foo.bar ,\t*.example.com  ", true,
	"blanks around commas"},
	{"db.example.com", "foo,,bar, ,", false, "empty entries ignored"},
	{"db.example.com", ",", false, "only a comma"},
	{"db.example.com", "", false, "empty pattern list"},
	{"db.example.com", NULL, false, "NULL pattern list"},
	{"db.example.com", "db.example.com", true, "literal pattern"},
	{"db.example.com.", "db.example.com", true, "trailing dot on the host"},
	{"db-1.example.com", "db-?.example.com", false, "'?' is literal"},
	{"db.example.com", " db.example.co ", false, "no prefix match"},
	{"x.dsql.us-east-1.on.aws", "nothing.here", true,
	"endpoint names match whatever the patterns"},
	{"", "*", false, "empty host never matches"},
};

/* da_host_is_dsql over host_cases. */
static void
test_is_dsql(void)
{
	size_t		i;
	char		name[256];

	for (i = 0; i < sizeof(host_cases) / sizeof(host_cases[0]); i++)
	{
		const host_case *hc = &host_cases[i];

		snprintf(name, sizeof(name), "is_dsql(\"%s\", %s%s%s) = %s: %s",
				 hc->host ? hc->host : "(null)",
				 hc->patterns ? "\"" : "", hc->patterns ? hc->patterns : "NULL",
				 hc->patterns ? "\"" : "", hc->want ? "true" : "false",
				 hc->why);
		tap_ok(da_host_is_dsql(hc->host, hc->patterns) == hc->want, name);
	}
}

/* da_glob_match on its own. */
static void
test_glob(void)
{
	static const struct
	{
		const char *pat;
		const char *s;
		bool		want;
	}			cases[] = {
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"**", "x", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "abc", true},
		{"a*b", "abc", false},
		{"*ab", "aab", true},
		{"*.*", "abc", false},
		{"*a*a*a*", "banana", true},
		{"*a*a*a*a*", "banana", false},
		{"ABC", "abc", true},
		{"a?c", "abc", false},
	};
	size_t		i;
	char		name[128];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		snprintf(name, sizeof(name), "glob \"%s\" vs \"%s\" = %s",
				 cases[i].pat, cases[i].s, cases[i].want ? "true" : "false");
		tap_ok(da_glob_match(cases[i].pat, cases[i].s) == cases[i].want,
			   name);
	}
	tap_ok(!da_glob_match(NULL, "a") && !da_glob_match("*", NULL),
		   "glob with NULL is false");
}

/* da_region_from_host. */
static void
test_region_from_host(void)
{
	static const struct
	{
		const char *host;
		const char *want;
	}			cases[] = {
		{"abc.dsql.us-east-1.on.aws", "us-east-1"},
		{"abc.dsql-abcd.eu-west-1.on.aws", "eu-west-1"},
		{"ABC.DSQL.US-EAST-2.ON.AWS", "us-east-2"},
		{"abc.dsql.us-east-1.on.aws.", "us-east-1"},
		{"a.b.dsql.ap-northeast-1.on.aws", "ap-northeast-1"},
		/* the regex \.dsql[^.]*\. accepts dsqlx; da_host_is_dsql does not */
		{"abc.dsqlx.ap-south-1.on.aws", "ap-south-1"},
		{"db.example.com", NULL},
		{"abc.dsql.us-east-1.on.aws.evil.com", NULL},
		{"dsql.us-east-1.on.aws", NULL},
		{"abc.dsql..on.aws", NULL},
		{"abc.dsql.on.aws", NULL},
		{"abc.rds.us-east-1.on.aws", NULL},
		{"", NULL},
		{NULL, NULL},
	};
	size_t		i;
	char		name[256];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		char	   *got = da_region_from_host(cases[i].host);

		snprintf(name, sizeof(name), "region_from_host(\"%s\")",
				 cases[i].host ? cases[i].host : "(null)");
		tap_is_str(got, cases[i].want, name);
		free(got);
	}
}

/* da_region_valid. */
static void
test_region_valid(void)
{
	char		r64[65];
	char		r65[66];

	memset(r64, 'a', 64);
	r64[64] = '\0';
	memset(r65, 'a', 65);
	r65[65] = '\0';
	tap_ok(da_region_valid("us-east-1"), "region us-east-1 valid");
	tap_ok(da_region_valid("ap-southeast-2"), "region ap-southeast-2 valid");
	tap_ok(da_region_valid("a"), "region of 1 char valid");
	tap_ok(da_region_valid(r64), "region of 64 chars valid");
	tap_ok(!da_region_valid(r65), "region of 65 chars invalid");
	tap_ok(!da_region_valid(""), "empty region invalid");
	tap_ok(!da_region_valid(NULL), "NULL region invalid");
	tap_ok(!da_region_valid("US-EAST-1"), "upper-case region invalid");
	tap_ok(!da_region_valid("us_east_1"), "underscore region invalid");
	tap_ok(!da_region_valid("us-east-1 "), "trailing blank region invalid");
	tap_ok(!da_region_valid("us/east"), "slash region invalid");
	tap_ok(!da_region_valid("us.east"), "dot region invalid");
}

/* Every token column of a vector file is recognised as a token. */
static void
check_tokens_in(const char *path, int *ntok, int *nbad, char **sample)
{
	FILE	   *f = fopen(path, "r");
	char	   *line = NULL;
	size_t		cap = 0;
	ssize_t		len;
	bool		header = true;

	if (f == NULL)
	{
		(*nbad)++;
		return;
	}
	while ((len = getline(&line, &cap, f)) >= 0)
	{
		char	   *tok;

		if (line[0] == '#')
			continue;
		if (header)
		{
			header = false;
			continue;
		}
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		tok = strrchr(line, '\t');	/* token is the last column */
		if (tok == NULL)
			continue;
		tok++;
		(*ntok)++;
		if (!da_password_is_token(tok))
		{
			printf("#   not recognised: %s\n", tok);
			(*nbad)++;
		}
		if (*sample == NULL && strstr(tok, "X-Amz-Security-Token"))
			*sample = strdup(tok);
	}
	free(line);
	fclose(f);
}

/* da_password_is_token. */
static void
test_is_token(void)
{
	int			ntok = 0;
	int			nbad = 0;
	char	   *sample = NULL;
	char	   *t;
	char	   *p;
	size_t		len;
	static const char *const not_tokens[] = {
		"postgres",
		"",
		"secret/?pass",
		"pa/?ss word",
		"correct horse battery staple",
		"x.dsql.us-east-1.on.aws",
		"x.dsql.us-east-1.on.aws/?Action=DbConnect",
		/* no signature */
		"x.dsql.us-east-1.on.aws/?Action=DbConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256"
		"&X-Amz-Credential=AKID%2F20241107%2Fus-east-1%2Fdsql%2Faws4_request"
		"&X-Amz-Date=20241107T173933Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host",
		/* signature of 63 hex digits */
		"x.dsql.us-east-1.on.aws/?Action=DbConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256"
		"&X-Amz-Credential=AKID%2F20241107%2Fus-east-1%2Fdsql%2Faws4_request"
		"&X-Amz-Signature=57fe03e060348aaa21405c239bf02572bbc911076e94dcd65c12ae569dd8fcf",
		/* unknown action */
		"x.dsql.us-east-1.on.aws/?Action=ListTables&X-Amz-Algorithm=AWS4-HMAC-SHA256"
		"&X-Amz-Credential=AKID%2F20241107%2Fus-east-1%2Fdsql%2Faws4_request"
		"&X-Amz-Signature=57fe03e060348aaa21405c239bf02572bbc911076e94dcd65c12ae569dd8fcf4",
		/* other algorithm */
		"x.dsql.us-east-1.on.aws/?Action=DbConnect&X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256"
		"&X-Amz-Credential=AKID%2F20241107%2Fus-east-1%2Fdsql%2Faws4_request"
		"&X-Amz-Signature=57fe03e060348aaa21405c239bf02572bbc911076e94dcd65c12ae569dd8fcf4",
		/* a scheme in front */
		"https://x.dsql.us-east-1.on.aws/?Action=DbConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256"
		"&X-Amz-Credential=AKID%2F20241107%2Fus-east-1%2Fdsql%2Faws4_request"
		"&X-Amz-Signature=57fe03e060348aaa21405c239bf02572bbc911076e94dcd65c12ae569dd8fcf4",
		/* no host */
		"/?Action=DbConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256"
		"&X-Amz-Credential=AKID%2F20241107%2Fus-east-1%2Fdsql%2Faws4_request"
		"&X-Amz-Signature=57fe03e060348aaa21405c239bf02572bbc911076e94dcd65c12ae569dd8fcf4",
	};
	size_t		i;
	char		name[128];

	check_tokens_in("test/vectors/dsql_tokens.tsv", &ntok, &nbad, &sample);
	check_tokens_in("test/vectors/rds_tokens.tsv", &ntok, &nbad, &sample);
	snprintf(name, sizeof(name),
			 "all %d DSQL and RDS vector tokens are tokens", ntok);
	tap_ok(ntok >= 39 && nbad == 0, name);

	tap_ok(!da_password_is_token(NULL), "NULL is not a token");
	for (i = 0; i < sizeof(not_tokens) / sizeof(not_tokens[0]); i++)
	{
		snprintf(name, sizeof(name), "not a token: case %zu", i + 1);
		tap_ok(!da_password_is_token(not_tokens[i]), name);
	}

	if (!tap_ok(sample != NULL, "a real token with a session token"))
		return;
	len = strlen(sample);
	tap_ok(da_password_is_token(sample), "real token is a token");

	/* truncated anywhere inside the signature: no longer a token */
	t = strdup(sample);
	t[len - 1] = '\0';
	tap_ok(!da_password_is_token(t), "token missing its last digit");
	t[len / 2] = '\0';
	tap_ok(!da_password_is_token(t), "token cut in half");
	free(t);

	/* without its signature parameter */
	t = strdup(sample);
	p = strstr(t, "&X-Amz-Signature=");
	*p = '\0';
	tap_ok(!da_password_is_token(t), "token without X-Amz-Signature");
	free(t);

	/* with surrounding blanks (e.g. pasted): not a token */
	t = malloc(len + 2);
	t[0] = ' ';
	memcpy(t + 1, sample, len + 1);
	tap_ok(!da_password_is_token(t), "token with a leading blank");
	free(t);

	/* upper-case hex signature: not what any SDK emits */
	t = strdup(sample);
	for (p = strstr(t, "X-Amz-Signature=") + 16; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char) (*p - 'a' + 'A');
	tap_ok(!da_password_is_token(t), "upper-case hex signature");
	free(t);
	free(sample);
}

/* da_parse_expires. */
static void
test_parse_expires(void)
{
	static const struct
	{
		const char *s;
		int			want;		/* 0 = rejected */
	}			cases[] = {
		{"900", 900},
		{"1", 1},
		{"604800", 604800},
		{"3600", 3600},
		{"0900", 900},			/* decimal digits only: leading zeros ok */
		{"0", 0},
		{"604801", 0},
		{"-1", 0},
		{"+900", 0},
		{"9e2", 0},
		{"900s", 0},
		{"15m", 0},
		{"", 0},
		{" 900", 0},
		{"900 ", 0},
		{"0x384", 0},
		{"900.0", 0},
		{"99999999999999999999", 0},
		{"2147484548", 0},
		{"00000000000000000000000001", 1},
	};
	size_t		i;
	char		name[128];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		int			out = -12345;
		char	   *err = NULL;
		bool		ok = da_parse_expires(cases[i].s, &out, &err);

		if (cases[i].want)
		{
			snprintf(name, sizeof(name), "parse_expires(\"%s\") = %d",
					 cases[i].s, cases[i].want);
			tap_ok(ok && out == cases[i].want && err == NULL, name);
		}
		else
		{
			snprintf(name, sizeof(name),
					 "parse_expires(\"%s\") rejected with value and range",
					 cases[i].s);
			tap_ok(!ok && out == -12345 && err != NULL &&
				   (cases[i].s[0] == '\0' || strstr(err, cases[i].s)) &&
				   strstr(err, "604800") != NULL, name);
			if (err)
				printf("#   message: %s\n", err);
		}
		free(err);
	}
	{
		int			out = 0;
		char	   *err = NULL;

		tap_ok(!da_parse_expires(NULL, &out, &err) && err != NULL,
			   "parse_expires(NULL) rejected");
		free(err);
		tap_ok(!da_parse_expires("abc", &out, NULL),
			   "parse_expires with errp NULL");
	}
}

int
main(void)
{
	test_is_dsql();
	test_glob();
	test_region_from_host();
	test_region_valid();
	test_is_token();
	test_parse_expires();
	return tap_done();
}
