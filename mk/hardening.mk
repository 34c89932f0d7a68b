# mk/hardening.mk — benchmarks, sanitizers, valgrind, fuzzing, fault
# injection and secret checks (issue 4).  Included by the Makefile.
#
#   make bench            bench/run.py: five benchmark tables (needs a built
#                         tree and hyperfine; pyenv python3 with botocore/boto3
#                         and the aws CLI for the comparisons; writes
#                         build-bench/results.md; prints numbers, never fails
#                         on a timing; about 4 minutes; BENCH_ARGS=--quick)
#   make fuzz             every libFuzzer target fuzz/fuzz_*.c for FUZZ_SECONDS
#                         (default 60) each, from a scratch copy of its
#                         committed seeds fuzz/corpus/NAME; prints executions
#                         and findings; crashes go to build-fuzz/artifacts/
#   make fuzz-seeds       replay the committed seeds only (seconds)
#   make asan             ASan+UBSan build (build-asan/): unit tests (leak
#                         checking on), the ASan connect driver through every
#                         interposed entry point with the ASan library
#                         preloaded, and the faults + secrets suites with the
#                         ASan dsql-auth command
#   make asan-unit        only the unit tests under ASan+UBSan (also the
#                         "asan" suite of test/run)
#   make valgrind         memcheck over psql, pg_dump and pgbench -C through
#                         the library, four credential sources
#   make tsan             ThreadSanitizer: 8 threads connecting at once while
#                         cached credentials refresh / the file is rewritten
#   make faults           test/e2e/test_faults.py  (also in test/run)
#   make secrets          test/e2e/test_secrets.py (also in test/run)
#   make hardening        asan valgrind tsan fuzz faults secrets
#   make hardening-deps   install what these targets need from Debian:
#                         clang libclang-rt-14-dev valgrind hyperfine faketime gdb
#
# (CLIENT_CFLAGS must not be given on the sub-make's command line: that
# would override the Makefile's own "+=" additions; EXTRA_CLIENT_CFLAGS
# comes last, so its -O1 wins.)
# Each variant builds its objects in its own directory (BUILD=build-VARIANT)
# through the Makefile's own rules; the variant's library and command are
# linked here into that directory, never over the main build's.

HARDEN_PY = /usr/bin/python3
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
HARDEN_DEBS = clang libclang-rt-14-dev valgrind hyperfine faketime gdb

# Whatever extra libraries the core needs once the credential chain lands
# (libcurl, json-c); --as-needed keeps them out when nothing uses them.
HARDEN_EXTRA_LIBS ?= -Wl,--as-needed $(shell pkg-config --libs libcurl json-c 2>/dev/null) -Wl,--no-as-needed

SAN_CFLAGS = -O1 -g -fno-omit-frame-pointer
ASAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined
TSAN_FLAGS = -fsanitize=thread
ASAN_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86:strict_string_checks=1:detect_stack_use_after_return=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=87
# For the ASan dsql-auth command inside the e2e suites; some of their runs
# preload libfaketime first, hence verify_asan_link_order=0.
ASAN_E2E_ENV = ASAN_OPTIONS=detect_leaks=1:exitcode=86:strict_string_checks=1:verify_asan_link_order=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=87

# A variant's objects are rebuilt when its flags change (make alone would
# keep objects built with other flags, e.g. without instrumentation).
define flag_stamp
	@mkdir -p $(1); echo '$(2)' | cmp -s - $(1)/.flags 2>/dev/null || \
		{ rm -f $(1)/*.o; echo '$(2)' > $(1)/.flags; }
endef

# ---- a variant's client library and command, linked in $(BUILD) ----
# (called through a recursive make with BUILD=build-VARIANT)
$(BUILD)/dsql_auth_preload.so: $(PRELOAD_OBJS)
	$(CLIENT_CC) -shared -o $@ $^ $(CLIENT_LDFLAGS) -lcrypto -ldl -lpthread $(HARDEN_EXTRA_LIBS)

$(BUILD)/dsql-auth: $(CMD_OBJS)
	$(CLIENT_CC) -o $@ $^ $(CLIENT_LDFLAGS) -L$(PG_LIBDIR) -lpq -lcrypto -ldl -lpthread $(HARDEN_EXTRA_LIBS)

harden-variant: unit $(BUILD)/dsql_auth_preload.so $(BUILD)/dsql-auth

# ---- ASan + UBSan ----
asan-build:
	$(call flag_stamp,build-asan,$(SAN_CFLAGS) $(ASAN_FLAGS))
	$(MAKE) -s BUILD=build-asan EXTRA_CLIENT_CFLAGS="$(SAN_CFLAGS) $(ASAN_FLAGS)" EXTRA_CLIENT_LDFLAGS="$(ASAN_FLAGS)" \
		harden-variant
	$(CC) $(SAN_CFLAGS) $(ASAN_FLAGS) -Wall -I$(PG_INCLUDEDIR) -o build-asan/connect_driver \
		test/hardening/connect_driver.c -L$(PG_LIBDIR) -lpq -lpthread

asan-unit-build:
	$(call flag_stamp,build-asan,$(SAN_CFLAGS) $(ASAN_FLAGS))
	$(MAKE) -s BUILD=build-asan EXTRA_CLIENT_CFLAGS="$(SAN_CFLAGS) $(ASAN_FLAGS)" EXTRA_CLIENT_LDFLAGS="$(ASAN_FLAGS)" \
		unit

asan-unit: asan-unit-build
	@fail=0; for t in build-asan/test_*; do \
		[ -x "$$t" ] || continue; \
		env $(ASAN_ENV) $$t > $$t.out 2>&1; rc=$$?; \
		printf '%-32s exit %-3s %s passed, %s failed\n' "$$t" $$rc \
			"$$(grep -c '^ok' $$t.out)" "$$(grep -c '^not ok' $$t.out)"; \
		if [ $$rc -ne 0 ]; then fail=1; grep -E 'ERROR: |runtime error|^not ok|SUMMARY' $$t.out | head -20; fi; \
	done; exit $$fail

# End to end: the ASan connect driver through every entry point with the
# ASan library preloaded (san_e2e.py says why not psql), then the faults
# and secrets suites with the ASan dsql-auth command (their psql runs use
# the normal library).
asan: asan-build asan-unit
	$(HARDEN_PY) test/hardening/san_e2e.py asan build-asan
	env $(ASAN_E2E_ENV) DA_VARIANT_CLI=$(CURDIR)/build-asan/dsql-auth \
		$(HARDEN_PY) test/hardening/variant.py test/e2e/test_faults.py test/e2e/test_secrets.py

# ---- ThreadSanitizer ----
tsan-build:
	$(call flag_stamp,build-tsan,$(SAN_CFLAGS) $(TSAN_FLAGS))
	$(MAKE) -s BUILD=build-tsan EXTRA_CLIENT_CFLAGS="$(SAN_CFLAGS) $(TSAN_FLAGS)" EXTRA_CLIENT_LDFLAGS="$(TSAN_FLAGS)" \
		build-tsan/dsql_auth_preload.so
	$(CC) $(SAN_CFLAGS) $(TSAN_FLAGS) -Wall -I$(PG_INCLUDEDIR) -o build-tsan/connect_driver \
		test/hardening/connect_driver.c -L$(PG_LIBDIR) -lpq -lpthread

tsan: tsan-build
	$(HARDEN_PY) test/hardening/san_e2e.py tsan build-tsan

# ---- valgrind memcheck (the normal build) ----
valgrind: all
	$(HARDEN_PY) test/hardening/valgrind_run.py

# ---- fault injection and secrets (also in test/run) ----
faults: all
	$(HARDEN_PY) test/e2e/test_faults.py

secrets: all
	$(HARDEN_PY) test/e2e/test_secrets.py

# ---- libFuzzer ----
FUZZ_NAMES = $(patsubst fuzz/%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_BINS = $(addprefix build-fuzz/,$(FUZZ_NAMES))
FUZZ_FLAGS = -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined

fuzz-objs:
	$(call flag_stamp,build-fuzz,$(FUZZ_CC) $(SAN_CFLAGS) $(FUZZ_FLAGS))
	$(MAKE) -s BUILD=build-fuzz CLIENT_CC=$(FUZZ_CC) \
		EXTRA_CLIENT_CFLAGS="$(SAN_CFLAGS) $(FUZZ_FLAGS) -Wno-string-plus-int" $(CLIENT_CORE_OBJS:$(BUILD)/%=build-fuzz/%) \
		build-fuzz/da_conninfo.o

build-fuzz/fuzz_%: fuzz/fuzz_%.c fuzz-objs
	$(FUZZ_CC) $(SAN_CFLAGS) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-D_GNU_SOURCE -Isrc -I$(PG_INCLUDEDIR) -o $@ $< \
		$(CLIENT_CORE_OBJS:$(BUILD)/%=build-fuzz/%) build-fuzz/da_conninfo.o \
		-L$(PG_LIBDIR) -lpq -lcrypto -ldl -lpthread $(HARDEN_EXTRA_LIBS)

fuzz-build: $(FUZZ_BINS)

# Each target runs on a scratch copy of its committed seeds (the committed
# corpus stays small); crashes land in build-fuzz/artifacts/NAME/.
fuzz: fuzz-build
	@fail=0; printf '%-22s %10s %8s %6s %9s  %s\n' target seconds execs exec/s corpus findings; \
	for n in $(FUZZ_NAMES); do \
		rm -rf build-fuzz/work/$$n; mkdir -p build-fuzz/work/$$n build-fuzz/artifacts/$$n fuzz/corpus/$$n; \
		cp fuzz/corpus/$$n/* build-fuzz/work/$$n/ 2>/dev/null; \
		dict=; [ -f fuzz/$$n.dict ] && dict=-dict=fuzz/$$n.dict; \
		env ASAN_OPTIONS=detect_leaks=1 ./build-fuzz/$$n -max_total_time=$(FUZZ_SECONDS) \
			-print_final_stats=1 -max_len=65536 -timeout=10 -rss_limit_mb=2048 $$dict \
			-artifact_prefix=build-fuzz/artifacts/$$n/ build-fuzz/work/$$n \
			> build-fuzz/$$n.log 2>&1; rc=$$?; \
		execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' build-fuzz/$$n.log); \
		rate=$$(sed -n 's/^stat::average_exec_per_sec: *//p' build-fuzz/$$n.log); \
		found=$$(ls build-fuzz/artifacts/$$n | wc -l); \
		printf '%-22s %10s %8s %6s %9s  %s\n' $$n $(FUZZ_SECONDS) "$${execs:-?}" "$${rate:-?}" \
			"$$(ls build-fuzz/work/$$n | wc -l)" "$$found (exit $$rc)"; \
		if [ $$rc -ne 0 ] || [ $$found -ne 0 ]; then fail=1; \
			grep -E 'ERROR|runtime error|SUMMARY|#[0-9]+ .* in ' build-fuzz/$$n.log | head -15; \
			ls build-fuzz/artifacts/$$n; fi; \
	done; exit $$fail

# Replay the committed seeds only (quick; a regression check for the corpus).
fuzz-seeds: fuzz-build
	@for n in $(FUZZ_NAMES); do ./build-fuzz/$$n -runs=0 fuzz/corpus/$$n > build-fuzz/$$n.seeds.log 2>&1 \
		&& echo "$$n: $$(ls fuzz/corpus/$$n | wc -l) seeds ok" || { echo "$$n: FAILED"; tail -20 build-fuzz/$$n.seeds.log; exit 1; }; done

# ---- benchmarks ----
bench: all build-bench/sign_bench
	$(HARDEN_PY) bench/run.py --markdown build-bench/results.md $(BENCH_ARGS)

hardening: asan valgrind tsan fuzz faults secrets

hardening-deps:
	$$( [ "$$(id -u)" -eq 0 ] || echo sudo ) env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends $(HARDEN_DEBS)

clean: clean-hardening
clean-hardening:
	rm -rf build-asan build-tsan build-fuzz build-bench

.PHONY: harden-variant asan asan-build asan-unit asan-unit-build tsan tsan-build \
	valgrind faults secrets fuzz fuzz-objs fuzz-build fuzz-seeds bench hardening \
	hardening-deps clean-hardening

# ---- benchmark programs (the normal -O2 objects of $(BUILD)) ----
build-bench/sign_bench: bench/sign_bench.c $(CLIENT_CORE_OBJS)
	mkdir -p build-bench
	$(CLIENT_CC) -O2 -g -D_GNU_SOURCE -Isrc -I$(PG_INCLUDEDIR) -o $@ $< $(CLIENT_CORE_OBJS) \
		-L$(PG_LIBDIR) -lcrypto -ldl -lpthread $(HARDEN_EXTRA_LIBS)
