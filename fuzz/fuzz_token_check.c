/*
 * fuzz_token_check.c
 *		libFuzzer target: the pure string checks on outside input in
 *		da_host.c — "is this password an IAM token" (da_password_is_token),
 *		token lifetimes (da_parse_expires), DSQL host names, regions and the
 *		DSQL_AUTH_HOSTS patterns.
 *
 * Input: bytes up to the first NUL are the subject; bytes after it (if
 * any) are a DSQL_AUTH_HOSTS pattern list.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "da_host.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *s = malloc(size + 1);
	char	   *patterns = NULL;
	size_t		n;
	char	   *err = NULL;
	int			secs = 0;
	char	   *region;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	n = strlen(s);
	if (n < size)
		patterns = s + n + 1;

	(void) da_password_is_token(s);

	if (da_parse_expires(s, &secs, &err))
	{
		if (err != NULL || secs < 1 || secs > 604800)
			abort();
	}
	else
	{
		if (err == NULL)
			abort();
		free(err);
	}

	(void) da_host_is_dsql(s, patterns);
	if (patterns)
		(void) da_glob_match(patterns, s);
	(void) da_region_valid(s);
	region = da_region_from_host(s);
	if (region != NULL && !da_region_valid(region) && region[0] != '\0')
		(void) strlen(region);
	free(region);
	free(s);
	return 0;
}
