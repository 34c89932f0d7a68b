/*
 * da_src_meta.c
 *		Credentials from the compute environment: the container credentials
 *		endpoint (ECS task roles, EKS Pod Identity) and EC2 instance metadata
 *		(IMDSv2, falling back to IMDSv1).
 *
 * Neither is ever reached through a proxy.  Timeouts follow the SDKs: the
 * container endpoint gets 2 s and 3 attempts; instance metadata
 * AWS_METADATA_SERVICE_TIMEOUT (1 s) and AWS_METADATA_SERVICE_NUM_ATTEMPTS
 * (1), so an instance without metadata costs at most about a second.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "da_http.h"
#include "da_json.h"
#include "da_src.h"

#define CONTAINER_HOST "http://169.254.170.2"
#define CONTAINER_TIMEOUT_MS 2000
#define CONTAINER_ATTEMPTS 3
#define IMDS_DEFAULT "http://169.254.169.254"
#define IMDS_DEFAULT_V6 "http://[fd00:ec2::254]"
#define META_MAX (64 * 1024)

/* Parse the JSON credential document of containers and IMDS (see header). */
bool
da_meta_parse_credentials(const char *text, size_t len, const char *what,
						  da_credentials *out, char **errp)
{
	char	   *perr = NULL;
	da_json    *doc = da_json_parse(text, len, what, &perr);
	const char *key;
	const char *secret;
	const char *token;
	const char *exp;
	const char *code;
	time_t		expiration = 0;
	bool		ok = false;

	memset(out, 0, sizeof(*out));
	if (doc == NULL || !da_json_is_object(doc))
	{
		da_seterr(errp, "%s", perr ? perr : "the credentials document is not a JSON object");
		goto done;
	}
	code = da_json_string(doc, "Code");
	if (code && strcmp(code, "Success") != 0)
	{
		char	   *pc = da_printable(code, 100);

		da_seterr(errp, "%s reports Code \"%s\"", what, pc ? pc : "?");
		free(pc);
		goto done;
	}
	key = da_json_string(doc, "AccessKeyId");
	secret = da_json_string(doc, "SecretAccessKey");
	token = da_json_string(doc, "Token");
	exp = da_json_string(doc, "Expiration");
	if (key == NULL || key[0] == '\0' || secret == NULL || secret[0] == '\0')
	{
		da_seterr(errp, "%s lacks AccessKeyId or SecretAccessKey", what);
		goto done;
	}
	if (exp && !da_parse_iso8601(exp, &expiration))
	{
		da_seterr(errp, "%s has an unreadable Expiration", what);
		goto done;
	}
	if (!da_creds_set_keys(out, key, secret, token, expiration))
	{
		da_seterr(errp, "out of memory");
		goto done;
	}
	ok = true;
done:
	free(perr);
	da_json_free(doc);
	return ok;
}

/*
 * May plain http go to this host?  The SDKs allow only the ECS and EKS
 * link-local addresses and loopback.  host is "name[:port]" or "[v6]:port".
 */
static bool
host_allowed_for_http(const char *hostport)
{
	char	   *h;
	const char *end;
	bool		ok = false;
	struct in_addr a4;
	struct in6_addr a6;

	if (hostport[0] == '[')
	{
		end = strchr(hostport, ']');
		if (end == NULL)
			return false;
		h = strndup(hostport + 1, (size_t) (end - hostport - 1));
	}
	else
	{
		end = strchr(hostport, ':');
		h = end ? strndup(hostport, (size_t) (end - hostport)) : strdup(hostport);
	}
	if (h == NULL)
		return false;
	if (strcasecmp(h, "localhost") == 0)
		ok = true;
	else if (inet_pton(AF_INET, h, &a4) == 1)
	{
		uint32_t	v = ntohl(a4.s_addr);

		ok = (v >> 24) == 127 || v == 0xA9FEAA02u /* 169.254.170.2 */ ||
			v == 0xA9FEAA17u;	/* 169.254.170.23 */
	}
	else if (inet_pton(AF_INET6, h, &a6) == 1)
	{
		static const unsigned char eks[16] = {0xfd, 0, 0x0e, 0xc2, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0x23};

		ok = IN6_IS_ADDR_LOOPBACK(&a6) || memcmp(&a6, eks, 16) == 0;
	}
	free(h);
	return ok;
}

/* The container authorization token (malloc'd), or NULL (none or error). */
static char *
container_auth(bool *failed, char **errp)
{
	const char *file = da_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *v;
	char	   *tok = NULL;

	*failed = false;
	if (file)
	{
		FILE	   *f = fopen(file, "re");
		da_buf		b;
		char		chunk[1024];
		size_t		n;

		if (f == NULL)
		{
			da_seterr(errp, "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s: %s",
					  file, strerror(errno));
			*failed = true;
			return NULL;
		}
		da_buf_init(&b);
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len < META_MAX)
			da_buf_append_len(&b, chunk, n);
		da_wipe(chunk, sizeof(chunk));
		fclose(f);
		while (b.len > 0 && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
			b.data[--b.len] = '\0';
		tok = da_buf_steal(&b);
	}
	else if ((v = da_env("AWS_CONTAINER_AUTHORIZATION_TOKEN")) != NULL)
		tok = strdup(v);
	if (tok && strpbrk(tok, "\r\n"))
	{
		da_seterr(errp, "the container authorization token contains a line break");
		da_free_secret(tok);
		*failed = true;
		return NULL;
	}
	return tok;
}

/* Container credentials (see header). */
da_meta_result
da_container_credentials(da_credentials *out, char **where, const char **why,
						 char **errp)
{
	const char *rel = da_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = da_env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	da_buf		url;
	da_buf		hdr;
	char	   *hostport = NULL;
	char	   *path = NULL;
	bool		https = false;
	char	   *tok = NULL;
	bool		failed;
	int			attempt;
	char	   *lasterr = NULL;
	da_meta_result result = DA_META_ERROR;

	memset(out, 0, sizeof(*out));
	*where = NULL;
	*why = NULL;
	if (rel == NULL && full == NULL)
	{
		*why = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI not set";
		return DA_META_NOTHING;
	}
	da_buf_init(&url);
	da_buf_init(&hdr);
	if (rel)
		da_buf_printf(&url, "%s%s%s", CONTAINER_HOST, rel[0] == '/' ? "" : "/",
					  rel);
	else
	{
		if (!da_url_split(full, &https, &hostport, &path, errp))
			goto done;
		if (!https && !host_allowed_for_http(hostport))
		{
			char	   *ph = da_printable(hostport, 100);

			da_seterr(errp, "AWS_CONTAINER_CREDENTIALS_FULL_URI uses plain http to host \"%s\", which is not a loopback or container link-local address (169.254.170.2, 169.254.170.23, fd00:ec2::23); use https or one of those hosts",
					  ph ? ph : "?");
			free(ph);
			goto done;
		}
		da_buf_append(&url, full);
	}
	tok = container_auth(&failed, errp);
	if (failed)
		goto done;
	if (tok)
		da_buf_printf(&hdr, "Authorization: %s", tok);
	if (url.oom || hdr.oom)
	{
		da_seterr(errp, "out of memory");
		goto done;
	}
	*where = strdup(url.data);

	for (attempt = 0; attempt < CONTAINER_ATTEMPTS; attempt++)
	{
		da_http_request req;
		da_http_response resp;
		const char *headers[2] = {"Accept: application/json", hdr.data};

		free(lasterr);
		lasterr = NULL;
		if (attempt > 0)
			da_sleep_ms(1000);
		memset(&req, 0, sizeof(req));
		req.method = "GET";
		req.url = url.data;
		req.headers = headers;
		req.nheaders = tok ? 2 : 1;
		req.connect_timeout_ms = CONTAINER_TIMEOUT_MS;
		req.timeout_ms = CONTAINER_TIMEOUT_MS;
		req.no_proxy = true;
		req.max_response = META_MAX;
		if (!da_http_perform(&req, &resp, &lasterr))
			continue;
		if (resp.status >= 500 || resp.status == 429)
		{
			da_seterr(&lasterr, "the container credentials endpoint answered HTTP %ld",
					  resp.status);
			da_http_response_clear(&resp);
			continue;
		}
		if (resp.status != 200)
		{
			da_seterr(&lasterr, "the container credentials endpoint answered HTTP %ld",
					  resp.status);
			da_http_response_clear(&resp);
			break;
		}
		if (da_meta_parse_credentials(resp.body, resp.body_len,
									  "the container credentials response",
									  out, &lasterr))
			result = DA_META_FOUND;
		da_http_response_clear(&resp);
		break;
	}
	if (result != DA_META_FOUND)
		da_seterr(errp, "container credentials from %s: %s", url.data,
				  lasterr ? lasterr : "failed");

done:
	free(lasterr);
	da_free_secret(tok);
	free(hostport);
	free(path);
	da_buf_free(&url);
	da_buf_free(&hdr);
	return result;
}

/* One IMDS request with the configured timeout and attempts. */
static bool
imds_request(const char *method, const char *url, const char *const *headers,
			 int nheaders, long timeout_ms, int attempts,
			 da_http_response *resp, char **errp)
{
	int			i;
	char	   *lasterr = NULL;

	for (i = 0; i < attempts; i++)
	{
		da_http_request req;

		free(lasterr);
		lasterr = NULL;
		memset(&req, 0, sizeof(req));
		req.method = method;
		req.url = url;
		req.headers = headers;
		req.nheaders = nheaders;
		req.connect_timeout_ms = timeout_ms;
		req.timeout_ms = timeout_ms;
		req.no_proxy = true;
		req.max_response = META_MAX;
		if (da_http_perform(&req, resp, &lasterr))
		{
			if (resp->status < 500 || i + 1 == attempts)
			{
				free(lasterr);
				return true;
			}
			da_http_response_clear(resp);
			da_seterr(&lasterr, "HTTP %ld", resp->status);
		}
	}
	da_seterr(errp, "%s", lasterr ? lasterr : "no answer");
	free(lasterr);
	return false;
}

/* EC2 instance metadata credentials (see header). */
da_meta_result
da_imds_credentials(da_credentials *out, char **role, char **why, char **errp)
{
	const char *v;
	char	   *base = NULL;
	long		timeout_ms = 1000;
	int			attempts = 1;
	bool		v1_disabled;
	da_http_response resp;
	char	   *token = NULL;
	char	   *err = NULL;
	da_buf		url;
	da_buf		tokhdr;
	const char *hdrs[1];
	int			nh = 0;
	da_meta_result result = DA_META_NOTHING;

	memset(out, 0, sizeof(*out));
	memset(&resp, 0, sizeof(resp));
	*role = NULL;
	*why = NULL;
	da_buf_init(&url);
	da_buf_init(&tokhdr);

	v = da_env("AWS_EC2_METADATA_DISABLED");
	if (v && strcasecmp(v, "true") == 0)
	{
		*why = strdup("disabled by AWS_EC2_METADATA_DISABLED");
		return DA_META_NOTHING;
	}
	v1_disabled = (v = da_env("AWS_EC2_METADATA_V1_DISABLED")) != NULL &&
		strcasecmp(v, "true") == 0;
	if ((v = da_env("AWS_METADATA_SERVICE_TIMEOUT")) != NULL)
	{
		char	   *end;
		double		d = strtod(v, &end);

		if (*end != '\0' || !(d > 0) || d > 3600)
		{
			da_seterr(errp, "AWS_METADATA_SERVICE_TIMEOUT=\"%.40s\" is not a number of seconds", v);
			return DA_META_ERROR;
		}
		timeout_ms = (long) (d * 1000);
		if (timeout_ms < 1)
			timeout_ms = 1;
	}
	if ((v = da_env("AWS_METADATA_SERVICE_NUM_ATTEMPTS")) != NULL)
	{
		char	   *end;
		long		n = strtol(v, &end, 10);

		if (*end != '\0' || n < 1 || n > 100)
		{
			da_seterr(errp, "AWS_METADATA_SERVICE_NUM_ATTEMPTS=\"%.40s\" is not a positive integer", v);
			return DA_META_ERROR;
		}
		attempts = (int) n;
	}
	if ((v = da_env("AWS_EC2_METADATA_SERVICE_ENDPOINT")) != NULL)
		base = strdup(v);
	else if ((v = da_env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")) != NULL &&
			 strcasecmp(v, "IPv6") == 0)
		base = strdup(IMDS_DEFAULT_V6);
	else
		base = strdup(IMDS_DEFAULT);
	if (base == NULL)
	{
		da_seterr(errp, "out of memory");
		return DA_META_ERROR;
	}
	{
		size_t		n = strlen(base);

		while (n > 0 && base[n - 1] == '/')
			base[--n] = '\0';
	}

	/* IMDSv2: a session token */
	da_buf_printf(&url, "%s/latest/api/token", base);
	hdrs[0] = "X-aws-ec2-metadata-token-ttl-seconds: 21600";
	if (!imds_request("PUT", url.data, hdrs, 1, timeout_ms, attempts, &resp,
					  &err))
	{
		da_buf_printf((da_buf *) &tokhdr, "instance metadata at %s not reachable (%s)",
					  base, err ? err : "no answer");
		*why = da_buf_steal(&tokhdr);
		goto done;
	}
	if (resp.status == 200 && resp.body_len > 0)
	{
		token = strndup(resp.body, resp.body_len);
		if (token == NULL || strpbrk(token, "\r\n"))
		{
			*why = strdup("instance metadata returned an unusable session token");
			goto done;
		}
		da_buf_printf(&tokhdr, "X-aws-ec2-metadata-token: %s", token);
		hdrs[0] = tokhdr.data;
		nh = 1;
	}
	else if (resp.status == 400)
	{
		*why = strdup("instance metadata rejected the session token request (HTTP 400)");
		goto done;
	}
	else if (v1_disabled)
	{
		da_buf b;

		da_buf_init(&b);
		da_buf_printf(&b, "no IMDSv2 session token (HTTP %ld) and IMDSv1 is disabled by AWS_EC2_METADATA_V1_DISABLED",
					  resp.status);
		*why = da_buf_steal(&b);
		goto done;
	}
	da_http_response_clear(&resp);

	/* the instance profile's role */
	da_buf_free(&url);
	da_buf_printf(&url, "%s/latest/meta-data/iam/security-credentials/", base);
	free(err);
	err = NULL;
	if (!imds_request("GET", url.data, hdrs, nh, timeout_ms, attempts, &resp,
					  &err))
	{
		da_buf		b;

		da_buf_init(&b);
		da_buf_printf(&b, "instance metadata at %s did not answer (%s)", base,
					  err ? err : "no answer");
		*why = da_buf_steal(&b);
		goto done;
	}
	if (resp.status != 200 || resp.body_len == 0)
	{
		da_buf		b;

		da_buf_init(&b);
		da_buf_printf(&b, "no instance profile role in instance metadata (HTTP %ld)",
					  resp.status);
		*why = da_buf_steal(&b);
		goto done;
	}
	{
		size_t		n = strcspn(resp.body, "\r\n");

		while (n > 0 && isspace((unsigned char) resp.body[n - 1]))
			n--;
		*role = strndup(resp.body, n);
		if (*role == NULL || (*role)[0] == '\0' || strchr(*role, '/') ||
			strchr(*role, '?'))
		{
			free(*role);
			*role = NULL;
			*why = strdup("instance metadata returned an unusable role name");
			goto done;
		}
	}
	da_http_response_clear(&resp);

	/* the role's credentials */
	da_buf_free(&url);
	da_buf_printf(&url, "%s/latest/meta-data/iam/security-credentials/", base);
	da_uri_encode(&url, *role);
	free(err);
	err = NULL;
	if (!imds_request("GET", url.data, hdrs, nh, timeout_ms, attempts, &resp,
					  &err) || resp.status != 200)
	{
		da_buf		b;

		da_buf_init(&b);
		if (err)
			da_buf_printf(&b, "instance metadata credentials for role %s: %s",
						  *role, err);
		else
			da_buf_printf(&b, "instance metadata credentials for role %s: HTTP %ld",
						  *role, resp.status);
		*why = da_buf_steal(&b);
		goto done;
	}
	free(err);
	err = NULL;
	if (!da_meta_parse_credentials(resp.body, resp.body_len,
								   "the instance metadata credentials",
								   out, &err))
	{
		*why = err;
		err = NULL;
		goto done;
	}
	result = DA_META_FOUND;

done:
	if (result == DA_META_NOTHING && *why == NULL)
		*why = strdup("instance metadata gave nothing");
	free(err);
	free(base);
	da_free_secret(token);
	da_http_response_clear(&resp);
	da_buf_free(&url);
	da_buf_free(&tokhdr);
	return result;
}
