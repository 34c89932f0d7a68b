/*
 * da_util.h
 *		Small helpers shared by every part of dsql_auth: growable strings,
 *		error reporting and secret wiping.
 *
 * This is backend-free core code (see STYLE.md): it never prints, exits or
 * ereports.  Functions that can fail return false/NULL and, when errp is not
 * NULL, store a malloc'd one-line message (no trailing newline, no
 * "dsql_auth:" prefix) in *errp; the caller frees it.  A message never
 * contains a secret.
 */
#ifndef DA_UTIL_H
#define DA_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Hidden inside shared objects unless explicitly exported. */
#if defined(__GNUC__)
#define DA_EXPORT __attribute__((visibility("default")))
#define DA_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define DA_EXPORT
#define DA_PRINTF(f, a)
#endif

/* A growable, always NUL-terminated string.  data == NULL after OOM. */
typedef struct da_buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		oom;			/* an append failed; data is unusable */
} da_buf;

extern void da_buf_init(da_buf *b);
extern bool da_buf_append(da_buf *b, const char *s);
extern bool da_buf_append_len(da_buf *b, const char *s, size_t n);
extern bool da_buf_appendc(da_buf *b, char c);
extern bool da_buf_printf(da_buf *b, const char *fmt,...) DA_PRINTF(2, 3);
/* Take ownership of the string (NULL on OOM); the buffer is reset. */
extern char *da_buf_steal(da_buf *b);
/* Wipe (the buffer may hold secrets) and free. */
extern void da_buf_free(da_buf *b);

/* *errp = malloc'd formatted message, if errp != NULL and *errp == NULL. */
extern void da_seterr(char **errp, const char *fmt,...) DA_PRINTF(2, 3);

/* Overwrite len bytes so the compiler cannot elide it. */
extern void da_wipe(void *p, size_t len);
/* Wipe a NUL-terminated string, then free it.  NULL is fine. */
extern void da_free_secret(char *s);
extern char *da_strdup(const char *s);	/* NULL-safe strdup */

#endif							/* DA_UTIL_H */
