# Makefile for the sharing gateway.
#
#   make run [PORT=8443]   build, install missing packages, make the dev PKI, start gatewayd
#   make test              the whole suite: unit + integration, plain and under ASan/UBSan
#   make bench             load generator against gatewayd and an nginx ceiling
#   make fuzz [FUZZ_SECS=60] [FUZZ_TARGETS="note body"]   libFuzzer on the input readers (clang)
#   make install           PREFIX=/usr/local DESTDIR=
#
# Conventions (so that modules can be added without editing this file):
#   gateway/gatewayd.c, gateway/gatewayctl.c   the two programs (each has main)
#   gateway/*.c (all others)                    linked into $(BUILD)/libgateway.a
#   gateway/migrations/NNN_name.sql             schema migrations, embedded in order
#   tests/unit/test_*.c                         one cmocka binary each
#   tests/integration/test_*.sh                 TAP scripts driving the real daemon over mTLS
#   tests/tools/NAME.c                          a test helper program each: $(BUILD)/tools/NAME
#   tests/preload/NAME.c                        a test-only LD_PRELOAD library: $(BUILD)/tools/NAME.so

PORT      ?= 8443
BUILD     ?= build/plain
SANITIZER ?=
PREFIX    ?= /usr/local
DESTDIR   ?=

# Debian packages the build and tests need (kept in step with docker/Dockerfile).
DEB_PKGS = build-essential pkg-config libmicrohttpd-dev libgnutls28-dev libcurl4-openssl-dev \
           libssl-dev libjansson-dev libcmocka-dev libsqlite3-dev openssl curl jq \
           json-schema-test-suite nginx-light sqlite3 gnutls-bin libpcre2-dev python3 \
           python3-jsonschema libseccomp-dev libjemalloc-dev
PC_LIBS  = libmicrohttpd gnutls libcurl openssl jansson cmocka sqlite3 libpcre2-8 libseccomp

CC      ?= cc
CSTD     = -std=c17 -D_DEFAULT_SOURCE
WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
OPT     ?= -O2 -g
PC_CFLAGS := $(shell pkg-config --cflags $(PC_LIBS) 2>/dev/null)
PC_LDLIBS := $(shell pkg-config --libs $(PC_LIBS) 2>/dev/null)
ifneq ($(SANITIZER),)
  SANFLAGS = -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
CFLAGS  += $(CSTD) $(WARN) $(OPT) $(SANFLAGS) -Igateway -I$(BUILD) $(PC_CFLAGS) -pthread
LDFLAGS += $(SANFLAGS) -pthread
LDLIBS  += $(PC_LDLIBS) -lm
# gatewayd's allocator: jemalloc (Debian's libjemalloc2) where no sanitizer
# replaces malloc; ALLOC=libc for glibc's. Measured on scenario 1 of make
# bench (README, Benchmarks): +13 % disclosures per second, CPU per
# disclosure 151 -> 138 us. wipe.c's malloc_usable_size() is jemalloc's too;
# under valgrind its preloaded malloc replaces jemalloc's as it does glibc's.
ifeq ($(SANITIZER),)
  ALLOC ?= jemalloc
else
  ALLOC ?= libc
endif
ifeq ($(ALLOC),jemalloc)
  ALLOC_LIBS = -ljemalloc
else ifneq ($(ALLOC),libc)
  $(error ALLOC must be jemalloc or libc)
endif

MAINS    = gateway/gatewayd.c gateway/gatewayctl.c
LIB_SRC  = $(filter-out $(MAINS),$(wildcard gateway/*.c))
LIB_OBJ  = $(patsubst gateway/%.c,$(BUILD)/obj/%.o,$(LIB_SRC)) $(BUILD)/obj/migrations.o
MIGRATIONS = $(sort $(wildcard gateway/migrations/*.sql))
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TOOL_SRC = $(wildcard tests/tools/*.c)
TOOL_BIN = $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRC))
PRELOAD_SO = $(patsubst tests/preload/%.c,$(BUILD)/tools/%.so,$(wildcard tests/preload/*.c))
BENCH_SRC = $(wildcard tests/bench/*.c)
BENCH_BIN = $(if $(BENCH_SRC),$(BUILD)/bench/loadgen)
HEADERS  = $(wildcard gateway/*.h)

.PHONY: all deps build certs run test test-plain test-asan test-unit test-integration bench install clean check valgrind fuzz

all: build

# Installs what is missing when root; otherwise prints the exact command and stops.
deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "installing:$$missing"; \
	    (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	  else echo "missing packages:$$missing"; echo "run: sudo apt-get install -y$$missing"; exit 1; fi; \
	fi

build: $(BUILD)/gatewayd $(if $(wildcard gateway/gatewayctl.c),$(BUILD)/gatewayctl) $(UNIT_BIN) $(TOOL_BIN) $(PRELOAD_SO) $(BENCH_BIN)

$(BUILD)/obj/%.o: gateway/%.c $(HEADERS) | $(BUILD)/obj
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c -o $@ $<

# The list of migration files, rewritten only when one is added or removed,
# so that removing one also makes migrations.c again.
ifneq ($(MAKECMDGOALS),clean)
$(shell mkdir -p $(BUILD) && echo '$(MIGRATIONS)' | cmp -s - $(BUILD)/migrations.list || \
	echo '$(MIGRATIONS)' > $(BUILD)/migrations.list)
endif
$(BUILD)/migrations.c: $(MIGRATIONS) $(BUILD)/migrations.list tests/embed-migrations.sh | $(BUILD)/obj
	sh tests/embed-migrations.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/migrations.o: $(BUILD)/migrations.c
	@$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libgateway.a: $(LIB_OBJ)
	@rm -f $@ && ar rcs $@ $^

$(BUILD)/gatewayd: gateway/gatewayd.c $(BUILD)/libgateway.a $(HEADERS)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libgateway.a $(ALLOC_LIBS) $(LDLIBS)

$(BUILD)/gatewayctl: gateway/gatewayctl.c $(BUILD)/libgateway.a $(HEADERS)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libgateway.a $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libgateway.a $(HEADERS) $(wildcard tests/unit/*.h) | $(BUILD)/tests
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(BUILD)/libgateway.a $(LDLIBS)

# test_fuzz.c includes the fuzz targets; test_failalloc fails allocations in
# turn: the gateway's calls to malloc and its kin go through its wrappers.
$(BUILD)/tests/test_fuzz: tests/fuzz/targets.c tests/fuzz/targets.h
$(BUILD)/tests/test_failalloc: LDFLAGS += \
	-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup
# test_ledger fails ledger.head's writes on demand.
$(BUILD)/tests/test_ledger: LDFLAGS += -Wl,--wrap=ledger_head_write

$(BUILD)/tools/%: tests/tools/%.c | $(BUILD)/tools
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

# Without the sanitizers: it is preloaded into a sanitized gatewayd, whose
# runtime must stay its own (see the test that uses it).
$(BUILD)/tools/%.so: tests/preload/%.c | $(BUILD)/tools
	$(CC) $(CSTD) $(WARN) -O2 -fPIC -shared -o $@ $< -ldl

$(BUILD)/bench/loadgen: $(BENCH_SRC) | $(BUILD)/bench
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(BENCH_SRC) $(LDLIBS)

$(BUILD)/obj $(BUILD)/tests $(BUILD)/tools $(BUILD)/bench:
	mkdir -p $@

certs: certs/dev/ca.crt
certs/dev/ca.crt: certs/mkpki.sh
	sh certs/mkpki.sh certs/dev

run: deps
	$(MAKE) build certs
	exec $(BUILD)/gatewayd --port $(PORT) --data var

# The whole suite, twice: a plain build and one under AddressSanitizer + UndefinedBehaviorSanitizer.
test: deps
	$(MAKE) certs
	$(MAKE) build BUILD=build/plain
	$(MAKE) build BUILD=build/asan SANITIZER=address,undefined OPT="-O1 -g"
	sh tests/run.sh build/plain build/asan

test-plain: deps
	$(MAKE) certs build
	sh tests/run.sh $(BUILD)

# Quick loops while developing: make test-unit / make test-integration T=consent
test-unit: certs build
	ONLY=unit sh tests/run.sh $(BUILD)
test-integration: certs build
	ONLY=integration T="$(T)" sh tests/run.sh $(BUILD)

# Unit tests and the foundation's integration tests with everything under valgrind.
valgrind: certs build
	VALGRIND=1 ONLY=unit sh tests/run.sh $(BUILD)
	VALGRIND=1 ONLY=integration T=consents sh tests/run.sh $(BUILD)

# The fuzz targets (tests/fuzz/targets.c; make test runs them on seeded
# mutations) under libFuzzer, guided by coverage: the gateway built by clang
# with coverage, ASan and UBSan in build/fuzz, each target FUZZ_SECS seconds.
FUZZ_SECS ?= 60
FUZZ_TARGETS ?=
FUZZ_SAN = fuzzer-no-link,address,undefined
fuzz: deps
	@command -v clang > /dev/null || { echo "make fuzz needs clang: apt-get install clang"; exit 2; }
	$(MAKE) build BUILD=build/fuzz CC=clang SANITIZER=$(FUZZ_SAN) OPT="-O1 -g"
	mkdir -p build/fuzz/fuzz
	clang $(CSTD) $(WARN) -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -Igateway -Ibuild/fuzz $(PC_CFLAGS) -pthread -o build/fuzz/fuzz/libfuzzer \
	    tests/fuzz/libfuzzer.c tests/fuzz/targets.c build/fuzz/libgateway.a $(LDLIBS)
	sh tests/fuzz/run.sh build/fuzz $(FUZZ_SECS) $(FUZZ_TARGETS)

bench: deps
	$(MAKE) certs build OPT="-O2 -g"
	sh tests/bench/run.sh $(BUILD)

check: build certs
	$(BUILD)/gatewayd --check --data var

install: build
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/gateway
	install -m 755 $(BUILD)/gatewayd $(DESTDIR)$(PREFIX)/sbin/gatewayd
	install -m 755 $(BUILD)/gatewayctl $(DESTDIR)$(PREFIX)/bin/gatewayctl
	cp -r schemas agency-profiles $(DESTDIR)$(PREFIX)/share/gateway/

clean:
	rm -rf build
