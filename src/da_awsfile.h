/*
 * da_awsfile.h
 *		Parser for the AWS shared config and credentials files
 *		(~/.aws/config, ~/.aws/credentials), following botocore's
 *		raw_config_parse (Python configparser.RawConfigParser semantics) so
 *		that we read exactly what the AWS CLI reads.
 *
 * Backend-free core; see da_util.h for the error convention.
 */
#ifndef DA_AWSFILE_H
#define DA_AWSFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "da_util.h"

typedef struct da_awsfile da_awsfile;

/*
 * Parse file contents.  path is only used in messages.  Returns NULL with
 * *errp set on a syntax error the AWS CLI would also reject (the message
 * names the file and line and says how to fix it).
 */
extern da_awsfile *da_awsfile_parse(const char *text, size_t len,
									const char *path, char **errp);

/*
 * Read and parse a file.  A file that does not exist is not an error:
 * returns NULL with *missing = true and no message.  Unreadable files,
 * directories, files over 16 MiB, and syntax errors return NULL with
 * *missing = false and *errp set.
 */
extern da_awsfile *da_awsfile_load(const char *path, bool *missing,
								   char **errp);

/*
 * Value of key in section (exact section name as written between the
 * brackets after whitespace trimming, e.g. "default", "profile dev",
 * "sso-session corp"); keys compare case-insensitively as configparser
 * lower-cases them.  NULL if absent.  The returned string is owned by f.
 * As in configparser, only the line is trimmed, not the name inside the
 * brackets ("[ dev ]" is section " dev "), and keys of a "[DEFAULT]"
 * section are seen in every section that lacks them.  A value botocore
 * reads as a nested sub-section ("s3 =" + indented lines) gives NULL.
 */
extern const char *da_awsfile_get(const da_awsfile *f, const char *section,
								  const char *key);
extern bool da_awsfile_has_section(const da_awsfile *f, const char *section);

/*
 * The config-file section that holds profile, chosen as botocore's
 * build_profile_map does: "[default]" or any section starting with
 * "profile" whose shlex split is exactly two words, the second being the
 * name ("[profile dev]", "[profile \"my dev\"]"); when several match, the
 * last in the file wins.  NULL if none.  Owned by f.
 */
extern const char *da_awsfile_profile_section(const da_awsfile *f,
											  const char *profile);

/* Wipes values (they may be secrets) and frees. NULL is fine. */
extern void da_awsfile_free(da_awsfile *f);

#endif							/* DA_AWSFILE_H */
