/*
 * da_util.c
 *		Growable strings, error messages and secret wiping for the core.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "da_util.h"

/* Start an empty buffer (no allocation until the first append). */
void
da_buf_init(da_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->oom = false;
}

/* Make room for n more bytes plus a NUL; false (and oom set) on failure. */
static bool
da_buf_reserve(da_buf *b, size_t n)
{
	size_t		need;
	size_t		newcap;
	char	   *p;

	if (b->oom)
		return false;
	if (n > SIZE_MAX / 2 - b->len - 1)
	{
		b->oom = true;
		return false;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return true;
	newcap = b->cap ? b->cap : 64;
	while (newcap < need)
		newcap *= 2;

	/*
	 * Never realloc: the old block may hold secrets, so copy, wipe and free
	 * it ourselves.
	 */
	p = malloc(newcap);
	if (p == NULL)
	{
		b->oom = true;
		return false;
	}
	if (b->data)
	{
		memcpy(p, b->data, b->len + 1);
		da_wipe(b->data, b->cap);
		free(b->data);
	}
	else
		p[0] = '\0';
	b->data = p;
	b->cap = newcap;
	return true;
}

/* Append n bytes of s. */
bool
da_buf_append_len(da_buf *b, const char *s, size_t n)
{
	if (!da_buf_reserve(b, n))
		return false;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return true;
}

/* Append a NUL-terminated string. */
bool
da_buf_append(da_buf *b, const char *s)
{
	return da_buf_append_len(b, s, strlen(s));
}

/* Append one character. */
bool
da_buf_appendc(da_buf *b, char c)
{
	return da_buf_append_len(b, &c, 1);
}

/* Append printf-formatted text. */
bool
da_buf_printf(da_buf *b, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !da_buf_reserve(b, (size_t) n))
	{
		b->oom = true;
		return false;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t) n;
	return true;
}

/* Hand the string to the caller; NULL if any append failed. */
char *
da_buf_steal(da_buf *b)
{
	char	   *s;

	if (b->oom)
	{
		da_buf_free(b);
		return NULL;
	}
	s = b->data ? b->data : strdup("");
	da_buf_init(b);
	return s;
}

/* Wipe and release the buffer. */
void
da_buf_free(da_buf *b)
{
	if (b->data)
	{
		da_wipe(b->data, b->cap);
		free(b->data);
	}
	da_buf_init(b);
}

/* Store a formatted error message for the caller, keeping the first one. */
void
da_seterr(char **errp, const char *fmt,...)
{
	va_list		ap;
	int			n;
	char	   *msg;

	if (errp == NULL || *errp != NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	msg = malloc((size_t) n + 1);
	if (msg == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, (size_t) n + 1, fmt, ap);
	va_end(ap);
	*errp = msg;
}

/* Overwrite memory that held a secret. */
void
da_wipe(void *p, size_t len)
{
	if (p && len)
		OPENSSL_cleanse(p, len);
}

/* Wipe and free a secret string. */
void
da_free_secret(char *s)
{
	if (s)
	{
		da_wipe(s, strlen(s));
		free(s);
	}
}

/* strdup that passes NULL through. */
char *
da_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}
