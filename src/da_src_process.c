/*
 * da_src_process.c
 *		credential_process: run an external helper (1Password, aws-vault,
 *		Granted, ...) without a shell and read its JSON.
 *
 * The command line is split as the AWS CLI splits it (Python's shlex.split
 * in POSIX mode).  The helper is started with posix_spawnp (safe in
 * threaded programs: no fork of a multi-threaded heap), stdin from
 * /dev/null (it must not eat the host program's input), every descriptor
 * above 2 closed, default signal dispositions and an empty signal mask.
 * Its stdout and stderr are read with a deadline; a helper that hangs is
 * killed and reaped.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "da_json.h"
#include "da_src.h"

extern char **environ;

#define PROCESS_STDOUT_MAX (1024 * 1024)
#define PROCESS_STDERR_MAX (8 * 1024)

/* Free a vector from da_shell_split. */
void
da_argv_free(char **argv)
{
	char	  **p;

	if (argv == NULL)
		return;
	for (p = argv; *p; p++)
		free(*p);
	free(argv);
}

/* Split a command line as shlex.split does in POSIX mode (see header). */
char **
da_shell_split(const char *cmd, char **errp)
{
	char	  **argv = NULL;
	size_t		argc = 0;
	size_t		cap = 0;
	const char *p = cmd;
	da_buf		word;

	da_buf_init(&word);
	for (;;)
	{
		bool		in_word = false;

		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p == '\0')
			break;
		da_buf_append(&word, "");
		while (*p && !(*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		{
			in_word = true;
			if (*p == '\\')
			{
				if (p[1] == '\0')
				{
					da_seterr(errp, "credential_process: no character after the final backslash");
					goto fail;
				}
				da_buf_appendc(&word, p[1]);
				p += 2;
			}
			else if (*p == '\'')
			{
				const char *e = strchr(p + 1, '\'');

				if (e == NULL)
				{
					da_seterr(errp, "credential_process: no closing quotation");
					goto fail;
				}
				da_buf_append_len(&word, p + 1, (size_t) (e - p - 1));
				p = e + 1;
			}
			else if (*p == '"')
			{
				p++;
				while (*p && *p != '"')
				{
					if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					{
						da_buf_appendc(&word, p[1]);
						p += 2;
					}
					else
						da_buf_appendc(&word, *p++);
				}
				if (*p != '"')
				{
					da_seterr(errp, "credential_process: no closing quotation");
					goto fail;
				}
				p++;
			}
			else
				da_buf_appendc(&word, *p++);
		}
		if (!in_word)
			break;
		if (argc + 2 > cap)
		{
			size_t		ncap = cap ? cap * 2 : 8;
			char	  **n = calloc(ncap, sizeof(char *));

			if (n == NULL)
				goto oom;
			if (argv)
				memcpy(n, argv, argc * sizeof(char *));
			free(argv);
			argv = n;
			cap = ncap;
		}
		argv[argc] = da_buf_steal(&word);
		if (argv[argc] == NULL)
			goto oom;
		argc++;
		argv[argc] = NULL;
	}
	da_buf_free(&word);
	if (argc == 0)
	{
		da_seterr(errp, "credential_process is empty");
		da_argv_free(argv);
		return NULL;
	}
	return argv;

oom:
	da_seterr(errp, "out of memory");
fail:
	da_buf_free(&word);
	da_argv_free(argv);
	return NULL;
}

/* Milliseconds on the monotonic clock. */
static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Parse credential_process output (see header). */
bool
da_process_parse_output(const char *text, size_t len, const char *profile,
						da_credentials *out, char **errp)
{
	char	   *perr = NULL;
	da_json    *doc;
	long long	version;
	const char *key;
	const char *secret;
	const char *token;
	const char *exp;
	time_t		expiration = 0;
	bool		ok = false;

	memset(out, 0, sizeof(*out));
	doc = da_json_parse(text, len, "the credential_process output", &perr);
	if (doc == NULL || !da_json_is_object(doc))
	{
		da_seterr(errp, "credential_process for profile \"%s\": %s", profile,
				  perr ? perr : "the output is not a JSON object");
		goto done;
	}
	if (!da_json_int(doc, "Version", &version) || version != 1)
	{
		da_seterr(errp, "credential_process for profile \"%s\": unsupported or missing \"Version\" in its output; supported versions: 1",
				  profile);
		goto done;
	}
	key = da_json_string(doc, "AccessKeyId");
	secret = da_json_string(doc, "SecretAccessKey");
	token = da_json_string(doc, "SessionToken");
	exp = da_json_string(doc, "Expiration");
	if (key == NULL || key[0] == '\0' || secret == NULL || secret[0] == '\0')
	{
		da_seterr(errp, "credential_process for profile \"%s\": its output lacks %s",
				  profile, (key == NULL || key[0] == '\0') ? "AccessKeyId" : "SecretAccessKey");
		goto done;
	}
	if (exp && !da_parse_iso8601(exp, &expiration))
	{
		da_seterr(errp, "credential_process for profile \"%s\": \"Expiration\" is not an ISO 8601 time",
				  profile);
		goto done;
	}
	if (!da_creds_set_keys(out, key, secret, token, expiration))
	{
		da_seterr(errp, "out of memory");
		goto done;
	}
	ok = true;
done:
	free(perr);
	da_json_free(doc);
	return ok;
}

/* Read what is available on fd into b (capped); false at EOF or error. */
static bool
drain(int fd, da_buf *b, size_t cap, bool *overflow)
{
	char		chunk[4096];
	ssize_t		n = read(fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	if (b->len + (size_t) n > cap)
	{
		size_t		room = cap > b->len ? cap - b->len : 0;

		da_buf_append_len(b, chunk, room);
		*overflow = true;
	}
	else
		da_buf_append_len(b, chunk, (size_t) n);
	da_wipe(chunk, sizeof(chunk));
	return true;
}

/* Run the helper and parse its output (see header). */
bool
da_process_credentials(const char *command, const char *profile,
					   long timeout_ms, da_credentials *out, char **errp)
{
	char	  **argv = NULL;
	int			outp[2] = {-1, -1};
	int			errpipe[2] = {-1, -1};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	bool		fa_init = false;
	bool		attr_init = false;
	sigset_t	empty;
	sigset_t	defaults;
	pid_t		pid = -1;
	int			rc;
	da_buf		o;
	da_buf		e;
	bool		o_over = false;
	bool		e_over = false;
	bool		timed_out = false;
	int			status = 0;
	bool		have_status = false;
	long long	deadline;
	bool		ok = false;

	memset(out, 0, sizeof(*out));
	da_buf_init(&o);
	da_buf_init(&e);
	argv = da_shell_split(command, errp);
	if (argv == NULL)
		return false;
	if (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errpipe, O_CLOEXEC) != 0)
	{
		da_seterr(errp, "credential_process: cannot create a pipe: %s",
				  strerror(errno));
		goto done;
	}
	if (posix_spawn_file_actions_init(&fa) != 0)
		goto spawn_fail;
	fa_init = true;
	if (posix_spawnattr_init(&attr) != 0)
		goto spawn_fail;
	attr_init = true;
	sigemptyset(&empty);
	sigfillset(&defaults);
	sigdelset(&defaults, SIGKILL);
	sigdelset(&defaults, SIGSTOP);
	if (posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) != 0 ||
		posix_spawn_file_actions_adddup2(&fa, outp[1], 1) != 0 ||
		posix_spawn_file_actions_adddup2(&fa, errpipe[1], 2) != 0 ||
		posix_spawn_file_actions_addclosefrom_np(&fa, 3) != 0 ||
		posix_spawnattr_setsigmask(&attr, &empty) != 0 ||
		posix_spawnattr_setsigdefault(&attr, &defaults) != 0 ||
		posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
								 POSIX_SPAWN_SETSIGDEF) != 0)
		goto spawn_fail;
	rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
	if (rc != 0)
	{
		char	   *pa = da_printable(argv[0], 200);

		da_seterr(errp, "credential_process for profile \"%s\": cannot run \"%s\": %s",
				  profile, pa ? pa : "?", strerror(rc));
		free(pa);
		pid = -1;
		goto done;
	}
	close(outp[1]);
	close(errpipe[1]);
	outp[1] = errpipe[1] = -1;

	deadline = mono_ms() + timeout_ms;
	while (outp[0] >= 0 || errpipe[0] >= 0)
	{
		struct pollfd pfd[2];
		int			n = 0;
		long long	left = deadline - mono_ms();
		int			i;

		if (left <= 0)
		{
			timed_out = true;
			break;
		}
		if (outp[0] >= 0)
			pfd[n++] = (struct pollfd) {.fd = outp[0], .events = POLLIN};
		if (errpipe[0] >= 0)
			pfd[n++] = (struct pollfd) {.fd = errpipe[0], .events = POLLIN};
		rc = poll(pfd, (nfds_t) n, left > 1000 ? 1000 : (int) left);
		if (rc < 0 && errno != EINTR)
			break;
		for (i = 0; rc > 0 && i < n; i++)
		{
			if (pfd[i].revents == 0)
				continue;
			if (pfd[i].fd == outp[0] &&
				!drain(outp[0], &o, PROCESS_STDOUT_MAX, &o_over))
			{
				close(outp[0]);
				outp[0] = -1;
			}
			else if (pfd[i].fd == errpipe[0] &&
					 !drain(errpipe[0], &e, PROCESS_STDERR_MAX, &e_over))
			{
				close(errpipe[0]);
				errpipe[0] = -1;
			}
		}
	}
	if (timed_out)
		kill(pid, SIGKILL);
	for (;;)
	{
		pid_t		w = waitpid(pid, &status, 0);

		if (w == pid)
		{
			have_status = true;
			break;
		}
		if (w < 0 && errno == EINTR)
			continue;
		break;					/* ECHILD: SIGCHLD ignored by the host */
	}
	pid = -1;

	if (timed_out)
	{
		da_seterr(errp, "credential_process for profile \"%s\" did not finish within %ld ms and was killed",
				  profile, timeout_ms);
		goto done;
	}
	if (have_status && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
	{
		char	   *pe;

		while (e.len > 0 && (e.data[e.len - 1] == '\n' || e.data[e.len - 1] == '\r' ||
							 e.data[e.len - 1] == ' '))
			e.data[--e.len] = '\0';
		pe = e.data ? da_printable(e.data, 500) : NULL;

		if (WIFEXITED(status))
			da_seterr(errp, "credential_process for profile \"%s\" exited with status %d%s%s",
					  profile, WEXITSTATUS(status),
					  (pe && pe[0]) ? ": " : "", pe ? pe : "");
		else
			da_seterr(errp, "credential_process for profile \"%s\" was killed by signal %d%s%s",
					  profile, WTERMSIG(status),
					  (pe && pe[0]) ? ": " : "", pe ? pe : "");
		free(pe);
		goto done;
	}
	if (o_over)
	{
		da_seterr(errp, "credential_process for profile \"%s\" printed more than 1 MiB",
				  profile);
		goto done;
	}
	ok = da_process_parse_output(o.data ? o.data : "", o.len, profile, out,
								 errp);
	goto done;

spawn_fail:
	da_seterr(errp, "credential_process: cannot prepare to start the helper");
done:
	if (pid > 0)
	{
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (fa_init)
		posix_spawn_file_actions_destroy(&fa);
	if (attr_init)
		posix_spawnattr_destroy(&attr);
	if (outp[0] >= 0)
		close(outp[0]);
	if (outp[1] >= 0)
		close(outp[1]);
	if (errpipe[0] >= 0)
		close(errpipe[0]);
	if (errpipe[1] >= 0)
		close(errpipe[1]);
	da_buf_free(&o);
	da_buf_free(&e);
	da_argv_free(argv);
	return ok;
}
