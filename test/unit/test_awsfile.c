/*
 * test_awsfile.c
 *		Unit tests for the AWS shared config/credentials file parser.
 *
 * The expectations in parse_cases and profile_cases are botocore's
 * answers: they were produced by running botocore.configloader's
 * raw_config_parse (and build_profile_map's _parse_section) from the AWS
 * CLI v1 (botocore 1.43, Python 3.11) on the same bytes.  A value botocore
 * parses as a nested sub-section is expected as NULL (da_awsfile_get does
 * not return it).  For files botocore rejects, the CLI's message is quoted
 * in a comment and we expect an error naming the same line.  The tests do
 * not need botocore at run time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "da_awsfile.h"

typedef struct lookup
{
	const char *section;
	const char *key;			/* NULL: check da_awsfile_has_section */
	const char *want;			/* NULL: absent; "1" for a present section */
} lookup;

typedef struct parse_case
{
	const char *name;
	const char *text;
	size_t		len;
	const char *err;			/* expected in the message; NULL: success */
	lookup		q[8];
} parse_case;

static const parse_case parse_cases[] = {
	{"basic credentials", "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n", 60, NULL, {{"default", "aws_access_key_id", "AK"}, {"default", "aws_secret_access_key", "SK"}, {"default", "aws_session_token", NULL}}},
	{"colon delimiter and case-folded key", "[default]\nAWS_Access_Key_ID: AK\n", 32, NULL, {{"default", "aws_access_key_id", "AK"}, {"default", "AWS_ACCESS_KEY_ID", "AK"}}},
	{"first delimiter splits", "[a]\nk: a=b\nfoo:bar = baz\nx = y:z\n", 33, NULL, {{"a", "k", "a=b"}, {"a", "foo", "bar = baz"}, {"a", "foo:bar", NULL}, {"a", "x", "y:z"}}},
	{"whitespace trimmed around key and value", "[a]\n   key\t =\t  value with  spaces  \t\n", 38, NULL, {{"a", "key", "value with  spaces"}, {"a", "key\t", NULL}}},
	{"full-line comments, also indented", "# c\n  ; c2\n[a]\n\t# c3\nk = v\n;k2 = v2\n", 36, NULL, {{"a", "k", "v"}, {"a", "k2", NULL}, {"a", ";k2", NULL}}},
	{"no inline comments", "[a]\nk = v # not a comment\nj = w ; nor this\n", 43, NULL, {{"a", "k", "v # not a comment"}, {"a", "j", "w ; nor this"}}},
	{"hash inside key", "[a]\nk#x = v\n", 12, NULL, {{"a", "k#x", "v"}}},
	{"CRLF line endings", "[default]\r\naws_access_key_id = AK\r\naws_secret_access_key = SK\r\n", 63, NULL, {{"default", "aws_access_key_id", "AK"}, {"default", "aws_secret_access_key", "SK"}}},
	{"lone CR line endings", "[default]\raws_access_key_id = AK\raws_secret_access_key = SK\r", 60, NULL, {{"default", "aws_access_key_id", "AK"}, {"default", "aws_secret_access_key", "SK"}}},
	{"no final newline", "[a]\nk = v", 9, NULL, {{"a", "k", "v"}}},
	{"section name not trimmed", "[ default ]\nk = v\n", 18, NULL, {{"default", "k", NULL}, {" default ", "k", "v"}, {"default", NULL, NULL}, {" default ", NULL, "1"}}},
	{"text after ] ignored", "[default] # note\nk = v\n", 23, NULL, {{"default", "k", "v"}, {"default", NULL, "1"}}},
	{"header runs to last ]", "[a]b]c\nk=v\n", 11, NULL, {{"a]b", "k", "v"}, {"a", NULL, NULL}}},
	{"section names case-sensitive", "[Default]\nk=v\n", 14, NULL, {{"Default", "k", "v"}, {"default", "k", NULL}}},
	{"[profile x] vs [x]", "[profile dev]\nk = 1\n[dev]\nk = 2\n", 32, NULL, {{"profile dev", "k", "1"}, {"dev", "k", "2"}}},
	{"continuation lines", "[a]\nk = v\n    x\n  y\nj = w\n", 26, NULL, {{"a", "k", "v\nx\ny"}, {"a", "j", "w"}}},
	{"continuation keeps blank lines, skips comments", "[a]\nk = v\n\n  # c\n  x\n\n\nj = w\n", 29, NULL, {{"a", "k", "v\n\nx"}, {"a", "j", "w"}}},
	{"trailing blank lines stripped", "[a]\nk = v\n\n\n", 12, NULL, {{"a", "k", "v"}}},
	{"tab indentation continues", "[a]\nk = v\n\tx\n", 13, NULL, {{"a", "k", "v\nx"}}},
	{"equal indentation starts a new key", "[a]\n  k = v\n  j = w\n", 20, NULL, {{"a", "k", "v"}, {"a", "j", "w"}}},
	{"shallower indentation starts a new key", "[a]\n  k = v\n j = w\n", 19, NULL, {{"a", "k", "v"}, {"a", "j", "w"}}},
	{"indented header continues a value", "[a]\nk = v\n  [b]\nj = w\n", 22, NULL, {{"a", "k", "v\n[b]"}, {"a", "j", "w"}, {"b", NULL, NULL}}},
	{"indented header after a header is a header", "  [a]\n    [b]\n      k = v\n", 26, NULL, {{"a", NULL, "1"}, {"b", "k", "v"}}},
	{"nested sub-section not top-level", "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\ns3 =\n  max_concurrent_requests = 10\n\n  addressing_style = path\n", 123, NULL, {{"default", "s3", NULL}, {"default", "max_concurrent_requests", NULL}, {"default", "aws_access_key_id", "AK"}}},
	{"nested with blank first line", "[a]\nk =\n\n  x = 1\n  y=2=3\n", 25, NULL, {{"a", "k", NULL}, {"a", "x", NULL}}},
	{"empty value", "[a]\nk =\nj=\n", 11, NULL, {{"a", "k", ""}, {"a", "j", ""}}},
	{"value of only blank continuation", "[a]\nk = \n   \n", 13, NULL, {{"a", "k", ""}}},
	{"DEFAULT section inherited", "[DEFAULT]\nk = d\nj = dj\n[a]\nk = v\n[b]\n", 37, NULL, {{"a", "k", "v"}, {"b", "k", "d"}, {"a", "j", "dj"}, {"DEFAULT", "k", NULL}, {"DEFAULT", NULL, NULL}, {"c", "k", NULL}}},
	{"DEFAULT may appear twice", "[DEFAULT]\nx=1\n[DEFAULT]\ny=2\n[a]\n", 32, NULL, {{"a", "x", "1"}, {"a", "y", "2"}}},
	{"bad nested DEFAULT value unused", "[DEFAULT]\nk=\n  bad\n", 19, NULL, {{"DEFAULT", "k", NULL}}},
	{"Unicode whitespace trimmed", "[a]\nk =\302\240v\302\240\343\200\200\n", 16, NULL, {{"a", "k", "v"}}},
	{"Unicode indentation continues", "[a]\nk = v\n\343\200\200x\n", 15, NULL, {{"a", "k", "v\nx"}}},
	{"vertical tab kept inside value", "[a]\nk = a\013b\n", 12, NULL, {{"a", "k", "a\013b"}}},
	{"form feed line is blank", "[a]\nk=v\n\014\nj=w\n", 14, NULL, {{"a", "k", "v"}, {"a", "j", "w"}}},
	{"UTF-8 value", "[a]\nk = caf\303\251 \342\230\203\n", 18, NULL, {{"a", "k", "caf\303\251 \342\230\203"}}},
	{"[ opens no header without ]", "[a]\n[x=1\n", 9, NULL, {{"a", "[x", "1"}}},
	{"sso-session and services sections", "[sso-session corp]\nsso_region = us-east-1\n[services dev]\ns3 =\n  endpoint_url = http://x\n", 88, NULL, {{"sso-session corp", "sso_region", "us-east-1"}, {"services dev", "s3", NULL}}},
	{"empty file", "", 0, NULL, {{"default", NULL, NULL}}},
	{"only comments", "# nothing\n; here\n", 17, NULL, {{"default", NULL, NULL}}},
	{"UTF-8 BOM", "\357\273\277[default]\nk = v\n", 19, "byte order mark", {{NULL}}},	/* CLI: File contains no section headers. file: '/tmp/gen/f', line: 1 '\ufeff[ */
	{"key before any section", "k = v\n[default]\n", 16, "line 1", {{NULL}}},	/* CLI: File contains no section headers. file: '/tmp/gen/f', line: 1 'k = v\n */
	{"comment then key before any section", "# c\n\nk = v\n", 11, "line 3", {{NULL}}},	/* CLI: File contains no section headers. file: '/tmp/gen/f', line: 3 'k = v\n */
	{"[] is not a header", "[]\n", 3, "line 1", {{NULL}}},	/* CLI: File contains no section headers. file: '/tmp/gen/f', line: 1 '[]\n' */
	{"duplicate section", "[default]\nk = v\n\n[default]\nj = w\n", 33, "line 4", {{NULL}}},	/* CLI: While reading from '/tmp/gen/f' [line  4]: section 'default' already e */
	{"duplicate key", "[default]\nk = v\nK = w\n", 22, "line 3", {{NULL}}},	/* CLI: While reading from '/tmp/gen/f' [line  3]: option 'k' in section 'defa */
	{"duplicate key in DEFAULT", "[DEFAULT]\nx=1\n[DEFAULT]\nx=2\n", 28, "line 4", {{NULL}}},	/* CLI: While reading from '/tmp/gen/f' [line  4]: option 'x' in section 'DEFA */
	{"line without delimiter", "[default]\nk = v\njunk\n", 21, "line 3", {{NULL}}},	/* CLI: Source contains parsing errors: '/tmp/gen/f' 	[line  3]: 'junk\n' */
	{"several bad lines", "[default]\njunk\nmore junk\n", 25, "line 2", {{NULL}}},	/* CLI: Source contains parsing errors: '/tmp/gen/f' 	[line  2]: 'junk\n' 	[li */
	{"empty key", "[a]\n= v\n", 8, "line 2", {{NULL}}},	/* CLI: Source contains parsing errors: '/tmp/gen/f' 	[line  2]: '= v\n' */
	{"bad line then duplicate section", "[a]\njunk\n[a]\n", 13, "line 3", {{NULL}}},	/* CLI: While reading from '/tmp/gen/f' [line  3]: section 'a' already exists */
	{"nested line without =", "[default]\ns3 =\n  max_concurrent_requests 10\n", 44, "line 2", {{NULL}}},	/* CLI: not enough values to unpack (expected 2, got 1) */
	{"nested line with colon only", "[a]\nk =\n  x: 1\n", 15, "line 2", {{NULL}}},	/* CLI: not enough values to unpack (expected 2, got 1) */
	{"bad nested DEFAULT value inherited", "[DEFAULT]\nk=\n  bad\n[a]\n", 23, "line 2", {{NULL}}},	/* CLI: not enough values to unpack (expected 2, got 1) */
	{"invalid UTF-8", "[default]\nk = A\377\376K\n", 19, "line 2", {{NULL}}},	/* CLI: 'utf-8' codec can't decode byte 0xff in position 15: invalid start byt */
	{"binary junk", "\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\003\000>\000", 20, "line 1", {{NULL}}},	/* CLI: File contains no section headers. file: '/tmp/gen/f', line: 1 '\x7fELF */
	{"surrogate encoded in UTF-8", "[a]\nk = \355\240\200\n", 12, "line 2", {{NULL}}},	/* CLI: 'utf-8' codec can't decode byte 0xed in position 8: invalid continuati */
	{"overlong UTF-8", "[a]\n\nk = \300\257\n", 12, "line 3", {{NULL}}},	/* CLI: 'utf-8' codec can't decode byte 0xc0 in position 9: invalid start byte */
	{"CRLF counts one line", "[a]\r\nk=v\r\n\r\njunk\r\n", 18, "line 4", {{NULL}}},	/* CLI: Source contains parsing errors: '/tmp/gen/f' 	[line  4]: 'junk\n' */
};

typedef struct profile_case
{
	const char *text;
	const char *profile;
	const char *section;
} profile_case;

/* botocore build_profile_map: which section is the profile */
static const profile_case profile_cases[] = {
	{"[default]\nk=1\n", "default", "default"},
	{"[profile default]\nk=1\n", "default", "profile default"},
	{"[default]\nk=1\n[profile default]\nk=2\n", "default", "profile default"},
	{"[profile default]\nk=1\n[default]\nk=2\n", "default", "default"},
	{"[default]\nk=1\n", "dev", NULL},
	{"[dev]\nk=1\n", "dev", NULL},
	{"[profile dev]\nk=1\n", "dev", "profile dev"},
	{"[profile   dev]\nk=1\n", "dev", "profile   dev"},
	{"[profile\tdev]\nk=1\n", "dev", "profile\tdev"},
	{"[profile dev]\nk=1\n[profile  dev]\nk=2\n", "dev", "profile  dev"},
	{"[profiles dev]\nk=1\n", "dev", "profiles dev"},
	{"[profile-x dev]\nk=1\n", "dev", "profile-x dev"},
	{"[profile a b]\nk=1\n", "a b", NULL},
	{"[profile a b]\nk=1\n", "b", NULL},
	{"[profile \"a b\"]\nk=1\n", "a b", "profile \"a b\""},
	{"[profile 'a b']\nk=1\n", "a b", "profile 'a b'"},
	{"[profile a\\ b]\nk=1\n", "a b", "profile a\\ b"},
	{"[profile \"a\\\"b\"]\nk=1\n", "a\"b", "profile \"a\\\"b\""},
	{"[profile \"a\\xb\"]\nk=1\n", "a\\xb", "profile \"a\\xb\""},
	{"[profile 'a\\b']\nk=1\n", "a\\b", "profile 'a\\b'"},
	{"[profile \"dev]\nk=1\n", "dev", NULL},
	{"[profile dev\\]\nk=1\n", "dev", NULL},
	{"[profile \"\"]\nk=1\n", "", "profile \"\""},
	{"[profile]\nk=1\n", "profile", NULL},
	{"[profile dev ]\nk=1\n", "dev", "profile dev "},
	{"[ profile dev]\nk=1\n", "dev", NULL},
	{"[Profile dev]\nk=1\n", "dev", NULL},
	{"[profile Dev]\nk=1\n", "dev", NULL},
	{"[profile d\"e\"v]\nk=1\n", "dev", "profile d\"e\"v"},
	{"[sso-session dev]\nk=1\n", "dev", NULL},
	{"[services dev]\nk=1\n", "dev", NULL},
};

static char tmpdir[] = "/tmp/test_awsfile.XXXXXX";

/* Path of a file in the temporary directory (static buffer, tests only). */
static const char *
tmp_path(const char *name)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
	return buf;
}

/* Write len bytes to a file in the temporary directory. */
static void
write_file(const char *name, const char *text, size_t len)
{
	FILE	   *fp = fopen(tmp_path(name), "wb");

	if (fp == NULL || fwrite(text, 1, len, fp) != len)
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

/* Run the table of parses against botocore's answers. */
static void
test_parse_table(void)
{
	size_t		i;
	char		name[512];

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++)
	{
		const parse_case *c = &parse_cases[i];
		char	   *err = NULL;
		da_awsfile *f = da_awsfile_parse(c->text, c->len, "/x/config", &err);
		int			j;

		if (c->err)
		{
			snprintf(name, sizeof(name), "%s: rejected", c->name);
			tap_ok(f == NULL && err != NULL, name);
			snprintf(name, sizeof(name), "%s: message names file and \"%s\"",
					 c->name, c->err);
			if (!tap_ok(contains(err, "\"/x/config\"") && contains(err, c->err),
						name))
				printf("#   got: %s\n", err ? err : "(null)");
			free(err);
			da_awsfile_free(f);
			continue;
		}
		snprintf(name, sizeof(name), "%s: parses", c->name);
		if (!tap_ok(f != NULL && err == NULL, name))
			printf("#   error: %s\n", err ? err : "(null)");
		for (j = 0; j < 8 && c->q[j].section; j++)
		{
			const lookup *q = &c->q[j];

			if (q->key == NULL)
			{
				snprintf(name, sizeof(name), "%s: section [%s] %s", c->name,
						 q->section, q->want ? "exists" : "does not exist");
				tap_ok(da_awsfile_has_section(f, q->section) == (q->want != NULL),
					   name);
			}
			else
			{
				snprintf(name, sizeof(name), "%s: [%s] %s", c->name,
						 q->section, q->key);
				tap_is_str(da_awsfile_get(f, q->section, q->key), q->want, name);
			}
		}
		free(err);
		da_awsfile_free(f);
	}
}

/* Run the table of profile-section choices against botocore's. */
static void
test_profile_table(void)
{
	size_t		i;
	char		name[512];

	for (i = 0; i < sizeof(profile_cases) / sizeof(profile_cases[0]); i++)
	{
		const profile_case *c = &profile_cases[i];
		char	   *err = NULL;
		da_awsfile *f = da_awsfile_parse(c->text, strlen(c->text), "t", &err);
		char	   *p;

		snprintf(name, sizeof(name), "profile \"%s\" in %s", c->profile,
				 c->text);
		for (p = name; *p; p++)
			if (*p == '\n' || *p == '\t')
				*p = ' ';
		if (f == NULL)
		{
			tap_ok(0, name);
			free(err);
			continue;
		}
		tap_is_str(da_awsfile_profile_section(f, c->profile), c->section, name);
		da_awsfile_free(f);
	}
}

/* Where we deliberately differ from botocore, and robustness. */
static void
test_special(void)
{
	char	   *err = NULL;
	da_awsfile *f;
	char	   *big;
	size_t		i;
	size_t		n;

	/* botocore keeps a NUL inside the value; C strings cannot */
	f = da_awsfile_parse("[a]\nk = A\0K\n", 11, "/x/c", &err);
	tap_ok(f == NULL && contains(err, "line 2") && contains(err, "NUL"),
		   "NUL byte rejected with its line");
	free(err);
	err = NULL;

	/* a 3 KB session token and a 1 MiB value, no fixed buffers */
	big = malloc(1024 * 1024 + 4096);
	n = (size_t) sprintf(big, "[default]\naws_session_token = ");
	for (i = 0; i < 3000; i++)
		big[n++] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i % 64];
	n += (size_t) sprintf(big + n, "\nlong = ");
	for (i = 0; i < 1024 * 1024; i++)
		big[n++] = 'x';
	big[n++] = '\n';
	f = da_awsfile_parse(big, n, "/x/c", &err);
	tap_ok(f != NULL, "3 KB token and 1 MiB line parse");
	{
		const char *tok = da_awsfile_get(f, "default", "aws_session_token");
		const char *lng = da_awsfile_get(f, "default", "long");

		tap_ok(tok && strlen(tok) == 3000 && tok[2999] == '3' &&
			   strncmp(tok, "ABCD", 4) == 0, "3 KB token read whole");
		tap_ok(lng && strlen(lng) == 1024 * 1024, "1 MiB value read whole");
	}
	da_awsfile_free(f);
	free(big);
	free(err);
	err = NULL;

	/* many sections and keys (hash tables, no quadratic time) */
	{
		size_t		cap = 8 * 1024 * 1024;
		char	   *t = malloc(cap);
		size_t		len = 0;
		int			s;
		int			k;
		bool		ok = true;

		for (s = 0; s < 2000; s++)
		{
			len += (size_t) sprintf(t + len, "[profile p%d]\n", s);
			for (k = 0; k < 50; k++)
				len += (size_t) sprintf(t + len, "Key%d = v%d.%d\n", k, s, k);
		}
		f = da_awsfile_parse(t, len, "/x/c", &err);
		for (s = 0; f && s < 2000; s += 7)
		{
			char		sect[32];
			char		want[32];

			snprintf(sect, sizeof(sect), "profile p%d", s);
			snprintf(want, sizeof(want), "v%d.%d", s, s % 50);
			snprintf(t, 32, "KEY%d", s % 50);
			if (!da_awsfile_get(f, sect, t) ||
				strcmp(da_awsfile_get(f, sect, t), want) != 0)
				ok = false;
		}
		tap_ok(f != NULL && ok, "2000 sections x 50 keys");
		da_awsfile_free(f);
		free(err);
		err = NULL;
		free(t);
	}

	/* too big */
	{
		size_t		len = 16 * 1024 * 1024 + 1;
		char	   *t = calloc(1, len);

		memcpy(t, "[a]\n", 4);
		memset(t + 4, '#', len - 4);
		f = da_awsfile_parse(t, len, "/x/c", &err);
		tap_ok(f == NULL && contains(err, "16 MiB"), "parse refuses over 16 MiB");
		free(err);
		err = NULL;
		free(t);
	}

	/* lookups */
	f = da_awsfile_parse("[DEFAULT]\nk = d\n[a]\nn =\n  x = 1\n", 31, "c", &err);
	tap_ok(f != NULL, "lookup file parses");
	tap_ok(!da_awsfile_has_section(f, "DEFAULT"), "DEFAULT is not a section");
	tap_ok(da_awsfile_get(f, "a", "x") == NULL, "nested key is not top-level");
	tap_ok(da_awsfile_get(f, "a", "n") == NULL, "nested value is not a string");
	tap_is_str(da_awsfile_get(f, "a", "K"), "d", "lookup key case-insensitive");
	tap_ok(da_awsfile_get(NULL, "a", "k") == NULL &&
		   !da_awsfile_has_section(NULL, "a") &&
		   da_awsfile_profile_section(NULL, "a") == NULL, "NULL file is empty");
	da_awsfile_free(f);
	da_awsfile_free(NULL);
	free(err);
	err = NULL;

	/* no secret in messages */
	f = da_awsfile_parse("[default]\naws_secret_access_key = S3CR3T\n  wJalrXUtnFEMI\nwJalrXUtnFEMI/K7MDENG\n",
						 79, "c", &err);
	tap_ok(f == NULL && err && !contains(err, "S3CR3T") &&
		   !contains(err, "wJalr") && contains(err, "line 4"),
		   "bad line reported without its contents");
	free(err);
	err = NULL;
}

/* da_awsfile_load: missing, directories, special files, sizes. */
static void
test_load(void)
{
	bool		missing = true;
	char	   *err = NULL;
	da_awsfile *f;
	int			fd;
	const char *good = "[default]\r\naws_access_key_id = AK\r\n";

	write_file("good", good, strlen(good));
	f = da_awsfile_load(tmp_path("good"), &missing, &err);
	tap_ok(f && !missing && !err, "load a file");
	tap_is_str(da_awsfile_get(f, "default", "aws_access_key_id"), "AK",
			   "loaded value");
	da_awsfile_free(f);

	f = da_awsfile_load(tmp_path("nope"), &missing, &err);
	tap_ok(!f && missing && !err, "missing file: missing, no message");

	f = da_awsfile_load(tmp_path("good/sub"), &missing, &err);
	tap_ok(!f && missing && !err, "path through a file (ENOTDIR) is missing");

	f = da_awsfile_load(tmpdir, &missing, &err);
	tap_ok(!f && !missing && contains(err, "directory") && contains(err, tmpdir),
		   "directory is an error naming it");
	free(err);
	err = NULL;

	f = da_awsfile_load("/dev/null", &missing, &err);
	tap_ok(!f && missing && !err, "/dev/null counts as missing, as in botocore");

	if (mkfifo(tmp_path("fifo"), 0600) == 0)
	{
		f = da_awsfile_load(tmp_path("fifo"), &missing, &err);
		tap_ok(!f && missing && !err, "FIFO counts as missing and does not block");
	}

	if (symlink("loop", tmp_path("loop")) == 0)
	{
		f = da_awsfile_load(tmp_path("loop"), &missing, &err);
		tap_ok(!f && !missing && contains(err, "could not open"),
			   "unopenable file (symlink loop) is an error");
		free(err);
		err = NULL;
	}

	write_file("noread", good, strlen(good));
	chmod(tmp_path("noread"), 0);
	if (geteuid() == 0)
		tap_ok(1, "unreadable file # SKIP running as root");
	else
	{
		f = da_awsfile_load(tmp_path("noread"), &missing, &err);
		tap_ok(!f && !missing && contains(err, "ermission"),
			   "unreadable file is an error");
		free(err);
		err = NULL;
	}

	fd = open(tmp_path("huge"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0)
	{
		if (ftruncate(fd, 16 * 1024 * 1024 + 1) != 0)
			tap_diag("ftruncate failed");
		close(fd);
		f = da_awsfile_load(tmp_path("huge"), &missing, &err);
		tap_ok(!f && !missing && contains(err, "16 MiB"),
			   "file over 16 MiB refused");
		free(err);
		err = NULL;
	}

	write_file("bad", "[a]\n[a]\n", 8);
	f = da_awsfile_load(tmp_path("bad"), &missing, &err);
	tap_ok(!f && !missing && contains(err, tmp_path("bad")) &&
		   contains(err, "line 2"), "syntax error names file and line");
	free(err);
	err = NULL;
}

int
main(void)
{
	char		cmd[256];

	if (mkdtemp(tmpdir) == NULL)
	{
		perror("mkdtemp");
		return 1;
	}
	test_parse_table();
	test_profile_table();
	test_special();
	test_load();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		tap_diag("could not remove the temporary directory");
	return tap_done();
}
