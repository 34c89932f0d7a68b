--
-- dsql_auth: SQL functions that sign Aurora DSQL IAM auth tokens.
--
-- Known answers come from test/vectors/dsql_tokens.tsv (botocore, made-up
-- credentials).  Nothing here depends on the machine's AWS setup except
-- generate_token's "no credentials" case, which assumes the server process
-- has no AWS credentials (pg_ctlcluster and pg_virtualenv start it with an
-- empty environment, and the postgres user has no ~/.aws).
--
CREATE EXTENSION dsql_auth;

-- What the extension installs.
\dx+ dsql_auth

-- Volatility, strictness, parallel safety, defaults.
SELECT p.proname,
       pg_get_function_identity_arguments(p.oid) AS arguments,
       p.provolatile, p.proisstrict, p.proparallel, p.prosecdef,
       pg_get_expr(p.proargdefaults, 0) AS defaults
  FROM pg_proc p
 WHERE p.pronamespace = 'dsql_auth'::regnamespace
 ORDER BY p.proname;

SELECT obj_description('dsql_auth.generate_token(text,text,text,integer)'::regprocedure, 'pg_proc') IS NOT NULL AS generate_token_commented,
       obj_description('dsql_auth.sign_token(text,text,text,text,text,text,timestamptz,integer)'::regprocedure, 'pg_proc') LIKE '%server log%' AS sign_token_warns_about_logs;

--
-- sign_token against botocore's answers.  One token in full, the rest
-- compared whole.
--
-- admin-basic
SELECT dsql_auth.sign_token('abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws', 'admin', 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', NULL,
    '2024-11-07 17:39:33+00'::timestamptz, 900) AS token;
-- user-basic
SELECT dsql_auth.sign_token('abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws', 'app_user', 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', NULL,
    '2024-11-07 17:39:33+00'::timestamptz, 900)
  = 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws/?Action=DbConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20241107%2Fus-east-1%2Fdsql%2Faws4_request&X-Amz-Date=20241107T173933Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=713057668ffe67a1af1ab54e319e3997baf15275a32b4dc5fccef6d9562517fb' AS "user-basic";
-- user-Admin-capital
SELECT dsql_auth.sign_token('abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws', 'Admin', 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', NULL,
    '2024-11-07 17:39:33+00'::timestamptz, 900)
  = 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws/?Action=DbConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20241107%2Fus-east-1%2Fdsql%2Faws4_request&X-Amz-Date=20241107T173933Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=713057668ffe67a1af1ab54e319e3997baf15275a32b4dc5fccef6d9562517fb' AS "user-Admin-capital";
-- admin-session-token
SELECT dsql_auth.sign_token('abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws', 'admin', 'us-east-1',
    'ASIAQEXAMPLE7ABCDEFG', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'IQoJb3JpZ2luX2VjEXAMPLE/short+token==',
    '2024-11-07 17:39:33+00'::timestamptz, 900)
  = 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws/?Action=DbConnectAdmin&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAQEXAMPLE7ABCDEFG%2F20241107%2Fus-east-1%2Fdsql%2Faws4_request&X-Amz-Date=20241107T173933Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLE%2Fshort%2Btoken%3D%3D&X-Amz-Signature=3dcdec663a3d5e404db19068ef7f6d0b45ad3474bfcc9c06a395146d3a066a6f' AS "admin-session-token";
-- user-long-session-token-odd-secret
SELECT dsql_auth.sign_token('abcdefghijklmnopqrstuvwxyz.dsql.eu-west-1.on.aws', 'app', 'eu-west-1',
    'ASIAQEXAMPLE7ABCDEFG', 'a/b+c=d/+/==+x/Y+z=0123456789abcdefghij', 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD0000AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0001AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0002AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0003AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0004AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0005AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0006AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0007AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0008AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0009AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0010AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0011AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0012AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0013AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0014AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0015AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0016AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0017AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0018AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0019AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0020AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0021AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0022AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0023AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0024AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0025AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0026AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0027AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0028AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0029AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0030AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0031AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0032AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0033AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0034AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0035AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0036AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0037AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0038AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0039AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0040AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0041AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0042AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0043AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0044AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0045AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0046AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0047AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0048AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0049AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0050AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09=0051AbCdEf/GhIjKl+MnOpQr=StUvWx/Yz+09===',
    '2024-11-07 17:39:33+00'::timestamptz, 3600)
  = 'abcdefghijklmnopqrstuvwxyz.dsql.eu-west-1.on.aws/?Action=DbConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAQEXAMPLE7ABCDEFG%2F20241107%2Feu-west-1%2Fdsql%2Faws4_request&X-Amz-Date=20241107T173933Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr%2F%2F%2F%2F%2F%2F%2F%2F%2F%2FwEaCXVzLWVhc3QtMSJHMEUCIQD0000AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0001AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0002AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0003AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0004AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0005AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0006AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0007AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0008AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0009AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0010AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0011AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0012AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0013AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0014AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0015AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0016AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0017AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0018AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0019AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0020AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0021AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0022AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0023AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0024AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0025AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0026AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0027AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0028AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0029AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0030AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0031AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0032AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0033AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0034AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0035AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0036AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0037AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0038AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0039AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0040AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0041AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0042AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0043AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0044AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0045AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0046AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0047AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0048AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0049AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0050AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D0051AbCdEf%2FGhIjKl%2BMnOpQr%3DStUvWx%2FYz%2B09%3D%3D%3D&X-Amz-Signature=56d97748cf2f7d1f0920b42adb29e57cf6bf5befd9a6feb1610e40b310969e4d' AS "user-long-session-token-odd-secret";
-- expires-1
SELECT dsql_auth.sign_token('abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws', 'admin', 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', NULL,
    '2024-11-07 17:39:33+00'::timestamptz, 1)
  = 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws/?Action=DbConnectAdmin&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20241107%2Fus-east-1%2Fdsql%2Faws4_request&X-Amz-Date=20241107T173933Z&X-Amz-Expires=1&X-Amz-SignedHeaders=host&X-Amz-Signature=976802b5eec4af87afc59f8b988b70a94c2f9fd580c8e2f33ef620ac08f83664' AS "expires-1";
-- expires-604800
SELECT dsql_auth.sign_token('abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws', 'app', 'us-east-1',
    'ASIAQEXAMPLE7ABCDEFG', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'IQoJb3JpZ2luX2VjEXAMPLE/short+token==',
    '2024-11-07 17:39:33+00'::timestamptz, 604800)
  = 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws/?Action=DbConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAQEXAMPLE7ABCDEFG%2F20241107%2Fus-east-1%2Fdsql%2Faws4_request&X-Amz-Date=20241107T173933Z&X-Amz-Expires=604800&X-Amz-SignedHeaders=host&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLE%2Fshort%2Btoken%3D%3D&X-Amz-Signature=dc8a98f4be379da26b2942ff13257a024a07ea9fff4dedeb2d568a3351a8290f' AS "expires-604800";
-- host-mixed-case
SELECT dsql_auth.sign_token('ABCDEFGHIJKLMNOPQRSTUVWXYZ.DSQL.Us-East-1.On.Aws', 'admin', 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', NULL,
    '2024-11-07 17:39:33+00'::timestamptz, 900)
  = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ.DSQL.Us-East-1.On.Aws/?Action=DbConnectAdmin&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20241107%2Fus-east-1%2Fdsql%2Faws4_request&X-Amz-Date=20241107T173933Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=731119917e948ed795e0bf290d7c4194a50a410fd866162660be0c5b2e3eb9bf' AS "host-mixed-case";
-- date-millennium-eve
SELECT dsql_auth.sign_token('abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws', 'admin', 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', NULL,
    '1999-12-31 23:59:59+00'::timestamptz, 900)
  = 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws/?Action=DbConnectAdmin&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F19991231%2Fus-east-1%2Fdsql%2Faws4_request&X-Amz-Date=19991231T235959Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=4b4ff70897369c9b2dba55eff70e3510e1d3721976ca1e9c823dc5ac900a1ffe' AS "date-millennium-eve";
-- date-epoch
SELECT dsql_auth.sign_token('abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws', 'admin', 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', NULL,
    '1970-01-01 00:00:00+00'::timestamptz, 900)
  = 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws/?Action=DbConnectAdmin&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F19700101%2Fus-east-1%2Fdsql%2Faws4_request&X-Amz-Date=19700101T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=d1f7b685162562394f10132ef79dc618d35c085e392b671d15ac78edf6bdf742' AS "date-epoch";

-- region NULL: taken from the host name (here a PrivateLink endpoint).
-- privatelink-user
SELECT dsql_auth.sign_token('4aabugk53f6nxpbd5gdh2jlmzi.dsql-fnh4.eu-central-1.on.aws', 'app', NULL,
    'ASIAQEXAMPLE7ABCDEFG', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'IQoJb3JpZ2luX2VjEXAMPLE/short+token==',
    '2024-11-07 17:39:33+00'::timestamptz, 900)
  = '4aabugk53f6nxpbd5gdh2jlmzi.dsql-fnh4.eu-central-1.on.aws/?Action=DbConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAQEXAMPLE7ABCDEFG%2F20241107%2Feu-central-1%2Fdsql%2Faws4_request&X-Amz-Date=20241107T173933Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLE%2Fshort%2Btoken%3D%3D&X-Amz-Signature=edf911bcd7a141174c8f3577efd512d0d2580bb54137647210bbf3628b34619d' AS "privatelink-user";

-- Fractions of a second are dropped (as botocore's strftime does), also
-- before 2000 where PostgreSQL's timestamps are negative; the session time
-- zone does not matter.
SET timezone = 'America/New_York';
SELECT dsql_auth.sign_token('abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws', 'admin', 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', NULL,
    '1999-12-31 23:59:59.999999+00'::timestamptz, 900)
  = dsql_auth.sign_token('abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws', 'admin', 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', NULL,
    '1999-12-31 18:59:59'::timestamptz, 900) AS truncated_before_2000,
       dsql_auth.sign_token('abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws', 'admin', 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', NULL,
    '2024-11-07 17:39:33.5+00'::timestamptz, 900)
  LIKE '%X-Amz-Date=20241107T173933Z%' AS truncated_after_2000;
RESET timezone;

-- An empty session token means none, as in botocore.
SELECT dsql_auth.sign_token('abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws', 'admin', 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '',
    '2024-11-07 17:39:33+00'::timestamptz, 900)
  = dsql_auth.sign_token('abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws', 'admin', 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', NULL,
    '2024-11-07 17:39:33+00'::timestamptz, 900) AS empty_is_none;

-- Defaults: signed now, for 900 seconds, named arguments.
SELECT t LIKE 'abc.dsql.us-east-1.on.aws/?Action=DbConnect&%' AS starts_right,
       t LIKE '%&X-Amz-Date=' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD') || 'T%' AS signed_today,
       t LIKE '%&X-Amz-Expires=900&%' AS expires_900
  FROM dsql_auth.sign_token(hostname => 'abc.dsql.us-east-1.on.aws', "user" => 'app',
                            region => NULL,
                            access_key_id => 'AKIAIOSFODNN7EXAMPLE',
                            secret_access_key => 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY') AS t;

--
-- sign_token errors.  No message may contain a secret.
--
SELECT dsql_auth.sign_token('abc.dsql.us-east-1.on.aws', 'admin', 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', NULL, now(), 0);
SELECT dsql_auth.sign_token('abc.dsql.us-east-1.on.aws', 'admin', 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', NULL, now(), 604801);
SELECT dsql_auth.sign_token(NULL, 'admin', 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
SELECT dsql_auth.sign_token('', 'admin', 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
SELECT dsql_auth.sign_token('abc.dsql.us-east-1.on.aws', NULL, 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
SELECT dsql_auth.sign_token('abc.dsql.us-east-1.on.aws', '', 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
SELECT dsql_auth.sign_token('abc.dsql.us-east-1.on.aws', 'admin', 'US_EAST_1',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
-- The invalid "region" here is a secret key passed in the wrong position:
-- it must not be echoed.
SELECT dsql_auth.sign_token('abc.dsql.us-east-1.on.aws', 'admin',
    'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'AKIAIOSFODNN7EXAMPLE', 'x');
SELECT dsql_auth.sign_token('db.example.com', 'admin', NULL,
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
SELECT dsql_auth.sign_token('abc.dsql.us-east-1.on.aws', 'admin', 'us-east-1',
    NULL, 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
SELECT dsql_auth.sign_token('abc.dsql.us-east-1.on.aws', 'admin', 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', NULL);
SELECT dsql_auth.sign_token('abc.dsql.us-east-1.on.aws', 'admin', 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', '');
SELECT dsql_auth.sign_token('abc.dsql.us-east-1.on.aws', 'admin', 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', NULL, NULL);
SELECT dsql_auth.sign_token('abc.dsql.us-east-1.on.aws', 'admin', 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', NULL, 'infinity');
SELECT dsql_auth.sign_token('abc.dsql.us-east-1.on.aws', 'admin', 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', NULL,
    '1969-12-31 23:59:59+00');
SELECT dsql_auth.sign_token('abc.dsql.us-east-1.on.aws', 'admin', 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', NULL,
    '10000-01-01 00:00:00+00');
SELECT dsql_auth.sign_token('abc.dsql.us-east-1.on.aws', 'admin', 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', NULL, now(), NULL);

--
-- generate_token.  Argument errors come before any credential lookup.
--
SELECT dsql_auth.generate_token(NULL);
SELECT dsql_auth.generate_token('');
SELECT dsql_auth.generate_token('abc.dsql.us-east-1.on.aws', NULL);
SELECT dsql_auth.generate_token('abc.dsql.us-east-1.on.aws', 'admin', 'us-east-1', 0);
SELECT dsql_auth.generate_token('abc.dsql.us-east-1.on.aws', 'admin', 'us-east-1', 604801);
SELECT dsql_auth.generate_token('abc.dsql.us-east-1.on.aws', 'admin', 'Us-East-1');
SELECT dsql_auth.generate_token('abc.dsql.us-east-1.on.aws', 'admin', 'us-east-1', NULL);

-- No region anywhere: neither in the host name nor in the server's
-- environment or ~/.aws/config.  The detail depends on the machine.
\set VERBOSITY terse
SELECT dsql_auth.generate_token('db.example.com');
\set VERBOSITY default

-- No credentials in the server's environment: the detail names every source
-- tried, with paths that depend on the machine, so show only the SQLSTATE,
-- the message and the first words of the detail.
DO $$
DECLARE
	st text;
	msg text;
	det text;
BEGIN
	PERFORM dsql_auth.generate_token('abc.dsql.us-east-1.on.aws');
	RAISE NOTICE 'generate_token unexpectedly succeeded: the server process has AWS credentials';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
		det = PG_EXCEPTION_DETAIL;
	RAISE NOTICE '%: %', st, msg;
	RAISE NOTICE 'detail: %', split_part(det, ':', 1);
END
$$;

--
-- Privileges: generate_token acts with the server's AWS identity and is
-- not executable by PUBLIC; sign_token is.
--
CREATE ROLE regress_dsql_auth_user;
SELECT has_schema_privilege('regress_dsql_auth_user', 'dsql_auth', 'USAGE') AS schema_usage,
       has_function_privilege('regress_dsql_auth_user',
           'dsql_auth.generate_token(text,text,text,integer)', 'EXECUTE') AS generate_token,
       has_function_privilege('regress_dsql_auth_user',
           'dsql_auth.sign_token(text,text,text,text,text,text,timestamptz,integer)', 'EXECUTE') AS sign_token;
SET ROLE regress_dsql_auth_user;
SELECT dsql_auth.generate_token('abc.dsql.us-east-1.on.aws');
SELECT dsql_auth.sign_token('abc.dsql.us-east-1.on.aws', 'admin', 'us-east-1',
    'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY') LIKE 'abc.dsql.us-east-1.on.aws/?Action=DbConnectAdmin&%' AS signed;
RESET ROLE;
DROP ROLE regress_dsql_auth_user;

-- DROP EXTENSION leaves the schema that CREATE EXTENSION made for it (the
-- schema is not a member of the extension).
DROP EXTENSION dsql_auth;
SELECT nspname FROM pg_namespace WHERE nspname = 'dsql_auth';
DROP SCHEMA dsql_auth;
