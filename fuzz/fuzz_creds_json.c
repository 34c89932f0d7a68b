/*
 * fuzz_creds_json.c
 *		libFuzzer target: credential JSON from outside the process —
 *		credential_process output (da_process_parse_output), container and
 *		instance-metadata credentials (da_meta_parse_credentials), and the
 *		generic reader the SSO token cache and portal responses go through
 *		(da_json_parse, da_json_member/string/int, da_parse_iso8601).
 *
 * Input: the first byte picks the parser; the rest is the document, passed
 * as raw bytes (NULs included) to the parsers that take outside output
 * directly, and cut at the first NUL for da_json_parse, whose contract
 * excludes NULs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "da_json.h"
#include "da_src.h"

static const char *const keys[] = {
	"Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Token",
	"Expiration", "Code", "accessToken", "expiresAt", "region", "startUrl",
	"roleCredentials", "accessKeyId", "secretAccessKey", "sessionToken",
	"expiration", "refreshToken", ""
};

/* Walk a document the way the SSO and metadata code does. */
static void
walk(const char *text, size_t len)
{
	char	   *err = NULL;
	da_json    *root = da_json_parse(text, len, "fuzz", &err);

	if (root == NULL)
	{
		if (err == NULL)
			abort();
		free(err);
		return;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
	{
		const char *s = da_json_string(root, keys[i]);
		long long	n;
		time_t		t;
		da_json    *m = da_json_member(root, keys[i]);

		if (s != NULL)
			(void) da_parse_iso8601(s, &t);
		(void) da_json_int(root, keys[i], &n);
		if (m != NULL && da_json_is_object(m))
		{
			for (size_t j = 0; j < sizeof(keys) / sizeof(keys[0]); j++)
			{
				(void) da_json_string(m, keys[j]);
				(void) da_json_int(m, keys[j], &n);
			}
		}
	}
	da_json_free(root);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	da_credentials out;
	char	   *doc;
	size_t		len;
	char	   *err = NULL;
	bool		ok = false;

	if (size < 1)
		return 0;
	len = size - 1;
	doc = malloc(len + 1);
	if (doc == NULL)
		return 0;
	memcpy(doc, data + 1, len);
	doc[len] = '\0';
	memset(&out, 0, sizeof(out));

	switch (data[0] % 4)
	{
		case 0:
			ok = da_process_parse_output(doc, len, "fuzz", &out, &err);
			break;
		case 1:
			ok = da_meta_parse_credentials(doc, len, "fuzz", &out, &err);
			break;
		case 2:
			walk(doc, strnlen(doc, len));
			free(doc);
			return 0;
		case 3:
			{
				time_t		t;

				(void) da_parse_iso8601(doc, &t);
				free(doc);
				return 0;
			}
	}
	if (ok)
	{
		if (err != NULL || out.access_key_id == NULL || out.secret_access_key == NULL)
			abort();
	}
	else
	{
		if (err == NULL)
			abort();
		free(err);
	}
	da_credentials_clear(&out);
	free(doc);
	return 0;
}
