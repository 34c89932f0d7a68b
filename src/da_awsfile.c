/*
 * da_awsfile.c
 *		Parser for the AWS shared config and credentials files.
 *
 * The AWS CLI (v1, botocore 1.43) reads these files with
 * botocore.configloader.raw_config_parse, which is Python's
 * configparser.RawConfigParser() with default options, followed by
 * botocore's own handling of "nested" values.  We follow that code line
 * by line, so that a file means the same to us as to the CLI:
 *
 *	- The file is decoded as UTF-8 (the CLI's locale encoding on our
 *	  platforms); undecodable bytes make the whole file unreadable.
 *	- Lines end at "\n", "\r\n" or a lone "\r" (universal newlines).
 *	- "Whitespace" is Python's str.isspace() set, which includes \v, \f,
 *	  \x1c-\x1f, U+0085, U+00A0, U+2000-U+200A, U+3000 and friends, not
 *	  just blanks and tabs; it is used for stripping and for indentation,
 *	  which is counted in characters, not bytes.
 *	- A line whose stripped text starts with '#' or ';' is a comment, also
 *	  when indented.  There are no inline comments: "key = v # x" has the
 *	  value "v # x".
 *	- A line indented deeper than the line that started the current option
 *	  continues that option's value (joined with "\n"); blank lines inside
 *	  a value are kept, comment lines are skipped, and the joined value is
 *	  right-stripped.
 *	- "[name]" starts a section: the stripped line must start with '[' and
 *	  the name runs to the last ']' on the line (anything after it is
 *	  ignored, as configparser's regex does); the name is not trimmed, so
 *	  "[ default ]" is the section " default ", which is not a profile.
 *	  Section names are case-sensitive.  "[DEFAULT]" is configparser's
 *	  defaults section: it is not a section itself, but its keys are seen
 *	  in every section that does not set them.
 *	- Any other line is "key = value" or "key: value", split at the first
 *	  '=' or ':'; the key is stripped and lower-cased, the value stripped.
 *	- Errors, like strict RawConfigParser: a duplicate section or a
 *	  duplicate key within a section stops at once; so does a line before
 *	  the first section header; other bad lines (no delimiter, empty key)
 *	  are collected and reported at the end.  botocore turns any of these
 *	  into ConfigParseError for the whole file, and so do we.
 *	- A value that starts with a newline ("s3 =" followed by indented
 *	  lines) is botocore's nested form: each non-blank line must contain
 *	  '=' (else ConfigParseError).  We keep such a value, but
 *	  da_awsfile_get() does not return it: its sub-keys are never mistaken
 *	  for keys of the section, and it is never used as a credential.
 *
 * Deliberate differences from the CLI, each in the direction of a clear
 * error rather than a silent surprise:
 *	- A UTF-8 byte order mark: the CLI fails with "File contains no section
 *	  headers"; we fail too, but say that the BOM is the problem.
 *	- A NUL byte: Python keeps it inside a value; C strings cannot, so we
 *	  reject the file.
 *	- Files over 16 MiB are refused.
 *	- Keys are lower-cased in ASCII only; Python lower-cases all of Unicode
 *	  (this only matters for non-ASCII keys, which AWS never uses).
 *	- da_awsfile_load: a directory or an unreadable file is an error; the
 *	  CLI treats a directory as absent and silently ignores a file it cannot
 *	  open.  Other non-regular files (/dev/null, FIFOs) count as absent, as
 *	  in the CLI (os.path.isfile is false for them).
 *	- When a file has several problems we name the first line the CLI
 *	  would complain about, not all of them.
 *
 * Values may be secrets: every copy is wiped before it is freed.  Messages
 * name files, lines, sections and keys, never values or line contents.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "da_awsfile.h"

#define DA_AWSFILE_MAX_SIZE ((size_t) 16 * 1024 * 1024)

/* configparser's name for its defaults section */
#define DEFAULT_SECTION "DEFAULT"

#define NONE ((size_t) -1)

typedef struct awssect
{
	char	   *name;
	size_t		line;
} awssect;

typedef struct awsopt
{
	size_t		sect;			/* index into sects; 0 is DEFAULT */
	char	   *key;			/* lower-cased */
	da_buf		value;
	size_t		line;
	bool		nested;			/* botocore's nested sub-section */
} awsopt;

struct da_awsfile
{
	awssect    *sects;			/* sects[0] is the DEFAULT pseudo-section */
	size_t		nsects;
	size_t		sects_cap;
	awsopt	   *opts;
	size_t		nopts;
	size_t		opts_cap;
	size_t	   *sect_hash;		/* open addressing: index + 1, 0 = empty */
	size_t		sect_hash_cap;
	size_t	   *opt_hash;
	size_t		opt_hash_cap;
};

typedef struct parser
{
	da_awsfile *f;
	const char *path;
	char	  **errp;
	size_t		lineno;
	size_t		cursect;		/* NONE before the first header */
	size_t		curopt;			/* option continuation lines extend */
	bool		optname;		/* configparser's "optname" is truthy */
	size_t		indent_level;
	size_t		bad_line;		/* first line of a deferred ParsingError */
	size_t		bad_count;
	const char *bad_what;
} parser;

/* Length in bytes of the UTF-8 sequence starting with lead byte c. */
static size_t
cp_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c < 0xE0)
		return 2;
	if (c < 0xF0)
		return 3;
	return 4;
}

/*
 * If the (valid UTF-8) character at p is whitespace by Python's
 * str.isspace(), its length in bytes, else 0.
 */
static size_t
ws_len(const char *p, const char *end)
{
	const unsigned char *u = (const unsigned char *) p;
	size_t		avail = (size_t) (end - p);

	if (avail == 0)
		return 0;
	if ((u[0] >= 0x09 && u[0] <= 0x0D) || (u[0] >= 0x1C && u[0] <= 0x20))
		return 1;
	if (avail >= 2 && u[0] == 0xC2 && (u[1] == 0x85 || u[1] == 0xA0))
		return 2;
	if (avail < 3)
		return 0;
	if (u[0] == 0xE1 && u[1] == 0x9A && u[2] == 0x80)	/* U+1680 */
		return 3;
	if (u[0] == 0xE2 && u[1] == 0x80 &&
		(u[2] <= 0x8A || u[2] == 0xA8 || u[2] == 0xA9 || u[2] == 0xAF))
		return 3;				/* U+2000-200A, 2028, 2029, 202F */
	if (u[0] == 0xE2 && u[1] == 0x81 && u[2] == 0x9F)	/* U+205F */
		return 3;
	if (u[0] == 0xE3 && u[1] == 0x80 && u[2] == 0x80)	/* U+3000 */
		return 3;
	return 0;
}

/* Skip leading whitespace; returns the new start. */
static const char *
lstrip(const char *s, const char *e)
{
	size_t		n;

	while (s < e && (n = ws_len(s, e)) > 0)
		s += n;
	return s;
}

/* Drop trailing whitespace; returns the new end. */
static const char *
rstrip(const char *s, const char *e)
{
	while (e > s)
	{
		const char *q = e - 1;

		while (q > s && ((unsigned char) *q & 0xC0) == 0x80)
			q--;
		if (ws_len(q, e) != (size_t) (e - q))
			break;
		e = q;
	}
	return e;
}

/*
 * If a Python str.splitlines() line boundary starts at p, its length
 * ("\r\n" is one boundary), else 0.
 */
static size_t
linebreak_len(const char *p, const char *end)
{
	const unsigned char *u = (const unsigned char *) p;
	size_t		avail = (size_t) (end - p);

	if (avail == 0)
		return 0;
	if (u[0] == '\r')
		return (avail >= 2 && u[1] == '\n') ? 2 : 1;
	if (u[0] == '\n' || u[0] == 0x0B || u[0] == 0x0C ||
		(u[0] >= 0x1C && u[0] <= 0x1E))
		return 1;
	if (avail >= 2 && u[0] == 0xC2 && u[1] == 0x85)
		return 2;
	if (avail >= 3 && u[0] == 0xE2 && u[1] == 0x80 &&
		(u[2] == 0xA8 || u[2] == 0xA9))
		return 3;
	return 0;
}

/*
 * Length of a valid UTF-8 sequence at p (as Python's strict decoder
 * accepts: no overlong forms, no surrogates, at most U+10FFFF), or 0.
 */
static size_t
utf8_valid_len(const unsigned char *p, size_t avail)
{
	unsigned char c = p[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return (avail >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF)
	{
		if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && p[1] < 0xA0)
			return 0;			/* overlong */
		if (c == 0xED && p[1] >= 0xA0)
			return 0;			/* surrogate */
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4)
	{
		if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
			(p[3] & 0xC0) != 0x80)
			return 0;
		if (c == 0xF0 && p[1] < 0x90)
			return 0;			/* overlong */
		if (c == 0xF4 && p[1] >= 0x90)
			return 0;			/* above U+10FFFF */
		return 4;
	}
	return 0;
}

/* Line number (1-based, universal newlines) of byte offset off. */
static size_t
line_of(const char *text, size_t off)
{
	size_t		line = 1;
	size_t		i;

	for (i = 0; i < off; i++)
	{
		if (text[i] == '\n')
			line++;
		else if (text[i] == '\r' && !(i + 1 < off && text[i + 1] == '\n'))
			line++;
	}
	return line;
}

/*
 * Reject what cannot be text the CLI reads: a BOM, bytes that are not
 * UTF-8, and NUL bytes.
 */
static bool
check_encoding(const char *text, size_t len, const char *path, char **errp)
{
	const unsigned char *u = (const unsigned char *) text;
	size_t		i = 0;

	if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
	{
		da_seterr(errp, "\"%s\", line 1: the file starts with a UTF-8 byte order mark (BOM), which the AWS CLI cannot parse either; save the file without a BOM",
				  path);
		return false;
	}
	while (i < len)
	{
		size_t		n;

		if (u[i] == '\0')
		{
			da_seterr(errp, "\"%s\", line %zu: the file contains a NUL byte; it must be a plain text file",
					  path, line_of(text, i));
			return false;
		}
		n = utf8_valid_len(u + i, len - i);
		if (n == 0)
		{
			da_seterr(errp, "\"%s\", line %zu: the file is not valid UTF-8 text, so the AWS CLI cannot read it either; fix or remove the line",
					  path, line_of(text, i));
			return false;
		}
		i += n;
	}
	return true;
}

/* FNV-1a over s (ASCII lower-cased when fold) mixed with seed. */
static size_t
hash_str(const char *s, size_t seed, bool fold)
{
	uint64_t	h = 1469598103934665603ULL ^ (uint64_t) seed;

	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (fold && c >= 'A' && c <= 'Z')
			c = (unsigned char) (c - 'A' + 'a');
		h ^= c;
		h *= 1099511628211ULL;
	}
	return (size_t) (h ^ (h >> 29));
}

/* ASCII case-insensitive string equality. */
static bool
key_equal(const char *a, const char *b)
{
	for (;; a++, b++)
	{
		unsigned char ca = (unsigned char) *a;
		unsigned char cb = (unsigned char) *b;

		if (ca >= 'A' && ca <= 'Z')
			ca = (unsigned char) (ca - 'A' + 'a');
		if (cb >= 'A' && cb <= 'Z')
			cb = (unsigned char) (cb - 'A' + 'a');
		if (ca != cb)
			return false;
		if (ca == '\0')
			return true;
	}
}

/* Index of the real section called name, or NONE. */
static size_t
sect_find(const da_awsfile *f, const char *name)
{
	size_t		mask;
	size_t		i;

	if (f->sect_hash_cap == 0)
		return NONE;
	mask = f->sect_hash_cap - 1;
	for (i = hash_str(name, 0, false) & mask; f->sect_hash[i]; i = (i + 1) & mask)
	{
		size_t		idx = f->sect_hash[i] - 1;

		if (strcmp(f->sects[idx].name, name) == 0)
			return idx;
	}
	return NONE;
}

/* Index of key (case-insensitive) in section sect, or NONE. */
static size_t
opt_find(const da_awsfile *f, size_t sect, const char *key)
{
	size_t		mask;
	size_t		i;

	if (f->opt_hash_cap == 0)
		return NONE;
	mask = f->opt_hash_cap - 1;
	for (i = hash_str(key, sect, true) & mask; f->opt_hash[i]; i = (i + 1) & mask)
	{
		size_t		idx = f->opt_hash[i] - 1;

		if (f->opts[idx].sect == sect && key_equal(f->opts[idx].key, key))
			return idx;
	}
	return NONE;
}

/* Put index idx (0-based) into the first free slot for hash h. */
static void
hash_put(size_t *table, size_t cap, size_t h, size_t idx)
{
	size_t		mask = cap - 1;
	size_t		j;

	for (j = h & mask; table[j]; j = (j + 1) & mask)
		;
	table[j] = idx + 1;
}

/*
 * Enter the newest section and option (if any) into the hash tables,
 * doubling a table (and re-entering everything) when it gets half full.
 */
static bool
hash_add(da_awsfile *f, bool sect)
{
	size_t	  **table = sect ? &f->sect_hash : &f->opt_hash;
	size_t	   *cap = sect ? &f->sect_hash_cap : &f->opt_hash_cap;
	size_t		n = sect ? f->nsects : f->nopts;
	size_t		i;

	if (n * 2 > *cap)
	{
		size_t		newcap = *cap ? *cap * 2 : 16;

		while (newcap < n * 2)
			newcap *= 2;
		if (newcap > SIZE_MAX / sizeof(size_t))
			return false;
		free(*table);
		*table = calloc(newcap, sizeof(size_t));
		if (*table == NULL)
		{
			*cap = 0;
			return false;
		}
		*cap = newcap;
		for (i = sect ? 1 : 0; i + 1 < n; i++)
		{
			if (sect)
				hash_put(*table, *cap, hash_str(f->sects[i].name, 0, false), i);
			else
				hash_put(*table, *cap,
						 hash_str(f->opts[i].key, f->opts[i].sect, true), i);
		}
	}
	if (sect && n - 1 == 0)
		return true;			/* the DEFAULT pseudo-section is not hashed */
	if (sect)
		hash_put(*table, *cap, hash_str(f->sects[n - 1].name, 0, false), n - 1);
	else
		hash_put(*table, *cap,
				 hash_str(f->opts[n - 1].key, f->opts[n - 1].sect, true), n - 1);
	return true;
}

/* Grow an array of elements of size elem to hold need of them. */
static bool
array_reserve(void **arr, size_t *cap, size_t elem, size_t need)
{
	size_t		newcap = *cap ? *cap : 8;
	void	   *p;

	if (need <= *cap)
		return true;
	while (newcap < need)
	{
		if (newcap > SIZE_MAX / 2 / elem)
			return false;
		newcap *= 2;
	}
	p = realloc(*arr, newcap * elem);
	if (p == NULL)
		return false;
	*arr = p;
	*cap = newcap;
	return true;
}

/* Copy [s, e) into a new string. */
static char *
dup_range(const char *s, const char *e)
{
	size_t		n = (size_t) (e - s);
	char	   *r = malloc(n + 1);

	if (r)
	{
		memcpy(r, s, n);
		r[n] = '\0';
	}
	return r;
}

/* Add a section; returns its index or NONE on OOM. */
static size_t
add_section(da_awsfile *f, const char *s, const char *e, size_t line)
{
	char	   *name = dup_range(s, e);

	if (name == NULL ||
		!array_reserve((void **) &f->sects, &f->sects_cap, sizeof(awssect),
					   f->nsects + 1))
	{
		free(name);
		return NONE;
	}
	f->sects[f->nsects].name = name;
	f->sects[f->nsects].line = line;
	f->nsects++;
	if (!hash_add(f, true))
		return NONE;
	return f->nsects - 1;
}

/* Add key = value to section sect; returns its index or NONE on OOM. */
static size_t
add_option(da_awsfile *f, size_t sect, const char *ks, const char *ke,
		   const char *vs, const char *ve, size_t line)
{
	awsopt	   *o;
	char	   *key;
	char	   *c;

	key = dup_range(ks, ke);
	if (key == NULL ||
		!array_reserve((void **) &f->opts, &f->opts_cap, sizeof(awsopt),
					   f->nopts + 1))
	{
		free(key);
		return NONE;
	}
	for (c = key; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char) (*c - 'A' + 'a');
	o = &f->opts[f->nopts];
	o->sect = sect;
	o->key = key;
	o->line = line;
	o->nested = false;
	da_buf_init(&o->value);
	f->nopts++;
	if (!da_buf_append_len(&o->value, vs, (size_t) (ve - vs)) ||
		!hash_add(f, false))
		return NONE;
	return f->nopts - 1;
}

/*
 * A printable rendering of a section or key name for a message (control
 * characters replaced, at most 80 bytes), built in b, which the caller
 * frees.
 */
static const char *
show(da_buf *b, const char *s)
{
	size_t		n = 0;

	da_buf_init(b);
	for (; *s && n < 80; s++, n++)
		da_buf_appendc(b, ((unsigned char) *s < 0x20 || *s == 0x7F) ? '?' : *s);
	if (*s)
		da_buf_append(b, "...");
	return b->data ? b->data : "";
}

/* Handle "[name]"; false on a fatal error. */
static bool
parse_section(parser *ps, const char *s, const char *e)
{
	da_awsfile *f = ps->f;
	size_t		idx;

	if ((size_t) (e - s) == strlen(DEFAULT_SECTION) &&
		memcmp(s, DEFAULT_SECTION, (size_t) (e - s)) == 0)
		ps->cursect = 0;
	else
	{
		char	   *name = dup_range(s, e);

		if (name == NULL)
		{
			da_seterr(ps->errp, "out of memory");
			return false;
		}
		idx = sect_find(f, name);
		if (idx != NONE)
		{
			da_buf		b;

			da_seterr(ps->errp, "\"%s\", line %zu: section [%s] appears a second time (first at line %zu), which the AWS CLI rejects; merge the two sections",
					  ps->path, ps->lineno, show(&b, name), f->sects[idx].line);
			da_buf_free(&b);
			free(name);
			return false;
		}
		free(name);
		idx = add_section(f, s, e, ps->lineno);
		if (idx == NONE)
		{
			da_seterr(ps->errp, "out of memory");
			return false;
		}
		ps->cursect = idx;
	}
	ps->optname = false;
	ps->curopt = NONE;
	return true;
}

/* Record a bad line, reported at the end as configparser does. */
static void
bad_line(parser *ps, const char *what)
{
	if (ps->bad_count++ == 0)
	{
		ps->bad_line = ps->lineno;
		ps->bad_what = what;
	}
}

/* Handle "key = value" (or a bad line); false on a fatal error. */
static bool
parse_option(parser *ps, const char *s, const char *e)
{
	da_awsfile *f = ps->f;
	const char *d;
	const char *ke;
	size_t		idx;

	for (d = s; d < e && *d != '=' && *d != ':'; d++)
		;
	if (d == e)
	{
		/* configparser keeps optname, so indented lines still continue */
		bad_line(ps, "is not \"key = value\", a [section] header or a comment");
		return true;
	}
	ke = rstrip(s, d);
	if (ke == s)
		bad_line(ps, "has no key name before the '=' or ':'");
	{
		char	   *key = dup_range(s, ke);
		char	   *c;

		if (key == NULL)
		{
			da_seterr(ps->errp, "out of memory");
			return false;
		}
		for (c = key; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char) (*c - 'A' + 'a');
		idx = opt_find(f, ps->cursect, key);
		if (idx != NONE)
		{
			da_buf		b1;
			da_buf		b2;

			da_seterr(ps->errp, "\"%s\", line %zu: key \"%s\" appears a second time in section [%s] (first at line %zu), which the AWS CLI rejects; keep only one",
					  ps->path, ps->lineno, show(&b1, key),
					  show(&b2, f->sects[ps->cursect].name), f->opts[idx].line);
			da_buf_free(&b1);
			da_buf_free(&b2);
			free(key);
			return false;
		}
		free(key);
	}
	idx = add_option(f, ps->cursect, s, ke, lstrip(d + 1, e), e, ps->lineno);
	if (idx == NONE)
	{
		da_seterr(ps->errp, "out of memory");
		return false;
	}
	ps->curopt = idx;
	ps->optname = (ke != s);
	return true;
}

/* Process one line [ls, le) (without its line break); false on fatal error. */
static bool
parse_line(parser *ps, const char *ls, const char *le)
{
	const char *s = lstrip(ls, le);
	const char *e = rstrip(s, le);
	size_t		indent = 0;
	const char *p;

	if (s == e)
	{
		/* empty line: part of the current value (empty_lines_in_values) */
		if (ps->cursect != NONE && ps->optname)
		{
			if (!da_buf_appendc(&ps->f->opts[ps->curopt].value, '\n'))
			{
				da_seterr(ps->errp, "out of memory");
				return false;
			}
		}
		return true;
	}
	if (*s == '#' || *s == ';')
		return true;			/* comment, even when indented */

	for (p = ls; p < s; p += cp_len((unsigned char) *p))
		indent++;

	if (ps->cursect != NONE && ps->optname && indent > ps->indent_level)
	{
		da_buf	   *v = &ps->f->opts[ps->curopt].value;

		if (!da_buf_appendc(v, '\n') ||
			!da_buf_append_len(v, s, (size_t) (e - s)))
		{
			da_seterr(ps->errp, "out of memory");
			return false;
		}
		return true;
	}

	ps->indent_level = indent;
	if (*s == '[')
	{
		/* configparser: \[(?P<header>.+)\] -- up to the last ']' */
		const char *rb = NULL;

		for (p = s + 2; p < e; p++)
			if (*p == ']')
				rb = p;
		if (rb)
			return parse_section(ps, s + 1, rb);
	}
	if (ps->cursect == NONE)
	{
		da_seterr(ps->errp, "\"%s\", line %zu: text before the first [section] header, which the AWS CLI rejects; start the file with a header such as [default]",
				  ps->path, ps->lineno);
		return false;
	}
	return parse_option(ps, s, e);
}

/*
 * Check a value that botocore parses as a nested sub-section: every
 * non-blank line must contain '='.  Returns false with *errp otherwise.
 */
static bool
check_nested(parser *ps, const awsopt *o)
{
	const char *p = o->value.data;
	const char *end = p + o->value.len;

	while (p < end)
	{
		const char *ls = p;
		const char *s;
		const char *e;
		size_t		n = 0;

		while (p < end && (n = linebreak_len(p, end)) == 0)
			p += cp_len((unsigned char) *p);
		s = lstrip(ls, p);
		e = rstrip(s, p);
		if (s < e && memchr(s, '=', (size_t) (e - s)) == NULL)
		{
			da_buf		b;

			da_seterr(ps->errp, "\"%s\", line %zu: the indented lines under \"%s\" must each be \"key = value\" (botocore reads them as a nested section); fix the indentation or the lines",
					  ps->path, o->line, show(&b, o->key));
			da_buf_free(&b);
			return false;
		}
		p += n;
	}
	return true;
}

/*
 * After the whole file is read: right-strip values, mark botocore's nested
 * values and check them, as raw_config_parse does for each section.
 */
static bool
finish(parser *ps)
{
	da_awsfile *f = ps->f;
	size_t		i;

	for (i = 0; i < f->nopts; i++)
	{
		awsopt	   *o = &f->opts[i];
		const char *s = o->value.data;
		const char *e = rstrip(s, s + o->value.len);

		da_wipe(o->value.data + (e - s), o->value.len - (size_t) (e - s));
		o->value.len = (size_t) (e - s);
		o->value.data[o->value.len] = '\0';
		o->nested = (o->value.len > 0 && o->value.data[0] == '\n');
	}
	for (i = 0; i < f->nopts; i++)
	{
		awsopt	   *o = &f->opts[i];

		if (!o->nested)
			continue;
		if (o->sect == 0)
		{
			/* a DEFAULT value counts only where some section inherits it */
			size_t		j;
			bool		inherited = false;

			for (j = 1; j < f->nsects && !inherited; j++)
				inherited = (opt_find(f, j, o->key) == NONE);
			if (!inherited)
				continue;
		}
		if (!check_nested(ps, o))
			return false;
	}
	return true;
}

/* Parse file contents (see header). */
da_awsfile *
da_awsfile_parse(const char *text, size_t len, const char *path, char **errp)
{
	parser		ps;
	const char *p;
	const char *end;

	if (path == NULL)
		path = "(AWS config)";
	if (text == NULL)
		text = "";
	if (len > DA_AWSFILE_MAX_SIZE)
	{
		da_seterr(errp, "\"%s\": the file is larger than 16 MiB, too large for an AWS config or credentials file",
				  path);
		return NULL;
	}
	if (!check_encoding(text, len, path, errp))
		return NULL;

	p = text;
	end = text + len;
	memset(&ps, 0, sizeof(ps));
	ps.f = calloc(1, sizeof(da_awsfile));
	ps.path = path;
	ps.errp = errp;
	ps.cursect = NONE;
	ps.curopt = NONE;
	if (ps.f == NULL ||
		add_section(ps.f, DEFAULT_SECTION,
					DEFAULT_SECTION + strlen(DEFAULT_SECTION), 0) != 0)
	{
		da_seterr(errp, "out of memory");
		da_awsfile_free(ps.f);
		return NULL;
	}

	while (p < end)
	{
		const char *ls = p;

		while (p < end && *p != '\n' && *p != '\r')
			p++;
		ps.lineno++;
		if (!parse_line(&ps, ls, p))
			goto fail;
		if (p < end && *p == '\r' && p + 1 < end && p[1] == '\n')
			p += 2;
		else if (p < end)
			p++;
	}
	if (ps.bad_count > 0)
	{
		if (ps.bad_count > 1)
			da_seterr(errp, "\"%s\", line %zu: the line %s (and %zu more lines have problems), which the AWS CLI rejects; fix or remove it",
					  path, ps.bad_line, ps.bad_what, ps.bad_count - 1);
		else
			da_seterr(errp, "\"%s\", line %zu: the line %s, which the AWS CLI rejects; fix or remove it",
					  path, ps.bad_line, ps.bad_what);
		goto fail;
	}
	if (!finish(&ps))
		goto fail;
	return ps.f;

fail:
	da_awsfile_free(ps.f);
	return NULL;
}

/* strerror without thread-safety worries. */
static const char *
errtext(int e, char *buf, size_t len)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
	return strerror_r(e, buf, len);
#else
	if (strerror_r(e, buf, len) != 0)
		snprintf(buf, len, "error %d", e);
	return buf;
#endif
}

/* Read and parse a file (see header). */
da_awsfile *
da_awsfile_load(const char *path, bool *missing, char **errp)
{
	int			fd;
	struct stat st;
	da_buf		b;
	da_awsfile *f;
	char		ebuf[256];

	*missing = false;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
	{
		if (errno == ENOENT || errno == ENOTDIR)
		{
			*missing = true;
			return NULL;
		}
		da_seterr(errp, "could not open \"%s\": %s", path,
				  errtext(errno, ebuf, sizeof(ebuf)));
		return NULL;
	}
	if (fstat(fd, &st) != 0)
	{
		da_seterr(errp, "could not stat \"%s\": %s", path,
				  errtext(errno, ebuf, sizeof(ebuf)));
		close(fd);
		return NULL;
	}
	if (S_ISDIR(st.st_mode))
	{
		da_seterr(errp, "\"%s\" is a directory, not an AWS config or credentials file",
				  path);
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode))
	{
		/* botocore: not os.path.isfile(), so ConfigNotFound */
		close(fd);
		*missing = true;
		return NULL;
	}
	if ((uint64_t) st.st_size > DA_AWSFILE_MAX_SIZE)
	{
		da_seterr(errp, "\"%s\": the file is larger than 16 MiB, too large for an AWS config or credentials file",
				  path);
		close(fd);
		return NULL;
	}

	da_buf_init(&b);
	for (;;)
	{
		char		chunk[8192];
		ssize_t		n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
		{
			da_seterr(errp, "could not read \"%s\": %s", path,
					  errtext(errno, ebuf, sizeof(ebuf)));
			da_wipe(chunk, sizeof(chunk));
			da_buf_free(&b);
			close(fd);
			return NULL;
		}
		if (n == 0)
			break;
		if (b.len + (size_t) n > DA_AWSFILE_MAX_SIZE)
		{
			da_seterr(errp, "\"%s\": the file is larger than 16 MiB, too large for an AWS config or credentials file",
					  path);
			da_wipe(chunk, sizeof(chunk));
			da_buf_free(&b);
			close(fd);
			return NULL;
		}
		if (!da_buf_append_len(&b, chunk, (size_t) n))
		{
			da_wipe(chunk, sizeof(chunk));
			da_buf_free(&b);
			da_seterr(errp, "out of memory reading \"%s\"", path);
			close(fd);
			return NULL;
		}
		da_wipe(chunk, (size_t) n);
	}
	close(fd);
	f = da_awsfile_parse(b.data ? b.data : "", b.len, path, errp);
	da_buf_free(&b);
	return f;
}

/* Value of key in section, falling back to [DEFAULT] (see header). */
const char *
da_awsfile_get(const da_awsfile *f, const char *section, const char *key)
{
	size_t		sect;
	size_t		idx;

	if (f == NULL || section == NULL || key == NULL)
		return NULL;
	sect = sect_find(f, section);
	if (sect == NONE)
		return NULL;
	idx = opt_find(f, sect, key);
	if (idx == NONE)
		idx = opt_find(f, 0, key);
	if (idx == NONE || f->opts[idx].nested)
		return NULL;
	return f->opts[idx].value.data ? f->opts[idx].value.data : "";
}

/* True if the file has a section of that exact name. */
bool
da_awsfile_has_section(const da_awsfile *f, const char *section)
{
	return f != NULL && section != NULL && sect_find(f, section) != NONE;
}

/*
 * Python's shlex.split(s) (posix mode, no comments), but only as far as we
 * need: true when s splits into exactly two words and the second equals
 * want.  An unterminated quote or trailing backslash is a ValueError in
 * Python, which botocore's _parse_section treats as "not a profile".
 */
static bool
shlex_second_word_is(const char *s, const char *want)
{
	da_buf		tok;
	int			nwords = 0;
	bool		match = false;
	bool		ok = true;
	char		state = ' ';	/* ' ', 'a' (word), '\'', '"' */

	da_buf_init(&tok);
	for (;;)
	{
		char		c = *s;
		bool		in_word = (state != ' ');

		if (c == '\0')
		{
			if (state == '\'' || state == '"')
				ok = false;		/* No closing quotation */
			if (in_word)
			{
				nwords++;
				if (nwords == 2)
					match = strcmp(tok.data ? tok.data : "", want) == 0;
			}
			break;
		}
		s++;
		if (state == ' ' || state == 'a')
		{
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			{
				if (state == 'a')
				{
					nwords++;
					if (nwords == 2)
						match = strcmp(tok.data ? tok.data : "", want) == 0;
					da_buf_free(&tok);
					state = ' ';
				}
				continue;
			}
			state = 'a';
			if (c == '\'' || c == '"')
			{
				state = c;
				if (!da_buf_append(&tok, ""))
					ok = false;
			}
			else if (c == '\\')
			{
				if (*s == '\0')
				{
					ok = false;	/* No escaped character */
					break;
				}
				da_buf_appendc(&tok, *s++);
			}
			else
				da_buf_appendc(&tok, c);
		}
		else if (c == state)
			state = 'a';		/* closing quote */
		else if (state == '"' && c == '\\')
		{
			if (*s == '\0')
			{
				ok = false;
				break;
			}
			if (*s != '"' && *s != '\\')
				da_buf_appendc(&tok, '\\');
			da_buf_appendc(&tok, *s++);
		}
		else
			da_buf_appendc(&tok, c);
		if (tok.oom)
			ok = false;
	}
	da_buf_free(&tok);
	return ok && nwords == 2 && match;
}

/* The section holding profile, as botocore's build_profile_map picks it. */
const char *
da_awsfile_profile_section(const da_awsfile *f, const char *profile)
{
	const char *found = NULL;
	size_t		i;

	if (f == NULL || profile == NULL)
		return NULL;
	for (i = 1; i < f->nsects; i++)
	{
		const char *name = f->sects[i].name;

		if (strncmp(name, "profile", 7) == 0)
		{
			if (shlex_second_word_is(name, profile))
				found = name;
		}
		else if (strncmp(name, "sso-session", 11) == 0 ||
				 strncmp(name, "services", 8) == 0)
			continue;
		else if (strcmp(name, "default") == 0 && strcmp(profile, "default") == 0)
			found = name;
	}
	return found;
}

/* Wipe every value and free everything. */
void
da_awsfile_free(da_awsfile *f)
{
	size_t		i;

	if (f == NULL)
		return;
	for (i = 0; i < f->nopts; i++)
	{
		free(f->opts[i].key);
		da_buf_free(&f->opts[i].value);
	}
	for (i = 0; i < f->nsects; i++)
		free(f->sects[i].name);
	free(f->opts);
	free(f->sects);
	free(f->sect_hash);
	free(f->opt_hash);
	free(f);
}
