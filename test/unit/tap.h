/*
 * tap.h
 *		A minimal TAP producer for the C unit tests.  Each test program prints
 *		"ok N - name" / "not ok N - name" lines and a closing plan "1..N";
 *		test/run counts them.  Exit status is non-zero if anything failed.
 */
#ifndef TAP_H
#define TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int	tap_n = 0;
static int	tap_failed = 0;

static inline int
tap_ok(int cond, const char *name)
{
	tap_n++;
	printf("%s %d - %s\n", cond ? "ok" : "not ok", tap_n, name);
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

/* String equality with a diagnostic on mismatch. */
static inline int
tap_is_str(const char *got, const char *want, const char *name)
{
	int			ok = (got && want) ? strcmp(got, want) == 0 : got == want;

	tap_ok(ok, name);
	if (!ok)
		printf("#   got:  %s\n#   want: %s\n", got ? got : "(null)",
			   want ? want : "(null)");
	return ok;
}

static inline void
tap_diag(const char *msg)
{
	printf("# %s\n", msg);
}

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif							/* TAP_H */
