/*
 * da_creds.c
 *		Settings from the environment, the AWS credential chain and the
 *		region, following what the AWS CLI (botocore) does.
 *
 * The chain is a table of sources tried in botocore's order
 * (credentials.create_credential_resolver); each source either finds
 * credentials, finds nothing (and says why, for the final message), or
 * fails with an error that stops the chain -- as botocore's
 * PartialCredentialsError and ConfigParseError do.
 *
 * Where we follow botocore (1.43, the AWS CLI v1 on this platform):
 *	- AWS_ACCESS_KEY_ID set to a non-empty value selects the environment;
 *	  an empty or missing AWS_SECRET_ACCESS_KEY is then an error, not a
 *	  fall-through.  The session token is AWS_SECURITY_TOKEN, else
 *	  AWS_SESSION_TOKEN (botocore checks them in that order); empty ones
 *	  are ignored.
 *	- An explicitly chosen profile (DSQL_AUTH_PROFILE or --profile, like
 *	  the CLI's --profile) skips the environment keys.
 *	- The credentials file is read by exact section name ("[dev]"), the
 *	  config file by build_profile_map ("[profile dev]", and "[default]"
 *	  for the default profile; the last matching section wins).  In both,
 *	  aws_access_key_id present without aws_secret_access_key is an error;
 *	  the token is aws_security_token, else aws_session_token, the first
 *	  present (an empty one means none).
 *	- Both files are parsed before anything else, as the CLI's session
 *	  does, so a syntax error in either is reported even when the
 *	  environment has keys; a profile that was named but is in neither file
 *	  is an error ("The config profile (x) could not be found").
 *	- The profile's region is read from the profile merged over both
 *	  files, the credentials file winning (botocore's full_config).
 *	- AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE get $VAR and ~
 *	  expansion as raw_config_parse does (os.path.expandvars, expanduser).
 *
 * Where we differ, on purpose:
 *	- Empty environment variables count as unset everywhere (botocore
 *	  takes AWS_PROFILE="" as a profile named "" and AWS_CONFIG_FILE=""
 *	  as no config file).
 *	- AWS_PROFILE wins over AWS_DEFAULT_PROFILE and AWS_REGION over
 *	  AWS_DEFAULT_REGION, as in the AWS CLI v2 and the other SDKs (botocore
 *	  prefers AWS_DEFAULT_PROFILE and ignores AWS_REGION).
 *	- AWS_SECRET_ACCESS_KEY without AWS_ACCESS_KEY_ID is an error
 *	  (botocore silently moves on to the files).
 *	- An empty aws_access_key_id or aws_secret_access_key in a file is an
 *	  error (botocore would sign with an empty key and fail at the server).
 *	- AWS_PROFILE=default with no default profile anywhere is reported as
 *	  "no AWS credentials found" rather than "profile not found": we only
 *	  know that a profile was named when it is not "default" or was chosen
 *	  explicitly.
 *	- AWS_CREDENTIAL_EXPIRATION is not read (botocore only uses it to
 *	  refresh from the environment again).
 *
 * Secrets (keys, tokens, parsed file contents) are wiped when freed and
 * never appear in messages.  No static mutable state.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "da_awsfile.h"
#include "da_creds.h"
#include "da_host.h"

/* getenv, with an empty value counting as unset. */
static const char *
env_get(const char *name)
{
	const char *v = getenv(name);

	return (v && v[0]) ? v : NULL;
}

/* True for 1/true/yes/on, case-insensitively. */
static bool
is_true(const char *v)
{
	return v && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 ||
				 strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0);
}

/* The home directory of user (NULL: the current user) from the passwd db. */
static char *
passwd_home(const char *user)
{
	long		size = sysconf(_SC_GETPW_R_SIZE_MAX);
	char	   *home = NULL;

	if (size <= 0)
		size = 16384;
	for (;;)
	{
		struct passwd pw;
		struct passwd *res = NULL;
		char	   *buf = malloc((size_t) size);
		int			rc;

		if (buf == NULL)
			return NULL;
		if (user)
			rc = getpwnam_r(user, &pw, buf, (size_t) size, &res);
		else
			rc = getpwuid_r(getuid(), &pw, buf, (size_t) size, &res);
		if (rc == ERANGE && size < 1024 * 1024)
		{
			free(buf);
			size *= 2;
			continue;
		}
		if (rc == 0 && res && pw.pw_dir)
			home = strdup(pw.pw_dir);
		free(buf);
		return home;
	}
}

/*
 * Python's os.path.expandvars: $name and ${name} (name of ASCII letters,
 * digits and '_') are replaced by the variable's value when it is set
 * (even to ""), and left alone otherwise.
 */
static bool
expand_vars(da_buf *out, const char *path)
{
	const char *p = path;

	while (*p)
	{
		const char *name = NULL;
		size_t		namelen = 0;
		size_t		matchlen = 0;

		if (p[0] == '$' && p[1] == '{')
		{
			const char *close = strchr(p + 2, '}');

			if (close)
			{
				name = p + 2;
				namelen = (size_t) (close - name);
				matchlen = namelen + 3;
			}
		}
		else if (p[0] == '$')
		{
			const char *q = p + 1;

			while ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
				   (*q >= '0' && *q <= '9') || *q == '_')
				q++;
			if (q > p + 1)
			{
				name = p + 1;
				namelen = (size_t) (q - name);
				matchlen = namelen + 1;
			}
		}
		if (name)
		{
			char	   *n = strndup(name, namelen);
			const char *v = n ? getenv(n) : NULL;

			free(n);
			if (v)
				da_buf_append(out, v);
			else
				da_buf_append_len(out, p, matchlen);
			p += matchlen;
		}
		else
			da_buf_appendc(out, *p++);
	}
	if (out->data == NULL)
		da_buf_append(out, "");
	return !out->oom;
}

/*
 * Python's os.path.expanduser: "~" and "~/..." use HOME (else the passwd
 * entry), "~user/..." that user's home; unchanged if unknown.  Takes
 * ownership of path; returns a malloc'd string or NULL on OOM.
 */
static char *
expand_user(char *path)
{
	const char *slash;
	size_t		i;
	char	   *home;
	size_t		hlen;
	da_buf		b;

	if (path[0] != '~')
		return path;
	slash = strchr(path + 1, '/');
	i = slash ? (size_t) (slash - path) : strlen(path);
	if (i == 1)
	{
		const char *h = env_get("HOME");

		home = h ? strdup(h) : passwd_home(NULL);
	}
	else
	{
		char	   *user = strndup(path + 1, i - 1);

		home = user ? passwd_home(user) : NULL;
		free(user);
	}
	if (home == NULL)
		return path;
	hlen = strlen(home);
	while (hlen > 0 && home[hlen - 1] == '/')
		hlen--;
	da_buf_init(&b);
	da_buf_append_len(&b, home, hlen);
	da_buf_append(&b, path + i);
	if (b.len == 0)
		da_buf_append(&b, "/");
	free(home);
	free(path);
	return da_buf_steal(&b);
}

/* $VAR and ~ expansion of a file name, as botocore does; NULL on OOM. */
static char *
expand_path(const char *path)
{
	da_buf		b;
	char	   *s;

	da_buf_init(&b);
	if (!expand_vars(&b, path))
	{
		da_buf_free(&b);
		return NULL;
	}
	s = da_buf_steal(&b);
	return s ? expand_user(s) : NULL;
}

/* Read settings from the environment (see header). */
bool
da_settings_from_env(da_settings *s, char **errp)
{
	const char *v;

	memset(s, 0, sizeof(*s));
	s->expires_in = DA_EXPIRES_DEFAULT;

	if ((v = env_get("DSQL_AUTH_PROFILE")) != NULL)
		s->profile_explicit = true;
	else if ((v = env_get("AWS_PROFILE")) == NULL &&
			 (v = env_get("AWS_DEFAULT_PROFILE")) == NULL)
		v = "default";
	s->profile = strdup(v);

	s->region = da_strdup(env_get("DSQL_AUTH_REGION"));
	s->extra_hosts = da_strdup(env_get("DSQL_AUTH_HOSTS"));
	s->debug = is_true(env_get("DSQL_AUTH_DEBUG"));

	if ((v = env_get("DSQL_AUTH_EXPIRES_IN")) != NULL)
	{
		char	   *msg = NULL;

		if (!da_parse_expires(v, &s->expires_in, &msg))
		{
			da_seterr(errp, "DSQL_AUTH_EXPIRES_IN: %s",
					  msg ? msg : "invalid token lifetime");
			free(msg);
			da_settings_clear(s);
			return false;
		}
	}

	v = env_get("AWS_CONFIG_FILE");
	s->config_file = expand_path(v ? v : "~/.aws/config");
	v = env_get("AWS_SHARED_CREDENTIALS_FILE");
	s->credentials_file = expand_path(v ? v : "~/.aws/credentials");

	if (s->profile == NULL || s->config_file == NULL ||
		s->credentials_file == NULL ||
		(env_get("DSQL_AUTH_REGION") && s->region == NULL) ||
		(env_get("DSQL_AUTH_HOSTS") && s->extra_hosts == NULL))
	{
		da_seterr(errp, "out of memory");
		da_settings_clear(s);
		return false;
	}
	return true;
}

/* Free every member and zero the struct. */
void
da_settings_clear(da_settings *s)
{
	if (s == NULL)
		return;
	free(s->profile);
	free(s->region);
	free(s->extra_hosts);
	free(s->config_file);
	free(s->credentials_file);
	memset(s, 0, sizeof(*s));
	s->expires_in = DA_EXPIRES_DEFAULT;
}

/*
 * The state one walk along the chain shares between sources: the parsed
 * shared files and the list of what was tried, for the final message.
 */
typedef struct chain
{
	const da_settings *s;
	da_awsfile *creds_file;		/* NULL if missing */
	da_awsfile *config_file;	/* NULL if missing */
	const char *config_section; /* the profile's section in config_file */
	da_buf		tried;
} chain;

typedef enum src_result
{
	SRC_FOUND,
	SRC_NOTHING,				/* reason appended to chain->tried */
	SRC_ERROR					/* *errp set; the chain stops */
} src_result;

typedef src_result (*source_fn) (chain *c, da_credentials *out, char **errp);

/*
 * Note what a source tried (the environment when path is NULL, else the
 * profile in that file) and why it gave nothing.
 */
static void
tried(chain *c, const char *path, const char *why)
{
	if (c->tried.len > 0)
		da_buf_append(&c->tried, ", ");
	if (path)
		da_buf_printf(&c->tried, "profile \"%s\" in %s (%s)",
					  c->s->profile, path, why);
	else
		da_buf_printf(&c->tried, "environment (%s)", why);
}

/*
 * Fill out with copies of the keys; source is the profile in path, or the
 * environment when path is NULL.  False on OOM.
 */
static bool
set_creds(da_credentials *out, const char *key, const char *secret,
		  const char *token, const char *profile, const char *path)
{
	da_buf		src;

	memset(out, 0, sizeof(*out));
	da_buf_init(&src);
	if (path)
		da_buf_printf(&src, "profile \"%s\" in %s", profile, path);
	else
		da_buf_append(&src, "environment");
	out->access_key_id = strdup(key);
	out->secret_access_key = strdup(secret);
	out->session_token = (token && token[0]) ? strdup(token) : NULL;
	out->expiration = 0;
	out->source = da_buf_steal(&src);
	if (out->access_key_id == NULL || out->secret_access_key == NULL ||
		out->source == NULL || (token && token[0] && !out->session_token))
	{
		da_credentials_clear(out);
		return false;
	}
	return true;
}

/* Source: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment. */
static src_result
src_environment(chain *c, da_credentials *out, char **errp)
{
	const char *key;
	const char *secret;
	const char *token;

	if (c->s->profile_explicit)
	{
		tried(c, NULL, "skipped because a profile was chosen explicitly");
		return SRC_NOTHING;
	}
	key = env_get("AWS_ACCESS_KEY_ID");
	secret = env_get("AWS_SECRET_ACCESS_KEY");
	if (key == NULL && secret == NULL)
	{
		tried(c, NULL, "AWS_ACCESS_KEY_ID not set");
		return SRC_NOTHING;
	}
	if (secret == NULL)
	{
		da_seterr(errp, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both, or unset AWS_ACCESS_KEY_ID to use a profile");
		return SRC_ERROR;
	}
	if (key == NULL)
	{
		da_seterr(errp, "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not; set both, or unset AWS_SECRET_ACCESS_KEY to use a profile");
		return SRC_ERROR;
	}
	token = env_get("AWS_SECURITY_TOKEN");
	if (token == NULL)
		token = env_get("AWS_SESSION_TOKEN");
	if (!set_creds(out, key, secret, token, NULL, NULL))
	{
		da_seterr(errp, "out of memory");
		return SRC_ERROR;
	}
	return SRC_FOUND;
}

/*
 * Static keys from one section of a shared file, as botocore's
 * SharedCredentialProvider and ConfigProvider read them.
 */
static src_result
keys_from_section(chain *c, const da_awsfile *f, const char *path,
				  const char *section, da_credentials *out, char **errp)
{
	const char *profile = c->s->profile;
	const char *key;
	const char *secret;
	const char *token;

	if (f == NULL)
	{
		tried(c, path, "file not found");
		return SRC_NOTHING;
	}
	if (section == NULL || !da_awsfile_has_section(f, section))
	{
		tried(c, path, "no such profile");
		return SRC_NOTHING;
	}
	key = da_awsfile_get(f, section, "aws_access_key_id");
	secret = da_awsfile_get(f, section, "aws_secret_access_key");
	if (key == NULL)
	{
		tried(c, path,
			  secret ? "aws_secret_access_key without aws_access_key_id"
			  : "no aws_access_key_id");
		return SRC_NOTHING;
	}
	if (secret == NULL)
	{
		da_seterr(errp, "profile \"%s\" in %s has aws_access_key_id but no aws_secret_access_key; add it, or remove aws_access_key_id",
				  profile, path);
		return SRC_ERROR;
	}
	if (key[0] == '\0' || secret[0] == '\0')
	{
		da_seterr(errp, "profile \"%s\" in %s has an empty %s; set it to your key, or remove it",
				  profile, path,
				  key[0] == '\0' ? "aws_access_key_id" : "aws_secret_access_key");
		return SRC_ERROR;
	}
	token = da_awsfile_get(f, section, "aws_security_token");
	if (token == NULL)
		token = da_awsfile_get(f, section, "aws_session_token");
	if (!set_creds(out, key, secret, token, profile, path))
	{
		da_seterr(errp, "out of memory");
		return SRC_ERROR;
	}
	return SRC_FOUND;
}

/* Source: "[<profile>]" in the shared credentials file. */
static src_result
src_credentials_file(chain *c, da_credentials *out, char **errp)
{
	return keys_from_section(c, c->creds_file, c->s->credentials_file,
							 c->s->profile, out, errp);
}

/* Source: "[profile <profile>]" (or "[default]") in the config file. */
static src_result
src_config_file(chain *c, da_credentials *out, char **errp)
{
	return keys_from_section(c, c->config_file, c->s->config_file,
							 c->config_section, out, errp);
}

/*
 * The chain, in botocore's order.  Sources not written yet are marked
 * where they belong.
 */
static const struct credential_source
{
	const char *name;
	source_fn	fn;
}			sources[] =
{
	{"environment", src_environment},
	/* assume-role: role_arn with source_profile or credential_source */
	/* assume-role-with-web-identity: web_identity_token_file, AWS_ROLE_ARN */
	/* sso: sso_session / sso_start_url in the config profile */
	{"shared-credentials-file", src_credentials_file},
	/* custom-process: credential_process in the config profile */
	{"config-file", src_config_file},
	/* container-role: AWS_CONTAINER_CREDENTIALS_{RELATIVE,FULL}_URI */
	/* iam-role: EC2 instance metadata (IMDSv2) */
};

/*
 * Load one shared file; a missing file gives *f = NULL.  False with *errp
 * on anything else that went wrong (syntax errors included).
 */
static bool
load_shared(const char *path, da_awsfile **f, char **errp)
{
	bool		missing = false;

	*f = NULL;
	if (path == NULL)
		return true;
	*f = da_awsfile_load(path, &missing, errp);
	return *f != NULL || missing;
}

/* Resolve credentials along the chain (see header). */
bool
da_get_credentials(const da_settings *s, da_credentials *out, char **errp)
{
	chain		c;
	da_credentials found;
	bool		ok = false;
	size_t		i;
	const char *profile = s->profile ? s->profile : "default";
	da_settings local;

	memset(&c, 0, sizeof(c));
	memset(&found, 0, sizeof(found));
	da_buf_init(&c.tried);
	local = *s;
	local.profile = (char *) profile;
	c.s = &local;

	/* the CLI's session parses the config file, then the credentials file */
	if (!load_shared(s->config_file, &c.config_file, errp) ||
		!load_shared(s->credentials_file, &c.creds_file, errp))
		goto done;
	c.config_section = da_awsfile_profile_section(c.config_file, profile);

	/* a named profile must exist somewhere (botocore's ProfileNotFound) */
	if ((s->profile_explicit || strcmp(profile, "default") != 0) &&
		c.config_section == NULL &&
		!da_awsfile_has_section(c.creds_file, profile))
	{
		da_seterr(errp, "the config profile \"%s\" could not be found: it is in neither %s (%s) nor %s (%s); check the profile name or create it with \"aws configure --profile %s\"",
				  profile,
				  s->credentials_file ? s->credentials_file : "the credentials file",
				  c.creds_file ? "no such profile" : "file not found",
				  s->config_file ? s->config_file : "the config file",
				  c.config_file ? "no such profile" : "file not found",
				  profile);
		goto done;
	}

	for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
	{
		src_result r = sources[i].fn(&c, &found, errp);

		if (r == SRC_FOUND)
		{
			*out = found;
			memset(&found, 0, sizeof(found));
			ok = true;
			goto done;
		}
		if (r == SRC_ERROR)
			goto done;
	}

	if (c.tried.oom)
		da_seterr(errp, "out of memory");
	else if (strcmp(profile, "default") == 0)
		da_seterr(errp, "no AWS credentials found: tried %s; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, run \"aws configure\", or pick a profile with AWS_PROFILE",
				  c.tried.data);
	else
		da_seterr(errp, "no AWS credentials found: tried %s; add keys to profile \"%s\" with \"aws configure --profile %s\", %s, or pick another profile",
				  c.tried.data, profile, profile,
				  s->profile_explicit ?
				  "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY without choosing a profile explicitly" :
				  "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");

done:
	da_credentials_clear(&found);
	da_buf_free(&c.tried);
	da_awsfile_free(c.config_file);
	da_awsfile_free(c.creds_file);
	return ok;
}

/* A copy of s fit for a message: control characters replaced, capped. */
static char *
printable(const char *s)
{
	da_buf		b;
	size_t		n;

	da_buf_init(&b);
	for (n = 0; s[n] && n < 64; n++)
		da_buf_appendc(&b, ((unsigned char) s[n] < 0x20 || s[n] == 0x7F) ? '?' : s[n]);
	if (s[n])
		da_buf_append(&b, "...");
	return da_buf_steal(&b);
}

/* Return a copy of region if valid, else NULL with *errp naming where. */
static char *
checked_region(const char *region, const char *where, char **errp)
{
	char	   *r;

	if (!da_region_valid(region))
	{
		char	   *p = printable(region);

		da_seterr(errp, "invalid AWS region \"%s\" from %s; expected a region name such as us-east-1",
				  p ? p : "?", where);
		free(p);
		return NULL;
	}
	r = strdup(region);
	if (r == NULL)
		da_seterr(errp, "out of memory");
	return r;
}

/* The region for host (see header). */
char *
da_resolve_region(const da_settings *s, const char *host, const char **source,
				  char **errp)
{
	const char *profile = s->profile ? s->profile : "default";
	const char *v;
	char	   *r;
	da_awsfile *conf = NULL;
	da_awsfile *cred = NULL;
	const char *section;
	const char *why;
	char	   *h;
	const char *cfgname = s->config_file ? s->config_file : "the config file";

	*source = NULL;
	if (s->region)
	{
		*source = "DSQL_AUTH_REGION";
		return checked_region(s->region, "DSQL_AUTH_REGION", errp);
	}
	if (host && (r = da_region_from_host(host)) != NULL)
	{
		char	   *ok = checked_region(r, "the host name", errp);

		free(r);
		*source = ok ? "host name" : NULL;
		return ok;
	}
	if ((v = env_get("AWS_REGION")) != NULL)
	{
		*source = "AWS_REGION";
		return checked_region(v, "AWS_REGION", errp);
	}
	if ((v = env_get("AWS_DEFAULT_REGION")) != NULL)
	{
		*source = "AWS_DEFAULT_REGION";
		return checked_region(v, "AWS_DEFAULT_REGION", errp);
	}

	/* the profile, merged over both files with the credentials file winning */
	if (!load_shared(s->config_file, &conf, errp) ||
		!load_shared(s->credentials_file, &cred, errp))
	{
		da_awsfile_free(conf);
		da_awsfile_free(cred);
		*source = NULL;
		return NULL;
	}
	r = NULL;
	v = da_awsfile_get(cred, profile, "region");
	if (v && v[0])
	{
		r = checked_region(v, s->credentials_file, errp);
		*source = r ? "credentials file profile" : NULL;
		goto done;
	}
	section = da_awsfile_profile_section(conf, profile);
	v = section ? da_awsfile_get(conf, section, "region") : NULL;
	if (v && v[0])
	{
		r = checked_region(v, s->config_file, errp);
		*source = r ? "config file profile" : NULL;
		goto done;
	}

	why = conf == NULL ? "file not found" :
		section == NULL ? "no such profile" : "no region setting";
	h = printable(host ? host : "");
	da_seterr(errp, "no AWS region for host \"%s\": tried DSQL_AUTH_REGION (not set), the host name (no region in it), AWS_REGION (not set), AWS_DEFAULT_REGION (not set), profile \"%s\" in %s (%s); set DSQL_AUTH_REGION or AWS_REGION, or add region to profile \"%s\" in %s",
			  h ? h : "?", profile, cfgname, why, profile, cfgname);
	free(h);

done:
	da_awsfile_free(conf);
	da_awsfile_free(cred);
	return r;
}
