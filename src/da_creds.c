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
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "da_awsfile.h"
#include "da_creds.h"
#include "da_host.h"
#include "da_src.h"

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

/* getenv, with an empty value counting as unset (for the source files). */
const char *
da_env(const char *name)
{
	return env_get(name);
}

/* Fill out's keys with copies (see da_src.h). */
bool
da_creds_set_keys(da_credentials *out, const char *key, const char *secret,
				  const char *token, time_t expiration)
{
	memset(out, 0, sizeof(*out));
	out->access_key_id = strdup(key);
	out->secret_access_key = strdup(secret);
	out->session_token = (token && token[0]) ? strdup(token) : NULL;
	out->expiration = expiration;
	if (out->access_key_id == NULL || out->secret_access_key == NULL ||
		(token && token[0] && out->session_token == NULL))
	{
		da_credentials_clear(out);
		return false;
	}
	return true;
}

/* Sleep for ms milliseconds, resuming after signals. */
void
da_sleep_ms(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Longest role chain we follow (botocore has no limit but loop detection). */
#define MAX_CHAIN_DEPTH 16

/*
 * The state one walk along the chain shares between sources: the parsed
 * shared files, the profiles visited by source_profile, and the list of
 * what was tried, for the final message.
 */
typedef struct chain
{
	const da_settings *s;
	da_awsfile *creds_file;		/* NULL if missing */
	da_awsfile *config_file;	/* NULL if missing */
	time_t		now;
	const char *visited[MAX_CHAIN_DEPTH + 1];
	int			nvisited;
	bool		expensive;		/* a network or process source was used */
	da_buf		tried;
} chain;

typedef enum src_result
{
	SRC_FOUND,
	SRC_NOTHING,				/* reason appended to chain->tried */
	SRC_ERROR					/* *errp set; the chain stops */
} src_result;

typedef src_result (*source_fn) (chain *c, da_credentials *out, char **errp);

/* Note a source that was tried and why it gave nothing. */
static void
tried_what(chain *c, const char *what, const char *why)
{
	if (c->tried.len > 0)
		da_buf_append(&c->tried, ", ");
	da_buf_printf(&c->tried, "%s (%s)", what, why);
}

/*
 * Note what a source tried (the environment when path is NULL, else the
 * profile in that file) and why it gave nothing.
 */
static void
tried(chain *c, const char *profile, const char *path, const char *why)
{
	if (c->tried.len > 0)
		da_buf_append(&c->tried, ", ");
	if (path)
		da_buf_printf(&c->tried, "profile \"%s\" in %s (%s)",
					  profile, path, why);
	else
		da_buf_printf(&c->tried, "environment (%s)", why);
}

/* Set out->source to a formatted description; false on OOM. */
static bool
set_source(da_credentials *out, const char *fmt,...) DA_PRINTF(2, 3);

static bool
set_source(da_credentials *out, const char *fmt,...)
{
	va_list		ap;
	char	   *s = NULL;
	int			n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return false;
	free(out->source);
	out->source = s;
	return true;
}

/*
 * Fill out with copies of the keys; source is the profile in path, or the
 * environment when path is NULL.  False on OOM.
 */
static bool
set_creds(da_credentials *out, const char *key, const char *secret,
		  const char *token, const char *profile, const char *path)
{
	if (!da_creds_set_keys(out, key, secret, token, 0))
		return false;
	if (!(path ? set_source(out, "profile \"%s\" in %s", profile, path)
		  : set_source(out, "environment")))
	{
		da_credentials_clear(out);
		return false;
	}
	return true;
}

/* The profile's section in the config file, or NULL. */
static const char *
config_section(const chain *c, const char *profile)
{
	return da_awsfile_profile_section(c->config_file, profile);
}

/* Does profile exist in either file (botocore's merged profile map)? */
static bool
profile_exists(const chain *c, const char *profile)
{
	return config_section(c, profile) != NULL ||
		da_awsfile_has_section(c->creds_file, profile);
}

/*
 * A key of the merged profile: the credentials file's value wins over the
 * config file's, as botocore merges full_config.
 */
static const char *
pget(const chain *c, const char *profile, const char *key)
{
	const char *v = NULL;
	const char *sec;

	if (da_awsfile_has_section(c->creds_file, profile))
		v = da_awsfile_get(c->creds_file, profile, key);
	if (v == NULL && (sec = config_section(c, profile)) != NULL)
		v = da_awsfile_get(c->config_file, sec, key);
	return v;
}

/* botocore's _has_static_credentials. */
static bool
has_static(const chain *c, const char *profile)
{
	return pget(c, profile, "aws_access_key_id") != NULL ||
		pget(c, profile, "aws_secret_access_key") != NULL;
}

/* botocore's _has_assume_role_config_vars. */
static bool
has_assume_role(const chain *c, const char *profile)
{
	return pget(c, profile, "role_arn") != NULL &&
		pget(c, profile, "web_identity_token_file") == NULL;
}

/* The region STS is called in: AWS_REGION, AWS_DEFAULT_REGION, the profile's. */
static const char *
sts_region(const chain *c)
{
	const char *v;

	if ((v = env_get("AWS_REGION")) != NULL ||
		(v = env_get("AWS_DEFAULT_REGION")) != NULL)
		return v;
	v = pget(c, c->s->profile, "region");
	return (v && v[0]) ? v : NULL;
}

/* Source: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment. */
static src_result
env_keys(chain *c, da_credentials *out, char **errp)
{
	const char *key;
	const char *secret;
	const char *token;

	key = env_get("AWS_ACCESS_KEY_ID");
	secret = env_get("AWS_SECRET_ACCESS_KEY");
	if (key == NULL && secret == NULL)
	{
		tried(c, NULL, NULL, "AWS_ACCESS_KEY_ID not set");
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

/* Source: the environment, unless a profile was chosen explicitly. */
static src_result
src_environment(chain *c, da_credentials *out, char **errp)
{
	if (c->s->profile_explicit)
	{
		tried(c, NULL, NULL, "skipped because a profile was chosen explicitly");
		return SRC_NOTHING;
	}
	return env_keys(c, out, errp);
}

/*
 * Static keys from one section of a shared file, as botocore's
 * SharedCredentialProvider and ConfigProvider read them.
 */
static src_result
keys_from_section(chain *c, const char *profile, const da_awsfile *f,
				  const char *path, const char *section, da_credentials *out,
				  char **errp)
{
	const char *key;
	const char *secret;
	const char *token;

	if (f == NULL)
	{
		tried(c, profile, path, "file not found");
		return SRC_NOTHING;
	}
	if (section == NULL || !da_awsfile_has_section(f, section))
	{
		tried(c, profile, path, "no such profile");
		return SRC_NOTHING;
	}
	key = da_awsfile_get(f, section, "aws_access_key_id");
	secret = da_awsfile_get(f, section, "aws_secret_access_key");
	if (key == NULL)
	{
		tried(c, profile, path,
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
profile_credentials_file(chain *c, const char *profile, da_credentials *out,
						 char **errp)
{
	return keys_from_section(c, profile, c->creds_file, c->s->credentials_file,
							 profile, out, errp);
}

/* Source: "[profile <profile>]" (or "[default]") in the config file. */
static src_result
profile_config_file(chain *c, const char *profile, da_credentials *out,
					char **errp)
{
	return keys_from_section(c, profile, c->config_file, c->s->config_file,
							 config_section(c, profile), out, errp);
}

/* Source: web_identity_token_file + role_arn (profile, or environment). */
static src_result
profile_web_identity(chain *c, const char *profile, bool disable_env,
					 da_credentials *out, char **errp)
{
	da_sts_params p;
	const char *file = disable_env ? NULL : env_get("AWS_WEB_IDENTITY_TOKEN_FILE");
	bool		from_env = file != NULL;
	const char *arn;

	if (file == NULL)
		file = pget(c, profile, "web_identity_token_file");
	if (file == NULL || file[0] == '\0')
		return SRC_NOTHING;
	arn = disable_env ? NULL : env_get("AWS_ROLE_ARN");
	if (arn == NULL)
		arn = pget(c, profile, "role_arn");
	if (arn == NULL || arn[0] == '\0')
	{
		da_seterr(errp, "%s configures a web identity token file but no role ARN; set role_arn in the profile or AWS_ROLE_ARN",
				  from_env ? "AWS_WEB_IDENTITY_TOKEN_FILE" : "the profile");
		return SRC_ERROR;
	}
	memset(&p, 0, sizeof(p));
	p.region = sts_region(c);
	p.role_arn = arn;
	p.session_name = disable_env ? NULL : env_get("AWS_ROLE_SESSION_NAME");
	if (p.session_name == NULL)
		p.session_name = pget(c, profile, "role_session_name");
	p.web_identity_token_file = file;
	c->expensive = true;
	if (!da_sts_assume_role_web_identity(&p, c->now, out, errp))
		return SRC_ERROR;
	if (!set_source(out, "assume-role-with-web-identity %s (%s%s%s)", arn,
					from_env ? "environment" : "profile ",
					from_env ? "" : "\"", from_env ? "" : profile) ||
		(!from_env && !set_source(out, "assume-role-with-web-identity %s (profile %s)",
								  arn, profile)))
	{
		da_credentials_clear(out);
		da_seterr(errp, "out of memory");
		return SRC_ERROR;
	}
	return SRC_FOUND;
}

/* Source: SSO (sso_session + [sso-session], or legacy sso_start_url). */
static src_result
profile_sso(chain *c, const char *profile, da_credentials *out, char **errp)
{
	static const char *const keys[] = {"sso_start_url", "sso_region",
	"sso_account_id", "sso_role_name"};
	const char *val[4];
	const char *session = pget(c, profile, "sso_session");
	da_buf		sec;
	da_buf		missing;
	da_sso_params p;
	char	   *cache_dir = NULL;
	src_result	r = SRC_ERROR;
	int			i;

	if (pget(c, profile, "sso_role_name") == NULL &&
		pget(c, profile, "sso_account_id") == NULL)
		return SRC_NOTHING;
	da_buf_init(&sec);
	da_buf_init(&missing);
	for (i = 0; i < 4; i++)
		val[i] = pget(c, profile, keys[i]);
	if (session)
	{
		da_buf_printf(&sec, "sso-session %s", session);
		if (sec.oom)
			goto oom;
		if (!da_awsfile_has_section(c->config_file, sec.data))
		{
			da_seterr(errp, "profile \"%s\" names sso_session \"%s\", but %s has no [sso-session %s] section; add it or run \"aws configure sso\"",
					  profile, session, c->s->config_file, session);
			goto done;
		}
		for (i = 0; i < 2; i++)
		{
			const char *sv = da_awsfile_get(c->config_file, sec.data, keys[i]);

			if (sv == NULL)
				continue;
			if (val[i] && strcmp(val[i], sv) != 0)
			{
				da_seterr(errp, "the value for %s is inconsistent between profile \"%s\" and sso-session \"%s\"; remove it from the profile",
						  keys[i], profile, session);
				goto done;
			}
			val[i] = sv;
		}
	}
	for (i = 0; i < 4; i++)
		if (val[i] == NULL)
			da_buf_printf(&missing, "%s%s", missing.len ? ", " : "", keys[i]);
	if (missing.len)
	{
		da_seterr(errp, "the profile \"%s\" is configured to use SSO but is missing required configuration: %s",
				  profile, missing.data);
		goto done;
	}
	cache_dir = expand_path("~/.aws/sso/cache");
	if (cache_dir == NULL)
		goto oom;
	memset(&p, 0, sizeof(p));
	p.profile = profile;
	p.session_name = session;
	p.start_url = val[0];
	p.sso_region = val[1];
	p.account_id = val[2];
	p.role_name = val[3];
	p.cache_dir = cache_dir;
	c->expensive = true;
	if (!da_sso_get_credentials(&p, c->now, out, errp))
		goto done;
	if (!set_source(out, "sso (profile %s)", profile))
	{
		da_credentials_clear(out);
		goto oom;
	}
	r = SRC_FOUND;
	goto done;
oom:
	da_seterr(errp, "out of memory");
done:
	free(cache_dir);
	da_buf_free(&sec);
	da_buf_free(&missing);
	return r;
}

/* The credential_process time limit: DSQL_AUTH_PROCESS_TIMEOUT seconds. */
static long
process_timeout_ms(void)
{
	const char *v = env_get("DSQL_AUTH_PROCESS_TIMEOUT");
	char	   *end;
	double		d;

	if (v == NULL)
		return 60000;
	d = strtod(v, &end);
	if (*end != '\0' || !(d > 0) || d > 86400)
		return 60000;
	return (long) (d * 1000) > 0 ? (long) (d * 1000) : 1;
}

/* Source: credential_process in the profile. */
static src_result
profile_process(chain *c, const char *profile, da_credentials *out,
				char **errp)
{
	const char *cmd = pget(c, profile, "credential_process");

	if (cmd == NULL)
		return SRC_NOTHING;
	c->expensive = true;
	if (!da_process_credentials(cmd, profile, process_timeout_ms(), out, errp))
		return SRC_ERROR;
	if (!set_source(out, "credential_process (profile %s)", profile))
	{
		da_credentials_clear(out);
		da_seterr(errp, "out of memory");
		return SRC_ERROR;
	}
	return SRC_FOUND;
}

/*
 * botocore's profile providers for one profile, in order: web identity,
 * SSO, credentials file, credential_process, config file.
 */
static src_result
profile_providers(chain *c, const char *profile, bool disable_env,
				  da_credentials *out, char **errp)
{
	src_result	r;

	if ((r = profile_web_identity(c, profile, disable_env, out, errp)) != SRC_NOTHING)
		return r;
	if ((r = profile_sso(c, profile, out, errp)) != SRC_NOTHING)
		return r;
	if ((r = profile_credentials_file(c, profile, out, errp)) != SRC_NOTHING)
		return r;
	if ((r = profile_process(c, profile, out, errp)) != SRC_NOTHING)
		return r;
	return profile_config_file(c, profile, out, errp);
}

static src_result assume_role(chain *c, const char *profile,
							  da_credentials *out, char **errp);

/* Source: container credentials (ECS, EKS Pod Identity). */
static src_result
src_container(chain *c, da_credentials *out, char **errp)
{
	char	   *where = NULL;
	const char *why = NULL;
	da_meta_result r = da_container_credentials(out, &where, &why, errp);

	if (r == DA_META_NOTHING)
	{
		tried_what(c, "container credentials", why);
		free(where);
		return SRC_NOTHING;
	}
	c->expensive = true;
	if (r == DA_META_FOUND &&
		!set_source(out, "container-role (%s)", where ? where : "?"))
	{
		da_credentials_clear(out);
		da_seterr(errp, "out of memory");
		r = DA_META_ERROR;
	}
	free(where);
	return r == DA_META_FOUND ? SRC_FOUND : SRC_ERROR;
}

/* Source: EC2 instance metadata. */
static src_result
src_imds(chain *c, da_credentials *out, char **errp)
{
	char	   *role = NULL;
	char	   *why = NULL;
	da_meta_result r = da_imds_credentials(out, &role, &why, errp);

	if (r == DA_META_NOTHING)
	{
		tried_what(c, "instance metadata", why ? why : "nothing");
		free(why);
		free(role);
		return SRC_NOTHING;
	}
	free(why);
	c->expensive = true;
	if (r == DA_META_FOUND &&
		!set_source(out, "iam-role %s (instance metadata)", role ? role : "?"))
	{
		da_credentials_clear(out);
		da_seterr(errp, "out of memory");
		r = DA_META_ERROR;
	}
	free(role);
	return r == DA_META_FOUND ? SRC_FOUND : SRC_ERROR;
}

/* The credentials of a source_profile (botocore's
 * _resolve_credentials_from_profile). */
static src_result
source_profile_credentials(chain *c, const char *profile, da_credentials *out,
						   char **errp)
{
	size_t		mark = c->tried.len;
	src_result	r;

	if (!has_static(c, profile) && has_assume_role(c, profile))
		return assume_role(c, profile, out, errp);
	r = profile_providers(c, profile, true, out, errp);
	if (r == SRC_NOTHING)
	{
		da_seterr(errp, "the source profile \"%s\" must have credentials: tried %s",
				  profile, c->tried.data ? c->tried.data + mark + (mark ? 2 : 0) : "nothing");
		return SRC_ERROR;
	}
	return r;
}

/* AssumeRole for profile: role_arn with source_profile or credential_source. */
static src_result
assume_role(chain *c, const char *profile, da_credentials *out, char **errp)
{
	const char *arn = pget(c, profile, "role_arn");
	const char *sp = pget(c, profile, "source_profile");
	const char *cs = pget(c, profile, "credential_source");
	const char *v;
	da_credentials src;
	da_sts_params p;
	src_result	r;
	int			i;
	char	   *via = NULL;

	memset(&src, 0, sizeof(src));
	if (sp && cs)
	{
		da_seterr(errp, "the profile \"%s\" contains both source_profile and credential_source; keep one",
				  profile);
		return SRC_ERROR;
	}
	if (sp == NULL && cs == NULL)
	{
		da_seterr(errp, "the profile \"%s\" has role_arn but neither source_profile nor credential_source; add one of them",
				  profile);
		return SRC_ERROR;
	}
	if (pget(c, profile, "mfa_serial"))
	{
		da_seterr(errp, "the profile \"%s\" needs an MFA code (mfa_serial), which dsql_auth cannot prompt for; run \"aws sts assume-role\" and export the keys, or use a credential_process helper that prompts (e.g. aws-vault)",
				  profile);
		return SRC_ERROR;
	}
	if (cs)
	{
		if (strcmp(cs, "Environment") == 0)
			r = env_keys(c, &src, errp);
		else if (strcmp(cs, "Ec2InstanceMetadata") == 0)
			r = src_imds(c, &src, errp);
		else if (strcmp(cs, "EcsContainer") == 0)
			r = src_container(c, &src, errp);
		else
		{
			char	   *pc = da_printable(cs, 64);

			da_seterr(errp, "the credential_source \"%s\" in profile \"%s\" is not valid; use Environment, Ec2InstanceMetadata or EcsContainer",
					  pc ? pc : "?", profile);
			free(pc);
			return SRC_ERROR;
		}
		if (r == SRC_NOTHING)
		{
			da_seterr(errp, "no credentials found in credential_source %s referenced in profile \"%s\": %s",
					  cs, profile, c->tried.data ? c->tried.data : "nothing");
			return SRC_ERROR;
		}
		if (r == SRC_ERROR)
			return r;
		if (asprintf(&via, "%s", cs) < 0)
			via = NULL;
	}
	else
	{
		if (!profile_exists(c, sp))
		{
			da_seterr(errp, "the source_profile \"%s\" referenced in the profile \"%s\" does not exist",
					  sp, profile);
			return SRC_ERROR;
		}
		for (i = 0; i < c->nvisited; i++)
		{
			if (strcmp(c->visited[i], sp) == 0 &&
				(strcmp(sp, profile) != 0 || !has_static(c, sp)))
			{
				da_seterr(errp, "infinite loop in the role chain: profile \"%s\" is its own source through source_profile; break the cycle",
						  sp);
				return SRC_ERROR;
			}
		}
		if (c->nvisited >= MAX_CHAIN_DEPTH)
		{
			da_seterr(errp, "the role chain from profile \"%s\" is longer than %d profiles",
					  c->s->profile, MAX_CHAIN_DEPTH);
			return SRC_ERROR;
		}
		c->visited[c->nvisited++] = sp;
		r = source_profile_credentials(c, sp, &src, errp);
		if (r != SRC_FOUND)
			return SRC_ERROR;
		if (asprintf(&via, "profile %s", sp) < 0)
			via = NULL;
	}
	if (via == NULL)
	{
		da_credentials_clear(&src);
		da_seterr(errp, "out of memory");
		return SRC_ERROR;
	}

	memset(&p, 0, sizeof(p));
	p.region = sts_region(c);
	p.role_arn = arn;
	p.session_name = pget(c, profile, "role_session_name");
	p.external_id = pget(c, profile, "external_id");
	if ((v = pget(c, profile, "duration_seconds")) != NULL)
	{
		char	   *end;
		long		d = strtol(v, &end, 10);

		/* botocore ignores a value int() cannot read */
		if (*end == '\0' && end != v && d > 0 && d <= 43200)
			p.duration_seconds = (int) d;
	}
	c->expensive = true;
	r = SRC_ERROR;
	if (da_sts_assume_role(&p, &src, c->now, out, errp))
	{
		if (set_source(out, "assume-role %s via %s", arn, via))
			r = SRC_FOUND;
		else
		{
			da_credentials_clear(out);
			da_seterr(errp, "out of memory");
		}
	}
	da_credentials_clear(&src);
	free(via);
	return r;
}

/* Source: assume-role for the chosen profile. */
static src_result
src_assume_role(chain *c, da_credentials *out, char **errp)
{
	if (!has_assume_role(c, c->s->profile))
		return SRC_NOTHING;
	return assume_role(c, c->s->profile, out, errp);
}

/* Source: the chosen profile's providers (web identity ... config file). */
static src_result
src_profile(chain *c, da_credentials *out, char **errp)
{
	return profile_providers(c, c->s->profile, c->s->profile_explicit, out,
							 errp);
}

/*
 * The chain, in botocore's order (credentials.create_credential_resolver):
 * env, assume-role, then the profile's own providers (web identity, sso,
 * shared-credentials-file, custom-process, config-file), container-role,
 * iam-role.
 */
static const struct credential_source
{
	const char *name;
	source_fn	fn;
}			sources[] =
{
	{"env", src_environment},
	{"assume-role", src_assume_role},
	{"profile", src_profile},
	{"container-role", src_container},
	{"iam-role", src_imds},
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

/*
 * Walk the chain once, uncached.  *expensive says whether a network or
 * process source was involved (its result is worth caching).
 */
static bool
resolve_chain(const da_settings *s, time_t now, da_credentials *out,
			  bool *expensive, char **errp)
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
	c.now = now;
	c.visited[c.nvisited++] = profile;
	*expensive = false;

	/* the CLI's session parses the config file, then the credentials file */
	if (!load_shared(s->config_file, &c.config_file, errp) ||
		!load_shared(s->credentials_file, &c.creds_file, errp))
		goto done;

	/* a named profile must exist somewhere (botocore's ProfileNotFound) */
	if ((s->profile_explicit || strcmp(profile, "default") != 0) &&
		!profile_exists(&c, profile))
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
		src_result	r = sources[i].fn(&c, &found, errp);

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
	*expensive = c.expensive;
	da_credentials_clear(&found);
	da_buf_free(&c.tried);
	da_awsfile_free(c.config_file);
	da_awsfile_free(c.creds_file);
	return ok;
}

/*
 * The process-wide credentials cache.
 *
 * Credentials that came from a network or process source are kept and
 * handed out until shortly before they expire: a refresh starts
 * min(15 min, half their lifetime) before expiry, and they are never handed
 * out within min(5 min, a quarter of their lifetime) of it.  Between the
 * two, a failed refresh keeps the old ones.  Credentials without an expiry
 * (credential_process without Expiration) are kept for the life of the
 * process, as the AWS CLI keeps them.  One thread refreshes at a time;
 * others use the still-valid credentials, or wait for that refresh and
 * share its result (success or error).  Static keys from the environment
 * and the shared files are not cached: reading them is cheap, and edits
 * apply at the next connect.
 *
 * The entry is keyed by a SHA-256 of the settings and every environment
 * variable the chain reads, so a change of profile or environment misses.
 */
#define CACHE_KEY_LEN 32

static const char *const chain_env_vars[] = {
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_SECURITY_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION",
	"AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_WEB_IDENTITY_TOKEN_FILE",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	"AWS_EC2_METADATA_DISABLED", "AWS_EC2_METADATA_V1_DISABLED",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
	"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_SSO",
	"HOME", NULL
};

static struct
{
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool		have;
	unsigned char key[CACHE_KEY_LEN];
	da_credentials creds;
	time_t		fetched;
	bool		refreshing;
	unsigned long gen;			/* completed resolutions */
	bool		err_valid;		/* last resolution (for err_key) failed */
	unsigned char err_key[CACHE_KEY_LEN];
	char	   *err;
	unsigned long resolutions;	/* uncached walks of the chain, for tests */
}			cache = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
};

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* fork handlers: the child gets a usable, unlocked cache. */
static void
cache_prepare(void)
{
	pthread_mutex_lock(&cache.mu);
}

static void
cache_parent(void)
{
	pthread_mutex_unlock(&cache.mu);
}

static void
cache_child(void)
{
	pthread_mutex_init(&cache.mu, NULL);
	pthread_cond_init(&cache.cv, NULL);
	cache.refreshing = false;
}

/* Register the fork handlers once. */
static void
register_atfork(void)
{
	(void) pthread_atfork(cache_prepare, cache_parent, cache_child);
}

/* Hash of everything that selects the credentials; false on failure. */
static bool
cache_key(const da_settings *s, unsigned char key[CACHE_KEY_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int len = 0;
	bool		ok;
	int			i;

#define PART(str) \
	(EVP_DigestUpdate(md, (str) ? (str) : "\x01", (str) ? strlen(str) + 1 : 1) == 1)
	ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
		PART(s->profile) && PART(s->profile_explicit ? "e" : "i") &&
		PART(s->config_file) && PART(s->credentials_file);
	for (i = 0; ok && chain_env_vars[i]; i++)
		ok = PART(chain_env_vars[i]) && PART(env_get(chain_env_vars[i]));
#undef PART
	ok = ok && EVP_DigestFinal_ex(md, key, &len) == 1 && len == CACHE_KEY_LEN;
	EVP_MD_CTX_free(md);
	return ok;
}

/* May the cached credentials be handed out at now? *refresh: time to renew. */
static bool
cache_usable(time_t now, bool *refresh)
{
	time_t		life;
	time_t		adv;
	time_t		mand;

	*refresh = false;
	if (!cache.have)
		return false;
	if (cache.creds.expiration == 0)
		return true;
	life = cache.creds.expiration - cache.fetched;
	if (life < 0)
		life = 0;
	adv = life / 2 < 900 ? life / 2 : 900;
	mand = life / 4 < 300 ? life / 4 : 300;
	*refresh = now >= cache.creds.expiration - adv;
	return now < cache.creds.expiration - mand;
}

/* Number of uncached resolutions so far (for tests and debug output). */
unsigned long
da_credentials_resolutions(void)
{
	unsigned long n;

	pthread_mutex_lock(&cache.mu);
	n = cache.resolutions;
	pthread_mutex_unlock(&cache.mu);
	return n;
}

/* Drop the cached credentials (for tests, and after a fork if wanted). */
void
da_credentials_cache_reset(void)
{
	pthread_mutex_lock(&cache.mu);
	da_credentials_clear(&cache.creds);
	cache.have = false;
	free(cache.err);
	cache.err = NULL;
	cache.err_valid = false;
	pthread_mutex_unlock(&cache.mu);
}

/* Resolve credentials along the chain, through the cache (see header). */
bool
da_get_credentials(const da_settings *s, da_credentials *out, char **errp)
{
	unsigned char key[CACHE_KEY_LEN];
	bool		keyed;
	bool		ok;
	bool		expensive = false;
	bool		refresh;
	time_t		now;
	da_credentials fresh;
	char	   *err = NULL;

	memset(out, 0, sizeof(*out));
	memset(&fresh, 0, sizeof(fresh));
	(void) pthread_once(&atfork_once, register_atfork);
	keyed = cache_key(s, key);

	pthread_mutex_lock(&cache.mu);
	for (;;)
	{
		unsigned long gen = cache.gen;
		bool		mine = keyed && cache.have &&
			memcmp(cache.key, key, CACHE_KEY_LEN) == 0;

		now = time(NULL);
		if (mine && cache_usable(now, &refresh) && (!refresh || cache.refreshing))
		{
			ok = da_credentials_copy(out, &cache.creds);
			pthread_mutex_unlock(&cache.mu);
			if (!ok)
				da_seterr(errp, "out of memory");
			return ok;
		}
		if (!cache.refreshing)
			break;
		/* someone is resolving: wait for it and share its outcome */
		while (cache.refreshing && cache.gen == gen)
			pthread_cond_wait(&cache.cv, &cache.mu);
		if (keyed && cache.err_valid &&
			memcmp(cache.err_key, key, CACHE_KEY_LEN) == 0 &&
			!(cache.have && memcmp(cache.key, key, CACHE_KEY_LEN) == 0))
		{
			da_seterr(errp, "%s", cache.err ? cache.err : "no AWS credentials");
			pthread_mutex_unlock(&cache.mu);
			return false;
		}
	}
	cache.refreshing = true;
	cache.resolutions++;
	pthread_mutex_unlock(&cache.mu);

	ok = resolve_chain(s, now, &fresh, &expensive, &err);

	pthread_mutex_lock(&cache.mu);
	if (ok && expensive && keyed)
	{
		da_credentials_clear(&cache.creds);
		cache.creds = fresh;
		memset(&fresh, 0, sizeof(fresh));
		memcpy(cache.key, key, CACHE_KEY_LEN);
		cache.fetched = now;
		cache.have = true;
		ok = da_credentials_copy(out, &cache.creds);
		if (!ok)
			da_seterr(&err, "out of memory");
	}
	else if (ok)
	{
		*out = fresh;
		memset(&fresh, 0, sizeof(fresh));
	}
	else if (keyed && cache.have && memcmp(cache.key, key, CACHE_KEY_LEN) == 0 &&
			 cache_usable(now, &refresh))
	{
		/* the refresh failed, but what we have is still good for a while */
		ok = da_credentials_copy(out, &cache.creds);
		free(err);
		err = ok ? NULL : strdup("out of memory");
	}
	free(cache.err);
	cache.err = NULL;
	cache.err_valid = !ok && keyed;
	if (cache.err_valid)
	{
		memcpy(cache.err_key, key, CACHE_KEY_LEN);
		cache.err = da_strdup(err);
	}
	cache.refreshing = false;
	cache.gen++;
	pthread_cond_broadcast(&cache.cv);
	pthread_mutex_unlock(&cache.mu);

	da_credentials_clear(&fresh);
	if (!ok)
		da_seterr(errp, "%s", err ? err : "out of memory");
	free(err);
	return ok;
}

/* A copy of s fit for a message: control characters replaced, capped. */
char *
da_printable(const char *s, size_t max)
{
	da_buf		b;
	size_t		n;

	da_buf_init(&b);
	for (n = 0; s[n] && n < max; n++)
		da_buf_appendc(&b, ((unsigned char) s[n] < 0x20 || s[n] == 0x7F) ? '?' : s[n]);
	if (s[n])
		da_buf_append(&b, "...");
	if (b.data == NULL)
		da_buf_append(&b, "");
	return da_buf_steal(&b);
}

/* A copy of s fit for a message, at most 64 characters. */
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
