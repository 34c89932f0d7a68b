/*
 * da_http.h
 *		A small HTTP(S) client over libcurl, loaded with dlopen() on first
 *		use so that programs that never fetch credentials over the network
 *		never map libcurl.
 *
 * Backend-free core; see da_util.h for the error convention.  Certificate
 * verification is always on; AWS_CA_BUNDLE names the CA file as in the AWS
 * SDKs.  Proxies come from the environment (HTTPS_PROXY, HTTP_PROXY,
 * NO_PROXY, as libcurl and the SDKs read them) unless the request says
 * no_proxy (instance metadata and container endpoints).  Responses are
 * capped; bodies may hold secrets and are wiped when cleared.
 */
#ifndef DA_HTTP_H
#define DA_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "da_util.h"

/* Largest response body accepted unless the request says otherwise. */
#define DA_HTTP_MAX_RESPONSE	(1024 * 1024)

typedef struct da_http_request
{
	const char *method;			/* "GET", "PUT" or "POST" */
	const char *url;			/* http:// or https:// */
	const char *const *headers; /* "Name: value" each; may be NULL */
	int			nheaders;
	const char *body;			/* may be NULL */
	size_t		body_len;
	long		connect_timeout_ms; /* 0: 3000 */
	long		timeout_ms;		/* whole transfer; 0: 10000 */
	bool		no_proxy;		/* never use a proxy */
	size_t		max_response;	/* 0: DA_HTTP_MAX_RESPONSE */
} da_http_request;

typedef struct da_http_response
{
	long		status;			/* HTTP status code */
	char	   *body;			/* NUL-terminated (may contain NULs) */
	size_t		body_len;
	bool		timed_out;		/* the transfer failed by timing out */
} da_http_response;

/*
 * Perform one request.  True when an HTTP response arrived (any status);
 * false with *errp on transport errors (connect, TLS, timeout, oversized
 * response) or when libcurl cannot be loaded; resp->timed_out tells a
 * timeout apart.
 */
extern bool da_http_perform(const da_http_request *req,
							da_http_response *resp, char **errp);

/* Wipe and free the body; the struct is zeroed. */
extern void da_http_response_clear(da_http_response *resp);

/*
 * Split an endpoint URL ("https://host[:port][/path]") into a malloc'd
 * host-and-port (as the Host header carries it) and path ("/" if none).
 * False with *errp when it is not an http(s) URL.
 */
extern bool da_url_split(const char *url, bool *https, char **hostport,
						 char **path, char **errp);

/* True once libcurl has been loaded in this process (for tests). */
extern bool da_http_loaded(void);

#endif							/* DA_HTTP_H */
