/*
 * fuzz_awsfile.c
 *		libFuzzer target: the AWS shared config/credentials file parser
 *		(da_awsfile_parse) and the look-ups the credential chain makes on
 *		its result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "da_awsfile.h"

static const char *const sections[] = {
	"default", "profile dev", "dev", "DEFAULT", "sso-session corp", " dev ", ""
};
static const char *const keys[] = {
	"aws_access_key_id", "aws_secret_access_key", "aws_session_token",
	"region", "credential_process", "s3", "AWS_ACCESS_KEY_ID", ""
};
static const char *const profiles[] = {"default", "dev", "my dev", ""};

/* Parse the input as a file, then query it the way da_creds.c does. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *err = NULL;
	da_awsfile *f;

	f = da_awsfile_parse((const char *) data, size, "fuzz", &err);
	if (f == NULL)
	{
		/* a rejected file must say why */
		if (err == NULL)
			abort();
		free(err);
		return 0;
	}
	if (err != NULL)
		abort();
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
	{
		(void) da_awsfile_has_section(f, sections[i]);
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		{
			const char *v = da_awsfile_get(f, sections[i], keys[k]);

			if (v != NULL)
				(void) strlen(v);
		}
	}
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
	{
		const char *sect = da_awsfile_profile_section(f, profiles[i]);

		if (sect != NULL)
			(void) da_awsfile_get(f, sect, "region");
	}
	da_awsfile_free(f);
	return 0;
}
