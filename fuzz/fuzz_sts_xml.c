/*
 * fuzz_sts_xml.c
 *		libFuzzer target: the STS Query API response parser
 *		(da_sts_parse_response): <Credentials> of AssumeRole /
 *		AssumeRoleWithWebIdentity, and <Error> documents.
 *
 * Input: the first byte picks the HTTP status and the action; the rest is
 * the response body (as the HTTP layer hands it over: NUL-terminated).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "da_src.h"

static const long statuses[] = {200, 400, 403, 500, 503, 200, 200, 302};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	da_credentials out;
	char	   *body;
	char	   *err = NULL;
	long		status;
	const char *action;

	if (size < 1)
		return 0;
	status = statuses[data[0] & 7];
	action = (data[0] & 8) ? "AssumeRoleWithWebIdentity" : "AssumeRole";
	body = malloc(size);
	if (body == NULL)
		return 0;
	memcpy(body, data + 1, size - 1);
	body[size - 1] = '\0';

	if (da_sts_parse_response(body, status, action, &out, &err))
	{
		/* success must give a usable key pair and no message */
		if (err != NULL || out.access_key_id == NULL || out.secret_access_key == NULL ||
			status != 200)
			abort();
		da_credentials_clear(&out);
	}
	else
	{
		if (err == NULL)
			abort();
		free(err);
		da_credentials_clear(&out);
	}
	free(body);
	return 0;
}
