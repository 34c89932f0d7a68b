/*
 * da_http.c
 *		HTTP(S) requests through libcurl, which is loaded with dlopen() on
 *		first use: the client library is preloaded into every process
 *		(shells, pagers) and must not map libcurl there.  We compile against
 *		libcurl's headers and resolve the few functions we call by name.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "da_http.h"

#define CURL_SONAME "libcurl.so.4"

/* The libcurl functions we use, resolved once. */
static struct
{
	CURLcode	(*global_init) (long flags);
	CURL	   *(*easy_init) (void);
	CURLcode	(*easy_setopt) (CURL *curl, CURLoption option,...);
	CURLcode	(*easy_perform) (CURL *curl);
	CURLcode	(*easy_getinfo) (CURL *curl, CURLINFO info,...);
	void		(*easy_cleanup) (CURL *curl);
	const char *(*easy_strerror) (CURLcode code);
	struct curl_slist *(*slist_append) (struct curl_slist *list,
										const char *s);
	void		(*slist_free_all) (struct curl_slist *list);
}			curl;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static char *curl_load_error;	/* set once by load_curl, then read-only */
static bool curl_ok;

/* dlopen libcurl and resolve our functions; runs once per process. */
static void
load_curl(void)
{
	void	   *h = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	const char *missing = NULL;

	if (h == NULL)
	{
		da_seterr(&curl_load_error, "cannot load %s, needed to fetch AWS credentials over HTTP(S): install the Debian package libcurl4 (apt-get install libcurl4)",
				  CURL_SONAME);
		return;
	}
#define RESOLVE(field, name) \
	do { \
		*(void **) (&curl.field) = dlsym(h, name); \
		if (curl.field == NULL && missing == NULL) \
			missing = name; \
	} while (0)
	RESOLVE(global_init, "curl_global_init");
	RESOLVE(easy_init, "curl_easy_init");
	RESOLVE(easy_setopt, "curl_easy_setopt");
	RESOLVE(easy_perform, "curl_easy_perform");
	RESOLVE(easy_getinfo, "curl_easy_getinfo");
	RESOLVE(easy_cleanup, "curl_easy_cleanup");
	RESOLVE(easy_strerror, "curl_easy_strerror");
	RESOLVE(slist_append, "curl_slist_append");
	RESOLVE(slist_free_all, "curl_slist_free_all");
#undef RESOLVE
	if (missing)
	{
		da_seterr(&curl_load_error, "%s has no function %s; install a current libcurl4 package",
				  CURL_SONAME, missing);
		return;
	}
	if (curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
	{
		da_seterr(&curl_load_error, "libcurl could not be initialised");
		return;
	}
	curl_ok = true;
}

/* True once libcurl has been loaded in this process. */
bool
da_http_loaded(void)
{
	return curl_ok;
}

/* Collects a response body, refusing more than the cap. */
typedef struct sink
{
	da_buf		buf;
	size_t		cap;
	bool		too_big;
} sink;

/* libcurl write callback. */
static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	sink	   *k = userdata;
	size_t		n = size * nmemb;

	if (k->buf.len + n > k->cap)
	{
		k->too_big = true;
		return 0;
	}
	if (!da_buf_append_len(&k->buf, ptr, n))
		return 0;
	return n;
}

/* Split an endpoint URL (see header). */
bool
da_url_split(const char *url, bool *https, char **hostport, char **path,
			 char **errp)
{
	const char *rest;
	const char *slash;

	*hostport = NULL;
	*path = NULL;
	if (url == NULL)
	{
		da_seterr(errp, "no endpoint URL");
		return false;
	}
	if (strncasecmp(url, "https://", 8) == 0)
	{
		*https = true;
		rest = url + 8;
	}
	else if (strncasecmp(url, "http://", 7) == 0)
	{
		*https = false;
		rest = url + 7;
	}
	else
	{
		da_seterr(errp, "endpoint URL \"%.200s\" does not start with https:// or http://",
				  url);
		return false;
	}
	slash = strpbrk(rest, "/?#");
	if ((slash ? (size_t) (slash - rest) : strlen(rest)) == 0 ||
		memchr(rest, '@', slash ? (size_t) (slash - rest) : strlen(rest)))
	{
		da_seterr(errp, "endpoint URL \"%.200s\" has no usable host", url);
		return false;
	}
	*hostport = slash ? strndup(rest, (size_t) (slash - rest)) : strdup(rest);
	*path = strdup((slash && *slash == '/') ? slash : "/");
	if (*hostport == NULL || *path == NULL)
	{
		free(*hostport);
		free(*path);
		*hostport = *path = NULL;
		da_seterr(errp, "out of memory");
		return false;
	}
	{
		/* drop a query or fragment from the path */
		char	   *q = strpbrk(*path, "?#");

		if (q)
			*q = '\0';
	}
	return true;
}

/* Perform one request (see header). */
bool
da_http_perform(const da_http_request *req, da_http_response *resp,
				char **errp)
{
	CURL	   *h = NULL;
	struct curl_slist *hdrs = NULL;
	sink		k;
	CURLcode	rc;
	bool		ok = false;
	int			i;
	const char *ca;
	char		errbuf[CURL_ERROR_SIZE];

	memset(resp, 0, sizeof(*resp));
	da_buf_init(&k.buf);
	k.cap = req->max_response ? req->max_response : DA_HTTP_MAX_RESPONSE;
	k.too_big = false;
	errbuf[0] = '\0';

	if (pthread_once(&curl_once, load_curl) != 0 || !curl_ok)
	{
		da_seterr(errp, "%s", curl_load_error ? curl_load_error :
				  "libcurl could not be loaded");
		return false;
	}
	h = curl.easy_init();
	if (h == NULL)
	{
		da_seterr(errp, "out of memory (curl_easy_init)");
		return false;
	}

	/* "Expect: 100-continue" would stall small POSTs against some servers */
	hdrs = curl.slist_append(NULL, "Expect:");
	for (i = 0; hdrs && i < req->nheaders; i++)
	{
		struct curl_slist *n = curl.slist_append(hdrs, req->headers[i]);

		if (n == NULL)
		{
			curl.slist_free_all(hdrs);
			hdrs = NULL;
		}
		else
			hdrs = n;
	}
	if (hdrs == NULL)
	{
		da_seterr(errp, "out of memory");
		goto done;
	}

	ca = getenv("AWS_CA_BUNDLE");
#define SETOPT(opt, val) \
	do { \
		if (curl.easy_setopt(h, opt, val) != CURLE_OK) \
		{ \
			da_seterr(errp, "libcurl rejected option %s", #opt); \
			goto done; \
		} \
	} while (0)
	SETOPT(CURLOPT_URL, req->url);
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca && ca[0])
		SETOPT(CURLOPT_CAINFO, ca);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS,
		   req->connect_timeout_ms > 0 ? req->connect_timeout_ms : 3000L);
	SETOPT(CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 10000L);
	if (req->no_proxy)
		SETOPT(CURLOPT_PROXY, "");
	SETOPT(CURLOPT_HTTPHEADER, hdrs);
	SETOPT(CURLOPT_WRITEFUNCTION, write_cb);
	SETOPT(CURLOPT_WRITEDATA, &k);
	SETOPT(CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(CURLOPT_USERAGENT, "dsql_auth");
	if (strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0)
	{
		SETOPT(CURLOPT_POST, 1L);
		SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) req->body_len);
		SETOPT(CURLOPT_POSTFIELDS, req->body ? req->body : "");
		if (strcmp(req->method, "PUT") == 0)
			SETOPT(CURLOPT_CUSTOMREQUEST, "PUT");
	}
	else if (strcmp(req->method, "GET") != 0)
		SETOPT(CURLOPT_CUSTOMREQUEST, req->method);
#undef SETOPT

	rc = curl.easy_perform(h);
	if (rc != CURLE_OK)
	{
		resp->timed_out = (rc == CURLE_OPERATION_TIMEDOUT);
		if (k.too_big)
			da_seterr(errp, "the response from %s is larger than %zu bytes",
					  req->url, k.cap);
		else
			da_seterr(errp, "%s %s: %s", req->method, req->url,
					  errbuf[0] ? errbuf : curl.easy_strerror(rc));
		goto done;
	}
	if (curl.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status) != CURLE_OK ||
		k.buf.oom)
	{
		da_seterr(errp, "%s %s: no usable response", req->method, req->url);
		goto done;
	}
	if (k.buf.data == NULL && !da_buf_append(&k.buf, ""))
	{
		da_seterr(errp, "out of memory");
		goto done;
	}
	resp->body_len = k.buf.len;
	resp->body = da_buf_steal(&k.buf);
	if (resp->body == NULL)
	{
		da_seterr(errp, "out of memory");
		goto done;
	}
	ok = true;

done:
	da_buf_free(&k.buf);
	if (hdrs)
		curl.slist_free_all(hdrs);
	curl.easy_cleanup(h);
	if (!ok)
	{
		bool		timed_out = resp->timed_out;

		da_http_response_clear(resp);
		resp->timed_out = timed_out;
	}
	return ok;
}

/* Wipe and free a response body. */
void
da_http_response_clear(da_http_response *resp)
{
	if (resp->body)
	{
		da_wipe(resp->body, resp->body_len);
		free(resp->body);
	}
	memset(resp, 0, sizeof(*resp));
}
