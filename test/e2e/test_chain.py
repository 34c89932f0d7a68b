#!/usr/bin/python3
"""The AWS credential chain: parity with the AWS CLI v2, and each source's
failure modes against the loopback stand-ins.  Prints TAP.

Parity: every scenario is a set of config/credentials files, environment
variables and an optional --profile.  The credentials dsql_auth uses (the
access key id in the token `dsql-auth token` signs) are compared at test time
with what Debian's AWS CLI v2 (/usr/bin/aws, 2.9.19) resolves for the same
files: `aws configure export-credentials [--profile P] --format env`.  Same
access key, or both refuse.  Both reach the same stand-in for STS and SSO
through its HTTPS proxy (HTTPS_PROXY + AWS_CA_BUNDLE, the real AWS host names)
and for instance metadata / containers through the SDKs' endpoint variables.
Scenarios where we differ from the CLI on purpose say so and check both sides.
"""
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "standin"))
from harness import (AWS_NAMES, CLI, HOST1, PGBIN, PRELOAD, CA, AwsStandin,  # noqa: E402
                     Cluster, Standin, Tap, Workdir, clean_env, conninfo)
import aws_standin as S  # noqa: E402

AWS = "/usr/bin/aws"
ACCT = "123456789012"


def K(name):
    """aws_access_key_id / aws_secret_access_key lines for test keys name."""
    akid, secret = S.make_keys(name)
    return f"aws_access_key_id = {akid}\naws_secret_access_key = {secret}\n"


def AK(name):
    return S.make_keys(name)[0]


def role(name):
    return f"arn:aws:iam::{ACCT}:role/{name}"


def sso_token(expires_in=8 * 3600, token="ssotoken-good", start="https://corp.awsapps.com/start"):
    return ('{"startUrl": "%s", "region": "us-east-1", "accessToken": "%s", '
            '"expiresAt": "%s"}' % (start, token, S.iso(time.time() + expires_in)))


START = "https://corp.awsapps.com/start"
SSO_SESSION_CFG = f"""[sso-session corp]
sso_start_url = {START}
sso_region = us-east-1
sso_registration_scopes = sso:account:access
"""


def helper(work, name, body, mode=0o755):
    """Write an executable credential_process helper; returns its path."""
    path = os.path.join(work.path, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body)
    os.chmod(path, mode)
    return path


def process_json(akid_name, version=1, expiration=None):
    akid, secret = S.make_keys(akid_name)
    exp = f', "Expiration": "{expiration}"' if expiration else ""
    return ('{"Version": %s, "AccessKeyId": "%s", "SecretAccessKey": "%s"%s}'
            % (version, akid, secret, exp))


def scenarios(work, aws):
    """(name, config, credentials, env, profile, extra files, note).

    note None: parity (same key or both refuse).  Otherwise a deliberate
    difference: ('ours-ok', why) or ('ours-refuses', why).
    """
    ok_helper = helper(work, "helper ok.sh",
                       "printf '%s' \"$(cat <<'J'\n" + process_json("proc") + "\nJ\n)\"\n")
    arg_helper = helper(work, "argecho.sh",
                        "[ \"$1\" = 'a b' ] && [ \"$2\" = 'c\"d' ] && [ \"$3\" = '' ] || "
                        "{ echo \"bad args: $*\" >&2; exit 3; }\n"
                        "printf '%s' '" + process_json("procargs") + "'\n")
    v2_helper = helper(work, "v2.sh", "printf '%s' '" + process_json("proc", version=2) + "'\n")
    fail_helper = helper(work, "fail.sh", "echo 'helper: not logged in' >&2; exit 1\n")
    exp_helper = helper(work, "exp.sh", "printf '%s' '" +
                        process_json("procexp", expiration=S.iso(time.time() + 3600)) + "'\n")
    wi_token = work.file("web-token", "eyJhbGciOiJSUzI1NiJ9.web-identity-token.sig")
    wi_bad = work.file("web-token-bad", "invalid-token")
    imds = {"AWS_EC2_METADATA_SERVICE_ENDPOINT": aws.http + "/",
            "AWS_EC2_METADATA_DISABLED": None}
    cont = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": aws.http + "/container/task1",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "container-secret-token"}
    sso_cache_session = {".aws/sso/cache/" + S.hashlib.sha1(b"corp").hexdigest() + ".json":
                         sso_token()}
    sso_cache_legacy = {".aws/sso/cache/" + S.hashlib.sha1(START.encode()).hexdigest() + ".json":
                        sso_token()}
    sso_cache_expired = {".aws/sso/cache/" + S.hashlib.sha1(START.encode()).hexdigest() + ".json":
                         sso_token(expires_in=-3600, token="ssotoken-expired")}
    sso_cache_revoked = {".aws/sso/cache/" + S.hashlib.sha1(START.encode()).hexdigest() + ".json":
                         sso_token(token="ssotoken-revoked")}
    envkeys = {"AWS_ACCESS_KEY_ID": AK("env"), "AWS_SECRET_ACCESS_KEY": S.make_keys("env")[1]}
    return [
        ("environment keys, no files", None, None, envkeys, None, {}, None),
        ("AWS_ACCESS_KEY_ID without a secret", None, "[default]\n" + K("file"),
         {"AWS_ACCESS_KEY_ID": AK("env")}, None, {}, None),
        ("[default] in credentials", None, "[default]\n" + K("cred"), {}, None, {}, None),
        ("[default] in config", "[default]\n" + K("conf"), None, {}, None, {}, None),
        ("[profile default] in config", "[profile default]\n" + K("pdef"), None, {}, None, {},
         None),
        ("[default] then [profile default]: the last wins",
         "[default]\n" + K("d1") + "[profile default]\n" + K("d2"), None, {}, None, {}, None),
        ("credentials file wins over config",
         "[profile dev]\n" + K("conf"), "[dev]\n" + K("cred"), {}, "dev", {}, None),
        ("comments and odd whitespace",
         "# comment\n; other comment\n[profile  dev]\n[profile dev]\n"
         "aws_access_key_id=" + AK("ws") + "   \n  \naws_secret_access_key   =   "
         + S.make_keys("ws")[1] + "\n", None, {}, "dev", {}, None),
        ("[dev] in config is not profile dev", "[dev]\n" + K("x"), None, {}, "dev", {}, None),
        ("AWS_PROFILE does not beat environment keys", "[profile dev]\n" + K("dev"), None,
         dict(envkeys, AWS_PROFILE="dev"), None, {}, None),
        ("--profile beats environment keys", "[profile dev]\n" + K("dev"), None, envkeys,
         "dev", {}, None),
        ("named profile missing", "[default]\n" + K("d"), None, {}, "nope", {}, None),
        ("partial keys in credentials file", None,
         "[default]\naws_access_key_id = " + AK("p") + "\n", {}, None, {}, None),
        ("no files, no environment", None, None, {}, None, {}, None),
        ("role from a static source_profile",
         "[profile base]\n" + K("base") + f"[profile dev]\nrole_arn = {role('r1')}\n"
         "source_profile = base\n", None, {}, "dev", {}, None),
        ("two-hop role chain",
         "[profile base]\n" + K("base") + f"[profile mid]\nrole_arn = {role('mid')}\n"
         f"source_profile = base\n[profile top]\nrole_arn = {role('top')}\n"
         "source_profile = mid\n", None, {}, "top", {}, None),
        ("role chain across both files",
         f"[profile dev]\nrole_arn = {role('x1')}\nsource_profile = base\n", "[base]\n" + K("cb"),
         {}, "dev", {}, None),
        ("source_profile is itself, with static keys",
         f"[profile self]\nrole_arn = {role('self')}\nsource_profile = self\n" + K("self"),
         None, {}, "self", {}, None),
        ("role loop a -> b -> a",
         f"[profile a]\nrole_arn = {role('a')}\nsource_profile = b\n"
         f"[profile b]\nrole_arn = {role('b')}\nsource_profile = a\n", None, {}, "a", {}, None),
        ("source_profile does not exist",
         f"[profile dev]\nrole_arn = {role('r')}\nsource_profile = ghost\n", None, {}, "dev",
         {}, None),
        ("role_arn without a source", f"[profile dev]\nrole_arn = {role('r')}\n", None, {},
         "dev", {}, None),
        ("both source_profile and credential_source",
         "[profile base]\n" + K("b") + f"[profile dev]\nrole_arn = {role('r')}\n"
         "source_profile = base\ncredential_source = Environment\n", None, {}, "dev", {}, None),
        ("credential_source = Environment",
         f"[profile dev]\nrole_arn = {role('envrole')}\ncredential_source = Environment\n",
         None, envkeys, "dev", {}, None),
        ("credential_source = Ec2InstanceMetadata",
         f"[profile dev]\nrole_arn = {role('ec2role')}\ncredential_source = Ec2InstanceMetadata\n",
         None, imds, "dev", {}, None),
        ("credential_source = EcsContainer",
         f"[profile dev]\nrole_arn = {role('ecsrole')}\ncredential_source = EcsContainer\n",
         None, cont, "dev", {}, None),
        ("credential_source not valid",
         f"[profile dev]\nrole_arn = {role('r')}\ncredential_source = Bogus\n", None, envkeys,
         "dev", {}, None),
        ("external_id, role_session_name, duration_seconds",
         "[profile base]\n" + K("base") + f"[profile dev]\nrole_arn = {role('ext')}\n"
         "source_profile = base\nexternal_id = ext-123\nrole_session_name = me\n"
         "duration_seconds = 1800\n", None, {}, "dev", {}, None),
        ("role_arn beats static keys in the same profile",
         "[profile base]\n" + K("base") + f"[profile dev]\nrole_arn = {role('over')}\n"
         "source_profile = base\n" + K("ignored"), None, {}, "dev", {}, None),
        ("AssumeRole denied", "[profile base]\n" + K("base") +
         f"[profile dev]\nrole_arn = {role('denied')}\nsource_profile = base\n", None, {}, "dev",
         {}, None),
        ("AssumeRole throttled twice, then answered", "[profile base]\n" + K("base") +
         f"[profile dev]\nrole_arn = {role('throttle')}\nsource_profile = base\n", None, {},
         "dev", {}, None),
        ("regional STS endpoint (AWS_DEFAULT_REGION=us-west-2)", "[profile base]\n" + K("base") +
         f"[profile dev]\nrole_arn = {role('west')}\nsource_profile = base\n", None,
         {"AWS_DEFAULT_REGION": "us-west-2"}, "dev", {}, None),
        ("web identity in the profile",
         f"[profile dev]\nrole_arn = {role('wi')}\nweb_identity_token_file = {wi_token}\n",
         None, {}, "dev", {}, None),
        ("web identity from the environment",
         None, None, {"AWS_WEB_IDENTITY_TOKEN_FILE": wi_token, "AWS_ROLE_ARN": role("wienv"),
                      "AWS_ROLE_SESSION_NAME": "pod"}, None, {}, None),
        ("web identity without a role ARN", None, None,
         {"AWS_WEB_IDENTITY_TOKEN_FILE": wi_token}, None, {}, None),
        ("web identity token rejected",
         f"[profile dev]\nrole_arn = {role('wi')}\nweb_identity_token_file = {wi_bad}\n",
         None, {}, "dev", {}, None),
        ("role chain from a web identity source profile",
         f"[profile pod]\nrole_arn = {role('wi')}\nweb_identity_token_file = {wi_token}\n"
         f"[profile dev]\nrole_arn = {role('fromwi')}\nsource_profile = pod\n", None, {}, "dev",
         {}, None),
        ("SSO with sso_session", SSO_SESSION_CFG + "[profile dev]\nsso_session = corp\n"
         f"sso_account_id = {ACCT}\nsso_role_name = Admin\n", None, {}, "dev",
         sso_cache_session, None),
        ("SSO legacy sso_start_url", f"[profile dev]\nsso_start_url = {START}\n"
         f"sso_region = us-east-1\nsso_account_id = {ACCT}\nsso_role_name = ReadOnly\n", None,
         {}, "dev", sso_cache_legacy, None),
        ("SSO token expired", f"[profile dev]\nsso_start_url = {START}\n"
         f"sso_region = us-east-1\nsso_account_id = {ACCT}\nsso_role_name = ReadOnly\n", None,
         {}, "dev", sso_cache_expired, None),
        ("SSO token revoked at the portal", f"[profile dev]\nsso_start_url = {START}\n"
         f"sso_region = us-east-1\nsso_account_id = {ACCT}\nsso_role_name = ReadOnly\n", None,
         {}, "dev", sso_cache_revoked, None),
        ("SSO not logged in (no cache)", SSO_SESSION_CFG + "[profile dev]\nsso_session = corp\n"
         f"sso_account_id = {ACCT}\nsso_role_name = Admin\n", None, {}, "dev", {}, None),
        ("SSO missing configuration", f"[profile dev]\nsso_account_id = {ACCT}\n", None, {},
         "dev", sso_cache_legacy, None),
        ("SSO names a missing sso-session", "[profile dev]\nsso_session = nope\n"
         f"sso_account_id = {ACCT}\nsso_role_name = Admin\n", None, {}, "dev", {}, None),
        ("role chain from a legacy SSO source profile", f"[profile sso]\nsso_start_url = {START}\n"
         f"sso_region = us-east-1\nsso_account_id = {ACCT}\nsso_role_name = Admin\n"
         f"[profile dev]\nrole_arn = {role('fromsso')}\nsource_profile = sso\n", None, {},
         "dev", sso_cache_legacy, None),
        ("role chain from an sso_session source profile", SSO_SESSION_CFG +
         "[profile sso]\nsso_session = corp\n"
         f"sso_account_id = {ACCT}\nsso_role_name = Admin\n[profile dev]\n"
         f"role_arn = {role('fromsso')}\nsource_profile = sso\n", None, {}, "dev",
         sso_cache_session,
         ("ours-ok", "AWS CLI 2.9.19 fails here with \"'NoneType' object has no attribute "
          "'get_frozen_token'\" (no SSO token provider in the source-profile chain, fixed in "
          "later releases); we resolve it")),
        ("container token from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", None, None,
         {"AWS_CONTAINER_CREDENTIALS_FULL_URI": aws.http + "/container/task2",
          "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": work.file("ctok", "container-secret-token")},
         None, {},
         ("ours-ok", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (EKS Pod Identity) is newer than "
          "AWS CLI 2.9.19, which sends no token and is refused (HTTP 401); current SDKs read it")),
        ("credential_process", f"[profile dev]\ncredential_process = \"{ok_helper}\"\n", None,
         {}, "dev", {}, None),
        ("credential_process arguments split as the CLI splits them",
         f"[profile dev]\ncredential_process = {arg_helper} 'a b' \"c\\\"d\" ''\n", None, {},
         "dev", {}, None),
        ("credential_process with Expiration", f"[profile dev]\ncredential_process = {exp_helper}\n",
         None, {}, "dev", {}, None),
        ("credential_process Version 2", f"[profile dev]\ncredential_process = {v2_helper}\n",
         None, {}, "dev", {}, None),
        ("credential_process fails", f"[profile dev]\ncredential_process = {fail_helper}\n",
         None, {}, "dev", {}, None),
        ("credential_process in the credentials file", None,
         f"[dev]\ncredential_process = {exp_helper}\n", {}, "dev", {}, None),
        ("credential_process beats static keys in config",
         f"[profile dev]\ncredential_process = {exp_helper}\n" + K("static"), None, {}, "dev",
         {}, None),
        ("container credentials (FULL_URI, token)", None, None, cont, None, {}, None),
        ("container FULL_URI over plain http to a non-local host", None, None,
         {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://example.com/creds"}, None, {}, None),
        ("instance metadata (IMDSv2)", None, None, imds, None, {}, None),
        ("instance metadata disabled", None, None,
         {"AWS_EC2_METADATA_SERVICE_ENDPOINT": aws.http, "AWS_EC2_METADATA_DISABLED": "true"},
         None, {}, None),
        ("a named profile without keys falls through to instance metadata",
         "[profile dev]\nregion = us-east-1\n", None, imds, "dev", {}, None),
    ]


def base_env(work, case_dir, aws, ca):
    return clean_env(HOME=case_dir, AWS_CONFIG_FILE=os.path.join(case_dir, "config"),
                     AWS_SHARED_CREDENTIALS_FILE=os.path.join(case_dir, "credentials"),
                     AWS_CA_BUNDLE=ca.crt, HTTPS_PROXY=aws.http, NO_PROXY="127.0.0.1,localhost",
                     AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="",
                     DSQL_AUTH_PROCESS_TIMEOUT="20")


def run_cli(env, profile):
    args = [AWS, "configure", "export-credentials", "--format", "env"]
    if profile:
        args += ["--profile", profile]
    try:
        r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=90,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, "timeout"
    m = re.search(r"AWS_ACCESS_KEY_ID=(\S+)", r.stdout)
    return (m.group(1) if r.returncode == 0 and m else None), r.stderr.strip()


def run_ours(env, profile):
    args = [CLI, "token", "--host", HOST1]
    if profile:
        args += ["--profile", profile]
    r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=90,
                       stdin=subprocess.DEVNULL)
    m = re.search(r"X-Amz-Credential=([A-Z0-9]+)%2F", r.stdout)
    return (m.group(1) if r.returncode == 0 and m else None), r.stderr.strip()


def parity(tap, work, aws, ca):
    if not os.access(AWS, os.X_OK):
        tap.ok(False, "parity: /usr/bin/aws (Debian's awscli 2.9.19) is installed",
               "apt-get install awscli")
        return
    ver = subprocess.run([AWS, "--version"], capture_output=True, text=True).stdout
    tap.diag("parity against " + ver.strip())
    found = refused = 0
    for i, (name, conf, cred, env_extra, profile, files, note) in enumerate(scenarios(work, aws)):
        d = os.path.join(work.path, f"case{i}")
        os.makedirs(d)
        if conf is not None:
            open(os.path.join(d, "config"), "w").write(conf)
        if cred is not None:
            open(os.path.join(d, "credentials"), "w").write(cred)
        for rel, text in files.items():
            p = os.path.join(d, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            open(p, "w").write(text)
        env = base_env(work, d, aws, ca)
        for k, v in env_extra.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        theirs, terr = run_cli(env, profile)
        ours, oerr = run_ours(env, profile)
        if note:
            kind, why = note
            want_ours = kind == "ours-ok"
            good = (ours is not None) == want_ours and theirs is None
            tap.ok(good, f"deliberate difference: {name} (cli {theirs or 'refuses'}, "
                   f"ours {ours or 'refuses'})", f"aws: {terr[-600:]}\nours: {oerr[-600:]}")
            tap.diag("  " + why)
            continue
        same = theirs == ours
        if same and ours:
            found += 1
        elif same:
            refused += 1
        what = f"both {ours}" if (same and ours) else ("both refuse" if same else
                                                       f"cli {theirs} / ours {ours}")
        tap.ok(same, f"parity: {name} ({what})",
               f"aws: {terr[-600:]}\nours: {oerr[-600:]}")
        if same and not ours:
            tap.diag(f"  ours: {oerr[:300]}")
    tap.diag(f"parity: {found} scenarios resolved the same key, {refused} refused by both")


def keys_for(env, profile):
    """The DSQL stand-in's keys entry for what the chain resolves: the access
    key id from a token, its secret and session token as the AWS stand-ins
    issue them (static test keys carry no session token)."""
    akid, err = run_ours(env, profile)
    if akid is None:
        raise RuntimeError("no credentials: " + err)
    return {akid: {"secret": S.secret_for(akid),
                   "session_token": S.token_for(akid) if akid.startswith("ASIA") else None}}


def end_to_end(tap, work, aws, ca):
    """psql through the client library with an SSO profile, a role chain and
    web identity, against the DSQL stand-in; and a connection storm that
    must not call credential_process / STS per connect."""
    cluster = Cluster(work, 55436)
    cluster.psql("CREATE ROLE admin SUPERUSER LOGIN")
    d = os.path.join(work.path, "e2e")
    os.makedirs(os.path.join(d, ".aws", "sso", "cache"))
    wi_token = work.file("e2e-web-token", "eyJhbGciOiJSUzI1NiJ9.e2e-token.sig")
    counter = os.path.join(work.path, "process-runs")
    proc = helper(work, "counting.sh", f"echo run >> '{counter}'\n"
                  "printf '%s' '" + process_json("storm", expiration=S.iso(time.time() + 3600))
                  + "'\n")
    with open(os.path.join(d, "config"), "w") as f:
        f.write(SSO_SESSION_CFG +
                f"[profile sso]\nsso_session = corp\nsso_account_id = {ACCT}\n"
                "sso_role_name = Admin\n"
                "[profile base]\n" + K("e2ebase") +
                f"[profile mid]\nrole_arn = {role('e2emid')}\nsource_profile = base\n"
                f"[profile chain]\nrole_arn = {role('e2etop')}\nsource_profile = mid\n"
                f"[profile pod]\nrole_arn = {role('e2epod')}\n"
                f"web_identity_token_file = {wi_token}\n"
                f"[profile proc]\ncredential_process = {proc}\n")
    with open(os.path.join(d, ".aws", "sso", "cache",
                           S.hashlib.sha1(b"corp").hexdigest() + ".json"), "w") as f:
        f.write(sso_token())
    env = base_env(work, d, aws, ca)
    keys = {}
    for prof in ("sso", "chain", "pod", "proc"):
        keys.update(keys_for(env, prof))
    standin = Standin(work, cluster, ca, keys, "chain-dsql")
    penv = dict(env, LD_PRELOAD=PRELOAD, SSL_CERT_FILE=ca.crt)
    for prof, label in (("sso", "an SSO profile (sso_session)"),
                        ("chain", "a two-hop role chain"),
                        ("pod", "web identity")):
        r = subprocess.run([f"{PGBIN}/psql", "-X", "-At", "-c", "select current_user",
                            conninfo(standin)], env=dict(penv, AWS_PROFILE=prof),
                           capture_output=True, text=True, timeout=60)
        ev = [e for e in standin.new_events() if e.get("event", "").startswith("auth")]
        tap.ok(r.returncode == 0 and r.stdout.strip() == "admin" and
               [e["event"] for e in ev] == ["auth_ok"] and
               ev[0].get("access_key_id", "").startswith("ASIA"),
               f"psql through the library with {label}: token verified", (r.stderr, ev))

    # the cache: a storm of connections, one credential_process run / one STS call
    open(counter, "w").close()
    sts_before = len(aws.events("sts"))
    r = subprocess.run([f"{PGBIN}/pgbench", "-C", "-j2", "-c4", "-t", "10", "-n",
                        "-f", work.file("select.sql", "select 1;\n", 0o644), conninfo(standin)],
                       env=dict(penv, AWS_PROFILE="proc"), capture_output=True, text=True,
                       timeout=120)
    runs = len(open(counter).read().split())
    n = len([e for e in standin.new_events() if e.get("event") == "auth_ok"])
    tap.ok(r.returncode == 0 and n >= 40 and runs == 1,
           f"pgbench -C -j2: {n} connections, credential_process ran {runs} time(s) "
           "(cached for the process, shared by its threads)",
           (r.stderr[-1500:], runs))
    r = subprocess.run([f"{PGBIN}/pgbench", "-C", "-j2", "-c4", "-t", "10", "-n", "-f",
                        work.file("select.sql"), conninfo(standin)],
                       env=dict(penv, AWS_PROFILE="chain"), capture_output=True, text=True,
                       timeout=120)
    calls = len(aws.events("sts")) - sts_before
    n = len([e for e in standin.new_events() if e.get("event") == "auth_ok"])
    tap.ok(r.returncode == 0 and n >= 40 and calls == 2,
           f"pgbench -C -j2 with a two-hop role chain: {n} connections, {calls} STS calls "
           "(one AssumeRole per hop, once)", (r.stderr[-1500:], calls))


def main():
    tap = Tap()
    work = Workdir()
    ca = CA(work, names=AWS_NAMES + ("*.dsql.us-east-1.on.aws",))
    aws = AwsStandin(work, ca, container_token="container-secret-token")
    parity(tap, work, aws, ca)
    end_to_end(tap, work, aws, ca)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
