/*
 * da_sigv4.c
 *		AWS Signature Version 4: query presigning for IAM database auth
 *		tokens (Aurora DSQL, RDS) and Authorization headers for AWS API calls.
 *
 * Modelled on curl's lib/http_aws_sigv4.c: one small function per SigV4
 * step (canonical query string, canonical request, string to sign, signing
 * key, signature).  Output matches botocore byte for byte; see
 * test/vectors/ for the known answers.
 *
 * Backend-free core: never prints or exits; errors go to *errp (da_util.h).
 * Every buffer that held the secret key or a key derived from it is wiped.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "da_sigv4.h"

#define SHA256_LEN		32
#define SHA256_HEX_LEN	64
#define ALGORITHM		"AWS4-HMAC-SHA256"
/* SHA-256 of the empty string: the payload hash of every token request. */
#define EMPTY_SHA256_HEX \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* One query parameter, both halves already percent-encoded. */
typedef struct sigv4_param
{
	char	   *name;
	char	   *value;
} sigv4_param;

/* One canonical header: lower-case name, trimmed value. */
typedef struct sigv4_header
{
	char	   *name;
	char	   *value;
	int			order;			/* position in the input, for a stable sort */
} sigv4_header;

/* The parts of a request that every step needs. */
typedef struct sigv4_ctx
{
	char		amz_date[17];	/* YYYYMMDDTHHMMSSZ */
	char		date[9];		/* YYYYMMDD */
	const char *region;
	const char *service;
	const da_credentials *creds;
} sigv4_ctx;

/* Wipe the secrets and free every member of c. */
void
da_credentials_clear(da_credentials *c)
{
	if (c == NULL)
		return;
	da_free_secret(c->access_key_id);
	da_free_secret(c->secret_access_key);
	da_free_secret(c->session_token);
	free(c->source);
	memset(c, 0, sizeof(*c));
}

/* Deep-copy src into dst (which is overwritten, not freed); false on OOM. */
bool
da_credentials_copy(da_credentials *dst, const da_credentials *src)
{
	memset(dst, 0, sizeof(*dst));
	if (src == NULL)
		return false;
	dst->expiration = src->expiration;
	if ((src->access_key_id &&
		 (dst->access_key_id = strdup(src->access_key_id)) == NULL) ||
		(src->secret_access_key &&
		 (dst->secret_access_key = strdup(src->secret_access_key)) == NULL) ||
		(src->session_token &&
		 (dst->session_token = strdup(src->session_token)) == NULL) ||
		(src->source && (dst->source = strdup(src->source)) == NULL))
	{
		da_credentials_clear(dst);
		return false;
	}
	return true;
}

/* ASCII-only tolower, independent of the locale. */
static char
ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;
}

/* ASCII-only toupper, independent of the locale. */
static char
ascii_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char) (c - 'a' + 'A') : c;
}

/* True for the whitespace Python's str.split() (botocore's trim) drops. */
static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		c == '\v' || c == '\f';
}

/* Percent-encode s per RFC 3986 (unreserved kept, upper-case hex). */
bool
da_uri_encode(da_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *) s; *p; p++)
	{
		unsigned char c = *p;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') ||
			c == '-' || c == '_' || c == '.' || c == '~')
			da_buf_appendc(b, (char) c);
		else
		{
			char		esc[3];

			esc[0] = '%';
			esc[1] = hex[c >> 4];
			esc[2] = hex[c & 0x0F];
			da_buf_append_len(b, esc, 3);
		}
	}
	return !b->oom;
}

/* Lower-case hex of n bytes into out (2n chars + NUL). */
static void
hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t		i;

	for (i = 0; i < n; i++)
	{
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 0x0F];
	}
	out[2 * n] = '\0';
}

/* Hex SHA-256 of len bytes of data into out (65 bytes). */
static bool
sha256_hex(const void *data, size_t len, char *out, char **errp)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
		mdlen != SHA256_LEN)
	{
		da_seterr(errp, "SHA-256 computation failed");
		return false;
	}
	hex_encode(md, SHA256_LEN, out);
	return true;
}

/* out = HMAC-SHA256(key, msg); out may not alias key. */
static bool
hmac_sha256(const unsigned char *key, size_t keylen, const char *msg,
			unsigned char out[SHA256_LEN], char **errp)
{
	unsigned int outlen = 0;

	if (keylen > INT32_MAX ||
		HMAC(EVP_sha256(), key, (int) keylen, (const unsigned char *) msg,
			 strlen(msg), out, &outlen) == NULL ||
		outlen != SHA256_LEN)
	{
		da_seterr(errp, "HMAC-SHA256 computation failed");
		return false;
	}
	return true;
}

/* Check the inputs every signature needs and fill in the dates. */
static bool
sigv4_prepare(sigv4_ctx *ctx, const char *host, const char *service,
			  const char *region, time_t signed_at,
			  const da_credentials *creds, char **errp)
{
	struct tm	tm;

	memset(ctx, 0, sizeof(*ctx));
	if (host == NULL || host[0] == '\0')
	{
		da_seterr(errp, "cannot sign a request for an empty host name");
		return false;
	}
	if (region == NULL || region[0] == '\0')
	{
		da_seterr(errp, "cannot sign a request without an AWS region");
		return false;
	}
	if (service == NULL || service[0] == '\0')
	{
		da_seterr(errp, "cannot sign a request without an AWS service name");
		return false;
	}
	if (creds == NULL || creds->access_key_id == NULL ||
		creds->access_key_id[0] == '\0' ||
		creds->secret_access_key == NULL ||
		creds->secret_access_key[0] == '\0')
	{
		da_seterr(errp, "cannot sign a request without an AWS access key id and secret access key");
		return false;
	}
	if (gmtime_r(&signed_at, &tm) == NULL ||
		tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999 ||
		strftime(ctx->amz_date, sizeof(ctx->amz_date),
				 "%Y%m%dT%H%M%SZ", &tm) != 16)
	{
		da_seterr(errp, "cannot sign a request at time %lld",
				  (long long) signed_at);
		return false;
	}
	memcpy(ctx->date, ctx->amz_date, 8);
	ctx->date[8] = '\0';
	ctx->region = region;
	ctx->service = service;
	ctx->creds = creds;
	return true;
}

/* True if the credentials carry a (non-empty) session token. */
static bool
has_session_token(const da_credentials *creds)
{
	return creds->session_token != NULL && creds->session_token[0] != '\0';
}

/*
 * The host as it is signed: ASCII lower-cased, without ":443" (botocore
 * takes it from an https URL, whose default port it drops).
 */
static bool
signed_host(da_buf *b, const char *host)
{
	size_t		len = strlen(host);
	size_t		i;

	if (len > 4 && strcmp(host + len - 4, ":443") == 0)
		len -= 4;
	for (i = 0; i < len; i++)
		da_buf_appendc(b, ascii_lower(host[i]));
	return !b->oom;
}

/* Append "date/region/service/aws4_request". */
static bool
credential_scope(da_buf *b, const sigv4_ctx *ctx)
{
	return da_buf_printf(b, "%s/%s/%s/aws4_request",
						 ctx->date, ctx->region, ctx->service);
}

/* qsort comparator: by encoded name, then encoded value (bytewise). */
static int
param_cmp(const void *a, const void *b)
{
	const sigv4_param *pa = a;
	const sigv4_param *pb = b;
	int			r = strcmp(pa->name, pb->name);

	return r != 0 ? r : strcmp(pa->value, pb->value);
}

/* Add one parameter, encoding name and value. */
static bool
param_add(sigv4_param *params, int *n, const char *name, const char *value)
{
	da_buf		bn;
	da_buf		bv;

	da_buf_init(&bn);
	da_buf_init(&bv);
	da_uri_encode(&bn, name);
	da_uri_encode(&bv, value);
	params[*n].name = da_buf_steal(&bn);
	params[*n].value = da_buf_steal(&bv);
	(*n)++;
	return params[*n - 1].name != NULL && params[*n - 1].value != NULL;
}

/* Free an array of n parameters (values may hold a session token). */
static void
params_free(sigv4_param *params, int n)
{
	int			i;

	if (params == NULL)
		return;
	for (i = 0; i < n; i++)
	{
		free(params[i].name);
		da_free_secret(params[i].value);
	}
	free(params);
}

/* Append the parameters as name=value joined by '&', in array order. */
static bool
query_join(da_buf *b, const sigv4_param *params, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		da_buf_printf(b, "%s%s=%s", i ? "&" : "", params[i].name,
					  params[i].value);
	return !b->oom;
}

/*
 * Step 1: the canonical query string, every parameter sorted by encoded
 * name then value.  params is left in emission order.
 */
static bool
canonical_query(da_buf *b, const sigv4_param *params, int n)
{
	sigv4_param *sorted;
	bool		ok;

	sorted = malloc(sizeof(sigv4_param) * (size_t) (n > 0 ? n : 1));
	if (sorted == NULL)
	{
		b->oom = true;
		return false;
	}
	memcpy(sorted, params, sizeof(sigv4_param) * (size_t) n);
	qsort(sorted, (size_t) n, sizeof(sigv4_param), param_cmp);
	ok = query_join(b, sorted, n);
	free(sorted);
	return ok;
}

/*
 * Step 2: the canonical request.  headers is the canonical header block
 * ("name:value\n" for each), signed the ';'-joined names.
 */
static bool
canonical_request(da_buf *b, const char *method, const char *path,
				  const char *cquery, const char *headers,
				  const char *signed_headers, const char *payload_hash)
{
	return da_buf_printf(b, "%s\n%s\n%s\n%s\n%s\n%s", method, path, cquery,
						 headers, signed_headers, payload_hash);
}

/* Step 3: the string to sign. */
static bool
string_to_sign(da_buf *b, const sigv4_ctx *ctx, const char *creq,
			   char **errp)
{
	char		hash[SHA256_HEX_LEN + 1];

	if (!sha256_hex(creq, strlen(creq), hash, errp))
		return false;
	da_buf_printf(b, ALGORITHM "\n%s\n", ctx->amz_date);
	credential_scope(b, ctx);
	da_buf_printf(b, "\n%s", hash);
	return !b->oom;
}

/*
 * Step 4: the signing key, HMAC chain from "AWS4" + secret over date,
 * region, service and "aws4_request".  Every intermediate is wiped.
 */
static bool
signing_key(const sigv4_ctx *ctx, unsigned char key[SHA256_LEN],
			char **errp)
{
	da_buf		ksecret;
	unsigned char kdate[SHA256_LEN];
	unsigned char kregion[SHA256_LEN];
	unsigned char kservice[SHA256_LEN];
	bool		ok = false;

	da_buf_init(&ksecret);
	da_buf_append(&ksecret, "AWS4");
	da_buf_append(&ksecret, ctx->creds->secret_access_key);
	if (ksecret.oom)
	{
		da_seterr(errp, "out of memory");
		goto cleanup;
	}
	if (!hmac_sha256((unsigned char *) ksecret.data, ksecret.len, ctx->date,
					 kdate, errp) ||
		!hmac_sha256(kdate, SHA256_LEN, ctx->region, kregion, errp) ||
		!hmac_sha256(kregion, SHA256_LEN, ctx->service, kservice, errp) ||
		!hmac_sha256(kservice, SHA256_LEN, "aws4_request", key, errp))
		goto cleanup;
	ok = true;

cleanup:
	da_buf_free(&ksecret);
	da_wipe(kdate, sizeof(kdate));
	da_wipe(kregion, sizeof(kregion));
	da_wipe(kservice, sizeof(kservice));
	if (!ok)
		da_wipe(key, SHA256_LEN);
	return ok;
}

/* Step 5: hex HMAC of the string to sign with the signing key. */
static bool
signature(const sigv4_ctx *ctx, const char *sts,
		  char out[SHA256_HEX_LEN + 1], char **errp)
{
	unsigned char key[SHA256_LEN];
	unsigned char mac[SHA256_LEN];
	bool		ok = false;

	if (!signing_key(ctx, key, errp))
		return false;
	if (!hmac_sha256(key, SHA256_LEN, sts, mac, errp))
		goto cleanup;
	hex_encode(mac, SHA256_LEN, out);
	ok = true;

cleanup:
	da_wipe(key, sizeof(key));
	da_wipe(mac, sizeof(mac));
	return ok;
}

/* Build a query-presigned GET URL for host (without a scheme). */
char *
da_sigv4_presign(const char *host,
				 const char *const *param_names,
				 const char *const *param_values,
				 int nparams,
				 const char *service,
				 const char *region,
				 int expires_in,
				 time_t signed_at,
				 const da_credentials *creds,
				 char **errp)
{
	sigv4_ctx	ctx;
	sigv4_param *params = NULL;
	int			n = 0;
	int			i;
	da_buf		tmp;
	da_buf		cquery;
	da_buf		creq;
	da_buf		sts;
	da_buf		url;
	char		expires[16];
	char		sig[SHA256_HEX_LEN + 1];
	char	   *result = NULL;

	da_buf_init(&tmp);
	da_buf_init(&cquery);
	da_buf_init(&creq);
	da_buf_init(&sts);
	da_buf_init(&url);
	sig[0] = '\0';

	if (expires_in < DA_EXPIRES_MIN || expires_in > DA_EXPIRES_MAX)
	{
		da_seterr(errp, "token lifetime %d seconds is out of range (%d to %d seconds)",
				  expires_in, DA_EXPIRES_MIN, DA_EXPIRES_MAX);
		goto cleanup;
	}
	if (nparams < 0 || nparams > 1000 ||
		(nparams > 0 && (param_names == NULL || param_values == NULL)))
	{
		da_seterr(errp, "invalid query parameter list");
		goto cleanup;
	}
	for (i = 0; i < nparams; i++)
	{
		if (param_names[i] == NULL || param_values[i] == NULL)
		{
			da_seterr(errp, "query parameter %d is NULL", i + 1);
			goto cleanup;
		}
	}
	if (!sigv4_prepare(&ctx, host, service, region, signed_at, creds, errp))
		goto cleanup;

	/* The parameters, in the order botocore emits them. */
	params = calloc((size_t) nparams + 6, sizeof(sigv4_param));
	if (params == NULL)
		goto oom;
	for (i = 0; i < nparams; i++)
		if (!param_add(params, &n, param_names[i], param_values[i]))
			goto oom;
	da_buf_printf(&tmp, "%s/", creds->access_key_id);
	credential_scope(&tmp, &ctx);
	snprintf(expires, sizeof(expires), "%d", expires_in);
	if (tmp.oom ||
		!param_add(params, &n, "X-Amz-Algorithm", ALGORITHM) ||
		!param_add(params, &n, "X-Amz-Credential", tmp.data) ||
		!param_add(params, &n, "X-Amz-Date", ctx.amz_date) ||
		!param_add(params, &n, "X-Amz-Expires", expires) ||
		!param_add(params, &n, "X-Amz-SignedHeaders", "host"))
		goto oom;
	if (has_session_token(creds) &&
		!param_add(params, &n, "X-Amz-Security-Token", creds->session_token))
		goto oom;

	/* Canonical request over the lower-cased host, then sign it. */
	da_buf_free(&tmp);
	da_buf_append(&tmp, "host:");
	signed_host(&tmp, host);
	da_buf_appendc(&tmp, '\n');
	if (!canonical_query(&cquery, params, n) || tmp.oom ||
		!canonical_request(&creq, "GET", "/", cquery.data, tmp.data, "host",
						   EMPTY_SHA256_HEX))
		goto oom;
	if (!string_to_sign(&sts, &ctx, creq.data, errp))
		goto cleanup;
	if (!signature(&ctx, sts.data, sig, errp))
		goto cleanup;

	/* host as given, "/?", the parameters in order, the signature last. */
	da_buf_append(&url, host);
	da_buf_append(&url, "/?");
	query_join(&url, params, n);
	da_buf_printf(&url, "&X-Amz-Signature=%s", sig);
	if (url.oom)
		goto oom;
	result = da_buf_steal(&url);
	goto cleanup;

oom:
	da_seterr(errp, "out of memory");
cleanup:
	params_free(params, n);
	da_buf_free(&tmp);
	da_buf_free(&cquery);
	da_buf_free(&creq);
	da_buf_free(&sts);
	da_buf_free(&url);
	return result;
}

/* Aurora DSQL token: DbConnectAdmin for user "admin", else DbConnect. */
char *
da_dsql_token(const char *host, const char *user,
			  const char *region, int expires_in,
			  time_t signed_at, const da_credentials *creds,
			  char **errp)
{
	const char *names[1] = {"Action"};
	const char *values[1];

	if (user == NULL || user[0] == '\0')
	{
		da_seterr(errp, "no database user to sign a token for");
		return NULL;
	}
	values[0] = strcmp(user, "admin") == 0 ? "DbConnectAdmin" : "DbConnect";
	return da_sigv4_presign(host, names, values, 1, "dsql", region,
							expires_in, signed_at, creds, errp);
}

/* RDS IAM token: rds-db, "host:port", Action=connect&DBUser=user. */
char *
da_rds_token(const char *host, int port, const char *user,
			 const char *region, int expires_in,
			 time_t signed_at, const da_credentials *creds,
			 char **errp)
{
	const char *names[2] = {"Action", "DBUser"};
	const char *values[2];
	da_buf		hp;
	char	   *token = NULL;

	if (host == NULL || host[0] == '\0')
	{
		da_seterr(errp, "cannot sign a request for an empty host name");
		return NULL;
	}
	if (port < 1 || port > 65535)
	{
		da_seterr(errp, "port %d is out of range (1 to 65535)", port);
		return NULL;
	}
	if (user == NULL || user[0] == '\0')
	{
		da_seterr(errp, "no database user to sign a token for");
		return NULL;
	}
	values[0] = "connect";
	values[1] = user;
	da_buf_init(&hp);
	if (!da_buf_printf(&hp, "%s:%d", host, port))
	{
		da_seterr(errp, "out of memory");
		da_buf_free(&hp);
		return NULL;
	}
	token = da_sigv4_presign(hp.data, names, values, 2, "rds-db", region,
							 expires_in, signed_at, creds, errp);
	da_buf_free(&hp);
	return token;
}

/* qsort comparator: by name, then by input position (a stable sort). */
static int
header_cmp(const void *a, const void *b)
{
	const sigv4_header *ha = a;
	const sigv4_header *hb = b;
	int			r = strcmp(ha->name, hb->name);

	return r != 0 ? r : (ha->order > hb->order) - (ha->order < hb->order);
}

/* Append value with blanks trimmed at both ends and runs squeezed to one. */
static bool
append_trimall(da_buf *b, const char *value)
{
	const char *p = value;
	bool		first = true;

	while (*p)
	{
		const char *start;

		while (*p && is_blank(*p))
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p && !is_blank(*p))
			p++;
		if (!first)
			da_buf_appendc(b, ' ');
		da_buf_append_len(b, start, (size_t) (p - start));
		first = false;
	}
	return !b->oom;
}

/* Add one header, lower-casing the name and trimming the value. */
static bool
header_add(sigv4_header *hdrs, int *n, const char *name, size_t namelen,
		   const char *value)
{
	da_buf		bn;
	da_buf		bv;
	size_t		i;

	da_buf_init(&bn);
	da_buf_init(&bv);
	for (i = 0; i < namelen; i++)
		da_buf_appendc(&bn, ascii_lower(name[i]));
	append_trimall(&bv, value);
	hdrs[*n].name = da_buf_steal(&bn);
	hdrs[*n].value = da_buf_steal(&bv);
	hdrs[*n].order = *n;
	(*n)++;
	return hdrs[*n - 1].name != NULL && hdrs[*n - 1].value != NULL;
}

/* Free an array of n headers (one may hold the session token). */
static void
headers_free(sigv4_header *hdrs, int n)
{
	int			i;

	if (hdrs == NULL)
		return;
	for (i = 0; i < n; i++)
	{
		free(hdrs[i].name);
		da_free_secret(hdrs[i].value);
	}
	free(hdrs);
}

/*
 * Sort the headers and build the canonical header block and the signed
 * header list; repeated names are merged, values joined with ','.
 */
static bool
canonical_headers(da_buf *block, da_buf *names, sigv4_header *hdrs, int n)
{
	int			i;

	qsort(hdrs, (size_t) n, sizeof(sigv4_header), header_cmp);
	for (i = 0; i < n; i++)
	{
		if (i > 0 && strcmp(hdrs[i].name, hdrs[i - 1].name) == 0)
		{
			/* replace the previous '\n' with ",value\n" */
			block->len--;
			block->data[block->len] = '\0';
			da_buf_printf(block, ",%s\n", hdrs[i].value);
			continue;
		}
		da_buf_printf(block, "%s:%s\n", hdrs[i].name, hdrs[i].value);
		da_buf_printf(names, "%s%s", i ? ";" : "", hdrs[i].name);
	}
	return !block->oom && !names->oom;
}

/* Compute the Authorization header value for an AWS API request. */
char *
da_sigv4_authorization(const char *method, const char *host,
					   const char *path, const char *query,
					   const char *body, size_t body_len,
					   const char *const *extra_headers,
					   int nextra,
					   const char *service, const char *region,
					   time_t signed_at,
					   const da_credentials *creds,
					   char amz_date[17],
					   char **errp)
{
	sigv4_ctx	ctx;
	sigv4_header *hdrs = NULL;
	int			n = 0;
	int			i;
	da_buf		tmp;
	da_buf		meth;
	da_buf		block;
	da_buf		names;
	da_buf		creq;
	da_buf		sts;
	da_buf		auth;
	char		payload[SHA256_HEX_LEN + 1];
	char		sig[SHA256_HEX_LEN + 1];
	char	   *result = NULL;

	da_buf_init(&tmp);
	da_buf_init(&meth);
	da_buf_init(&block);
	da_buf_init(&names);
	da_buf_init(&creq);
	da_buf_init(&sts);
	da_buf_init(&auth);
	if (amz_date)
		amz_date[0] = '\0';

	if (method == NULL || method[0] == '\0')
	{
		da_seterr(errp, "cannot sign a request without an HTTP method");
		goto cleanup;
	}
	if (nextra < 0 || nextra > 1000 || (nextra > 0 && extra_headers == NULL) ||
		(body == NULL && body_len > 0))
	{
		da_seterr(errp, "invalid request to sign");
		goto cleanup;
	}
	if (!sigv4_prepare(&ctx, host, service, region, signed_at, creds, errp))
		goto cleanup;
	if (amz_date)
		memcpy(amz_date, ctx.amz_date, 17);

	/* host, x-amz-date, x-amz-security-token and the caller's headers */
	hdrs = calloc((size_t) nextra + 3, sizeof(sigv4_header));
	if (hdrs == NULL)
		goto oom;
	signed_host(&tmp, host);
	if (tmp.oom || !header_add(hdrs, &n, "host", 4, tmp.data) ||
		!header_add(hdrs, &n, "x-amz-date", 10, ctx.amz_date))
		goto oom;
	if (has_session_token(creds) &&
		!header_add(hdrs, &n, "x-amz-security-token", 20,
					creds->session_token))
		goto oom;
	for (i = 0; i < nextra; i++)
	{
		const char *h = extra_headers[i];
		const char *colon = h ? strchr(h, ':') : NULL;
		const char *name_end;
		const char *name = h;

		if (colon == NULL)
		{
			da_seterr(errp, "extra header %d is not \"name:value\"", i + 1);
			goto cleanup;
		}
		while (name < colon && is_blank(*name))
			name++;
		name_end = colon;
		while (name_end > name && is_blank(name_end[-1]))
			name_end--;
		if (name == name_end)
		{
			da_seterr(errp, "extra header %d has an empty name", i + 1);
			goto cleanup;
		}
		if (!header_add(hdrs, &n, name, (size_t) (name_end - name),
						colon + 1))
			goto oom;
		if (strcmp(hdrs[n - 1].name, "host") == 0 ||
			strcmp(hdrs[n - 1].name, "x-amz-date") == 0 ||
			strcmp(hdrs[n - 1].name, "x-amz-security-token") == 0 ||
			strcmp(hdrs[n - 1].name, "authorization") == 0)
		{
			da_seterr(errp, "extra header \"%s\" is set by the signer",
					  hdrs[n - 1].name);
			goto cleanup;
		}
	}

	for (i = 0; method[i]; i++)
		da_buf_appendc(&meth, ascii_upper(method[i]));
	if (!sha256_hex(body ? body : "", body_len, payload, errp))
		goto cleanup;
	if (meth.oom || !canonical_headers(&block, &names, hdrs, n) ||
		!canonical_request(&creq, meth.data,
						   (path && path[0]) ? path : "/",
						   query ? query : "", block.data, names.data,
						   payload))
		goto oom;
	if (!string_to_sign(&sts, &ctx, creq.data, errp))
		goto cleanup;
	if (!signature(&ctx, sts.data, sig, errp))
		goto cleanup;

	da_buf_printf(&auth, ALGORITHM " Credential=%s/", creds->access_key_id);
	credential_scope(&auth, &ctx);
	da_buf_printf(&auth, ", SignedHeaders=%s, Signature=%s", names.data, sig);
	if (auth.oom)
		goto oom;
	result = da_buf_steal(&auth);
	goto cleanup;

oom:
	da_seterr(errp, "out of memory");
cleanup:
	if (result == NULL && amz_date)
		amz_date[0] = '\0';
	headers_free(hdrs, n);
	da_buf_free(&tmp);
	da_buf_free(&meth);
	da_buf_free(&block);
	da_buf_free(&names);
	da_buf_free(&creq);
	da_buf_free(&sts);
	da_buf_free(&auth);
	return result;
}
