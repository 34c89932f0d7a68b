/*
 * dsql-auth.c
 *		The dsql-auth command:
 *		  dsql-auth [--] PROGRAM [ARGS...]   run PROGRAM with the client library
 *		  dsql-auth token --host HOST ...    print one token
 *		  dsql-auth check [CONNINFO]         explain what would happen
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "da_conninfo.h"
#include "da_host.h"
#include "da_token.h"

#ifndef DA_PRELOAD_PATH
#define DA_PRELOAD_PATH "/usr/lib/postgresql/15/lib/dsql_auth_preload.so"
#endif
#ifndef DA_VERSION
#define DA_VERSION "1.0"
#endif

/* Exit codes. */
#define EXIT_OK			0
#define EXIT_FAIL		1		/* could not make a token / would be refused */
#define EXIT_USAGE		2

static const char *progname = "dsql-auth";

/* Print the usage text. */
static void
usage(FILE *f)
{
	fprintf(f,
			"Usage:\n"
			"  %1$s [--] PROGRAM [ARGS...]   run PROGRAM with the dsql_auth client library\n"
			"                                  (every libpq connection to Aurora DSQL gets a\n"
			"                                  fresh IAM token)\n"
			"  %1$s token --host HOST [--user USER] [--region REGION]\n"
			"                 [--expires-in SECONDS] [--profile PROFILE]\n"
			"                                  print one token and a newline\n"
			"  %1$s check [CONNINFO]          explain what the library would do for a\n"
			"                                  connection (no secrets are printed)\n"
			"  %1$s --help | --version\n"
			"\n"
			"Settings (environment): DSQL_AUTH_PROFILE, DSQL_AUTH_REGION,\n"
			"DSQL_AUTH_EXPIRES_IN, DSQL_AUTH_HOSTS, DSQL_AUTH_DEBUG, DSQL_AUTH_LIBRARY,\n"
			"and the standard AWS_* variables and ~/.aws files.\n"
			"Exit status: 0 success, 1 failure, 2 usage error, 126/127 PROGRAM could not\n"
			"be run.\n",
			progname);
}

/* The client library's path: DSQL_AUTH_LIBRARY (absolute) or the installed one. */
static const char *
library_path(void)
{
	const char *p = getenv("DSQL_AUTH_LIBRARY");

	if (p && p[0])
		return p;
	return DA_PRELOAD_PATH;
}

/* True if LD_PRELOAD (space- or colon-separated) already names lib. */
static bool
preload_has(const char *preload, const char *lib)
{
	size_t		n = strlen(lib);
	const char *p = preload;

	while (p && *p)
	{
		size_t		len = strcspn(p, ": ");

		if (len == n && strncmp(p, lib, n) == 0)
			return true;
		p += len;
		p += strspn(p, ": ");
	}
	return false;
}

/* dsql-auth PROGRAM ARGS: preload the library and exec. */
static int
cmd_run(char **argv)
{
	const char *lib = library_path();
	const char *old = getenv("LD_PRELOAD");

	if (lib[0] != '/')
	{
		fprintf(stderr, "%s: DSQL_AUTH_LIBRARY must be an absolute path (got \"%s\"); libraries are never loaded from the current directory\n",
				progname, lib);
		return EXIT_USAGE;
	}
	if (access(lib, R_OK) != 0)
	{
		fprintf(stderr, "%s: the client library %s is missing (%s); install it with \"make install\" or point DSQL_AUTH_LIBRARY at it\n",
				progname, lib, strerror(errno));
		return EXIT_FAIL;
	}
	if (!preload_has(old, lib))
	{
		da_buf		b;
		char	   *v;

		da_buf_init(&b);
		da_buf_append(&b, lib);
		if (old && old[0])
		{
			da_buf_appendc(&b, ':');
			da_buf_append(&b, old);
		}
		v = da_buf_steal(&b);
		if (v == NULL || setenv("LD_PRELOAD", v, 1) != 0)
		{
			fprintf(stderr, "%s: out of memory\n", progname);
			return EXIT_FAIL;
		}
		free(v);
	}
	execvp(argv[0], argv);
	fprintf(stderr, "%s: cannot run \"%s\": %s\n", progname, argv[0],
			strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

/* dsql-auth token: print one token. */
static int
cmd_token(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"host", required_argument, NULL, 'h'},
		{"hostname", required_argument, NULL, 'h'},
		{"user", required_argument, NULL, 'U'},
		{"region", required_argument, NULL, 'r'},
		{"expires-in", required_argument, NULL, 'e'},
		{"profile", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, '?'},
		{NULL, 0, NULL, 0}
	};
	da_settings s;
	const char *host = NULL;
	const char *user = "admin";
	char	   *err = NULL;
	char	   *tok;
	int			c;

	if (!da_settings_from_env(&s, &err))
	{
		fprintf(stderr, "%s: %s\n", progname, err);
		free(err);
		return EXIT_FAIL;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "h:U:r:e:p:", longopts, NULL)) != -1)
	{
		switch (c)
		{
			case 'h':
				host = optarg;
				break;
			case 'U':
				user = optarg;
				break;
			case 'r':
				if (!da_region_valid(optarg))
				{
					fprintf(stderr, "%s: invalid region \"%s\": use a name such as us-east-1\n",
							progname, optarg);
					da_settings_clear(&s);
					return EXIT_USAGE;
				}
				free(s.region);
				s.region = strdup(optarg);
				break;
			case 'e':
				if (!da_parse_expires(optarg, &s.expires_in, &err))
				{
					fprintf(stderr, "%s: --expires-in: %s\n", progname, err);
					free(err);
					da_settings_clear(&s);
					return EXIT_USAGE;
				}
				break;
			case 'p':
				free(s.profile);
				s.profile = strdup(optarg);
				s.profile_explicit = true;
				break;
			default:
				fprintf(stderr, "Try \"%s --help\".\n", progname);
				da_settings_clear(&s);
				return EXIT_USAGE;
		}
	}
	if (host == NULL || optind < argc)
	{
		fprintf(stderr, "%s: token needs --host HOST%s\nTry \"%s --help\".\n",
				progname, optind < argc ? " and no other arguments" : "",
				progname);
		da_settings_clear(&s);
		return EXIT_USAGE;
	}
	tok = da_make_token(&s, host, user, time(NULL), NULL, &err);
	da_settings_clear(&s);
	if (tok == NULL)
	{
		fprintf(stderr, "%s: %s\n", progname, err);
		free(err);
		return EXIT_FAIL;
	}
	puts(tok);
	da_free_secret(tok);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

/* Describe one resolved option for check. */
static void
show_opt(const da_conn *c, da_optid id, const char *label, const char *dflt)
{
	const da_opt *o = &c->opt[id];

	if (o->val)
		printf("  %-12s %s (%s%s%s)\n", label, o->val, da_src_name(o->src),
			   o->where ? ": " : "", o->where ? o->where : "");
	else
		printf("  %-12s %s\n", label, dflt);
}

/* dsql-auth check [CONNINFO]: explain, without secrets. */
static int
cmd_check(int argc, char **argv)
{
	da_libpq	pq = {PQconninfoParse, PQconninfoFree, PQfreemem, PQlibVersion};
	const char *conninfo = argc > 1 ? argv[1] : "";
	da_settings s;
	da_conn		c;
	da_plan		plan;
	char	   *err = NULL;
	int			rc = EXIT_OK;
	const char *lib = library_path();
	const char *preload = getenv("LD_PRELOAD");

	if (argc > 2)
	{
		fprintf(stderr, "%s: check takes one connection string (quote it)\nTry \"%s --help\".\n",
				progname, progname);
		return EXIT_USAGE;
	}
	if (!da_settings_from_env(&s, &err))
	{
		fprintf(stderr, "%s: %s\n", progname, err);
		free(err);
		return EXIT_FAIL;
	}
	if (!da_conn_from_string(&pq, conninfo, &c, &err) ||
		!da_conn_resolve(&pq, &c, &err))
	{
		fprintf(stderr, "%s: libpq would reject this connection: %s\n",
				progname, err);
		free(err);
		da_conn_free(&c);
		da_settings_clear(&s);
		return EXIT_FAIL;
	}

	printf("connection (as libpq resolves it):\n");
	show_opt(&c, DA_OPT_HOST, "host", "(unset: local socket)");
	show_opt(&c, DA_OPT_HOSTADDR, "hostaddr", "(unset)");
	show_opt(&c, DA_OPT_PORT, "port", "(unset: 5432)");
	show_opt(&c, DA_OPT_USER, "user", "(unset)");
	show_opt(&c, DA_OPT_DBNAME, "dbname", "(unset)");
	show_opt(&c, DA_OPT_SERVICE, "service", "(none)");
	show_opt(&c, DA_OPT_SSLMODE, "sslmode", "(unset: prefer)");
	show_opt(&c, DA_OPT_SSLROOTCERT, "sslrootcert", "(unset)");
	printf("  %-12s %s\n", "password",
		   c.opt[DA_OPT_PASSWORD].val == NULL ? "(none)" :
		   da_password_is_token(c.opt[DA_OPT_PASSWORD].val)
		   ? "an IAM token (will be replaced by a fresh one)"
		   : "a password (not shown; will be used as given)");

	printf("dsql_auth:\n");
	if (!da_plan_make(&c, &s, &plan, &err))
	{
		printf("  %-12s no: the connection would be refused\n", "applies");
		fprintf(stderr, "%s: %s\n", progname, err);
		free(err);
		rc = EXIT_FAIL;
	}
	else if (!plan.applies)
		printf("  %-12s no: %s; the connection is passed to libpq unchanged\n",
			   "applies", plan.why_not);
	else
	{
		printf("  %-12s yes\n", "applies");
		printf("  %-12s %s%s\n", "user", plan.user,
			   plan.user_defaulted ? " (DSQL default: admin)" : "");
		printf("  %-12s %s%s\n", "dbname", plan.dbname,
			   plan.dbname_defaulted ? " (DSQL default: postgres)" : "");
		printf("  %-12s sslmode=%s", "TLS", plan.sslmode);
		if (plan.sslmode_given == NULL)
			printf(" (raised from the default prefer)");
		else if (strcmp(plan.sslmode_given, plan.sslmode) != 0)
			printf(" (raised from %s)", plan.sslmode_given);
		if (plan.sslrootcert)
			printf(", sslrootcert=%s (%s)", plan.sslrootcert, plan.sslrootcert_why);
		else if (plan.sslrootcert_why)
			printf(", root certificate: %s", plan.sslrootcert_why);
		printf("\n");
		for (int i = 0; i < plan.nhosts; i++)
		{
			da_token_info info;
			char	   *tok;

			printf("  host %s:\n", plan.hosts[i].host);
			if (!plan.hosts[i].dsql)
			{
				printf("    not a DSQL endpoint: no token\n");
				continue;
			}
			if (plan.pwmode == DA_PW_KEEP)
			{
				printf("    password   the given password is used (it is not an IAM token)\n");
				continue;
			}
			tok = da_make_token(&s, plan.hosts[i].host, plan.user, time(NULL),
								&info, &err);
			if (tok == NULL)
			{
				printf("    token      cannot be made\n");
				fprintf(stderr, "%s: %s\n", progname, err);
				free(err);
				err = NULL;
				rc = EXIT_FAIL;
				continue;
			}
			da_free_secret(tok);
			printf("    region     %s (from %s)\n", info.region, info.region_source);
			printf("    action     %s\n", info.action);
			printf("    credentials %s (access key id ending %s)\n",
				   info.cred_source,
				   strlen(info.access_key_id) > 4
				   ? info.access_key_id + strlen(info.access_key_id) - 4 : "");
			printf("    token      fresh on every connect, valid %d s%s\n",
				   info.expires_in,
				   plan.pwmode == DA_PW_PASSFILE ? " (per host, in-memory password file)" : "");
			da_token_info_clear(&info);
		}
		if (plan.stale_token)
			printf("  %-12s the given password is an old IAM token (from the %s); it is replaced\n",
				   "note", da_src_name(c.opt[DA_OPT_PASSWORD].src));
	}
	printf("library:\n  %-12s %s (%s)\n", "path", lib,
		   access(lib, R_OK) == 0 ? "present" : "MISSING");
	printf("  %-12s %s\n", "LD_PRELOAD",
		   preload_has(preload, lib) ? "includes it (this shell's programs use it)"
		   : "does not include it: run programs as \"dsql-auth PROGRAM\"");
	da_plan_free(&plan);
	da_conn_free(&c);
	da_settings_clear(&s);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
	{
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
		strcmp(argv[1], "help") == 0)
	{
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
	{
		printf("dsql-auth (dsql_auth) %s\n", DA_VERSION);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "token") == 0)
		return cmd_token(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "--") == 0)
	{
		if (argc < 3)
		{
			fprintf(stderr, "%s: no program after --\n", progname);
			return EXIT_USAGE;
		}
		return cmd_run(argv + 2);
	}
	if (argv[1][0] == '-')
	{
		fprintf(stderr, "%s: unknown option \"%s\"\nTry \"%s --help\".\n",
				progname, argv[1], progname);
		return EXIT_USAGE;
	}
	return cmd_run(argv + 1);
}
