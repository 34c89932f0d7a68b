/*
 * fuzz_shell_split.c
 *		libFuzzer target: the credential_process command line splitter
 *		(da_shell_split, Python shlex.split in POSIX mode), which reads a
 *		value from the user's config file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "da_src.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *cmd = malloc(size + 1);
	char	   *err = NULL;
	char	  **argv;

	if (cmd == NULL)
		return 0;
	memcpy(cmd, data, size);
	cmd[size] = '\0';
	argv = da_shell_split(cmd, &err);
	if (argv == NULL)
	{
		if (err == NULL)
			abort();
		free(err);
	}
	else
	{
		/* at least one word, each a proper string */
		if (argv[0] == NULL || err != NULL)
			abort();
		for (int i = 0; argv[i]; i++)
			(void) strlen(argv[i]);
		da_argv_free(argv);
	}
	free(cmd);
	return 0;
}
