"""Time per token of botocore's generate_db_connect_admin_auth_token, in
process (run with the pyenv python3 that has botocore).  Prints
"name ns_per_op" lines for bench/run.py.  Usage: botocore_sign.py [SECONDS]
"""
import sys
import time

import botocore
import botocore.session

HOST = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws"


def per_op(fn, secs):
    fn()
    n = 0
    t0 = time.perf_counter()
    end = t0 + secs
    while time.perf_counter() < end:
        for _ in range(20):
            fn()
        n += 20
    return (time.perf_counter() - t0) / n * 1e9


def main():
    secs = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    session = botocore.session.get_session()
    keys = dict(aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    client = session.create_client("dsql", region_name="us-east-1", **keys)
    sclient = session.create_client("dsql", region_name="us-east-1",
                                    aws_session_token="T" * 1024, **keys)
    for _ in range(3):
        print("botocore %.0f" % per_op(
            lambda: client.generate_db_connect_admin_auth_token(HOST, "us-east-1"), secs / 3))
        print("botocore_session %.0f" % per_op(
            lambda: sclient.generate_db_connect_admin_auth_token(HOST, "us-east-1"), secs / 3))
    print("botocore_version %s" % botocore.__version__)


if __name__ == "__main__":
    main()
