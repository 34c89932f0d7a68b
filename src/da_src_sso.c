/*
 * da_src_sso.c
 *		AWS IAM Identity Center (SSO): the access token cached by
 *		"aws sso login" in ~/.aws/sso/cache/<sha1>.json, exchanged for role
 *		credentials by the portal's GetRoleCredentials.
 *
 * The cache file is named by the SHA-1 of the sso_session name (the
 * [sso-session] form) or of the start URL (the legacy form), as botocore
 * names it.  We never refresh the token ourselves: an expired or missing
 * token is an error that says to run "aws sso login --profile P".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "da_http.h"
#include "da_json.h"
#include "da_src.h"

#define SSO_CACHE_MAX (1024 * 1024)
#define SSO_MAX_ATTEMPTS 3

/* Lower-case hex SHA-1 of s, or NULL. */
static char *
sha1_hex(const char *s)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char	   *hex;
	unsigned int i;

	if (EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha1(), NULL) != 1)
		return NULL;
	hex = malloc(mdlen * 2 + 1);
	if (hex == NULL)
		return NULL;
	for (i = 0; i < mdlen; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	return hex;
}

/* Read a whole (small) file; NULL with errno set on failure. */
static char *
slurp(const char *path, size_t max, size_t *len)
{
	FILE	   *f = fopen(path, "re");
	da_buf		b;
	char		chunk[4096];
	size_t		n;

	if (f == NULL)
		return NULL;
	da_buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
	{
		if (b.len + n > max)
		{
			da_buf_free(&b);
			da_wipe(chunk, sizeof(chunk));
			fclose(f);
			errno = EFBIG;
			return NULL;
		}
		da_buf_append_len(&b, chunk, n);
	}
	da_wipe(chunk, sizeof(chunk));
	if (ferror(f))
	{
		da_buf_free(&b);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	*len = b.len;
	if (b.data == NULL)
		da_buf_append(&b, "");
	return da_buf_steal(&b);
}

/* The login command to suggest. */
static void
login_hint(da_buf *b, const da_sso_params *p)
{
	if (p->profile && strcmp(p->profile, "default") != 0)
		da_buf_printf(b, "aws sso login --profile %s", p->profile);
	else
		da_buf_append(b, "aws sso login");
}

/* Load the cached access token (malloc'd) or fail with a login hint. */
static char *
load_token(const da_sso_params *p, time_t now, char **errp)
{
	const char *key = p->session_name ? p->session_name : p->start_url;
	char	   *hex = sha1_hex(key);
	da_buf		path;
	da_buf		hint;
	char	   *text = NULL;
	size_t		len = 0;
	da_json    *doc = NULL;
	const char *tok;
	const char *exp;
	time_t		expires;
	char	   *result = NULL;
	char	   *perr = NULL;

	da_buf_init(&path);
	da_buf_init(&hint);
	login_hint(&hint, p);
	if (hex == NULL)
	{
		da_seterr(errp, "out of memory");
		goto done;
	}
	da_buf_printf(&path, "%s/%s.json", p->cache_dir, hex);
	if (path.oom || hint.oom)
	{
		da_seterr(errp, "out of memory");
		goto done;
	}
	text = slurp(path.data, SSO_CACHE_MAX, &len);
	if (text == NULL)
	{
		if (errno == ENOENT)
			da_seterr(errp, "no SSO token for %s %s in %s (not logged in); run \"%s\"",
					  p->session_name ? "sso-session" : "start URL", key,
					  p->cache_dir, hint.data);
		else
			da_seterr(errp, "cannot read the SSO token cache %s: %s; run \"%s\"",
					  path.data, strerror(errno), hint.data);
		goto done;
	}
	doc = da_json_parse(text, len, "the SSO token cache file", &perr);
	if (doc == NULL || !da_json_is_object(doc))
	{
		da_seterr(errp, "%s: %s; run \"%s\"", path.data,
				  perr ? perr : "not a JSON object", hint.data);
		goto done;
	}
	tok = da_json_string(doc, "accessToken");
	exp = da_json_string(doc, "expiresAt");
	if (tok == NULL || tok[0] == '\0' || exp == NULL)
	{
		da_seterr(errp, "the SSO token cache %s has no accessToken or expiresAt; run \"%s\"",
				  path.data, hint.data);
		goto done;
	}
	if (!da_parse_iso8601(exp, &expires))
	{
		da_seterr(errp, "the SSO token cache %s has an unreadable expiresAt; run \"%s\"",
				  path.data, hint.data);
		goto done;
	}
	if (expires <= now)
	{
		da_seterr(errp, "the SSO session for profile \"%s\" has expired; run \"%s\"",
				  p->profile, hint.data);
		goto done;
	}
	result = strdup(tok);
	if (result == NULL)
		da_seterr(errp, "out of memory");

done:
	free(perr);
	da_json_free(doc);
	if (text)
	{
		da_wipe(text, len);
		free(text);
	}
	free(hex);
	da_buf_free(&path);
	da_buf_free(&hint);
	return result;
}

/* Parse the GetRoleCredentials response. */
static bool
parse_role_credentials(const da_http_response *r, const da_sso_params *p,
					   da_credentials *out, char **errp)
{
	char	   *perr = NULL;
	da_json    *doc = da_json_parse(r->body, r->body_len,
									"the SSO GetRoleCredentials response",
									&perr);
	da_json    *rc;
	const char *key;
	const char *secret;
	const char *token;
	long long	ms;
	bool		ok = false;

	if (doc == NULL)
	{
		da_seterr(errp, "%s", perr ? perr : "invalid JSON");
		free(perr);
		return false;
	}
	rc = da_json_member(doc, "roleCredentials");
	key = da_json_string(rc, "accessKeyId");
	secret = da_json_string(rc, "secretAccessKey");
	token = da_json_string(rc, "sessionToken");
	if (key == NULL || secret == NULL || key[0] == '\0' || secret[0] == '\0' ||
		!da_json_int(rc, "expiration", &ms) || ms <= 0)
	{
		da_seterr(errp, "the SSO GetRoleCredentials response lacks roleCredentials (accessKeyId, secretAccessKey, expiration)");
		goto done;
	}
	if (!da_creds_set_keys(out, key, secret, token, (time_t) (ms / 1000)))
	{
		da_seterr(errp, "out of memory");
		goto done;
	}
	ok = true;
done:
	da_json_free(doc);
	return ok;
}

/* Read the cached SSO token and call GetRoleCredentials (see header). */
bool
da_sso_get_credentials(const da_sso_params *p, time_t now,
					   da_credentials *out, char **errp)
{
	char	   *token = NULL;
	const char *base;
	da_buf		url;
	da_buf		hdr;
	da_buf		hint;
	bool		ok = false;
	int			attempt;
	char	   *lasterr = NULL;

	memset(out, 0, sizeof(*out));
	da_buf_init(&url);
	da_buf_init(&hdr);
	da_buf_init(&hint);
	token = load_token(p, now, errp);
	if (token == NULL)
		return false;

	login_hint(&hint, p);
	if ((base = da_env("AWS_ENDPOINT_URL_SSO")) != NULL ||
		(base = da_env("AWS_ENDPOINT_URL")) != NULL)
	{
		size_t		n = strlen(base);

		while (n > 0 && base[n - 1] == '/')
			n--;
		da_buf_append_len(&url, base, n);
	}
	else
		da_buf_printf(&url, "https://portal.sso.%s.amazonaws.com%s",
					  p->sso_region,
					  strncmp(p->sso_region, "cn-", 3) == 0 ? ".cn" : "");
	da_buf_append(&url, "/federation/credentials?account_id=");
	da_uri_encode(&url, p->account_id);
	da_buf_append(&url, "&role_name=");
	da_uri_encode(&url, p->role_name);
	da_buf_printf(&hdr, "x-amz-sso_bearer_token: %s", token);
	if (url.oom || hdr.oom || hint.oom)
	{
		da_seterr(errp, "out of memory");
		goto done;
	}

	for (attempt = 0; attempt < SSO_MAX_ATTEMPTS; attempt++)
	{
		da_http_request req;
		da_http_response resp;
		const char *headers[1] = {hdr.data};

		free(lasterr);
		lasterr = NULL;
		if (attempt > 0)
			da_sleep_ms(200L << (attempt - 1));
		memset(&req, 0, sizeof(req));
		req.method = "GET";
		req.url = url.data;
		req.headers = headers;
		req.nheaders = 1;
		req.connect_timeout_ms = 3000;
		req.timeout_ms = 10000;
		if (!da_http_perform(&req, &resp, &lasterr))
			continue;
		if ((resp.status >= 500 || resp.status == 429) &&
			attempt + 1 < SSO_MAX_ATTEMPTS)
		{
			da_http_response_clear(&resp);
			continue;
		}
		if (resp.status == 401 || resp.status == 403)
			da_seterr(&lasterr, "the SSO session for profile \"%s\" has expired or is invalid (GetRoleCredentials: HTTP %ld); run \"%s\"",
					  p->profile, resp.status, hint.data);
		else if (resp.status != 200)
		{
			char	   *perr = NULL;
			da_json    *doc = da_json_parse(resp.body, resp.body_len,
											"error", &perr);
			const char *m = doc ? da_json_string(doc, "message") : NULL;
			char	   *pm = m ? da_printable(m, 300) : NULL;

			if (m == NULL && doc)
				m = da_json_string(doc, "Message");
			da_seterr(&lasterr, "SSO GetRoleCredentials for account %s role %s failed (HTTP %ld)%s%s",
					  p->account_id, p->role_name, resp.status,
					  pm ? ": " : "", pm ? pm : "");
			free(pm);
			free(perr);
			da_json_free(doc);
		}
		else
			ok = parse_role_credentials(&resp, p, out, &lasterr);
		da_http_response_clear(&resp);
		break;
	}
	if (!ok)
		da_seterr(errp, "%s", lasterr ? lasterr : "SSO GetRoleCredentials failed");

done:
	free(lasterr);
	da_free_secret(token);
	da_buf_free(&url);
	da_buf_free(&hdr);
	da_buf_free(&hint);
	return ok;
}
