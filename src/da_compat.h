/*
 * da_compat.h
 *		The pure logic of the dump/restore compatibility layer: split SQL
 *		strings into statements, classify the statements pg_dump and
 *		pg_restore send, and rewrite the few that Aurora DSQL accepts only
 *		in another form.  Also the row counter that cuts a COPY stream into
 *		transactions DSQL accepts, and the analysis of a pg_restore archive
 *		(keys to fold into CREATE TABLE, objects DSQL cannot hold).
 *
 * Backend-free core code (see STYLE.md): no printing, no libpq calls, no
 * global state.  Functions that allocate return NULL/false on OOM.
 */
#ifndef DA_COMPAT_H
#define DA_COMPAT_H

#include <stdbool.h>
#include <stddef.h>

/* One statement of a query string: [off, off + len), without the ';'. */
typedef struct da_span
{
	size_t		off;			/* first token (after whitespace/comments) */
	size_t		len;			/* up to, not including, the ';' */
	size_t		lead;			/* where the statement's leading text begins */
} da_span;

/*
 * Split sql into statements, respecting quotes, dollar quotes, comments and
 * BEGIN ATOMIC bodies.  Empty statements are left out.  Returns the number
 * of statements and a malloc'd array in *out, or -1 when the string has an
 * unterminated quote or comment (the caller then sends it unchanged) or on
 * OOM (*out is NULL either way).
 */
extern int	da_sql_split(const char *sql, size_t n, da_span **out);

/* What a statement is, as far as the layer cares. */
typedef enum da_kind
{
	DA_K_OTHER = 0,
	DA_K_SET_ALLOWED,			/* SET/RESET of a parameter DSQL accepts */
	DA_K_SET_OTHER,				/* SET/RESET of any other parameter */
	DA_K_SET_TXN_RR_RO,			/* SET TRANSACTION ISOLATION LEVEL
								 * REPEATABLE READ, READ ONLY (pg_dump) */
	DA_K_SET_TXN_OTHER,			/* other SET TRANSACTION / SESSION
								 * CHARACTERISTICS */
	DA_K_SET_SNAPSHOT,			/* SET TRANSACTION SNAPSHOT */
	DA_K_EXPORT_SNAPSHOT,		/* SELECT pg_export_snapshot() */
	DA_K_BEGIN,					/* BEGIN [WORK|TRANSACTION], no options */
	DA_K_COMMIT,				/* COMMIT / END */
	DA_K_ROLLBACK,				/* ROLLBACK / ABORT (not TO SAVEPOINT) */
	DA_K_LOCK,					/* LOCK [TABLE] ... */
	DA_K_TRUNCATE,				/* TRUNCATE [TABLE] [ONLY] name (one table) */
	DA_K_PREPARE,				/* PREPARE name [(types)] AS ... */
	DA_K_EXECUTE,				/* EXECUTE name [(args)] */
	DA_K_DEALLOCATE,			/* DEALLOCATE [PREPARE] name|ALL */
	DA_K_COPY_FROM_STDIN,		/* COPY name ... FROM stdin */
	DA_K_CREATE_TABLE,			/* CREATE TABLE name ( ... */
	DA_K_CREATE_INDEX,			/* CREATE [UNIQUE] INDEX ... */
	DA_K_ADD_KEY				/* ALTER TABLE [ONLY] t ADD CONSTRAINT c
								 * PRIMARY KEY|UNIQUE ... */
} da_kind;

typedef struct da_stmt_info
{
	da_kind		kind;
	char	   *name;			/* SET: parameter (lower case); PREPARE,
								 * EXECUTE, DEALLOCATE: statement name;
								 * CREATE TABLE, TRUNCATE, ADD KEY, ALTER
								 * TABLE, CREATE INDEX/TRIGGER: the table, as
								 * written */
	char	   *name2;			/* ADD KEY: constraint name as written */
	char	   *value;			/* SET: the value, lower case, unquoted */
	char	   *unsupported;	/* why DSQL cannot hold the object this
								 * statement creates, or NULL */
} da_stmt_info;

/* Classify one statement (text without the ';').  False only on OOM. */
extern bool da_classify(const char *stmt, size_t len, da_stmt_info *info);
extern void da_stmt_info_free(da_stmt_info *info);

/* Is name (lower case) a session parameter DSQL lets clients set? */
extern bool da_param_allowed(const char *name);

/*
 * CREATE [UNIQUE] INDEX ... USING btree (...) -> CREATE [UNIQUE] INDEX
 * ASYNC ... (...).  NULL (and *why set) when it cannot be expressed for
 * DSQL (another method, ON ONLY a partitioned table, CONCURRENTLY) or OOM
 * (*why NULL).  Already-ASYNC statements come back unchanged.
 */
extern char *da_rewrite_create_index(const char *stmt, size_t len,
									 const char **why);

/*
 * Insert the table constraints clauses[0..n) (e.g. "CONSTRAINT t_pkey
 * PRIMARY KEY (id)") into a CREATE TABLE statement's column list.  NULL on
 * OOM or if the statement has no column list.
 */
extern char *da_fold_constraints(const char *stmt, size_t len,
								 char *const *clauses, int n);

/*
 * ALTER TABLE ... ADD CONSTRAINT c PRIMARY KEY (...): the clause after ADD
 * ("CONSTRAINT c PRIMARY KEY (...)"), malloc'd; NULL if not such a
 * statement or OOM.
 */
extern char *da_add_key_clause(const char *stmt, size_t len);

/* A SQL-level prepared statement, as pg_dump PREPAREs it. */
typedef struct da_prepared
{
	char	   *name;
	int			ntypes;
	char	  **types;			/* parameter types, as written */
	char	   *body;			/* the statement after AS */
} da_prepared;

/* Parse PREPARE; false if it is not one we understand, or OOM. */
extern bool da_parse_prepare(const char *stmt, size_t len, da_prepared *out);
extern void da_prepared_free(da_prepared *p);

/* Parse EXECUTE name(args): name and the argument texts. */
extern bool da_parse_execute(const char *stmt, size_t len, char **name,
							 char ***args, int *nargs);
extern void da_free_strv(char **v, int n);

/*
 * The prepared statement's body with $1..$n replaced by (arg)::type;
 * NULL if an argument is missing or OOM.
 */
extern char *da_substitute_params(const da_prepared *p, char *const *args,
								  int nargs);

/*
 * COPY text-format row counter.  In text format every row ends with a
 * newline byte (a newline inside a value is written as \n), so a chunk
 * boundary is always right after a 0x0A byte.
 */
typedef struct da_copy_scan
{
	long		rows;			/* complete rows in the current chunk */
	size_t		bytes;			/* bytes in the current chunk */
	long		total;			/* complete rows in all chunks */
	size_t		row_bytes;		/* bytes of the current, unfinished row */
	char		head[2];		/* its first two bytes */
	bool		ended;			/* saw the end-of-data row "\." */
} da_copy_scan;

/*
 * Scan buf[0..len) continuing the current chunk.  A row "\." ends the data
 * (pg_dump archives carry one, followed by empty lines): it and everything
 * after it stay in the current chunk and are not counted.  Returns the number of
 * bytes that belong to the current chunk; when *boundary is set, the chunk
 * is full after them (max_rows rows, or max_bytes reached at a row end)
 * and the counters are reset for the next chunk.
 */
extern size_t da_copy_scan_buf(da_copy_scan *sc, const char *buf, size_t len,
							   long max_rows, size_t max_bytes,
							   bool *boundary);

/* What a pg_restore archive holds, from its schema as SQL text. */
typedef struct da_archive
{
	int			nkeys;
	char	  **key_table;		/* table, as written */
	char	  **key_name;		/* constraint name, as written */
	char	  **key_clause;		/* "CONSTRAINT c PRIMARY KEY (...)" */
	int			nunsupported;
	char	  **unsupported;	/* one line per object: what and why */
	int			nskip;
	char	  **skip;			/* normalised statements to skip */
	int			ndependent;		/* skipped because they belong to one */
} da_archive;

/*
 * Analyse the SQL text pg_restore writes for an archive (pg_restore -s -f
 * -): primary keys and unique constraints added after CREATE TABLE, the
 * objects DSQL cannot hold, and every statement of those objects (and of
 * their comments, grants and dependent statements).  False on OOM.
 */
extern bool da_archive_analyze(const char *sql, size_t n, da_archive *a);
extern void da_archive_free(da_archive *a);

/* A statement's text as compared with da_archive.skip (malloc'd). */
extern char *da_stmt_normalise(const char *stmt, size_t len);

/*
 * pg_restore's command line rewritten for a child that prints the schema
 * to stdout: connection, job and transaction options dropped, "-s -f -"
 * added.  argv[0] is replaced by exe.  Returns a NULL-terminated malloc'd
 * vector (free with da_free_strv(v, -1)), or NULL with *why set when no
 * child is needed or possible ("data only", "reads standard input"), or on
 * OOM (*why NULL).
 */
extern char **da_restore_child_argv(int argc, char *const *argv,
									const char *exe, const char **why);

/*
 * Does pg_restore's command line (argv[1..argc)) ask for a single
 * transaction (-1, --single-transaction)?
 */
extern bool da_restore_single_txn(int argc, char *const *argv);

#endif							/* DA_COMPAT_H */
