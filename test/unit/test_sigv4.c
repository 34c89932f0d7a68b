/*
 * test_sigv4.c
 *		Known-answer tests for the SigV4 signer (src/da_sigv4.c).
 *
 * Run from the repository root (the vector files are read relative to it):
 *
 *   cc -std=gnu99 -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE -O2 -g \
 *      -Isrc -Itest/unit -o /tmp/test_sigv4 test/unit/test_sigv4.c \
 *      src/da_util.c src/da_sigv4.c src/da_host.c -lcrypto && /tmp/test_sigv4
 *
 * Sources of the expected answers:
 *   - test/vectors/{dsql,rds}_tokens.tsv, sigv4_headers.tsv: generated from
 *     botocore by test/vectors/gen_vectors.py (frozen clock).
 *   - Published botocore unit-test answers, boto/botocore
 *     tests/unit/auth/test_signers.py (TestGenerateDBAuthToken,
 *     TestDSQLGenerateDBAuthToken).
 *   - The AWS SigV4 test suite as shipped in awslabs/aws-c-auth
 *     tests/aws-signing-test-suite/v4/<case>/{header,query}-signed-request.txt
 *     (AKIDEXAMPLE, 20150830T123600Z, us-east-1, service "service").
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "da_sigv4.h"

#define MAX_COLS	32

/* A loaded TSV file: column names and rows of cells. */
typedef struct tsv
{
	char	   *names[MAX_COLS];
	int			ncols;
	char	  **lines;			/* one malloc'd line per row; cells point in */
	char	 *(*cells)[MAX_COLS];
	int			nrows;
	char	   *header_line;
} tsv;

/* Split line in place on tabs into at most MAX_COLS cells; returns count. */
static int
split_tabs(char *line, char **out)
{
	int			n = 0;
	char	   *p = line;

	out[n++] = p;
	while ((p = strchr(p, '\t')) != NULL && n < MAX_COLS)
	{
		*p++ = '\0';
		out[n++] = p;
	}
	return n;
}

/* Load a TSV file ("#" comment lines, then a column-name line, then rows). */
static bool
tsv_load(const char *path, tsv *t)
{
	FILE	   *f = fopen(path, "r");
	char	   *line = NULL;
	size_t		cap = 0;
	ssize_t		len;

	memset(t, 0, sizeof(*t));
	if (f == NULL)
		return false;
	while ((len = getline(&line, &cap, f)) >= 0)
	{
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (t->header_line == NULL)
		{
			t->header_line = strdup(line);
			t->ncols = split_tabs(t->header_line, t->names);
			continue;
		}
		t->lines = realloc(t->lines, sizeof(char *) * (t->nrows + 1));
		t->cells = realloc(t->cells, sizeof(*t->cells) * (t->nrows + 1));
		t->lines[t->nrows] = strdup(line);
		memset(t->cells[t->nrows], 0, sizeof(t->cells[t->nrows]));
		if (split_tabs(t->lines[t->nrows], t->cells[t->nrows]) != t->ncols)
		{
			printf("# %s: row %d has the wrong number of columns\n", path,
				   t->nrows + 1);
			fclose(f);
			free(line);
			return false;
		}
		t->nrows++;
	}
	free(line);
	fclose(f);
	return t->header_line != NULL;
}

/* Free a loaded TSV. */
static void
tsv_free(tsv *t)
{
	int			i;

	for (i = 0; i < t->nrows; i++)
		free(t->lines[i]);
	free(t->lines);
	free(t->cells);
	free(t->header_line);
	memset(t, 0, sizeof(*t));
}

/* The cell of row r in the named column (aborts the test run if absent). */
static const char *
cell(const tsv *t, int r, const char *name)
{
	int			i;

	for (i = 0; i < t->ncols; i++)
		if (strcmp(t->names[i], name) == 0)
			return t->cells[r][i];
	printf("Bail out! no column \"%s\"\n", name);
	exit(2);
}

/* "YYYYMMDDTHHMMSSZ" to a time_t. */
static time_t
parse_stamp(const char *s)
{
	struct tm	tm;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon,
			   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
	{
		printf("Bail out! bad timestamp \"%s\"\n", s);
		exit(2);
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

/* Credentials pointing at (not owning) the given strings. */
static da_credentials
creds_of(const char *akid, const char *secret, const char *token)
{
	da_credentials c;

	memset(&c, 0, sizeof(c));
	c.access_key_id = (char *) akid;
	c.secret_access_key = (char *) secret;
	c.session_token = (token && token[0]) ? (char *) token : NULL;
	return c;
}

/* qsort comparator for strings. */
static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * True if two "host/?query" URLs have the same host and path and the same
 * query parameters in any order (what botocore's assert_url_equal checks).
 */
static bool
same_url_params(const char *a, const char *b)
{
	const char *qa = strstr(a, "/?");
	const char *qb = strstr(b, "/?");
	char	   *ca,
			   *cb;
	char	   *pa[64],
			   *pb[64];
	int			na = 0,
				nb = 0;
	char	   *p;
	bool		same;
	int			i;

	if (!qa || !qb || qa - a != qb - b || strncmp(a, b, qa - a) != 0)
		return false;
	ca = strdup(qa + 2);
	cb = strdup(qb + 2);
	for (p = strtok(ca, "&"); p && na < 64; p = strtok(NULL, "&"))
		pa[na++] = p;
	for (p = strtok(cb, "&"); p && nb < 64; p = strtok(NULL, "&"))
		pb[nb++] = p;
	qsort(pa, na, sizeof(char *), cmp_str);
	qsort(pb, nb, sizeof(char *), cmp_str);
	same = na == nb;
	for (i = 0; same && i < na; i++)
		same = strcmp(pa[i], pb[i]) == 0;
	free(ca);
	free(cb);
	return same;
}

/* The 64 hex digits after "X-Amz-Signature=" (static buffer). */
static const char *
sig_of(const char *url)
{
	static char buf[65];
	const char *p = url ? strstr(url, "X-Amz-Signature=") : NULL;

	if (p == NULL)
		return "";
	snprintf(buf, sizeof(buf), "%s", p + strlen("X-Amz-Signature="));
	return buf;
}

/* Every DSQL vector from botocore, byte for byte. */
static void
test_dsql_vectors(void)
{
	tsv			t;
	int			r;
	char		name[256];
	const char *mixed = NULL;
	char	   *mixed_tok = NULL;
	char	   *lower_tok = NULL;

	if (!tap_ok(tsv_load("test/vectors/dsql_tokens.tsv", &t),
				"load test/vectors/dsql_tokens.tsv"))
		return;
	tap_ok(t.nrows >= 30, "dsql_tokens.tsv has at least 30 vectors");
	for (r = 0; r < t.nrows; r++)
	{
		da_credentials c = creds_of(cell(&t, r, "access_key_id"),
									cell(&t, r, "secret_access_key"),
									cell(&t, r, "session_token"));
		char	   *err = NULL;
		char	   *tok;

		tok = da_dsql_token(cell(&t, r, "host"), cell(&t, r, "user"),
							cell(&t, r, "region"),
							atoi(cell(&t, r, "expires_in")),
							parse_stamp(cell(&t, r, "signed_at")), &c, &err);
		snprintf(name, sizeof(name), "dsql vector %s", cell(&t, r, "name"));
		tap_is_str(tok, cell(&t, r, "token"), name);
		if (err)
			printf("#   error: %s\n", err);
		if (strcmp(cell(&t, r, "name"), "host-mixed-case") == 0)
		{
			mixed = cell(&t, r, "host");
			mixed_tok = tok;
			tok = NULL;
		}
		else if (strcmp(cell(&t, r, "name"), "host-lower-same-sig") == 0)
		{
			lower_tok = tok;
			tok = NULL;
		}
		free(tok);
		free(err);
	}
	/* botocore keeps the host's case in the URL but signs it lower-cased */
	tap_ok(mixed_tok && strncmp(mixed_tok, mixed, strlen(mixed)) == 0,
		   "mixed-case host is emitted as given");
	tap_ok(mixed_tok && lower_tok &&
		   strcmp(sig_of(mixed_tok), sig_of(lower_tok)) == 0,
		   "mixed-case host signs like its lower-case form");
	free(mixed_tok);
	free(lower_tok);
	tsv_free(&t);
}

/* Every RDS vector from botocore, byte for byte. */
static void
test_rds_vectors(void)
{
	tsv			t;
	int			r;
	char		name[256];

	if (!tap_ok(tsv_load("test/vectors/rds_tokens.tsv", &t),
				"load test/vectors/rds_tokens.tsv"))
		return;
	for (r = 0; r < t.nrows; r++)
	{
		da_credentials c = creds_of(cell(&t, r, "access_key_id"),
									cell(&t, r, "secret_access_key"),
									cell(&t, r, "session_token"));
		char	   *err = NULL;
		char	   *tok;

		tok = da_rds_token(cell(&t, r, "host"), atoi(cell(&t, r, "port")),
						   cell(&t, r, "user"), cell(&t, r, "region"),
						   atoi(cell(&t, r, "expires_in")),
						   parse_stamp(cell(&t, r, "signed_at")), &c, &err);
		snprintf(name, sizeof(name), "rds vector %s", cell(&t, r, "name"));
		tap_is_str(tok, cell(&t, r, "token"), name);
		if (err)
			printf("#   error: %s\n", err);
		free(tok);
		free(err);
	}
	tsv_free(&t);
}

/* Every header-signing vector from botocore. */
static void
test_header_vectors(void)
{
	tsv			t;
	int			r;
	char		name[256];

	if (!tap_ok(tsv_load("test/vectors/sigv4_headers.tsv", &t),
				"load test/vectors/sigv4_headers.tsv"))
		return;
	for (r = 0; r < t.nrows; r++)
	{
		da_credentials c = creds_of(cell(&t, r, "access_key_id"),
									cell(&t, r, "secret_access_key"),
									cell(&t, r, "session_token"));
		char	   *hcopy = strdup(cell(&t, r, "headers"));
		const char *hdrs[16];
		int			nh = 0;
		char	   *p;
		char	   *err = NULL;
		char	   *auth;
		char		amz_date[17];
		const char *body = cell(&t, r, "body");

		for (p = strtok(hcopy, "|"); p && nh < 16; p = strtok(NULL, "|"))
			hdrs[nh++] = p;
		auth = da_sigv4_authorization(cell(&t, r, "method"),
									  cell(&t, r, "host"),
									  cell(&t, r, "path"),
									  cell(&t, r, "query"),
									  body, strlen(body), hdrs, nh,
									  cell(&t, r, "service"),
									  cell(&t, r, "region"),
									  parse_stamp(cell(&t, r, "signed_at")),
									  &c, amz_date, &err);
		snprintf(name, sizeof(name), "header vector %s", cell(&t, r, "name"));
		tap_is_str(auth, cell(&t, r, "authorization"), name);
		snprintf(name, sizeof(name), "header vector %s X-Amz-Date",
				 cell(&t, r, "name"));
		tap_is_str(auth ? amz_date : NULL, cell(&t, r, "amz_date"), name);
		if (err)
			printf("#   error: %s\n", err);
		free(auth);
		free(err);
		free(hcopy);
	}
	tsv_free(&t);
}

/*
 * Published answers from botocore's own unit tests, boto/botocore
 * tests/unit/auth/test_signers.py.  botocore compares them with
 * assert_url_equal (parameters in any order), and the RDS string there is
 * not in the order botocore emits, so the RDS one is compared the same way.
 */
static void
test_botocore_published(void)
{
	/* TestGenerateDBAuthToken.test_generate_db_auth_token */
	static const char rds_expected[] =
		"prod-instance.us-east-1.rds.amazonaws.com:3306/?Action=connect"
		"&DBUser=someusername&X-Amz-Algorithm=AWS4-HMAC-SHA256"
		"&X-Amz-Date=20161107T173933Z&X-Amz-SignedHeaders=host"
		"&X-Amz-Expires=900&X-Amz-Credential=akid%2F20161107%2F"
		"us-east-1%2Frds-db%2Faws4_request&X-Amz-Signature"
		"=d1138cdbc0ca63eec012ec0fc6c2267e03642168f5884a7795320d4c18374c61";

	/* TestDSQLGenerateDBAuthToken.test_dsql_generate_db_connect_auth_token */
	static const char dsql_expected[] =
		"test.dsql.us-east-1.on.aws/?Action=DbConnect"
		"&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
		"ACCESS_KEY%2F20241107%2Fus-east-1%2Fdsql%2Faws4_request"
		"&X-Amz-Date=20241107T173933Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host"
		"&X-Amz-Security-Token=SESSION_TOKEN&X-Amz-Signature="
		"57fe03e060348aaa21405c239bf02572bbc911076e94dcd65c12ae569dd8fcf4";

	/* ...test_dsql_generate_db_connect_admin_auth_token */
	static const char dsql_admin_expected[] =
		"test.dsql.us-east-1.on.aws/?Action=DbConnectAdmin"
		"&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
		"ACCESS_KEY%2F20241107%2Fus-east-1%2Fdsql%2Faws4_request"
		"&X-Amz-Date=20241107T173933Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host"
		"&X-Amz-Security-Token=SESSION_TOKEN&X-Amz-Signature="
		"5ac084bc7cabccc19a52a5d1b5c24b50d3ce143f43b659bd484c91aaf555e190";

	da_credentials rc = creds_of("akid", "skid", NULL);
	da_credentials dc = creds_of("ACCESS_KEY", "SECRET_KEY", "SESSION_TOKEN");
	time_t		t2016 = parse_stamp("20161107T173933Z");
	time_t		t2024 = parse_stamp("20241107T173933Z");
	char	   *tok;

	tok = da_rds_token("prod-instance.us-east-1.rds.amazonaws.com", 3306,
					   "someusername", "us-east-1", 900, t2016, &rc, NULL);
	tap_ok(tok && same_url_params(tok, rds_expected),
		   "botocore test_signers.py test_generate_db_auth_token");
	if (tok && !same_url_params(tok, rds_expected))
		printf("#   got: %s\n", tok);
	free(tok);

	tok = da_dsql_token("test.dsql.us-east-1.on.aws", "app", "us-east-1", 900,
						t2024, &dc, NULL);
	tap_is_str(tok, dsql_expected,
			   "botocore test_signers.py test_dsql_generate_db_connect_auth_token");
	free(tok);

	tok = da_dsql_token("test.dsql.us-east-1.on.aws", "admin", "us-east-1",
						900, t2024, &dc, NULL);
	tap_is_str(tok, dsql_admin_expected,
			   "botocore test_signers.py test_dsql_generate_db_connect_admin_auth_token");
	free(tok);
}

#define SUITE_AKID		"AKIDEXAMPLE"
#define SUITE_SECRET	"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_HOST		"example.amazonaws.com"
#define SUITE_SCOPE		"AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
#define SUITE_TOKEN		"6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
#define STS_TOKEN \
	"AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHG" \
	"BuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1N" \
	"tBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcH" \
	"NVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOL" \
	"n9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
#define HS_PLAIN	"host;x-amz-date"
#define HS_MY1		"host;my-header1;x-amz-date"
#define HS_TOKEN	"host;x-amz-date;x-amz-security-token"
#define HS_FORM \
	"content-length;content-type;host;x-amz-content-sha256;x-amz-date"
#define FORM_SHA \
	"x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"

/* One header-signing case of the AWS SigV4 test suite. */
typedef struct suite_header_case
{
	const char *name;			/* the suite's directory name */
	const char *method;
	const char *path;			/* the suite's canonical path */
	const char *query;			/* the suite's canonical query */
	const char *body;
	const char *token;
	const char *headers[4];
	const char *signed_headers;
	const char *signature;		/* from header-signed-request.txt */
} suite_header_case;

/*
 * awslabs/aws-c-auth tests/aws-signing-test-suite/v4/<name>/
 * header-signed-request.txt.  da_sigv4_authorization takes the path and the
 * query already canonical, so the normalisation cases are fed the suite's
 * canonical path (header-canonical-request.txt, line 2): for them this
 * checks only that the path is signed as given.
 *
 * Skipped: post-sts-header-after (the session token is sent but left out of
 * the signature, which our API cannot express: it always signs the token).
 */
static const suite_header_case suite_header_cases[] = {
	{"get-vanilla", "GET", "/", "", "", NULL, {NULL}, HS_PLAIN,
	"5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
	{"get-vanilla-query", "GET", "/", "", "", NULL, {NULL}, HS_PLAIN,
	"5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
	{"get-vanilla-empty-query-key", "GET", "/", "Param1=value1", "", NULL,
		{NULL}, HS_PLAIN,
	"a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
	{"get-vanilla-query-order-key-case", "GET", "/",
		"Param1=value1&Param2=value2", "", NULL, {NULL}, HS_PLAIN,
	"b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
	{"get-vanilla-query-order-encoded", "GET", "/",
		"%E1%88%B4=Value1&Param=Value2&Param-3=Value3", "", NULL, {NULL},
		HS_PLAIN,
	"371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac"},
	{"get-vanilla-query-unreserved", "GET", "/",
		"-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
		"-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
		"", NULL, {NULL}, HS_PLAIN,
	"9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
	{"get-vanilla-utf8-query", "GET", "/", "%E1%88%B4=bar", "", NULL, {NULL},
		HS_PLAIN,
	"2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
	{"get-vanilla-with-session-token", "GET", "/", "", "", SUITE_TOKEN,
		{NULL}, HS_TOKEN,
	"07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"},
	{"get-header-key-duplicate", "GET", "/", "", "", NULL,
		{"My-Header1:value2", "My-Header1:value2", "My-Header1:value1"},
		HS_MY1,
	"c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
	{"get-header-value-multiline", "GET", "/", "", "", NULL,
		{"My-Header1:value1\n  value2\n     value3"}, HS_MY1,
	"cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd"},
	{"get-header-value-order", "GET", "/", "", "", NULL,
		{"My-Header1:value4", "My-Header1:value1", "My-Header1:value3",
		"My-Header1:value2"}, HS_MY1,
	"08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
	{"get-header-value-trim", "GET", "/", "", "", NULL,
		{"My-Header1: value1", "My-Header2: \"a   b   c\""},
		"host;my-header1;my-header2;x-amz-date",
	"acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
	{"get-relative-normalized", "GET", "/", "", "", NULL, {NULL}, HS_PLAIN,
	"5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
	{"get-relative-relative-normalized", "GET", "/", "", "", NULL, {NULL},
		HS_PLAIN,
	"5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
	{"get-relative-relative-unnormalized", "GET", "/example1/example2/../..",
		"", "", NULL, {NULL}, HS_PLAIN,
	"dc33e0856fd4baca4d7aa2146c38958283844764f38c74252a333df5e613003b"},
	{"get-relative-unnormalized", "GET", "/example/..", "", "", NULL, {NULL},
		HS_PLAIN,
	"eca7ead57bb5aa5c8e28007acd4ff04e1ff9a0ff3b237ec1554a184887ff9282"},
	{"get-slash-dot-slash-normalized", "GET", "/", "", "", NULL, {NULL},
		HS_PLAIN,
	"5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
	{"get-slash-dot-slash-unnormalized", "GET", "/./", "", "", NULL, {NULL},
		HS_PLAIN,
	"68714168e6557f8f2de0ef956fc24dc2593a4bd2961f8df51898d8a134695145"},
	{"get-slash-normalized", "GET", "/", "", "", NULL, {NULL}, HS_PLAIN,
	"5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
	{"get-slash-pointless-dot-normalized", "GET", "/example", "", "", NULL,
		{NULL}, HS_PLAIN,
	"ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"},
	{"get-slash-pointless-dot-unnormalized", "GET", "/./example", "", "",
		NULL, {NULL}, HS_PLAIN,
	"beb03f223f7deae4146464f06e29eebbee9c8afbe15c290cf07aa8b119e14cff"},
	{"get-slash-unnormalized", "GET", "//", "", "", NULL, {NULL}, HS_PLAIN,
	"c88bcd3d312d75078c0cd961d6deae3f4c754924b01669efcfcb439fd5e5b76e"},
	{"get-slashes-normalized", "GET", "/example/", "", "", NULL, {NULL},
		HS_PLAIN,
	"9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"},
	{"get-slashes-unnormalized", "GET", "//example//", "", "", NULL, {NULL},
		HS_PLAIN,
	"87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5"},
	{"get-space-normalized", "GET", "/example%20space/", "", "", NULL,
		{NULL}, HS_PLAIN,
	"652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
	{"get-space-unnormalized", "GET", "/example%20space/", "", "", NULL,
		{NULL}, HS_PLAIN,
	"652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
	{"get-unreserved", "GET",
		"/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
		"", "", NULL, {NULL}, HS_PLAIN,
	"07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
	{"get-utf8", "GET", "/%E1%88%B4", "", "", NULL, {NULL}, HS_PLAIN,
	"8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
	{"post-vanilla", "POST", "/", "", "", NULL, {NULL}, HS_PLAIN,
	"5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
	{"post-vanilla-query", "POST", "/", "Param1=value1", "", NULL, {NULL},
		HS_PLAIN,
	"28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
	{"post-vanilla-empty-query-value", "POST", "/", "Param1=value1", "",
		NULL, {NULL}, HS_PLAIN,
	"28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
	{"post-header-key-case", "POST", "/", "", "", NULL, {NULL}, HS_PLAIN,
	"5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
	{"post-header-key-sort", "POST", "/", "", "", NULL,
		{"My-Header1:value1"}, HS_MY1,
	"c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
	{"post-header-value-case", "POST", "/", "", "", NULL,
		{"My-Header1:VALUE1"}, HS_MY1,
	"cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
	{"post-sts-header-before", "POST", "/", "", "", STS_TOKEN, {NULL},
		HS_TOKEN,
	"85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"},
	{"post-x-www-form-urlencoded", "POST", "/", "", "Param1=value1", NULL,
		{"Content-Type:application/x-www-form-urlencoded",
			"Content-Length:13", FORM_SHA}, HS_FORM,
	"d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b"},
	{"post-x-www-form-urlencoded-parameters", "POST", "/", "",
		"Param1=value1", NULL,
		{"Content-Type:application/x-www-form-urlencoded; charset=utf-8",
			"Content-Length:13", FORM_SHA}, HS_FORM,
	"328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422"},
};

/* The AWS SigV4 test suite, header signing. */
static void
test_suite_headers(void)
{
	time_t		when = parse_stamp("20150830T123600Z");
	size_t		i;
	char		name[256];
	char		want[512];

	for (i = 0; i < sizeof(suite_header_cases) / sizeof(suite_header_cases[0]); i++)
	{
		const suite_header_case *sc = &suite_header_cases[i];
		da_credentials c = creds_of(SUITE_AKID, SUITE_SECRET, sc->token);
		int			nh = 0;
		char		amz_date[17];
		char	   *auth;
		char	   *err = NULL;

		while (nh < 4 && sc->headers[nh])
			nh++;
		auth = da_sigv4_authorization(sc->method, SUITE_HOST, sc->path,
									  sc->query, sc->body, strlen(sc->body),
									  sc->headers, nh, "service", "us-east-1",
									  when, &c, amz_date, &err);
		snprintf(want, sizeof(want),
				 "AWS4-HMAC-SHA256 Credential=" SUITE_SCOPE
				 ", SignedHeaders=%s, Signature=%s",
				 sc->signed_headers, sc->signature);
		snprintf(name, sizeof(name), "aws-sig-v4-test-suite %s (header)",
				 sc->name);
		tap_is_str(auth, want, name);
		if (err)
			printf("#   error: %s\n", err);
		free(auth);
		free(err);
	}
}

/* One query-presigning case of the AWS SigV4 test suite. */
typedef struct suite_query_case
{
	const char *name;
	int			nparams;
	const char *names[3];
	const char *values[3];
	const char *token;
	const char *expected;		/* query-signed-request.txt request target */
} suite_query_case;

#define Q_AUTH \
	"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830" \
	"%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z" \
	"&X-Amz-SignedHeaders=host&X-Amz-Expires=3600"

/*
 * awslabs/aws-c-auth tests/aws-signing-test-suite/v4/<name>/
 * query-signed-request.txt (expiration 3600).  Only GET requests for "/"
 * that sign just the host fit da_sigv4_presign; the POST, path and
 * extra-header cases are skipped.  get-vanilla-utf8-query's file has the
 * raw UTF-8 name in the request line; here it is percent-encoded, as sent.
 */
static const suite_query_case suite_query_cases[] = {
	{"get-vanilla", 0, {NULL}, {NULL}, NULL,
		"/?" Q_AUTH "&X-Amz-Signature="
	"e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d"},
	{"get-vanilla-query", 0, {NULL}, {NULL}, NULL,
		"/?" Q_AUTH "&X-Amz-Signature="
	"e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d"},
	{"get-vanilla-empty-query-key", 1, {"Param1"}, {"value1"}, NULL,
		"/?Param1=value1&" Q_AUTH "&X-Amz-Signature="
	"49096700cbbaa5753443850f40df10f904fc2fdb544dc9512203cc77c471a9de"},
	{"get-vanilla-query-order-key-case", 2, {"Param2", "Param1"},
		{"value2", "value1"}, NULL,
		"/?Param2=value2&Param1=value1&" Q_AUTH "&X-Amz-Signature="
	"86012e2c9ad4d77369f5d81c11f75158aae4f895a085212cc6d3f923d300bed5"},
	{"get-vanilla-query-order-encoded", 3,
		{"Param-3", "Param", "\xE1\x88\xB4"}, {"Value3", "Value2", "Value1"},
		NULL,
		"/?Param-3=Value3&Param=Value2&%E1%88%B4=Value1&" Q_AUTH
		"&X-Amz-Signature="
	"c5f1848ceec943ac2ca68ee720460c23aaae30a2300586597ada94c4a65e4787"},
	{"get-vanilla-query-unreserved", 1,
		{"-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"},
		{"-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"},
		NULL,
		"/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
		"-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz&"
		Q_AUTH "&X-Amz-Signature="
	"8e76a88a7433637b12778d5592799b29ad21ecd6cf6325051c21d86f0acda2bf"},
	{"get-vanilla-utf8-query", 1, {"\xE1\x88\xB4"}, {"bar"}, NULL,
		"/?%E1%88%B4=bar&" Q_AUTH "&X-Amz-Signature="
	"0bdd809b1519ac4f0c1dc3540e2cc46bd0c7f778eda408b2ebf3b913d21ff600"},
	{"get-vanilla-with-session-token", 0, {NULL}, {NULL}, SUITE_TOKEN,
		"/?" Q_AUTH "&X-Amz-Security-Token=" SUITE_TOKEN "&X-Amz-Signature="
	"7ff2b50b376cb4d151970630573d6291dc128cc5c2a12ffb237f73cc53f67b6c"},
};

/* The AWS SigV4 test suite, query presigning. */
static void
test_suite_query(void)
{
	time_t		when = parse_stamp("20150830T123600Z");
	size_t		i;
	char		name[256];
	char		want[1024];

	for (i = 0; i < sizeof(suite_query_cases) / sizeof(suite_query_cases[0]); i++)
	{
		const suite_query_case *sc = &suite_query_cases[i];
		da_credentials c = creds_of(SUITE_AKID, SUITE_SECRET, sc->token);
		char	   *url;
		char	   *err = NULL;
		bool		ok;

		url = da_sigv4_presign(SUITE_HOST, sc->names, sc->values, sc->nparams,
							   "service", "us-east-1", 3600, when, &c, &err);
		snprintf(want, sizeof(want), "%s%s", SUITE_HOST, sc->expected);
		ok = url && same_url_params(url, want);
		snprintf(name, sizeof(name), "aws-sig-v4-test-suite %s (query)",
				 sc->name);
		tap_ok(ok, name);
		if (!ok)
			printf("#   got:  %s\n#   want: %s\n", url ? url : err, want);
		free(url);
		free(err);
	}
}

/* True if err is set, names what, and does not leak the secret. */
static bool
err_ok(const char *err, const char *what, const char *secret)
{
	return err != NULL && strstr(err, what) != NULL &&
		(secret == NULL || strstr(err, secret) == NULL);
}

/* Bad input is refused with a message, never the secret. */
static void
test_rejections(void)
{
	static const char secret[] = "SeCrEt/+=do-not-print";
	da_credentials c = creds_of("AKID", secret, "tok");
	time_t		t0 = parse_stamp("20241107T173933Z");
	static const int bad_expiry[] = {0, -1, 604801, -604800, 2147483647};
	size_t		i;
	char	   *err;
	char	   *tok;
	char		name[128];
	const char *host = "x.dsql.us-east-1.on.aws";

	for (i = 0; i < sizeof(bad_expiry) / sizeof(bad_expiry[0]); i++)
	{
		char		num[32];

		err = NULL;
		tok = da_dsql_token(host, "admin", "us-east-1", bad_expiry[i], t0, &c,
							&err);
		snprintf(num, sizeof(num), "%d", bad_expiry[i]);
		snprintf(name, sizeof(name), "expiry %d rejected with a message",
				 bad_expiry[i]);
		tap_ok(tok == NULL && err_ok(err, num, secret) &&
			   strstr(err, "604800") != NULL, name);
		if (err)
			printf("#   message: %s\n", err);
		free(tok);
		free(err);
	}

	for (i = 0; i < 2; i++)
	{
		int			e = i ? DA_EXPIRES_MAX : DA_EXPIRES_MIN;

		err = NULL;
		tok = da_dsql_token(host, "admin", "us-east-1", e, t0, &c, &err);
		snprintf(name, sizeof(name), "expiry %d accepted", e);
		tap_ok(tok != NULL && err == NULL, name);
		free(tok);
		free(err);
	}

	err = NULL;
	tok = da_dsql_token("", "admin", "us-east-1", 900, t0, &c, &err);
	tap_ok(tok == NULL && err_ok(err, "host", secret), "empty host rejected");
	free(err);
	err = NULL;
	tok = da_dsql_token(NULL, "admin", "us-east-1", 900, t0, &c, &err);
	tap_ok(tok == NULL && err_ok(err, "host", secret), "NULL host rejected");
	free(err);
	err = NULL;
	tok = da_dsql_token(host, "admin", "", 900, t0, &c, &err);
	tap_ok(tok == NULL && err_ok(err, "region", secret),
		   "empty region rejected");
	free(err);
	err = NULL;
	tok = da_dsql_token(host, "admin", NULL, 900, t0, &c, &err);
	tap_ok(tok == NULL && err_ok(err, "region", secret),
		   "NULL region rejected");
	free(err);
	err = NULL;
	tok = da_dsql_token(host, "", "us-east-1", 900, t0, &c, &err);
	tap_ok(tok == NULL && err_ok(err, "user", secret), "empty user rejected");
	free(err);
	err = NULL;
	tok = da_dsql_token(host, "admin", "us-east-1", 900, t0, NULL, &err);
	tap_ok(tok == NULL && err_ok(err, "access key", NULL),
		   "no credentials rejected");
	free(err);
	{
		da_credentials nosecret = creds_of("AKID", "", NULL);
		da_credentials noakid = creds_of("", secret, NULL);

		err = NULL;
		tok = da_dsql_token(host, "admin", "us-east-1", 900, t0, &nosecret,
							&err);
		tap_ok(tok == NULL && err_ok(err, "secret access key", NULL),
			   "empty secret access key rejected");
		free(err);
		err = NULL;
		tok = da_dsql_token(host, "admin", "us-east-1", 900, t0, &noakid,
							&err);
		tap_ok(tok == NULL && err_ok(err, "access key id", secret),
			   "empty access key id rejected");
		free(err);
	}
	err = NULL;
	tok = da_dsql_token(host, "admin", "us-east-1", 900,
						(time_t) 253402300800LL, &c, &err);
	tap_ok(tok == NULL && err_ok(err, "time", secret),
		   "a time after year 9999 is rejected");
	free(tok);
	free(err);
	err = NULL;
	tok = da_rds_token("db.example.com", 0, "u", "us-east-1", 900, t0, &c,
					   &err);
	tap_ok(tok == NULL && err_ok(err, "port", secret), "port 0 rejected");
	free(err);
	err = NULL;
	tok = da_rds_token("db.example.com", 65536, "u", "us-east-1", 900, t0, &c,
					   &err);
	tap_ok(tok == NULL && err_ok(err, "port", secret), "port 65536 rejected");
	free(err);
	/* errp may be NULL */
	tok = da_dsql_token(host, "admin", "us-east-1", 0, t0, &c, NULL);
	tap_ok(tok == NULL, "errors with errp == NULL");

	{
		char		amz_date[17] = "x";
		const char *bad[] = {"no-colon-here"};
		const char *dup[] = {"Host:evil.example"};

		err = NULL;
		tok = da_sigv4_authorization("GET", "h", "/", "", "", 0, bad, 1, "s",
									 "us-east-1", t0, &c, amz_date, &err);
		tap_ok(tok == NULL && err_ok(err, "name:value", secret),
			   "extra header without ':' rejected");
		free(err);
		err = NULL;
		tok = da_sigv4_authorization("GET", "h", "/", "", "", 0, dup, 1, "s",
									 "us-east-1", t0, &c, amz_date, &err);
		tap_ok(tok == NULL && err_ok(err, "host", secret) &&
			   amz_date[0] == '\0',
			   "extra Host header rejected (the signer sets it)");
		free(err);
		err = NULL;
		tok = da_sigv4_authorization("GET", "", "/", "", "", 0, NULL, 0, "s",
									 "us-east-1", t0, &c, amz_date, &err);
		tap_ok(tok == NULL && err_ok(err, "host", secret),
			   "header signing: empty host rejected");
		free(err);
		err = NULL;
		tok = da_sigv4_authorization("GET", "h", "/", "", "", 0, NULL, 0, "s",
									 "", t0, &c, amz_date, &err);
		tap_ok(tok == NULL && err_ok(err, "region", secret),
			   "header signing: empty region rejected");
		free(err);
	}
}

/* NULL and "" session tokens both mean long-term keys. */
static void
test_session_token_forms(void)
{
	time_t		t0 = parse_stamp("20241107T173933Z");
	da_credentials cnull = creds_of("AKID", "secret", NULL);
	da_credentials cempty = creds_of("AKID", "secret", NULL);
	da_credentials ctok = creds_of("AKID", "secret", "a/b+c=");
	char	   *a,
			   *b,
			   *t;
	char		d1[17],
				d2[17];

	cempty.session_token = "";
	a = da_dsql_token("h.dsql.us-east-1.on.aws", "admin", "us-east-1", 900,
					  t0, &cnull, NULL);
	b = da_dsql_token("h.dsql.us-east-1.on.aws", "admin", "us-east-1", 900,
					  t0, &cempty, NULL);
	t = da_dsql_token("h.dsql.us-east-1.on.aws", "admin", "us-east-1", 900,
					  t0, &ctok, NULL);

	/*
	 * botocore would emit an empty, signed "X-Amz-Security-Token=" for "";
	 * we treat "" as no token (AWS rejects an empty security token).
	 */
	tap_ok(a && b && strcmp(a, b) == 0,
		   "session token \"\" signs like NULL (no token)");
	tap_ok(a && strstr(a, "X-Amz-Security-Token") == NULL,
		   "no X-Amz-Security-Token without a session token");
	tap_ok(t && strstr(t, "&X-Amz-SignedHeaders=host&X-Amz-Security-Token="
					   "a%2Fb%2Bc%3D&X-Amz-Signature=") != NULL,
		   "session token encoded, before X-Amz-Signature");
	free(a);
	free(b);
	free(t);

	a = da_sigv4_authorization("GET", "h", "/", "", NULL, 0, NULL, 0, "s",
							   "us-east-1", t0, &cnull, d1, NULL);
	b = da_sigv4_authorization("GET", "h", "/", "", NULL, 0, NULL, 0, "s",
							   "us-east-1", t0, &cempty, d2, NULL);
	tap_ok(a && b && strcmp(a, b) == 0 && strstr(a, "security") == NULL,
		   "header signing: \"\" session token signs like NULL");
	tap_is_str(d1, "20241107T173933Z", "header signing returns X-Amz-Date");
	free(a);
	free(b);
}

/* da_uri_encode against RFC 3986 for every byte value. */
static void
test_uri_encode(void)
{
	int			c;
	int			bad = 0;
	da_buf		all;
	da_buf		want;
	char		in[256];
	static const struct
	{
		const char *in;
		const char *out;
	}			cases[] = {
		{"", ""},
		{"abcXYZ019-_.~", "abcXYZ019-_.~"},
		{" ", "%20"},
		{"/+=", "%2F%2B%3D"},
		{"a&b=c", "a%26b%3Dc"},
		{"%", "%25"},
		{"*", "%2A"},
		{"\xE1\x88\xB4", "%E1%88%B4"},
		{"\x7f\x80\xff", "%7F%80%FF"},
	};
	size_t		i;

	for (c = 1; c < 256; c++)
	{
		da_buf		b;
		char		s[2] = {(char) c, '\0'};
		char		exp[4];
		bool		unreserved = (c >= 'A' && c <= 'Z') ||
		(c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		c == '-' || c == '_' || c == '.' || c == '~';

		if (unreserved)
			snprintf(exp, sizeof(exp), "%c", c);
		else
			snprintf(exp, sizeof(exp), "%%%02X", c);
		da_buf_init(&b);
		if (!da_uri_encode(&b, s) || strcmp(b.data, exp) != 0)
		{
			printf("#   byte 0x%02X: got %s want %s\n", c,
				   b.data ? b.data : "(null)", exp);
			bad++;
		}
		da_buf_free(&b);
	}
	tap_ok(bad == 0, "da_uri_encode: bytes 0x01-0xFF one at a time (RFC 3986)");

	/* all at once, and appending to existing contents */
	for (c = 1; c < 256; c++)
		in[c - 1] = (char) c;
	in[255] = '\0';
	da_buf_init(&all);
	da_buf_init(&want);
	da_buf_append(&all, "pre:");
	da_buf_append(&want, "pre:");
	for (c = 1; c < 256; c++)
	{
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
			c == '~')
			da_buf_appendc(&want, (char) c);
		else
			da_buf_printf(&want, "%%%02X", c);
	}
	tap_ok(da_uri_encode(&all, in) && strcmp(all.data, want.data) == 0 &&
		   all.len == 4 + 66 + 3 * (255 - 66),
		   "da_uri_encode: all 255 non-NUL bytes in one string, appended");
	da_buf_free(&all);
	da_buf_free(&want);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		da_buf		b;
		char		name[128];

		da_buf_init(&b);
		da_uri_encode(&b, cases[i].in);
		snprintf(name, sizeof(name), "da_uri_encode case %zu", i + 1);
		tap_is_str(b.data ? b.data : "", cases[i].out, name);
		da_buf_free(&b);
	}
}

/* Parameters are emitted in the order given, sorted only when signed. */
static void
test_param_order(void)
{
	time_t		t0 = parse_stamp("20241107T173933Z");
	da_credentials c = creds_of("AKID", "secret", NULL);
	const char *n1[] = {"b", "a"};
	const char *v1[] = {"2", "1"};
	const char *n2[] = {"a", "b"};
	const char *v2[] = {"1", "2"};
	char	   *x = da_sigv4_presign("h", n1, v1, 2, "s", "r", 900, t0, &c,
									 NULL);
	char	   *y = da_sigv4_presign("h", n2, v2, 2, "s", "r", 900, t0, &c,
									 NULL);

	tap_ok(x && strncmp(x, "h/?b=2&a=1&X-Amz-Algorithm=", 27) == 0,
		   "presign: caller's parameters first, in the given order");
	tap_ok(x && y && strcmp(sig_of(x), sig_of(y)) == 0,
		   "presign: parameter order does not change the signature");
	free(x);
	free(y);
}

/* da_credentials_copy / da_credentials_clear. */
static void
test_credentials(void)
{
	da_credentials src;
	da_credentials dst;

	memset(&src, 0, sizeof(src));
	src.access_key_id = "AKID";
	src.secret_access_key = "secret";
	src.session_token = NULL;
	src.expiration = 12345;
	src.source = "environment";
	tap_ok(da_credentials_copy(&dst, &src) &&
		   strcmp(dst.access_key_id, "AKID") == 0 &&
		   dst.access_key_id != src.access_key_id &&
		   strcmp(dst.secret_access_key, "secret") == 0 &&
		   dst.session_token == NULL && dst.expiration == 12345 &&
		   strcmp(dst.source, "environment") == 0,
		   "da_credentials_copy copies every member");
	da_credentials_clear(&dst);
	tap_ok(dst.access_key_id == NULL && dst.secret_access_key == NULL &&
		   dst.source == NULL && dst.expiration == 0,
		   "da_credentials_clear zeroes the struct");
	da_credentials_clear(&dst);
	da_credentials_clear(NULL);
	tap_ok(!da_credentials_copy(&dst, NULL), "copy of NULL fails");
}

int
main(void)
{
	test_dsql_vectors();
	test_rds_vectors();
	test_header_vectors();
	test_botocore_published();
	test_suite_headers();
	test_suite_query();
	test_rejections();
	test_session_token_forms();
	test_uri_encode();
	test_param_order();
	test_credentials();
	return tap_done();
}
