/*
 * da_json.h
 *		JSON documents (credential_process output, container and instance
 *		metadata credentials, SSO token cache and portal responses) read
 *		through json-c, loaded with dlopen() on first use.
 *
 * Backend-free core; see da_util.h for the error convention.  String
 * values are wiped when the document is freed: they may be secrets.
 */
#ifndef DA_JSON_H
#define DA_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "da_util.h"

typedef struct da_json da_json;	/* a JSON value inside a document */

/*
 * Parse text (len bytes, which must hold no NUL).  Returns the root value,
 * or NULL with *errp (what names the document in the message).
 */
extern da_json *da_json_parse(const char *text, size_t len, const char *what,
							  char **errp);
/* Free a root value returned by da_json_parse, wiping its strings. */
extern void da_json_free(da_json *root);

/* Member key of an object; NULL if v is not an object or has no such key. */
extern da_json *da_json_member(const da_json *v, const char *key);
/* Is v an object? */
extern bool da_json_is_object(const da_json *v);
/* The string value of member key, or NULL if absent or not a string. */
extern const char *da_json_string(const da_json *v, const char *key);
/* Integer value of member key (integers only); false if absent or not one. */
extern bool da_json_int(const da_json *v, const char *key, long long *out);

/*
 * Parse an ISO 8601 / RFC 3339 time as AWS services write it:
 * YYYY-MM-DDTHH:MM:SS[.frac](Z|UTC|+HH:MM|-HH:MM|+HHMM), also with a space
 * instead of "T".  False if s is not such a time.
 */
extern bool da_parse_iso8601(const char *s, time_t *out);

#endif							/* DA_JSON_H */
