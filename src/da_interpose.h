/*
 * da_interpose.h
 *		What the client library's interposer offers to other parts of the
 *		client library (e.g. the dump/restore compatibility layer).
 */
#ifndef DA_INTERPOSE_H
#define DA_INTERPOSE_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "da_creds.h"

/*
 * The real libpq function name, from the libpq instance the program uses
 * (which may have been loaded with local scope).  caller is the return
 * address of the exported shim (__builtin_return_address(0)); it helps find
 * a libpq that is not in the global scope.  NULL if there is no libpq.
 */
extern void *da_real_symbol(const char *name, void *caller);

/* The settings read from the environment once per process. */
extern const da_settings *da_current_settings(void);

/* Print "dsql_auth: ..." on stderr when DSQL_AUTH_DEBUG is set. */
extern void da_debug(const char *fmt,...) DA_PRINTF(1, 2);

/* True when conn is connected (or connecting) to a DSQL endpoint. */
extern bool da_conn_is_dsql(const PGconn *conn);

/*
 * This thread's nesting depth of dsql_auth shims.  A shim increments it
 * while it runs; libpq calls made at depth > 0 must not be acted on again.
 */
extern __thread int da_depth;

/* The compatibility layer forgets a connection's state (da_compat_shim.c). */
extern void da_compat_forget(const PGconn *conn);

#endif							/* DA_INTERPOSE_H */
