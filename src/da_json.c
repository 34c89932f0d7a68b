/*
 * da_json.c
 *		JSON through json-c, loaded with dlopen() on first use (the client
 *		library must not map it in processes that never need it).
 */
#include <ctype.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "da_json.h"

#define JSONC_SONAME "libjson-c.so.5"

/* The json-c functions we use, resolved once. */
static struct
{
	struct json_object *(*tokener_parse_verbose) (const char *str,
												  enum json_tokener_error *error);
	const char *(*tokener_error_desc) (enum json_tokener_error err);
	int			(*put) (struct json_object *obj);
	json_bool	(*object_get_ex) (const struct json_object *obj,
								  const char *key,
								  struct json_object **value);
	enum json_type (*get_type) (const struct json_object *obj);
	const char *(*get_string) (struct json_object *obj);
	int			(*get_string_len) (const struct json_object *obj);
	int64_t		(*get_int64) (const struct json_object *obj);
	struct lh_table *(*get_object) (const struct json_object *obj);
	size_t		(*array_length) (const struct json_object *obj);
	struct json_object *(*array_get_idx) (const struct json_object *obj,
										  size_t idx);
}			jc;

static pthread_once_t jc_once = PTHREAD_ONCE_INIT;
static char *jc_load_error;
static bool jc_ok;

/* dlopen json-c and resolve our functions; runs once per process. */
static void
load_jsonc(void)
{
	void	   *h = dlopen(JSONC_SONAME, RTLD_NOW | RTLD_LOCAL);
	const char *missing = NULL;

	if (h == NULL)
	{
		da_seterr(&jc_load_error, "cannot load %s, needed to read JSON credentials: install the Debian package libjson-c5 (apt-get install libjson-c5)",
				  JSONC_SONAME);
		return;
	}
#define RESOLVE(field, name) \
	do { \
		*(void **) (&jc.field) = dlsym(h, name); \
		if (jc.field == NULL && missing == NULL) \
			missing = name; \
	} while (0)
	RESOLVE(tokener_parse_verbose, "json_tokener_parse_verbose");
	RESOLVE(tokener_error_desc, "json_tokener_error_desc");
	RESOLVE(put, "json_object_put");
	RESOLVE(object_get_ex, "json_object_object_get_ex");
	RESOLVE(get_type, "json_object_get_type");
	RESOLVE(get_string, "json_object_get_string");
	RESOLVE(get_string_len, "json_object_get_string_len");
	RESOLVE(get_int64, "json_object_get_int64");
	RESOLVE(get_object, "json_object_get_object");
	RESOLVE(array_length, "json_object_array_length");
	RESOLVE(array_get_idx, "json_object_array_get_idx");
#undef RESOLVE
	if (missing)
	{
		da_seterr(&jc_load_error, "%s has no function %s; install a current libjson-c5 package",
				  JSONC_SONAME, missing);
		return;
	}
	jc_ok = true;
}

/* Parse a JSON document (see header). */
da_json *
da_json_parse(const char *text, size_t len, const char *what, char **errp)
{
	enum json_tokener_error jerr = json_tokener_success;
	struct json_object *o;
	char	   *copy;

	if (pthread_once(&jc_once, load_jsonc) != 0 || !jc_ok)
	{
		da_seterr(errp, "%s", jc_load_error ? jc_load_error :
				  "json-c could not be loaded");
		return NULL;
	}
	if (text == NULL || memchr(text, '\0', len) != NULL)
	{
		da_seterr(errp, "%s is not valid JSON (it contains a NUL byte)", what);
		return NULL;
	}
	copy = strndup(text, len);
	if (copy == NULL)
	{
		da_seterr(errp, "out of memory");
		return NULL;
	}
	o = jc.tokener_parse_verbose(copy, &jerr);
	da_wipe(copy, len);
	free(copy);
	if (o == NULL)
	{
		da_seterr(errp, "%s is not valid JSON (%s)", what,
				  jerr == json_tokener_success ? "empty or null" :
				  jc.tokener_error_desc(jerr));
		return NULL;
	}
	return (da_json *) o;
}

/* Wipe every string inside v, recursively. */
static void
wipe_strings(struct json_object *v, int depth)
{
	if (v == NULL || depth > 64)
		return;
	switch (jc.get_type(v))
	{
		case json_type_string:
			{
				int			n = jc.get_string_len(v);
				const char *s = jc.get_string(v);

				if (s && n > 0)
					da_wipe((void *) s, (size_t) n);
				break;
			}
		case json_type_object:
			{
				struct lh_table *t = jc.get_object(v);
				struct lh_entry *e;

				for (e = t ? t->head : NULL; e; e = e->next)
					wipe_strings((struct json_object *) e->v, depth + 1);
				break;
			}
		case json_type_array:
			{
				size_t		i;
				size_t		n = jc.array_length(v);

				for (i = 0; i < n; i++)
					wipe_strings(jc.array_get_idx(v, i), depth + 1);
				break;
			}
		default:
			break;
	}
}

/* Free a document, wiping its strings. */
void
da_json_free(da_json *root)
{
	if (root == NULL || !jc_ok)
		return;
	wipe_strings((struct json_object *) root, 0);
	jc.put((struct json_object *) root);
}

/* Is v an object? */
bool
da_json_is_object(const da_json *v)
{
	return v && jc_ok && jc.get_type((const struct json_object *) v) == json_type_object;
}

/* Member key of an object. */
da_json *
da_json_member(const da_json *v, const char *key)
{
	struct json_object *m = NULL;

	if (!da_json_is_object(v))
		return NULL;
	if (!jc.object_get_ex((const struct json_object *) v, key, &m))
		return NULL;
	return (da_json *) m;
}

/* String member, or NULL. */
const char *
da_json_string(const da_json *v, const char *key)
{
	struct json_object *m = (struct json_object *) da_json_member(v, key);

	if (m == NULL || jc.get_type(m) != json_type_string)
		return NULL;
	return jc.get_string(m);
}

/* Integer member. */
bool
da_json_int(const da_json *v, const char *key, long long *out)
{
	struct json_object *m = (struct json_object *) da_json_member(v, key);

	if (m == NULL || jc.get_type(m) != json_type_int)
		return false;
	*out = (long long) jc.get_int64(m);
	return true;
}

/* Read exactly n decimal digits. */
static bool
digits(const char **p, int n, int *out)
{
	int			v = 0;

	while (n-- > 0)
	{
		if (!isdigit((unsigned char) **p))
			return false;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return true;
}

/* Parse an ISO 8601 time (see header). */
bool
da_parse_iso8601(const char *s, time_t *out)
{
	struct tm	tm;
	int			y, mo, d, h, mi, sec;
	int			oh = 0, om = 0, sign = 0;
	const char *p = s;
	time_t		t;

	if (s == NULL)
		return false;
	memset(&tm, 0, sizeof(tm));
	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) ||
		*p++ != '-' || !digits(&p, 2, &d) || (*p != 'T' && *p != 't' && *p != ' '))
		return false;
	p++;
	if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi) ||
		*p++ != ':' || !digits(&p, 2, &sec))
		return false;
	if (*p == '.')
	{
		p++;
		if (!isdigit((unsigned char) *p))
			return false;
		while (isdigit((unsigned char) *p))
			p++;
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (strcmp(p, "UTC") == 0)
		p += 3;
	else if (*p == '+' || *p == '-')
	{
		sign = (*p == '-') ? -1 : 1;
		p++;
		if (!digits(&p, 2, &oh))
			return false;
		if (*p == ':')
			p++;
		if (!digits(&p, 2, &om))
			return false;
	}
	else
		return false;
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
		mi > 59 || sec > 60 || oh > 23 || om > 59)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t) -1)
		return false;
	*out = t - (time_t) sign * (oh * 3600 + om * 60);
	return true;
}
