/*
 * da_token.c
 *		Turn settings, a host and a user into a fresh DSQL auth token.
 */
#include <stdlib.h>
#include <string.h>

#include "da_host.h"
#include "da_token.h"

/* Free what da_make_token put into info. */
void
da_token_info_clear(da_token_info *info)
{
	if (info == NULL)
		return;
	free(info->region);
	free(info->cred_source);
	free(info->access_key_id);
	memset(info, 0, sizeof(*info));
}

/* Resolve region and credentials, then sign a token for user at host. */
char *
da_make_token(const da_settings *s, const char *host, const char *user,
			  time_t now, da_token_info *info, char **errp)
{
	da_credentials creds;
	const char *region_source = NULL;
	char	   *region = NULL;
	char	   *token = NULL;
	int			expires_in = s->expires_in;

	memset(&creds, 0, sizeof(creds));
	if (info)
		memset(info, 0, sizeof(*info));

	if (host == NULL || host[0] == '\0')
	{
		da_seterr(errp, "no host name to sign a token for");
		return NULL;
	}
	if (user == NULL || user[0] == '\0')
	{
		da_seterr(errp, "no database user to sign a token for");
		return NULL;
	}

	region = da_resolve_region(s, host, &region_source, errp);
	if (region == NULL)
		goto done;
	if (!da_get_credentials(s, &creds, errp))
		goto done;

	/*
	 * A token must not outlive the credentials that signed it: AWS rejects
	 * it once they expire, whatever X-Amz-Expires says.
	 */
	if (creds.expiration != 0)
	{
		if (creds.expiration <= now)
		{
			da_seterr(errp, "the AWS credentials from %s have expired; refresh them (e.g. \"aws sso login\") and try again",
					  creds.source ? creds.source : "the credential chain");
			goto done;
		}
		if ((long long) (creds.expiration - now) < expires_in)
			expires_in = (int) (creds.expiration - now);
	}

	token = da_dsql_token(host, user, region, expires_in, now, &creds, errp);
	if (token && info)
	{
		info->region = region;
		region = NULL;
		info->region_source = region_source;
		info->action = strcmp(user, "admin") == 0 ? "DbConnectAdmin" : "DbConnect";
		info->expires_in = expires_in;
		info->cred_source = da_strdup(creds.source);
		info->access_key_id = da_strdup(creds.access_key_id);
	}

done:
	free(region);
	da_credentials_clear(&creds);
	return token;
}
