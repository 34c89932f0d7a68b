#!/bin/sh
# pg_regress for the extension, on a throwaway cluster (pg_virtualenv), as
# TAP.  The extension must be installed (make install).
cd "$(dirname "$0")/.."
out=$(pg_virtualenv -o "log_min_messages=warning" make -s installcheck 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
n=0
for t in $(sed -n 's/^REGRESS = //p' Makefile); do
	n=$((n + 1))
	if echo "$out" | grep -Eq "^(test|ok [0-9]+ +-?) *$t +\.\.\. ok|^ok [0-9]+ +- +$t "; then
		echo "ok $n - pg_regress $t"
	elif echo "$out" | grep -Eq "$t .*ok"; then
		echo "ok $n - pg_regress $t"
	else
		echo "not ok $n - pg_regress $t"
		[ -f regression.diffs ] && sed 's/^/# /' regression.diffs
	fi
done
echo "1..$n"
exit $rc
