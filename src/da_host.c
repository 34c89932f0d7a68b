/*
 * da_host.c
 *		Recognise Aurora DSQL endpoint names, take the region from them, and
 *		tell an IAM auth token from a password.  Pure string functions; no
 *		locale (ASCII case folding only), no regex library.
 *
 * Choices, all covered by test/unit/test_host.c:
 *
 * - A DSQL name is "<id>.dsql.<region>.on.aws" or
 *   "<id>.dsql-<suffix>.<region>.on.aws": the AWS connectors' regex
 *   \.dsql[^.]*\.([^.]+)\.on\.aws$ narrowed to what da_host.h promises.  So
 *   "x.dsqlx.us-east-1.on.aws" and "x.dsql-.us-east-1.on.aws" are not DSQL
 *   names (da_region_from_host, which follows the regex, still finds a
 *   region in the first).  Every label must be non-empty and made of
 *   letters, digits, '-' and '_'; the id may be more than one label
 *   (the regex allows it); one trailing dot is allowed.
 * - da_region_from_host follows the regex, matched case-insensitively after
 *   dropping one trailing dot; it does not check the region's characters
 *   (see da_region_valid).
 */
#include <stdlib.h>
#include <string.h>

#include "da_host.h"
#include "da_sigv4.h"

#define ON_AWS	".on.aws"

/* ASCII-only tolower, independent of the locale. */
static char
ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;
}

/* Case-insensitive (ASCII) comparison of n bytes. */
static bool
ci_equal(const char *a, const char *b, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		if (ascii_lower(a[i]) != ascii_lower(b[i]))
			return false;
	return true;
}

/* Length of host without one trailing dot. */
static size_t
host_len(const char *host)
{
	size_t		len = strlen(host);

	if (len > 0 && host[len - 1] == '.')
		len--;
	return len;
}

/*
 * Find the "dsql*" and region labels of a name of length len that ends in
 * ".on.aws" (regex \.dsql[^.]*\.([^.]+)\.on\.aws$).  On success sets the
 * start and length of the dsql label and of the region label.
 */
static bool
find_dsql_labels(const char *host, size_t len,
				 size_t *dsql_start, size_t *dsql_len,
				 size_t *region_start, size_t *region_len)
{
	size_t		suffix = strlen(ON_AWS);
	size_t		end;
	size_t		p;

	if (len <= suffix || !ci_equal(host + len - suffix, ON_AWS, suffix))
		return false;
	/* region: [^.]+ just before ".on.aws" */
	end = len - suffix;
	p = end;
	while (p > 0 && host[p - 1] != '.')
		p--;
	if (p == end || p == 0)
		return false;
	*region_start = p;
	*region_len = end - p;
	/* dsql label: "dsql[^.]*" preceded by a '.' */
	end = p - 1;
	p = end;
	while (p > 0 && host[p - 1] != '.')
		p--;
	if (p == 0 || end - p < 4 || !ci_equal(host + p, "dsql", 4))
		return false;
	*dsql_start = p;
	*dsql_len = end - p;
	return true;
}

/* True if the first len bytes are dot-separated, non-empty host labels. */
static bool
labels_ok(const char *host, size_t len)
{
	size_t		i;
	size_t		label = 0;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
	{
		char		c = host[i];

		if (c == '.')
		{
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
		label++;
	}
	return label > 0;
}

/* True if host is a DSQL endpoint name (no pattern matching). */
static bool
is_dsql_name(const char *host)
{
	size_t		len = host_len(host);
	size_t		ds,
				dl,
				rs,
				rl;

	if (!labels_ok(host, len) ||
		!find_dsql_labels(host, len, &ds, &dl, &rs, &rl))
		return false;
	/* "dsql" exactly or "dsql-<suffix>" with a non-empty suffix */
	if (dl != 4 && !(dl > 5 && host[ds + 4] == '-'))
		return false;
	/* a non-empty id before it: labels_ok already rules out ".dsql" */
	return ds >= 2;
}

/* True if pattern ('*' matches any run, even empty) matches host. */
bool
da_glob_match(const char *pattern, const char *host)
{
	const char *p = pattern;
	const char *h = host;
	const char *star = NULL;
	const char *retry = NULL;

	if (pattern == NULL || host == NULL)
		return false;
	while (*h)
	{
		if (*p == '*')
		{
			star = ++p;
			retry = h;
		}
		else if (*p && ascii_lower(*p) == ascii_lower(*h))
		{
			p++;
			h++;
		}
		else if (star)
		{
			p = star;
			h = ++retry;
		}
		else
			return false;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* True if host matches one of the comma-separated patterns. */
static bool
matches_patterns(const char *host, const char *patterns)
{
	const char *p = patterns;

	while (*p)
	{
		const char *start;
		const char *end;
		char	   *one;
		bool		hit;

		while (*p == ' ' || *p == '\t')
			p++;
		start = p;
		while (*p && *p != ',')
			p++;
		end = p;
		if (*p == ',')
			p++;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end == start)
			continue;
		one = malloc((size_t) (end - start) + 1);
		if (one == NULL)
			return false;
		memcpy(one, start, (size_t) (end - start));
		one[end - start] = '\0';
		hit = da_glob_match(one, host);
		if (!hit && host[0] && host[strlen(host) - 1] == '.')
		{
			/* "db.example.com." matches a pattern for "db.example.com" */
			char	   *bare = strdup(host);

			if (bare)
			{
				bare[strlen(bare) - 1] = '\0';
				hit = da_glob_match(one, bare);
				free(bare);
			}
		}
		free(one);
		if (hit)
			return true;
	}
	return false;
}

/* True if host is a DSQL endpoint or matches one of extra_patterns. */
bool
da_host_is_dsql(const char *host, const char *extra_patterns)
{
	if (host == NULL || host[0] == '\0')
		return false;
	if (is_dsql_name(host))
		return true;
	return extra_patterns != NULL && matches_patterns(host, extra_patterns);
}

/* The region label of a DSQL endpoint name, lower-cased; NULL if none. */
char *
da_region_from_host(const char *host)
{
	size_t		ds,
				dl,
				rs,
				rl;
	size_t		i;
	char	   *region;

	if (host == NULL ||
		!find_dsql_labels(host, host_len(host), &ds, &dl, &rs, &rl))
		return NULL;
	region = malloc(rl + 1);
	if (region == NULL)
		return NULL;
	for (i = 0; i < rl; i++)
		region[i] = ascii_lower(host[rs + i]);
	region[rl] = '\0';
	return region;
}

/* True if region is 1..64 characters of [a-z0-9-]. */
bool
da_region_valid(const char *region)
{
	size_t		i;

	if (region == NULL || region[0] == '\0')
		return false;
	for (i = 0; region[i]; i++)
	{
		char		c = region[i];

		if (i >= 64)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

/* True if the n bytes at s are exactly lit. */
static bool
span_is(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* True if password looks like an IAM database auth token. */
bool
da_password_is_token(const char *password)
{
	const char *q;
	const char *p;
	bool		action = false;
	bool		algorithm = false;
	bool		credential = false;
	bool		signature = false;

	if (password == NULL)
		return false;
	q = strstr(password, "/?");
	if (q == NULL || q == password)
		return false;
	/* host[:port] before "/?": no '/', '?', '@', blanks or controls */
	for (p = password; p < q; p++)
		if (*p == '/' || *p == '?' || *p == '@' || *p == '#' ||
			(unsigned char) *p <= ' ' || *p == 0x7f)
			return false;

	/* query: name=value pairs split on '&' */
	p = q + 2;
	while (*p)
	{
		const char *start = p;
		const char *eq;
		const char *val;
		size_t		nlen;
		size_t		vlen;

		while (*p && *p != '&')
		{
			if ((unsigned char) *p <= ' ' || *p == 0x7f)
				return false;
			p++;
		}
		eq = memchr(start, '=', (size_t) (p - start));
		if (eq != NULL)
		{
			nlen = (size_t) (eq - start);
			val = eq + 1;
			vlen = (size_t) (p - val);
			if (span_is(start, nlen, "Action"))
				action = span_is(val, vlen, "DbConnect") ||
					span_is(val, vlen, "DbConnectAdmin") ||
					span_is(val, vlen, "connect");
			else if (span_is(start, nlen, "X-Amz-Algorithm"))
				algorithm = span_is(val, vlen, "AWS4-HMAC-SHA256");
			else if (span_is(start, nlen, "X-Amz-Credential"))
				credential = vlen > 0;
			else if (span_is(start, nlen, "X-Amz-Signature"))
			{
				size_t		i;

				signature = vlen == 64;
				for (i = 0; signature && i < vlen; i++)
					signature = (val[i] >= '0' && val[i] <= '9') ||
						(val[i] >= 'a' && val[i] <= 'f');
			}
		}
		if (*p == '&')
			p++;
	}
	return action && algorithm && credential && signature;
}

/* Parse a token lifetime: decimal digits, DA_EXPIRES_MIN..DA_EXPIRES_MAX. */
bool
da_parse_expires(const char *s, int *out, char **errp)
{
	long		v = 0;
	const char *p;

	if (s == NULL || s[0] == '\0')
	{
		da_seterr(errp, "empty token lifetime: expected whole seconds from %d to %d",
				  DA_EXPIRES_MIN, DA_EXPIRES_MAX);
		return false;
	}
	for (p = s; *p; p++)
	{
		if (*p < '0' || *p > '9')
			break;
		if (v <= DA_EXPIRES_MAX)
			v = v * 10 + (*p - '0');
	}
	if (*p != '\0' || v < DA_EXPIRES_MIN || v > DA_EXPIRES_MAX)
	{
		da_seterr(errp, "invalid token lifetime \"%.64s\": expected whole seconds from %d to %d",
				  s, DA_EXPIRES_MIN, DA_EXPIRES_MAX);
		return false;
	}
	*out = (int) v;
	return true;
}
