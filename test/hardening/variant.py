#!/usr/bin/python3
"""Run end-to-end test scripts against another build of the command and/or
client library (e.g. the ASan+UBSan dsql-auth in build-asan/), unchanged.

    DA_VARIANT_CLI=/abs/build-asan/dsql-auth \
    [DA_VARIANT_PRELOAD=/abs/other/dsql_auth_preload.so] \
        test/hardening/variant.py test/e2e/test_faults.py ...

Each script runs in its own child Python whose harness module has PRELOAD
and CLI replaced before the script imports them.  TAP passes through;
sanitizer reports (which go to the tested programs' stderr, and so into the
scripts' diagnostics) are counted from the output.  Exit status 1 if any
script fails or any sanitizer report appears.
"""
import os
import re
import runpy
import subprocess
import sys

E2E = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e")
REPORT = re.compile(r"ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer|"
                    r"WARNING: ThreadSanitizer|SUMMARY: (Address|Undefined)")


def child(script):
    sys.path.insert(0, E2E)
    import harness
    if os.environ.get("DA_VARIANT_PRELOAD"):
        harness.PRELOAD = os.environ["DA_VARIANT_PRELOAD"]
    if os.environ.get("DA_VARIANT_CLI"):
        harness.CLI = os.environ["DA_VARIANT_CLI"]
    sys.argv = [script]
    runpy.run_path(script, run_name="__main__")


def main(argv):
    if len(argv) > 2 and argv[1] == "--child":
        child(argv[2])
        return 0
    bad = 0
    for script in argv[1:]:
        print(f"# --- {script} with CLI={os.environ.get('DA_VARIANT_CLI')} "
              f"PRELOAD={os.environ.get('DA_VARIANT_PRELOAD')}", flush=True)
        p = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--child", script],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             errors="replace")
        npass = nfail = reports = 0
        for line in p.stdout:
            sys.stdout.write(line)
            if line.startswith("ok "):
                npass += 1
            elif line.startswith("not ok "):
                nfail += 1
            if REPORT.search(line):
                reports += 1
        rc = p.wait()
        print(f"# --- {script}: {npass} passed, {nfail} failed, {reports} sanitizer "
              f"report lines, exit {rc}", flush=True)
        if nfail or reports or rc:
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
