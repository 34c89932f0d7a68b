/*
 * setdb.c — a minimal libpq program for the end-to-end tests: connects with
 * PQsetdbLogin (the oldest entry point, used through the PQsetdb macro by
 * older programs) and prints current_user, or the error.
 * Usage: setdb HOST PORT DBNAME USER   (hostaddr via PGHOSTADDR)
 */
#include <stdio.h>
#include <libpq-fe.h>

int
main(int argc, char **argv)
{
	PGconn	   *conn;
	PGresult   *res;

	if (argc != 5)
		return 2;
	conn = PQsetdbLogin(argv[1], argv[2], NULL, NULL, argv[3], argv[4], NULL);
	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "%s", PQerrorMessage(conn));
		PQfinish(conn);
		return 1;
	}
	res = PQexec(conn, "select current_user");
	printf("%s\n", PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(conn);
	return 0;
}
