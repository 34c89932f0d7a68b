/*
 * sign_bench.c
 *		Time per DSQL token in process: our signer (da_dsql_token), the whole
 *		da_make_token path (settings, region, credential chain, signing),
 *		and the floor — only the SHA-256 and HMAC-SHA256 calls a SigV4
 *		presign needs (one SHA-256 of the canonical request, four HMACs for
 *		the signing key, one HMAC of the string to sign), made with the same
 *		OpenSSL calls on messages of the same lengths, timed alone in the
 *		same run.  Prints "name ns_per_op" lines for bench/run.py.
 *
 *	sign_bench [SECONDS_PER_CASE]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>

#include "da_creds.h"
#include "da_sigv4.h"
#include "da_token.h"

#define HOST "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws"

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static volatile unsigned sink;

/* The crypto a presign needs, on messages as long as the real ones. */
static void
floor_once(const char *canon, size_t canon_len, const char *sts, size_t sts_len,
		   const char *secret)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	unsigned char k[32];
	unsigned char k2[32];
	char		key0[128];
	unsigned int klen;

	EVP_Digest(canon, canon_len, md, &mdlen, EVP_sha256(), NULL);
	snprintf(key0, sizeof(key0), "AWS4%s", secret);
	HMAC(EVP_sha256(), key0, (int) strlen(key0), (const unsigned char *) "20250101", 8, k, &klen);
	HMAC(EVP_sha256(), k, 32, (const unsigned char *) "us-east-1", 9, k2, &klen);
	HMAC(EVP_sha256(), k2, 32, (const unsigned char *) "dsql", 4, k, &klen);
	HMAC(EVP_sha256(), k, 32, (const unsigned char *) "aws4_request", 12, k2, &klen);
	HMAC(EVP_sha256(), k2, 32, (const unsigned char *) sts, sts_len, k, &klen);
	sink += md[0] + k[0];
}

/*
 * The same six operations with the digest and MAC implementations fetched
 * once (OpenSSL 3's advice for repeated use), not per call as the one-shot
 * EVP_Digest()/HMAC() do: what the signer could reach.
 */
static EVP_MD *sha256_md;
static EVP_MAC *hmac_mac;
static EVP_MAC_CTX *hmac_ctx;
static EVP_MD_CTX *md_ctx;

static void
hmac_fetched(const void *key, size_t keylen, const void *msg, size_t msglen,
			 unsigned char out[32])
{
	size_t		outl;
	OSSL_PARAM	params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_construct_end()
	};

	EVP_MAC_init(hmac_ctx, key, keylen, params);
	EVP_MAC_update(hmac_ctx, msg, msglen);
	EVP_MAC_final(hmac_ctx, out, &outl, 32);
}

static void
floor_fetched_once(const char *canon, size_t canon_len, const char *sts, size_t sts_len,
				   const char *secret)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	unsigned char k[32];
	unsigned char k2[32];
	char		key0[128];

	if (sha256_md == NULL)
	{
		sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
		hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		hmac_ctx = EVP_MAC_CTX_new(hmac_mac);
		md_ctx = EVP_MD_CTX_new();
	}
	EVP_DigestInit_ex(md_ctx, sha256_md, NULL);
	EVP_DigestUpdate(md_ctx, canon, canon_len);
	EVP_DigestFinal_ex(md_ctx, md, &mdlen);
	snprintf(key0, sizeof(key0), "AWS4%s", secret);
	hmac_fetched(key0, strlen(key0), "20250101", 8, k);
	hmac_fetched(k, 32, "us-east-1", 9, k2);
	hmac_fetched(k2, 32, "dsql", 4, k);
	hmac_fetched(k, 32, "aws4_request", 12, k2);
	hmac_fetched(k2, 32, sts, sts_len, k);
	sink += md[0] + k[0];
}

/* Lengths of the canonical request and string to sign for this token. */
static void
lengths(const char *token, size_t *canon_len, size_t *sts_len)
{
	const char *q = strchr(token, '?');
	const char *sig = strstr(token, "&X-Amz-Signature=");
	size_t		query = (q && sig) ? (size_t) (sig - q - 1) : strlen(token);

	/* "GET\n/\n" query "\nhost:" host "\n\nhost\n" 64-hex payload hash */
	*canon_len = 6 + query + 6 + strlen(HOST) + 7 + 64;
	/* "AWS4-HMAC-SHA256\n" date "\n" scope "\n" 64-hex */
	*sts_len = 17 + 16 + 1 + strlen("20250101/us-east-1/dsql/aws4_request") + 1 + 64;
}

typedef enum
{
	C_SIGNER, C_FLOOR, C_FLOOR_FETCHED, C_MAKE_TOKEN
} bench_case;

static double
run_case(bench_case c, const da_credentials *creds, const da_settings *s, double secs)
{
	char	   *tok = da_dsql_token(HOST, "admin", "us-east-1", 900, time(NULL), creds, NULL);
	size_t		canon_len;
	size_t		sts_len;
	char	   *canon;
	char	   *sts;
	long		n = 0;
	double		t0;
	double		end;

	lengths(tok, &canon_len, &sts_len);
	canon = malloc(canon_len + 1);
	sts = malloc(sts_len + 1);
	memset(canon, 'c', canon_len);
	memset(sts, 's', sts_len);
	da_free_secret(tok);

	t0 = now_ns();
	end = t0 + secs * 1e9;
	while (now_ns() < end)
	{
		for (int i = 0; i < 100; i++)
		{
			switch (c)
			{
				case C_SIGNER:
					tok = da_dsql_token(HOST, "admin", "us-east-1", 900,
										1735689600 + n, creds, NULL);
					sink += (unsigned char) tok[0];
					da_free_secret(tok);
					break;
				case C_FLOOR:
					floor_once(canon, canon_len, sts, sts_len, creds->secret_access_key);
					break;
				case C_FLOOR_FETCHED:
					floor_fetched_once(canon, canon_len, sts, sts_len,
									   creds->secret_access_key);
					break;
				case C_MAKE_TOKEN:
					tok = da_make_token(s, HOST, "admin", time(NULL), NULL, NULL);
					if (tok == NULL)
						abort();
					da_free_secret(tok);
					break;
			}
			n++;
		}
	}
	free(canon);
	free(sts);
	return (now_ns() - t0) / n;
}

int
main(int argc, char **argv)
{
	double		secs = argc > 1 ? atof(argv[1]) : 1.0;
	da_credentials keys = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	NULL, 0, "bench"};
	da_credentials session = keys;
	char		token[1025];
	da_settings s;
	char	   *err = NULL;

	memset(token, 'T', 1024);
	token[1024] = '\0';
	session.session_token = token;
	setenv("AWS_ACCESS_KEY_ID", keys.access_key_id, 1);
	setenv("AWS_SECRET_ACCESS_KEY", keys.secret_access_key, 1);
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_PROFILE");
	if (!da_settings_from_env(&s, &err))
	{
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/* warm up OpenSSL's method fetching */
	run_case(C_SIGNER, &keys, &s, 0.1);

	/* interleave the cases so drift affects all alike */
	for (int round = 0; round < 3; round++)
	{
		printf("signer %.0f\n", run_case(C_SIGNER, &keys, &s, secs / 3));
		printf("floor %.0f\n", run_case(C_FLOOR, &keys, &s, secs / 3));
		printf("floor_fetched %.0f\n", run_case(C_FLOOR_FETCHED, &keys, &s, secs / 3));
		printf("signer_session %.0f\n", run_case(C_SIGNER, &session, &s, secs / 3));
		printf("floor_session %.0f\n", run_case(C_FLOOR, &session, &s, secs / 3));
		printf("make_token_env %.0f\n", run_case(C_MAKE_TOKEN, &keys, &s, secs / 3));
	}
	da_settings_clear(&s);
	return sink == 42 ? 1 : 0;
}
