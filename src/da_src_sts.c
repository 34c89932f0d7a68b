/*
 * da_src_sts.c
 *		AWS STS: AssumeRole (signed by our own SigV4 signer with the source
 *		credentials) and AssumeRoleWithWebIdentity (unsigned, with the token
 *		read from its file on every call), over the STS Query API.
 *
 * The XML responses are small and fixed in shape, so they are read with a
 * tag extractor rather than an XML library: the <Credentials> of a
 * success, or the <Error><Code>/<Message> of a failure, with the five
 * predefined XML entities and numeric references decoded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "da_http.h"
#include "da_json.h"
#include "da_src.h"

#define STS_VERSION "2011-06-15"
#define STS_MAX_ATTEMPTS 3
#define WEB_TOKEN_MAX (1024 * 1024)

/* The STS endpoint for region (see header). */
char *
da_sts_endpoint(const char *region)
{
	const char *v;
	da_buf		b;

	if ((v = da_env("AWS_ENDPOINT_URL_STS")) != NULL ||
		(v = da_env("AWS_ENDPOINT_URL")) != NULL)
		return strdup(v);
	da_buf_init(&b);
	if (region == NULL)
		da_buf_append(&b, "https://sts.amazonaws.com");
	else
		da_buf_printf(&b, "https://sts.%s.amazonaws.com%s", region,
					  strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
	return da_buf_steal(&b);
}

/* Append the text between <tag> and </tag> in [p, end), entities decoded. */
static char *
xml_text(const char *p, const char *end, const char *tag)
{
	da_buf		open;
	da_buf		close;
	da_buf		out;
	const char *s;
	const char *e;

	da_buf_init(&open);
	da_buf_init(&close);
	da_buf_init(&out);
	da_buf_printf(&open, "<%s>", tag);
	da_buf_printf(&close, "</%s>", tag);
	if (open.oom || close.oom)
		goto fail;
	s = memmem(p, (size_t) (end - p), open.data, open.len);
	if (s == NULL)
		goto fail;
	s += open.len;
	e = memmem(s, (size_t) (end - s), close.data, close.len);
	if (e == NULL)
		goto fail;
	while (s < e)
	{
		if (*s == '&')
		{
			const char *semi = memchr(s, ';', (size_t) (e - s));
			size_t		n = semi ? (size_t) (semi - s) + 1 : 0;
			static const struct
			{
				const char *ent;
				char		c;
			}			ents[] = {
				{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'},
				{"&quot;", '"'}, {"&apos;", '\''}
			};
			size_t		i;
			bool		done = false;

			for (i = 0; semi && i < sizeof(ents) / sizeof(ents[0]); i++)
			{
				if (n == strlen(ents[i].ent) && memcmp(s, ents[i].ent, n) == 0)
				{
					da_buf_appendc(&out, ents[i].c);
					done = true;
				}
			}
			if (!done && semi && n > 3 && s[1] == '#')
			{
				long		cp = (s[2] == 'x') ? strtol(s + 3, NULL, 16) :
					strtol(s + 2, NULL, 10);

				/* ASCII only; anything else is kept as written */
				if (cp > 0 && cp < 128)
				{
					da_buf_appendc(&out, (char) cp);
					done = true;
				}
			}
			if (done)
			{
				s += n;
				continue;
			}
		}
		da_buf_appendc(&out, *s++);
	}
	if (out.data == NULL)
		da_buf_append(&out, "");
	da_buf_free(&open);
	da_buf_free(&close);
	return da_buf_steal(&out);

fail:
	da_buf_free(&open);
	da_buf_free(&close);
	da_buf_free(&out);
	return NULL;
}

/* Parse an STS response (see header). */
bool
da_sts_parse_response(const char *body, long status, const char *action,
					  da_credentials *out, char **errp)
{
	const char *end = body + strlen(body);
	const char *cred;
	char	   *key = NULL;
	char	   *secret = NULL;
	char	   *token = NULL;
	char	   *exp = NULL;
	time_t		expiration = 0;
	bool		ok = false;

	memset(out, 0, sizeof(*out));
	if (status != 200 || strstr(body, "<Error>") != NULL)
	{
		char	   *code = xml_text(body, end, "Code");
		char	   *msg = xml_text(body, end, "Message");
		char	   *pc = code ? da_printable(code, 100) : NULL;
		char	   *pm = msg ? da_printable(msg, 300) : NULL;

		if (pc)
			da_seterr(errp, "STS %s failed (HTTP %ld): %s%s%s", action, status,
					  pc, pm ? ": " : "", pm ? pm : "");
		else
			da_seterr(errp, "STS %s failed with HTTP status %ld and no error document",
					  action, status);
		free(code);
		free(msg);
		free(pc);
		free(pm);
		return false;
	}
	cred = strstr(body, "<Credentials>");
	if (cred == NULL)
	{
		da_seterr(errp, "STS %s returned a response without <Credentials>",
				  action);
		return false;
	}
	key = xml_text(cred, end, "AccessKeyId");
	secret = xml_text(cred, end, "SecretAccessKey");
	token = xml_text(cred, end, "SessionToken");
	exp = xml_text(cred, end, "Expiration");
	if (key == NULL || secret == NULL || key[0] == '\0' || secret[0] == '\0')
	{
		da_seterr(errp, "STS %s returned credentials without AccessKeyId or SecretAccessKey",
				  action);
		goto done;
	}
	if (exp == NULL || !da_parse_iso8601(exp, &expiration))
	{
		da_seterr(errp, "STS %s returned credentials without a valid Expiration",
				  action);
		goto done;
	}
	if (!da_creds_set_keys(out, key, secret, token, expiration))
	{
		da_seterr(errp, "out of memory");
		goto done;
	}
	ok = true;
done:
	free(key);
	da_free_secret(secret);
	da_free_secret(token);
	free(exp);
	return ok;
}

/* Is this response worth retrying (throttling or a server error)? */
static bool
retryable(const da_http_response *r)
{
	if (r->status >= 500 || r->status == 429)
		return true;
	return r->status == 400 && r->body &&
		(strstr(r->body, "<Code>Throttling</Code>") ||
		 strstr(r->body, "<Code>ThrottlingException</Code>") ||
		 strstr(r->body, "<Code>RequestLimitExceeded</Code>") ||
		 strstr(r->body, "<Code>IDPCommunicationError</Code>"));
}

/* Append "&name=value", value percent-encoded. */
static void
form_param(da_buf *b, const char *name, const char *value)
{
	da_buf_printf(b, "&%s=", name);
	da_uri_encode(b, value);
}

/*
 * POST one STS action with up to 3 attempts (throttling, 5xx, connection
 * errors; back-off 200 ms, 400 ms; a timeout is not retried, so a silent
 * endpoint costs one 10 s timeout); src NULL means unsigned.
 */
static bool
sts_call(const char *action, const char *region, const char *body,
		 const da_credentials *src, time_t now, da_credentials *out,
		 char **errp)
{
	char	   *url = da_sts_endpoint(region);
	char	   *hostport = NULL;
	char	   *path = NULL;
	bool		https;
	bool		ok = false;
	int			attempt;
	char	   *lasterr = NULL;

	if (url == NULL)
	{
		da_seterr(errp, "out of memory");
		return false;
	}
	if (!da_url_split(url, &https, &hostport, &path, errp))
		goto done;

	for (attempt = 0; attempt < STS_MAX_ATTEMPTS; attempt++)
	{
		da_http_request req;
		da_http_response resp;
		da_buf		h_host, h_date, h_auth, h_tok;
		const char *headers[5];
		int			nh = 0;
		char		amz_date[17];
		const char *ct = "content-type:application/x-www-form-urlencoded; charset=utf-8";
		bool		sent;

		free(lasterr);
		lasterr = NULL;
		if (attempt > 0)
			da_sleep_ms(200L << (attempt - 1));
		da_buf_init(&h_host);
		da_buf_init(&h_date);
		da_buf_init(&h_auth);
		da_buf_init(&h_tok);
		da_buf_printf(&h_host, "Host: %s", hostport);
		headers[nh++] = "Content-Type: application/x-www-form-urlencoded; charset=utf-8";
		headers[nh++] = h_host.data;
		if (src)
		{
			char	   *auth = da_sigv4_authorization("POST", hostport, path, "",
													  body, strlen(body),
													  &ct, 1, "sts",
													  region ? region : "us-east-1",
													  now, src, amz_date, errp);

			if (auth == NULL)
			{
				da_buf_free(&h_host);
				goto done;
			}
			da_buf_printf(&h_date, "X-Amz-Date: %s", amz_date);
			da_buf_printf(&h_auth, "Authorization: %s", auth);
			free(auth);
			headers[nh++] = h_date.data;
			headers[nh++] = h_auth.data;
			if (src->session_token && src->session_token[0])
			{
				da_buf_printf(&h_tok, "X-Amz-Security-Token: %s",
							  src->session_token);
				headers[nh++] = h_tok.data;
			}
		}
		if (h_host.oom || h_date.oom || h_auth.oom || h_tok.oom)
		{
			da_buf_free(&h_host);
			da_buf_free(&h_date);
			da_buf_free(&h_auth);
			da_buf_free(&h_tok);
			da_seterr(errp, "out of memory");
			goto done;
		}
		memset(&req, 0, sizeof(req));
		req.method = "POST";
		req.url = url;
		req.headers = headers;
		req.nheaders = nh;
		req.body = body;
		req.body_len = strlen(body);
		req.connect_timeout_ms = 3000;
		req.timeout_ms = 10000;
		sent = da_http_perform(&req, &resp, &lasterr);
		da_buf_free(&h_host);
		da_buf_free(&h_date);
		da_buf_free(&h_auth);
		da_buf_free(&h_tok);
		if (!sent)
		{
			/* a server that does not answer is not asked again */
			if (resp.timed_out)
				break;
			continue;
		}
		if (retryable(&resp) && attempt + 1 < STS_MAX_ATTEMPTS)
		{
			da_http_response_clear(&resp);
			continue;
		}
		ok = da_sts_parse_response(resp.body, resp.status, action, out,
								   &lasterr);
		da_http_response_clear(&resp);
		break;
	}
	if (!ok)
	{
		da_seterr(errp, "%s%s", lasterr ? lasterr : "STS call failed",
				  attempt >= STS_MAX_ATTEMPTS - 1 && attempt > 0 ? " (after 3 attempts)" : "");
	}

done:
	free(lasterr);
	free(url);
	free(hostport);
	free(path);
	return ok;
}

/* Append the parameters both AssumeRole calls share. */
static void
common_params(da_buf *b, const char *action, const da_sts_params *p,
			  time_t now)
{
	da_buf_printf(b, "Action=%s&Version=%s", action, STS_VERSION);
	form_param(b, "RoleArn", p->role_arn);
	if (p->session_name)
		form_param(b, "RoleSessionName", p->session_name);
	else
		da_buf_printf(b, "&RoleSessionName=botocore-session-%lld",
					  (long long) now);
}

/* AssumeRole (see header). */
bool
da_sts_assume_role(const da_sts_params *p, const da_credentials *src,
				   time_t now, da_credentials *out, char **errp)
{
	da_buf		body;
	bool		ok;

	da_buf_init(&body);
	common_params(&body, "AssumeRole", p, now);
	if (p->external_id)
		form_param(&body, "ExternalId", p->external_id);
	if (p->duration_seconds > 0)
		da_buf_printf(&body, "&DurationSeconds=%d", p->duration_seconds);
	if (body.oom)
	{
		da_buf_free(&body);
		da_seterr(errp, "out of memory");
		return false;
	}
	ok = sts_call("AssumeRole", p->region, body.data, src, now, out, errp);
	da_buf_free(&body);
	return ok;
}

/* Read the web identity token file (it is rotated; read on every call). */
static char *
read_token_file(const char *path, char **errp)
{
	FILE	   *f = fopen(path, "re");
	da_buf		b;
	char		chunk[4096];
	size_t		n;

	if (f == NULL)
	{
		da_seterr(errp, "cannot read the web identity token file %s: %s",
				  path, strerror(errno));
		return NULL;
	}
	da_buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
	{
		if (b.len + n > WEB_TOKEN_MAX)
		{
			da_seterr(errp, "the web identity token file %s is larger than 1 MiB",
					  path);
			da_wipe(chunk, sizeof(chunk));
			da_buf_free(&b);
			fclose(f);
			return NULL;
		}
		da_buf_append_len(&b, chunk, n);
	}
	da_wipe(chunk, sizeof(chunk));
	if (ferror(f))
	{
		da_seterr(errp, "cannot read the web identity token file %s", path);
		da_buf_free(&b);
		fclose(f);
		return NULL;
	}
	fclose(f);
	if (b.len == 0)
	{
		da_seterr(errp, "the web identity token file %s is empty", path);
		da_buf_free(&b);
		return NULL;
	}
	return da_buf_steal(&b);
}

/* AssumeRoleWithWebIdentity (see header). */
bool
da_sts_assume_role_web_identity(const da_sts_params *p, time_t now,
								da_credentials *out, char **errp)
{
	da_buf		body;
	char	   *token;
	bool		ok;

	token = read_token_file(p->web_identity_token_file, errp);
	if (token == NULL)
		return false;
	da_buf_init(&body);
	common_params(&body, "AssumeRoleWithWebIdentity", p, now);
	form_param(&body, "WebIdentityToken", token);
	da_free_secret(token);
	if (body.oom)
	{
		da_buf_free(&body);
		da_seterr(errp, "out of memory");
		return false;
	}
	ok = sts_call("AssumeRoleWithWebIdentity", p->region, body.data, NULL,
				  now, out, errp);
	da_buf_free(&body);
	return ok;
}
