# dsql_auth — Aurora DSQL IAM authentication for libpq programs.
#
# Builds, from one tree:
#   dsql_auth.so          the server extension (SQL functions), via PGXS
#   dsql_auth_preload.so  the client library preloaded into libpq programs
#   dsql-auth             the command
# all three on one backend-free core in src/.

EXTENSION = dsql_auth
MODULE_big = dsql_auth
DATA = dsql_auth--1.0.sql
PGFILEDESC = "dsql_auth - Aurora DSQL IAM auth tokens"
REGRESS = dsql_auth
REGRESS_OPTS = --inputdir=.

PG_CONFIG ?= pg_config
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin

# The backend-free core, shared by all three.
CORE_SRCS = src/da_util.c src/da_sigv4.c src/da_host.c src/da_awsfile.c \
	src/da_http.c src/da_json.c src/da_src_sts.c src/da_src_sso.c \
	src/da_src_process.c src/da_src_meta.c \
	src/da_creds.c src/da_token.c
CORE_HDRS = $(wildcard src/*.h)

OBJS = dsql_auth.o $(CORE_SRCS:.c=.o)
SHLIB_LINK = -lcrypto -ldl -lpthread
PG_CPPFLAGS = -Isrc

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# ---- client side: own flags, own objects (no server headers, hidden
# symbols except the exported interposers) ----
PKGLIBDIR := $(shell $(PG_CONFIG) --pkglibdir)
PG_INCLUDEDIR := $(shell $(PG_CONFIG) --includedir)
PG_LIBDIR := $(shell $(PG_CONFIG) --libdir)
PG_SYSCONFDIR := $(shell $(PG_CONFIG) --sysconfdir)
CLIENT_CC ?= $(CC)
CLIENT_CFLAGS ?= -O2 -g
CLIENT_CFLAGS += -std=gnu99 -Wall -Wextra -Wno-unused-parameter -fPIC \
	-fvisibility=hidden -D_GNU_SOURCE -Isrc -I$(PG_INCLUDEDIR) \
	-DPG_SYSCONFDIR='"$(PG_SYSCONFDIR)"' \
	-DDA_PRELOAD_PATH='"$(PKGLIBDIR)/dsql_auth_preload.so"' \
	-DDA_VERSION='"$(shell sed -n "s/^default_version = '\(.*\)'/\1/p" dsql_auth.control)"' \
	$(EXTRA_CLIENT_CFLAGS)
CLIENT_LDFLAGS ?=
CLIENT_LDFLAGS += $(EXTRA_CLIENT_LDFLAGS)

BUILD = build
CLIENT_CORE_OBJS = $(patsubst src/%.c,$(BUILD)/%.o,$(CORE_SRCS))
# the dump/restore compatibility layer (src/da_compat*.c) is client-only
COMPAT_OBJS = $(patsubst src/%.c,$(BUILD)/%.o,$(wildcard src/da_compat*.c))
PRELOAD_OBJS = $(CLIENT_CORE_OBJS) $(BUILD)/da_conninfo.o $(BUILD)/da_interpose.o $(COMPAT_OBJS)
CMD_OBJS = $(CLIENT_CORE_OBJS) $(BUILD)/da_conninfo.o $(BUILD)/dsql-auth.o

UNIT_TESTS = $(patsubst test/unit/%.c,$(BUILD)/%,$(wildcard test/unit/test_*.c))

all: dsql_auth_preload.so dsql-auth

$(BUILD)/%.o: src/%.c $(CORE_HDRS) | $(BUILD)
	$(CLIENT_CC) $(CLIENT_CFLAGS) -c -o $@ $<

$(BUILD):
	mkdir -p $(BUILD)

# libpq is deliberately not a DT_NEEDED of the preload library (see
# NOTES-libpq.md): its symbols are found at run time in the process.
dsql_auth_preload.so: $(PRELOAD_OBJS)
	$(CLIENT_CC) -shared -o $@ $^ $(CLIENT_LDFLAGS) -lcrypto -ldl -lpthread

dsql-auth: $(CMD_OBJS)
	$(CLIENT_CC) -o $@ $^ $(CLIENT_LDFLAGS) -L$(PG_LIBDIR) -lpq -lcrypto -ldl -lpthread

# Unit tests link the client-side pure code (not the interposers).
UNIT_OBJS = $(CLIENT_CORE_OBJS) $(BUILD)/da_conninfo.o $(BUILD)/da_compat.o

$(BUILD)/test_%: test/unit/test_%.c test/unit/tap.h $(UNIT_OBJS)
	$(CLIENT_CC) $(CLIENT_CFLAGS) -Itest/unit -o $@ $< $(UNIT_OBJS) $(CLIENT_LDFLAGS) -L$(PG_LIBDIR) -lpq -lcrypto -ldl -lpthread

unit: $(UNIT_TESTS)

install: install-client
install-client: dsql_auth_preload.so dsql-auth
	$(MKDIR_P) '$(DESTDIR)$(PKGLIBDIR)' '$(DESTDIR)$(BINDIR)'
	$(INSTALL_SHLIB) dsql_auth_preload.so '$(DESTDIR)$(PKGLIBDIR)/dsql_auth_preload.so'
	$(INSTALL_PROGRAM) dsql-auth '$(DESTDIR)$(BINDIR)/dsql-auth'

uninstall: uninstall-client
uninstall-client:
	rm -f '$(DESTDIR)$(PKGLIBDIR)/dsql_auth_preload.so' '$(DESTDIR)$(BINDIR)/dsql-auth'

clean: clean-client
clean-client:
	rm -rf $(BUILD) dsql_auth_preload.so dsql-auth results regression.diffs regression.out

# The whole suite (unit, pg_regress, end to end); what CI runs.
test: all
	test/run

demo: all
	/usr/bin/python3 test/demo.py

.PHONY: unit install-client uninstall-client clean-client test demo

# Benchmarks, sanitizers, valgrind, fuzzing (issue 4).
-include mk/hardening.mk
