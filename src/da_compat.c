/*
 * da_compat.c
 *		Statement splitting, classification and rewriting for the dump and
 *		restore compatibility layer (see da_compat.h and
 *		da_compat_shim.c).  Pure logic: no I/O, no libpq.
 *
 * The lexer follows PostgreSQL's scanner closely enough for the SQL that
 * pg_dump writes: '...' (with '' doubling), E'...' (backslash escapes),
 * "..." identifiers, $tag$...$tag$ strings, -- and nested C-style comments, $n
 * parameters, and CREATE FUNCTION/PROCEDURE ... BEGIN ATOMIC ... END
 * bodies (whose semicolons do not end the statement, as in psql).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "da_compat.h"
#include "da_util.h"

/* A token of a statement. */
typedef struct tok
{
	size_t		off;
	size_t		len;
	char		t;				/* w word, q "ident", s string, d $$string,
								 * n number, p $n, c punctuation */
	int			depth;			/* parenthesis depth ('(' and ')' alike) */
} tok;

typedef struct toks
{
	tok		   *v;
	int			n;
	int			cap;
	bool		unterminated;
	bool		oom;
} toks;

static bool strv_push(char ***v, int *n, char *s);

/* Is c a character that can start an unquoted identifier? */
static bool
ident_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

/* Is c a character that can continue an unquoted identifier? */
static bool
ident_cont(unsigned char c)
{
	return ident_start(c) || isdigit(c) || c == '$';
}

/* Skip whitespace and comments from i. */
static size_t
skip_space(const char *s, size_t n, size_t i, bool *unterminated)
{
	for (;;)
	{
		while (i < n && isspace((unsigned char) s[i]))
			i++;
		if (i + 1 < n && s[i] == '-' && s[i + 1] == '-')
		{
			while (i < n && s[i] != '\n')
				i++;
			continue;
		}
		if (i + 1 < n && s[i] == '/' && s[i + 1] == '*')
		{
			int			depth = 0;

			while (i < n)
			{
				if (i + 1 < n && s[i] == '/' && s[i + 1] == '*')
				{
					depth++;
					i += 2;
				}
				else if (i + 1 < n && s[i] == '*' && s[i + 1] == '/')
				{
					depth--;
					i += 2;
					if (depth == 0)
						break;
				}
				else
					i++;
			}
			if (depth > 0)
			{
				*unterminated = true;
				return n;
			}
			continue;
		}
		return i;
	}
}

/* Past the end of a quoted string or identifier starting at s[i] == q. */
static size_t
scan_quoted(const char *s, size_t n, size_t i, char q, bool backslash,
			bool *unterminated)
{
	i++;
	while (i < n)
	{
		if (backslash && s[i] == '\\')
		{
			i += 2;
			continue;
		}
		if (s[i] == q)
		{
			if (i + 1 < n && s[i + 1] == q)
			{
				i += 2;
				continue;
			}
			return i + 1;
		}
		i++;
	}
	*unterminated = true;
	return n;
}

/* Length of a dollar-quote tag ($tag$ or $$) at s[i], or 0 if none. */
static size_t
dollar_tag(const char *s, size_t n, size_t i)
{
	size_t		j = i + 1;

	if (j < n && s[j] == '$')
		return 2;
	if (j >= n || !ident_start((unsigned char) s[j]))
		return 0;
	while (j < n && (ident_start((unsigned char) s[j]) ||
					 isdigit((unsigned char) s[j])))
		j++;
	if (j < n && s[j] == '$')
		return j - i + 1;
	return 0;
}

/* Lex one token at s[i] (not whitespace); returns the index after it. */
static size_t
lex_token(const char *s, size_t n, size_t i, tok *t, bool *unterminated)
{
	unsigned char c = (unsigned char) s[i];
	size_t		j;

	t->off = i;
	if (c == '\'')
	{
		t->t = 's';
		j = scan_quoted(s, n, i, '\'', false, unterminated);
	}
	else if (c == '"')
	{
		t->t = 'q';
		j = scan_quoted(s, n, i, '"', false, unterminated);
	}
	else if (c == '$' && i + 1 < n && isdigit((unsigned char) s[i + 1]))
	{
		t->t = 'p';
		j = i + 1;
		while (j < n && isdigit((unsigned char) s[j]))
			j++;
	}
	else if (c == '$' && dollar_tag(s, n, i) > 0)
	{
		size_t		tl = dollar_tag(s, n, i);
		const char *end = NULL;

		t->t = 'd';
		for (size_t k = i + tl; k + tl <= n; k++)
		{
			if (s[k] == '$' && memcmp(s + k, s + i, tl) == 0)
			{
				end = s + k;
				break;
			}
		}
		if (end == NULL)
		{
			*unterminated = true;
			j = n;
		}
		else
			j = (size_t) (end - s) + tl;
	}
	else if (isdigit(c) || (c == '.' && i + 1 < n && isdigit((unsigned char) s[i + 1])))
	{
		t->t = 'n';
		j = i + 1;
		while (j < n && (isalnum((unsigned char) s[j]) || s[j] == '.'))
			j++;
	}
	else if (ident_start(c))
	{
		j = i + 1;
		while (j < n && ident_cont((unsigned char) s[j]))
			j++;
		if (j < n && s[j] == '\'' && j == i + 1 && (c == 'e' || c == 'E'))
		{
			t->t = 's';
			j = scan_quoted(s, n, j, '\'', true, unterminated);
		}
		else if (j < n && s[j] == '\'' && j == i + 1 && strchr("bBxXnN", c))
		{
			t->t = 's';
			j = scan_quoted(s, n, j, '\'', false, unterminated);
		}
		else
			t->t = 'w';
	}
	else
	{
		t->t = 'c';
		j = i + 1;
	}
	t->len = j - i;
	return j;
}

/* Tokenize s[0..n) into *ts (whole text, ';' included as punctuation). */
static void
tokenize(const char *s, size_t n, toks *ts)
{
	size_t		i = 0;
	int			depth = 0;

	memset(ts, 0, sizeof(*ts));
	for (;;)
	{
		tok			t;

		i = skip_space(s, n, i, &ts->unterminated);
		if (i >= n)
			break;
		i = lex_token(s, n, i, &t, &ts->unterminated);
		if (t.t == 'c' && s[t.off] == ')' && depth > 0)
			depth--;
		t.depth = depth;
		if (t.t == 'c' && s[t.off] == '(')
			depth++;
		if (ts->n == ts->cap)
		{
			int			cap = ts->cap ? ts->cap * 2 : 64;
			tok		   *v = realloc(ts->v, sizeof(tok) * (size_t) cap);

			if (v == NULL)
			{
				ts->oom = true;
				return;
			}
			ts->v = v;
			ts->cap = cap;
		}
		ts->v[ts->n++] = t;
	}
}

/* Is token i the word w (case-insensitive)? */
static bool
kw(const char *s, const toks *ts, int i, const char *w)
{
	const tok  *t;

	if (i < 0 || i >= ts->n)
		return false;
	t = &ts->v[i];
	return t->t == 'w' && strlen(w) == t->len &&
		strncasecmp(s + t->off, w, t->len) == 0;
}

/* Is token i the punctuation character c? */
static bool
punct(const char *s, const toks *ts, int i, char c)
{
	return i >= 0 && i < ts->n && ts->v[i].t == 'c' && s[ts->v[i].off] == c;
}

/* Index of the first word w at depth 0 at or after i, or -1. */
static int
find_kw(const char *s, const toks *ts, int i, const char *w)
{
	for (; i < ts->n; i++)
		if (ts->v[i].depth == 0 && kw(s, ts, i, w))
			return i;
	return -1;
}

/* malloc'd copy of s[a..b) */
static char *
span_dup(const char *s, size_t a, size_t b)
{
	char	   *r = malloc(b - a + 1);

	if (r)
	{
		memcpy(r, s + a, b - a);
		r[b - a] = '\0';
	}
	return r;
}

/* Lower-case in place. */
static char *
lower(char *p)
{
	for (char *q = p; q && *q; q++)
		*q = (char) tolower((unsigned char) *q);
	return p;
}

/*
 * A possibly qualified name at token i (words and "idents" joined by
 * dots); returns the index after it (i if none) and, if out is not NULL,
 * the raw text.
 */
static int
qualified_name(const char *s, const toks *ts, int i, char **out)
{
	int			j = i;

	if (out)
		*out = NULL;
	if (j >= ts->n || (ts->v[j].t != 'w' && ts->v[j].t != 'q'))
		return i;
	j++;
	while (j + 1 < ts->n && punct(s, ts, j, '.') &&
		   (ts->v[j + 1].t == 'w' || ts->v[j + 1].t == 'q'))
		j += 2;
	if (out)
		*out = span_dup(s, ts->v[i].off, ts->v[j - 1].off + ts->v[j - 1].len);
	return j;
}

/* Is s[off..off+len) the word w (case-insensitive)? */
static bool
word_is(const char *s, size_t off, size_t len, const char *w)
{
	return strlen(w) == len && strncasecmp(s + off, w, len) == 0;
}

/* Split: see da_compat.h. */
int
da_sql_split(const char *sql, size_t n, da_span **out)
{
	size_t		i = 0,
				lead = 0,
				first = 0,
				last_end = 0;
	bool		have_first = false,
				unterminated = false,
				in_func = false;
	int			head = 0,
				begin_depth = 0,
				count = 0,
				cap = 0;
	size_t		hoff[4],
				hlen[4];
	da_span    *v = NULL;

	*out = NULL;
	for (;;)
	{
		tok			t;
		bool		end_stmt;

		i = skip_space(sql, n, i, &unterminated);
		if (i >= n)
			break;
		i = lex_token(sql, n, i, &t, &unterminated);
		end_stmt = t.t == 'c' && sql[t.off] == ';' && begin_depth == 0;
		if (!end_stmt && !(t.t == 'c' && sql[t.off] == ';' && !have_first))
		{
			if (!have_first)
			{
				have_first = true;
				first = t.off;
				head = 0;
				in_func = false;
				begin_depth = 0;
			}
			if (t.t == 'w' && head < 4)
			{
				hoff[head] = t.off;
				hlen[head] = t.len;
				head++;
				if (word_is(sql, hoff[0], hlen[0], "create") &&
					(word_is(sql, t.off, t.len, "function") ||
					 word_is(sql, t.off, t.len, "procedure")) &&
					(head == 2 || (head == 4 && word_is(sql, hoff[1], hlen[1], "or"))))
					in_func = true;
			}
			else if (t.t != 'w')
				head = 4;
			if (in_func && t.t == 'w')
			{
				if (t.len == 5 && strncasecmp(sql + t.off, "begin", 5) == 0)
					begin_depth++;
				else if (t.len == 4 && strncasecmp(sql + t.off, "case", 4) == 0)
					begin_depth++;
				else if (t.len == 3 && strncasecmp(sql + t.off, "end", 3) == 0 &&
						 begin_depth > 0)
					begin_depth--;
			}
			last_end = t.off + t.len;
			continue;
		}
		if (end_stmt && have_first)
		{
			if (count == cap)
			{
				da_span    *nv;

				cap = cap ? cap * 2 : 16;
				nv = realloc(v, sizeof(da_span) * (size_t) cap);
				if (nv == NULL)
				{
					free(v);
					return -1;
				}
				v = nv;
			}
			v[count].off = first;
			v[count].len = last_end - first;
			v[count].lead = lead;
			count++;
		}
		have_first = false;
		lead = t.off + 1;
	}
	if (unterminated)
	{
		free(v);
		return -1;
	}
	if (have_first)
	{
		if (count == cap)
		{
			da_span    *nv = realloc(v, sizeof(da_span) * (size_t) (cap + 1));

			if (nv == NULL)
			{
				free(v);
				return -1;
			}
			v = nv;
		}
		v[count].off = first;
		v[count].len = last_end - first;
		v[count].lead = lead;
		count++;
	}
	*out = v;
	return count;
}

/* The session parameters DSQL lets clients set (accessing.html). */
bool
da_param_allowed(const char *name)
{
	static const char *const allowed[] = {
		"application_name", "client_encoding", "datestyle",
		"extra_float_digits", "intervalstyle", "timezone", "search_path",
		"dsql.enable_batched_nestloop", "disable_sync_create_index", NULL
	};

	if (strncmp(name, "enable_", 7) == 0)
		return true;
	for (int i = 0; allowed[i]; i++)
		if (strcmp(name, allowed[i]) == 0)
			return true;
	return false;
}

/* The words of tokens [i, ts->n) joined by one space, upper case. */
static char *
join_upper(const char *s, const toks *ts, int i)
{
	da_buf		b;

	da_buf_init(&b);
	da_buf_append(&b, "");
	for (; i < ts->n; i++)
	{
		if (b.len > 0)
			da_buf_appendc(&b, ' ');
		da_buf_append_len(&b, s + ts->v[i].off, ts->v[i].len);
	}
	if (b.oom)
	{
		da_buf_free(&b);
		return NULL;
	}
	for (size_t k = 0; k < b.len; k++)
		b.data[k] = (char) toupper((unsigned char) b.data[k]);
	return da_buf_steal(&b);
}

/* SET ...: fill info. */
static bool
classify_set(const char *s, size_t len, const toks *ts, da_stmt_info *info)
{
	int			i = 1,
				j;

	if (kw(s, ts, i, "session") && !kw(s, ts, i + 1, "characteristics") &&
		!kw(s, ts, i + 1, "authorization"))
		i++;
	else if (kw(s, ts, i, "local"))
		i++;
	if (kw(s, ts, i, "transaction"))
	{
		char	   *rest;

		if (kw(s, ts, i + 1, "snapshot"))
		{
			info->kind = DA_K_SET_SNAPSHOT;
			return true;
		}
		if ((rest = join_upper(s, ts, i + 1)) == NULL)
			return false;
		info->kind = (strcmp(rest, "ISOLATION LEVEL REPEATABLE READ , READ ONLY") == 0 ||
					  strcmp(rest, "ISOLATION LEVEL REPEATABLE READ READ ONLY") == 0)
			? DA_K_SET_TXN_RR_RO : DA_K_SET_TXN_OTHER;
		free(rest);
		return true;
	}
	if (kw(s, ts, i, "session") && kw(s, ts, i + 1, "characteristics"))
	{
		info->kind = DA_K_SET_TXN_OTHER;
		return true;
	}
	if (kw(s, ts, i, "role") || kw(s, ts, i, "session") ||
		kw(s, ts, i, "constraints"))
		return true;			/* privileges/constraints: not ours */
	if (kw(s, ts, i, "time") && kw(s, ts, i + 1, "zone"))
	{
		info->name = da_strdup("timezone");
		j = i + 2;
	}
	else if (kw(s, ts, i, "schema") || kw(s, ts, i, "names"))
	{
		info->name = da_strdup(kw(s, ts, i, "schema") ? "search_path" : "client_encoding");
		j = i + 1;
	}
	else if (kw(s, ts, i, "xml") && kw(s, ts, i + 1, "option"))
	{
		info->name = da_strdup("xmloption");
		j = i + 2;
	}
	else
	{
		j = qualified_name(s, ts, i, &info->name);
		if (j == i)
			return true;		/* not a SET we understand */
		if (info->name == NULL)
			return false;
		if (ts->v[i].t == 'q' && j == i + 1)
		{
			/* "Name": unquote */
			char	   *un = span_dup(info->name, 1, strlen(info->name) - 1);

			free(info->name);
			info->name = un;
		}
		else
			lower(info->name);
		if (kw(s, ts, j, "to") || punct(s, ts, j, '='))
			j++;
	}
	if (info->name == NULL)
		return false;
	if (j < ts->n)
	{
		size_t		a = ts->v[j].off;

		if (ts->v[j].t == 's' && j == ts->n - 1 && ts->v[j].len >= 2)
			info->value = span_dup(s, a + 1, a + ts->v[j].len - 1);
		else
			info->value = span_dup(s, a, len);
		if (info->value == NULL)
			return false;
		lower(info->value);
	}
	info->kind = da_param_allowed(info->name) ? DA_K_SET_ALLOWED : DA_K_SET_OTHER;
	return true;
}

/* Set info->unsupported to a copy of why. */
static bool
unsupported(da_stmt_info *info, const char *why)
{
	info->unsupported = da_strdup(why);
	return info->unsupported != NULL;
}

/* CREATE ...: fill info. */
static bool
classify_create(const char *s, const toks *ts, da_stmt_info *info)
{
	int			i = 1;

	if (kw(s, ts, i, "or") && kw(s, ts, i + 1, "replace"))
		i += 2;
	if (kw(s, ts, i, "global") || kw(s, ts, i, "local"))
		i++;
	if (kw(s, ts, i, "temp") || kw(s, ts, i, "temporary"))
		return unsupported(info, "temporary table");
	if (kw(s, ts, i, "unlogged"))
		i++;
	if (kw(s, ts, i, "table"))
	{
		int			j = i + 1;

		if (kw(s, ts, j, "if") && kw(s, ts, j + 1, "not") && kw(s, ts, j + 2, "exists"))
			j += 3;
		j = qualified_name(s, ts, j, &info->name);
		if (info->name == NULL)
			return j == i + 1 ? true : false;
		if (kw(s, ts, j, "partition") && kw(s, ts, j + 1, "of"))
			return unsupported(info, "partition of a partitioned table");
		if (kw(s, ts, j, "of"))
			return unsupported(info, "typed table");
		if (!punct(s, ts, j, '('))
			return true;		/* CREATE TABLE AS ... */
		info->kind = DA_K_CREATE_TABLE;
		for (int k = j; k < ts->n; k++)
		{
			if (ts->v[k].depth != 0)
				continue;
			if (kw(s, ts, k, "partition") && kw(s, ts, k + 1, "by"))
				return unsupported(info, "partitioned table");
			if (kw(s, ts, k, "inherits"))
				return unsupported(info, "table inheritance (INHERITS)");
		}
		return true;
	}
	if (kw(s, ts, i, "unique"))
		i++;
	if (kw(s, ts, i, "index"))
	{
		int			on = find_kw(s, ts, i, "on"),
					using;

		info->kind = DA_K_CREATE_INDEX;
		if (on < 0)
			return true;
		if (kw(s, ts, on + 1, "only"))
		{
			qualified_name(s, ts, on + 2, &info->name);
			return unsupported(info, "index on a partitioned table (ON ONLY)");
		}
		qualified_name(s, ts, on + 1, &info->name);
		using = find_kw(s, ts, on, "using");
		if (using > 0 && using + 1 < ts->n && !kw(s, ts, using + 1, "btree"))
		{
			char	   *m = span_dup(s, ts->v[using + 1].off,
									 ts->v[using + 1].off + ts->v[using + 1].len);
			da_buf		b;

			if (m == NULL)
				return false;
			da_buf_init(&b);
			da_buf_printf(&b, "index method %s (only btree)", lower(m));
			free(m);
			if (b.oom)
				return false;
			info->unsupported = da_buf_steal(&b);
			return info->unsupported != NULL;
		}
		return true;
	}
	if (kw(s, ts, i, "extension"))
		return unsupported(info, "extension");
	if (kw(s, ts, i, "trigger") ||
		(kw(s, ts, i, "constraint") && kw(s, ts, i + 1, "trigger")))
	{
		int			on = find_kw(s, ts, i, "on");

		if (on > 0)
			qualified_name(s, ts, on + 1, &info->name);
		return unsupported(info, "trigger");
	}
	if (kw(s, ts, i, "event") && kw(s, ts, i + 1, "trigger"))
		return unsupported(info, "event trigger");
	if (kw(s, ts, i, "function") || kw(s, ts, i, "procedure"))
	{
		int			l = find_kw(s, ts, i, "language");
		char	   *lang;
		da_buf		b;

		if (l < 0 || l + 1 >= ts->n)
			return true;
		if (ts->v[l + 1].t == 's' || ts->v[l + 1].t == 'q')
			lang = span_dup(s, ts->v[l + 1].off + 1, ts->v[l + 1].off + ts->v[l + 1].len - 1);
		else
			lang = span_dup(s, ts->v[l + 1].off, ts->v[l + 1].off + ts->v[l + 1].len);
		if (lang == NULL)
			return false;
		lower(lang);
		if (strcmp(lang, "sql") == 0)
		{
			free(lang);
			return true;
		}
		da_buf_init(&b);
		da_buf_printf(&b, "%s in LANGUAGE %s (only LANGUAGE sql)",
					  kw(s, ts, i, "function") ? "function" : "procedure", lang);
		free(lang);
		if (b.oom)
			return false;
		info->unsupported = da_buf_steal(&b);
		return info->unsupported != NULL;
	}
	if (kw(s, ts, i, "materialized"))
		return unsupported(info, "materialized view");
	if (kw(s, ts, i, "rule"))
		return unsupported(info, "rule");
	if (kw(s, ts, i, "policy"))
		return unsupported(info, "row-level security policy");
	{
		static const char *const other[] = {
			"language", "foreign", "server", "publication", "subscription",
			"collation", "operator", "aggregate", "cast", "conversion",
			"statistics", "transform", "tablespace", "user", "access",
			"text", NULL
		};

		for (int k = 0; other[k]; k++)
		{
			if (kw(s, ts, i, other[k]))
			{
				char	   *w = join_upper(s, ts, i);
				da_buf		b;
				int			nw = 0;

				if (w == NULL)
					return false;
				/* the object kind: up to two words */
				for (char *p = w; *p; p++)
					if (*p == ' ' && ++nw == (strcmp(other[k], "user") == 0 ||
											   strcmp(other[k], "access") == 0 ||
											   strcmp(other[k], "text") == 0 ||
											   strcmp(other[k], "foreign") == 0 ? 2 : 1))
					{
						*p = '\0';
						break;
					}
				da_buf_init(&b);
				da_buf_printf(&b, "CREATE %s", w);
				free(w);
				if (b.oom)
					return false;
				info->unsupported = da_buf_steal(&b);
				return info->unsupported != NULL;
			}
		}
	}
	return true;
}

/* ALTER ...: fill info. */
static bool
classify_alter(const char *s, const toks *ts, da_stmt_info *info)
{
	int			i = 2;

	if (kw(s, ts, 1, "extension"))
		return unsupported(info, "extension");
	if (kw(s, ts, 1, "index") && find_kw(s, ts, 2, "attach") > 0)
		return unsupported(info, "index partition (ATTACH PARTITION)");
	if (!kw(s, ts, 1, "table"))
		return true;
	if (kw(s, ts, i, "if") && kw(s, ts, i + 1, "exists"))
		i += 2;
	if (kw(s, ts, i, "only"))
		i++;
	i = qualified_name(s, ts, i, &info->name);
	if (info->name == NULL)
		return true;
	if (kw(s, ts, i, "attach") && kw(s, ts, i + 1, "partition"))
		return unsupported(info, "partition (ATTACH PARTITION)");
	if (kw(s, ts, i, "enable") && kw(s, ts, i + 1, "row"))
		return unsupported(info, "row-level security");
	if (kw(s, ts, i, "add") && kw(s, ts, i + 1, "constraint") && i + 3 < ts->n)
	{
		int			k = i + 3;

		if (kw(s, ts, k, "exclude"))
			return unsupported(info, "exclusion constraint");
		if ((kw(s, ts, k, "primary") && kw(s, ts, k + 1, "key")) ||
			kw(s, ts, k, "unique"))
		{
			if (find_kw(s, ts, k, "using") > 0 && kw(s, ts, find_kw(s, ts, k, "using") + 1, "index"))
				return true;	/* ADD CONSTRAINT ... USING INDEX */
			info->kind = DA_K_ADD_KEY;
			info->name2 = span_dup(s, ts->v[i + 2].off, ts->v[i + 2].off + ts->v[i + 2].len);
			return info->name2 != NULL;
		}
	}
	return true;
}

/* Classify: see da_compat.h. */
bool
da_classify(const char *s, size_t len, da_stmt_info *info)
{
	toks		ts;
	bool		ok = true;

	memset(info, 0, sizeof(*info));
	tokenize(s, len, &ts);
	if (ts.oom)
	{
		free(ts.v);
		return false;
	}
	/* a trailing ';' is not part of the statement */
	while (ts.n > 0 && punct(s, &ts, ts.n - 1, ';'))
		ts.n--;
	if (ts.n == 0)
		;
	else if (kw(s, &ts, 0, "set"))
		ok = classify_set(s, len, &ts, info);
	else if (kw(s, &ts, 0, "reset") && ts.n == 2 && !kw(s, &ts, 1, "all"))
	{
		qualified_name(s, &ts, 1, &info->name);
		if (info->name == NULL)
			ok = false;
		else
			info->kind = da_param_allowed(lower(info->name)) ?
				DA_K_SET_ALLOWED : DA_K_SET_OTHER;
	}
	else if (kw(s, &ts, 0, "begin"))
	{
		if (ts.n == 1 || (ts.n == 2 && (kw(s, &ts, 1, "work") || kw(s, &ts, 1, "transaction"))))
			info->kind = DA_K_BEGIN;
	}
	else if (kw(s, &ts, 0, "commit") || kw(s, &ts, 0, "end"))
	{
		if (ts.n == 1 || (ts.n == 2 && (kw(s, &ts, 1, "work") || kw(s, &ts, 1, "transaction"))))
			info->kind = DA_K_COMMIT;
	}
	else if (kw(s, &ts, 0, "rollback") || kw(s, &ts, 0, "abort"))
	{
		if (find_kw(s, &ts, 1, "to") < 0 && find_kw(s, &ts, 1, "prepared") < 0)
			info->kind = DA_K_ROLLBACK;
	}
	else if (kw(s, &ts, 0, "lock"))
		info->kind = DA_K_LOCK;
	else if (kw(s, &ts, 0, "truncate"))
	{
		int			i = 1,
					j;

		info->kind = DA_K_TRUNCATE;
		if (kw(s, &ts, i, "table"))
			i++;
		if (kw(s, &ts, i, "only"))
			i++;
		j = qualified_name(s, &ts, i, &info->name);
		if (j != ts.n)
		{
			free(info->name);
			info->name = NULL;	/* several tables or options */
		}
	}
	else if (kw(s, &ts, 0, "prepare") && !kw(s, &ts, 1, "transaction"))
	{
		info->kind = DA_K_PREPARE;
		qualified_name(s, &ts, 1, &info->name);
	}
	else if (kw(s, &ts, 0, "execute"))
	{
		info->kind = DA_K_EXECUTE;
		qualified_name(s, &ts, 1, &info->name);
	}
	else if (kw(s, &ts, 0, "deallocate"))
	{
		info->kind = DA_K_DEALLOCATE;
		qualified_name(s, &ts, kw(s, &ts, 1, "prepare") ? 2 : 1, &info->name);
	}
	else if (kw(s, &ts, 0, "copy"))
	{
		int			from = find_kw(s, &ts, 1, "from");

		if (from > 0 && kw(s, &ts, from + 1, "stdin"))
		{
			info->kind = DA_K_COPY_FROM_STDIN;
			qualified_name(s, &ts, 1, &info->name);
		}
	}
	else if (kw(s, &ts, 0, "select"))
	{
		for (int i = 1; i < ts.n; i++)
			if (kw(s, &ts, i, "pg_export_snapshot"))
				info->kind = DA_K_EXPORT_SNAPSHOT;
	}
	else if (kw(s, &ts, 0, "create"))
		ok = classify_create(s, &ts, info);
	else if (kw(s, &ts, 0, "alter"))
		ok = classify_alter(s, &ts, info);
	else if (kw(s, &ts, 0, "refresh") && kw(s, &ts, 1, "materialized"))
		ok = unsupported(info, "materialized view");
	else if (kw(s, &ts, 0, "comment") && kw(s, &ts, 1, "on") && kw(s, &ts, 2, "extension"))
		ok = unsupported(info, "extension");
	free(ts.v);
	if (!ok)
		da_stmt_info_free(info);
	return ok;
}

/* Free the strings of info. */
void
da_stmt_info_free(da_stmt_info *info)
{
	free(info->name);
	free(info->name2);
	free(info->value);
	free(info->unsupported);
	memset(info, 0, sizeof(*info));
}

/* CREATE INDEX -> CREATE INDEX ASYNC: see da_compat.h. */
char *
da_rewrite_create_index(const char *s, size_t len, const char **why)
{
	toks		ts;
	int			ix,
				on,
				using = -1,
				paren = -1;
	da_buf		b;
	char	   *m = NULL;

	*why = NULL;
	tokenize(s, len, &ts);
	if (ts.oom)
	{
		free(ts.v);
		return NULL;
	}
	ix = find_kw(s, &ts, 1, "index");
	on = ix > 0 ? find_kw(s, &ts, ix, "on") : -1;
	if (ix < 0 || on < 0)
		*why = "not a CREATE INDEX statement";
	else if (kw(s, &ts, ix + 1, "concurrently"))
		*why = "CREATE INDEX CONCURRENTLY";
	else if (kw(s, &ts, on + 1, "only"))
		*why = "index on a partitioned table (ON ONLY)";
	if (*why)
	{
		free(ts.v);
		return NULL;
	}
	for (int k = on; k < ts.n; k++)
	{
		if (punct(s, &ts, k, '(') && ts.v[k].depth == 0)
		{
			paren = k;
			break;
		}
		if (kw(s, &ts, k, "using") && ts.v[k].depth == 0)
			using = k;
	}
	if (using > 0 && using + 1 < ts.n)
	{
		m = span_dup(s, ts.v[using + 1].off, ts.v[using + 1].off + ts.v[using + 1].len);
		if (m == NULL)
		{
			free(ts.v);
			return NULL;
		}
		if (strcmp(lower(m), "btree") != 0)
			*why = "an index method other than btree";
		free(m);
		if (*why)
		{
			free(ts.v);
			return NULL;
		}
	}
	da_buf_init(&b);
	if (kw(s, &ts, ix + 1, "async"))
		da_buf_append_len(&b, s, len);
	else
	{
		size_t		after_ix = ts.v[ix].off + ts.v[ix].len;

		da_buf_append_len(&b, s, after_ix);
		da_buf_append(&b, " ASYNC");
		if (using > 0 && using + 2 <= ts.n)
		{
			da_buf_append_len(&b, s + after_ix, ts.v[using].off - after_ix);
			/* the text after the method, from the next token on */
			if (using + 2 < ts.n)
				da_buf_append_len(&b, s + ts.v[using + 2].off, len - ts.v[using + 2].off);
		}
		else
			da_buf_append_len(&b, s + after_ix, len - after_ix);
	}
	(void) paren;
	free(ts.v);
	if (b.oom)
	{
		da_buf_free(&b);
		return NULL;
	}
	return da_buf_steal(&b);
}

/* Fold constraints into CREATE TABLE: see da_compat.h. */
char *
da_fold_constraints(const char *s, size_t len, char *const *clauses, int n)
{
	toks		ts;
	int			open = -1,
				close = -1;
	da_buf		b;
	size_t		cut;

	tokenize(s, len, &ts);
	if (ts.oom)
	{
		free(ts.v);
		return NULL;
	}
	for (int k = 0; k < ts.n; k++)
	{
		if (open < 0 && punct(s, &ts, k, '(') && ts.v[k].depth == 0)
			open = k;
		else if (open >= 0 && punct(s, &ts, k, ')') && ts.v[k].depth == 0)
		{
			close = k;
			break;
		}
	}
	if (open < 0 || close < 0)
	{
		free(ts.v);
		return NULL;
	}
	cut = ts.v[close - 1].off + ts.v[close - 1].len;
	da_buf_init(&b);
	da_buf_append_len(&b, s, cut);
	for (int i = 0; i < n; i++)
	{
		da_buf_append(&b, (i == 0 && close == open + 1) ? "\n    " : ",\n    ");
		da_buf_append(&b, clauses[i]);
	}
	if (close == open + 1)
		da_buf_appendc(&b, '\n');
	da_buf_append_len(&b, s + cut, len - cut);
	free(ts.v);
	if (b.oom)
	{
		da_buf_free(&b);
		return NULL;
	}
	return da_buf_steal(&b);
}

/* The clause after ADD of an ADD CONSTRAINT statement. */
char *
da_add_key_clause(const char *s, size_t len)
{
	toks		ts;
	int			add;
	char	   *r = NULL;

	tokenize(s, len, &ts);
	if (!ts.oom)
	{
		while (ts.n > 0 && punct(s, &ts, ts.n - 1, ';'))
			ts.n--;
		add = find_kw(s, &ts, 0, "add");
		if (add > 0 && add + 1 < ts.n)
			r = span_dup(s, ts.v[add + 1].off, ts.v[ts.n - 1].off + ts.v[ts.n - 1].len);
	}
	free(ts.v);
	return r;
}

/* Free a string vector (n < 0: NULL-terminated). */
void
da_free_strv(char **v, int n)
{
	if (v == NULL)
		return;
	for (int i = 0; n < 0 ? v[i] != NULL : i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * The texts between the parentheses at token open, split at commas of
 * depth open+1; *end is the index of the closing parenthesis.
 */
static bool
paren_list(const char *s, const toks *ts, int open, char ***out, int *nout,
		   int *end)
{
	int			d = ts->v[open].depth,
				start = open + 1;

	*out = NULL;
	*nout = 0;
	for (int k = open + 1; k < ts->n; k++)
	{
		bool		close = punct(s, ts, k, ')') && ts->v[k].depth == d;
		bool		comma = punct(s, ts, k, ',') && ts->v[k].depth == d + 1;

		if (!close && !comma)
			continue;
		if (k == start)
		{
			if (!(close && *nout == 0))
				break;			/* empty element */
		}
		else if (!strv_push(out, nout,
							span_dup(s, ts->v[start].off,
									 ts->v[k - 1].off + ts->v[k - 1].len)))
			break;
		start = k + 1;
		if (close)
		{
			*end = k;
			return true;
		}
	}
	da_free_strv(*out, *nout);
	*out = NULL;
	*nout = 0;
	return false;
}

/* Parse PREPARE: see da_compat.h. */
bool
da_parse_prepare(const char *s, size_t len, da_prepared *p)
{
	toks		ts;
	int			i,
				as;
	bool		ok = false;

	memset(p, 0, sizeof(*p));
	tokenize(s, len, &ts);
	if (ts.oom || !kw(s, &ts, 0, "prepare"))
		goto done;
	while (ts.n > 0 && punct(s, &ts, ts.n - 1, ';'))
		ts.n--;
	i = qualified_name(s, &ts, 1, &p->name);
	if (p->name == NULL)
		goto done;
	if (punct(s, &ts, i, '('))
	{
		int			end;

		if (!paren_list(s, &ts, i, &p->types, &p->ntypes, &end))
			goto done;
		i = end + 1;
	}
	as = i;
	if (!kw(s, &ts, as, "as") || as + 1 >= ts.n)
		goto done;
	p->body = span_dup(s, ts.v[as + 1].off, ts.v[ts.n - 1].off + ts.v[ts.n - 1].len);
	ok = p->body != NULL;
done:
	free(ts.v);
	if (!ok)
		da_prepared_free(p);
	return ok;
}

/* Free a parsed PREPARE. */
void
da_prepared_free(da_prepared *p)
{
	free(p->name);
	da_free_strv(p->types, p->ntypes);
	free(p->body);
	memset(p, 0, sizeof(*p));
}

/* Parse EXECUTE: see da_compat.h. */
bool
da_parse_execute(const char *s, size_t len, char **name, char ***args,
				 int *nargs)
{
	toks		ts;
	int			i,
				end = 0;
	bool		ok = false;

	*name = NULL;
	*args = NULL;
	*nargs = 0;
	tokenize(s, len, &ts);
	if (ts.oom || !kw(s, &ts, 0, "execute"))
		goto done;
	while (ts.n > 0 && punct(s, &ts, ts.n - 1, ';'))
		ts.n--;
	i = qualified_name(s, &ts, 1, name);
	if (*name == NULL)
		goto done;
	if (i == ts.n)
		ok = true;
	else if (punct(s, &ts, i, '(') && paren_list(s, &ts, i, args, nargs, &end))
		ok = end == ts.n - 1;
done:
	free(ts.v);
	if (!ok)
	{
		free(*name);
		*name = NULL;
		da_free_strv(*args, *nargs);
		*args = NULL;
		*nargs = 0;
	}
	return ok;
}

/* Substitute $n: see da_compat.h. */
char *
da_substitute_params(const da_prepared *p, char *const *args, int nargs)
{
	toks		ts;
	da_buf		b;
	size_t		pos = 0,
				blen = strlen(p->body);
	bool		bad = false;

	tokenize(p->body, blen, &ts);
	if (ts.oom)
	{
		free(ts.v);
		return NULL;
	}
	da_buf_init(&b);
	da_buf_append(&b, "");
	for (int k = 0; k < ts.n && !bad; k++)
	{
		long		num;

		if (ts.v[k].t != 'p')
			continue;
		num = strtol(p->body + ts.v[k].off + 1, NULL, 10);
		if (num < 1 || num > nargs)
		{
			bad = true;
			break;
		}
		da_buf_append_len(&b, p->body + pos, ts.v[k].off - pos);
		da_buf_printf(&b, "(%s)", args[num - 1]);
		if (num <= p->ntypes)
			da_buf_printf(&b, "::%s", p->types[num - 1]);
		pos = ts.v[k].off + ts.v[k].len;
	}
	da_buf_append_len(&b, p->body + pos, blen - pos);
	free(ts.v);
	if (bad || b.oom)
	{
		da_buf_free(&b);
		return NULL;
	}
	return da_buf_steal(&b);
}

/* Remember the first two bytes of the current COPY row. */
static void
copy_note_head(da_copy_scan *sc, const char *p, size_t n)
{
	for (size_t k = 0; k < n && sc->row_bytes + k < 2; k++)
		sc->head[sc->row_bytes + k] = p[k];
	sc->row_bytes += n;
}

/* Count COPY rows: see da_compat.h. */
size_t
da_copy_scan_buf(da_copy_scan *sc, const char *buf, size_t len,
				 long max_rows, size_t max_bytes, bool *boundary)
{
	size_t		i = 0;

	*boundary = false;
	while (i < len)
	{
		const char *nl;
		size_t		row_end;

		if (sc->ended)
		{
			sc->bytes += len - i;
			return len;
		}
		nl = memchr(buf + i, '\n', len - i);
		if (nl == NULL)
		{
			copy_note_head(sc, buf + i, len - i);
			sc->bytes += len - i;
			return len;
		}
		row_end = (size_t) (nl - buf) + 1;
		copy_note_head(sc, buf + i, row_end - 1 - i);
		sc->bytes += row_end - i;
		i = row_end;
		if ((sc->row_bytes == 2 || (sc->row_bytes == 3 && buf[row_end - 2] == '\r')) &&
			sc->head[0] == '\\' && sc->head[1] == '.')
		{
			sc->ended = true;
			continue;
		}
		sc->row_bytes = 0;
		sc->rows++;
		sc->total++;
		if (sc->rows >= max_rows || sc->bytes >= max_bytes)
		{
			*boundary = true;
			sc->rows = 0;
			sc->bytes = 0;
			return i;
		}
	}
	return i;
}

/* Normalised statement text: see da_compat.h. */
char *
da_stmt_normalise(const char *s, size_t len)
{
	bool		unterminated = false;
	size_t		a = skip_space(s, len, 0, &unterminated);

	while (len > a && (isspace((unsigned char) s[len - 1]) || s[len - 1] == ';'))
		len--;
	return span_dup(s, a, len);
}

/* An archive entry (one "-- Name: ...; Type: ...; Schema: ..." header). */
typedef struct entry
{
	char	   *type;
	char	   *name;
	char	   *schema;
	char	   *why;			/* unsupported: why */
	char	   *table;			/* unsupported CREATE TABLE: its name */
	bool		skip;
} entry;

/* Is an entry of this type attached to another object (its comment...)? */
static bool
is_attached_type(const char *type)
{
	return strcmp(type, "COMMENT") == 0 || strcmp(type, "ACL") == 0 ||
		strcmp(type, "SECURITY LABEL") == 0;
}

/* Is table the table of an unsupported entry among ents[0..ne)? */
static bool
table_skipped(const entry *ents, int ne, const char *table)
{
	for (int u = 0; u < ne; u++)
		if (ents[u].table && strcmp(ents[u].table, table) == 0)
			return true;
	return false;
}

/* Append s to a string vector. */
static bool
strv_push(char ***v, int *n, char *s)
{
	char	  **nv;

	if (s == NULL)
		return false;
	nv = realloc(*v, sizeof(char *) * (size_t) (*n + 2));
	if (nv == NULL)
	{
		free(s);
		return false;
	}
	nv[*n] = s;
	nv[*n + 1] = NULL;
	*v = nv;
	(*n)++;
	return true;
}

/* Field "key: value" of a header line, up to "; " or the end. */
static char *
header_field(const char *line, size_t n, const char *key)
{
	size_t		kl = strlen(key);

	for (size_t i = 0; i + kl <= n; i++)
	{
		if (memcmp(line + i, key, kl) == 0 && (i == 0 || line[i - 1] == ' '))
		{
			size_t		a = i + kl,
						b = a;

			while (b < n && !(line[b] == ';' && (b + 1 == n || line[b + 1] == ' ')))
				b++;
			return span_dup(line, a, b);
		}
	}
	return NULL;
}

/* The last header in s[a..b), parsed into *e; false if none. */
static bool
find_header(const char *s, size_t a, size_t b, entry *e, bool *oom)
{
	size_t		best = (size_t) -1,
				best_end = 0;

	for (size_t i = a; i < b;)
	{
		const char *nl = memchr(s + i, '\n', b - i);
		size_t		end = nl ? (size_t) (nl - s) : b;

		if (end - i > 3 && memcmp(s + i, "-- ", 3) == 0 &&
			(memmem(s + i, end - i, "Name: ", 6) != NULL) &&
			memmem(s + i, end - i, "; Type: ", 8) != NULL)
		{
			best = i;
			best_end = end;
		}
		i = end + 1;
	}
	if (best == (size_t) -1)
		return false;
	memset(e, 0, sizeof(*e));
	e->name = header_field(s + best, best_end - best, "Name: ");
	e->type = header_field(s + best, best_end - best, "Type: ");
	e->schema = header_field(s + best, best_end - best, "Schema: ");
	if (!e->name || !e->type || !e->schema)
		*oom = true;
	return true;
}

/* Free an entry's strings. */
static void
entry_free(entry *e)
{
	free(e->type);
	free(e->name);
	free(e->schema);
	free(e->why);
	free(e->table);
}

/* Analyse an archive's schema text: see da_compat.h. */
bool
da_archive_analyze(const char *sql, size_t n, da_archive *a)
{
	da_span    *sp = NULL;
	int			ns,
				ne = 0;
	entry	   *ents = NULL;
	int		   *owner = NULL;
	bool		oom = false;

	memset(a, 0, sizeof(*a));
	ns = da_sql_split(sql, n, &sp);
	if (ns < 0)
		return false;
	owner = calloc((size_t) ns + 1, sizeof(int));
	ents = calloc((size_t) ns + 1, sizeof(entry));
	if (owner == NULL || ents == NULL)
		oom = true;
	/* which entry each statement belongs to */
	for (int k = 0; k < ns && !oom; k++)
	{
		entry		e;

		if (find_header(sql, sp[k].lead, sp[k].off, &e, &oom))
			ents[ne++] = e;
		owner[k] = ne - 1;
	}
	/* pass 1: keys, unsupported objects */
	for (int k = 0; k < ns && !oom; k++)
	{
		da_stmt_info info;
		entry	   *e = owner[k] >= 0 ? &ents[owner[k]] : NULL;

		if (!da_classify(sql + sp[k].off, sp[k].len, &info))
		{
			oom = true;
			break;
		}
		if (info.kind == DA_K_ADD_KEY && info.name && info.name2)
		{
			int			dummy1 = a->nkeys,
						dummy2 = a->nkeys;

			if (!strv_push(&a->key_table, &dummy1, da_strdup(info.name)) ||
				!strv_push(&a->key_name, &dummy2, da_strdup(info.name2)) ||
				!strv_push(&a->key_clause, &a->nkeys,
						   da_add_key_clause(sql + sp[k].off, sp[k].len)))
				oom = true;
		}
		if (e && info.unsupported && is_attached_type(e->type))
			e->skip = true;		/* e.g. COMMENT ON EXTENSION: dependent */
		else if (e && info.unsupported && info.name && e->why == NULL &&
				 info.kind != DA_K_CREATE_TABLE && table_skipped(ents, ne, info.name))
			e->skip = true;		/* e.g. ATTACH PARTITION to a skipped table */
		else if (e && info.unsupported && e->why == NULL)
		{
			e->why = info.unsupported;
			info.unsupported = NULL;
			if (info.kind == DA_K_CREATE_TABLE || strcmp(e->type, "TABLE") == 0)
			{
				e->table = info.name;
				info.name = NULL;
			}
		}
		da_stmt_info_free(&info);
	}
	/* pass 2: what depends on an unsupported object */
	for (int x = 0; x < ne && !oom; x++)
	{
		entry	   *e = &ents[x];

		if (e->why)
		{
			e->skip = true;
			continue;
		}
		if (e->skip)
		{
			a->ndependent++;
			continue;
		}
		for (int u = 0; u < ne && !e->skip; u++)
		{
			size_t		tl;

			if (!ents[u].why)
				continue;
			tl = strlen(ents[u].type);
			if (is_attached_type(e->type) &&
				strcmp(e->schema, ents[u].schema) == 0 &&
				strncmp(e->name, ents[u].type, tl) == 0 && e->name[tl] == ' ' &&
				strcmp(e->name + tl + 1, ents[u].name) == 0)
				e->skip = true;
		}
		if (e->skip)
			a->ndependent++;
	}
	for (int k = 0; k < ns && !oom; k++)
	{
		entry	   *e = owner[k] >= 0 ? &ents[owner[k]] : NULL;
		da_stmt_info info;
		bool		dep = false;

		if (e == NULL)
			continue;
		if (!da_classify(sql + sp[k].off, sp[k].len, &info))
		{
			oom = true;
			break;
		}
		/* a statement on a table that is skipped */
		if (!e->skip && info.name && info.kind != DA_K_CREATE_TABLE &&
			info.kind != DA_K_SET_ALLOWED && info.kind != DA_K_SET_OTHER)
		{
			for (int u = 0; u < ne; u++)
				if (ents[u].table && strcmp(ents[u].table, info.name) == 0)
					dep = true;
			if (dep)
				a->ndependent++;
		}
		if ((e->skip || dep) && info.kind != DA_K_SET_ALLOWED &&
			info.kind != DA_K_SET_OTHER &&
			!strv_push(&a->skip, &a->nskip, da_stmt_normalise(sql + sp[k].off, sp[k].len)))
			oom = true;
		da_stmt_info_free(&info);
	}
	for (int x = 0; x < ne && !oom; x++)
	{
		da_buf		b;

		if (!ents[x].why)
			continue;
		da_buf_init(&b);
		if (strcmp(ents[x].schema, "-") == 0)
			da_buf_printf(&b, "%s %s: %s", ents[x].type, ents[x].name, ents[x].why);
		else
			da_buf_printf(&b, "%s %s.%s: %s", ents[x].type, ents[x].schema,
						  ents[x].name, ents[x].why);
		if (b.oom || !strv_push(&a->unsupported, &a->nunsupported, da_buf_steal(&b)))
			oom = true;
	}
	for (int x = 0; x < ne; x++)
		entry_free(&ents[x]);
	free(ents);
	free(owner);
	free(sp);
	if (oom)
		da_archive_free(a);
	return !oom;
}

/* Free an archive analysis. */
void
da_archive_free(da_archive *a)
{
	da_free_strv(a->key_table, a->nkeys);
	da_free_strv(a->key_name, a->nkeys);
	da_free_strv(a->key_clause, a->nkeys);
	da_free_strv(a->unsupported, a->nunsupported);
	da_free_strv(a->skip, a->nskip);
	memset(a, 0, sizeof(*a));
}

/* pg_restore's long options that take an argument (PostgreSQL 15-18). */
static const char *const long_with_arg[] = {
	"dbname", "file", "format", "host", "index", "jobs", "use-list",
	"schema", "exclude-schema", "function", "port", "superuser", "table",
	"trigger", "username", "role", "section", "exclude-database",
	"filter", "transaction-size", NULL
};

/* Long options dropped for the child (connection, jobs, transactions). */
static const char *const long_dropped[] = {
	"dbname", "host", "port", "username", "no-password", "password", "jobs",
	"single-transaction", "role", "exit-on-error", "transaction-size", NULL
};

/* Is name (without "--" and "=value") in list? */
static bool
in_list(const char *const *list, const char *name, size_t n)
{
	for (int i = 0; list[i]; i++)
		if (strlen(list[i]) == n && strncmp(list[i], name, n) == 0)
			return true;
	return false;
}

/* The child's command line: see da_compat.h. */
char	  **
da_restore_child_argv(int argc, char *const *argv, const char *exe,
					  const char **why)
{
	char	  **v = NULL;
	int			n = 0;
	bool		have_file = false,
				only_args = false;

	*why = NULL;
	if (!strv_push(&v, &n, da_strdup(exe)))
		goto oom;
	for (int i = 1; i < argc; i++)
	{
		const char *a = argv[i];

		if (only_args || a[0] != '-' || a[1] == '\0')
		{
			have_file = true;
			if (!strv_push(&v, &n, da_strdup(a)))
				goto oom;
			continue;
		}
		if (strcmp(a, "--") == 0)
		{
			only_args = true;
			continue;
		}
		if (a[1] == '-')
		{
			const char *name = a + 2,
					   *eq = strchr(name, '=');
			size_t		nl = eq ? (size_t) (eq - name) : strlen(name);
			bool		takes = in_list(long_with_arg, name, nl);

			if (nl == 9 && strncmp(name, "data-only", 9) == 0)
			{
				*why = "a data-only restore creates no objects";
				da_free_strv(v, n);
				return NULL;
			}
			if (in_list(long_dropped, name, nl))
			{
				if (takes && !eq)
					i++;
				continue;
			}
			if (!strv_push(&v, &n, da_strdup(a)))
				goto oom;
			if (takes && !eq && i + 1 < argc && !strv_push(&v, &n, da_strdup(argv[++i])))
				goto oom;
			continue;
		}
		/* a cluster of short options */
		for (const char *c = a + 1; *c; c++)
		{
			static const char with_arg[] = "dfFhIjLnNpPStTU";
			static const char dropped[] = "dhpUwWj1e";
			bool		takes = strchr(with_arg, *c) != NULL;
			const char *arg = NULL;
			char		opt[3] = {'-', *c, '\0'};

			if (*c == 'a')
			{
				*why = "a data-only restore creates no objects";
				da_free_strv(v, n);
				return NULL;
			}
			if (takes)
			{
				if (c[1] != '\0')
					arg = c + 1;
				else if (i + 1 < argc)
					arg = argv[++i];
			}
			if (strchr(dropped, *c) == NULL)
			{
				if (!strv_push(&v, &n, da_strdup(opt)))
					goto oom;
				if (arg && !strv_push(&v, &n, da_strdup(arg)))
					goto oom;
			}
			if (takes)
				break;
		}
	}
	if (!have_file)
	{
		*why = "pg_restore reads the archive from standard input";
		da_free_strv(v, n);
		return NULL;
	}
	if (!strv_push(&v, &n, da_strdup("-s")) || !strv_push(&v, &n, da_strdup("-f")) ||
		!strv_push(&v, &n, da_strdup("-")))
		goto oom;
	return v;
oom:
	da_free_strv(v, n);
	return NULL;
}

/* -1 / --single-transaction: see da_compat.h. */
bool
da_restore_single_txn(int argc, char *const *argv)
{
	for (int i = 1; i < argc; i++)
	{
		const char *a = argv[i];

		if (strcmp(a, "--") == 0)
			break;
		if (a[0] != '-' || a[1] == '\0')
			continue;
		if (a[1] == '-')
		{
			const char *name = a + 2,
					   *eq = strchr(name, '=');
			size_t		nl = eq ? (size_t) (eq - name) : strlen(name);

			if (nl == 18 && strncmp(name, "single-transaction", 18) == 0)
				return true;
			if (in_list(long_with_arg, name, nl) && !eq)
				i++;
			continue;
		}
		for (const char *c = a + 1; *c; c++)
		{
			if (*c == '1')
				return true;
			if (strchr("dfFhIjLnNpPStTU", *c))
			{
				if (c[1] == '\0')
					i++;
				break;
			}
		}
	}
	return false;
}
