# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The nanoex authors
#
# nanoex: one non-recursive Makefile. Build output goes to $(BUILD) only.
#   make            libnx, the tools, the tests and the benchmarks (built, not run)
#   make test       install missing Debian packages, build, run every test
#   make run        install missing Debian packages, build, run the demo
#   make perf       build and run the benchmarks
#   make asan|ubsan the unit tests under AddressSanitizer / UBSan
#   make check      the tests plus the project's layering and header checks
#   make fuzz       each libFuzzer harness for FUZZ_SECONDS (clang), on its corpus
# The core (src/, include/) is compiled without DPDK flags, so a stray
# rte_*.h include fails to build; DPDK enters only through pkg-config in
# dpdk_apps rules.

CC      ?= cc
OPT     ?= -O2
BUILD   ?= build
SAN     ?=
WARN    = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
          -Wpointer-arith -Wformat=2 -Wvla -Wundef -Werror
CFLAGS  = -std=c11 -D_GNU_SOURCE -g $(OPT) $(WARN) -MMD -MP -Iinclude $(SAN) $(EXTRA_CFLAGS)
LDFLAGS = $(SAN) $(EXTRA_LDFLAGS)
LDLIBS  = -lconfig

DEPS_PKGS = build-essential pkg-config dpdk-dev libdpdk-dev libnuma-dev \
            libcmocka-dev libhugetlbfs-bin libconfig-dev clang libclang-rt-14-dev \
            iproute2 python3 ethtool dpdk gnuplot-nox

LIB_SRC  = $(wildcard src/*.c src/*/*.c)
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB      = $(BUILD)/libnx.a

# Tools without DPDK, and the DPDK appliance. dpdk_apps/common/*.c is the
# appliance's DPDK-free glue (the control plane), shared with its twin;
# common/rx_csum.h is header-only DPDK code for the DPDK-compiled files.
APP_NAMES  = nxreplay nxclient nxitch nxfeed nanoex-sock nanoex nxgen
APPS       = $(APP_NAMES:%=$(BUILD)/%)
COMMON_OBJ = $(patsubst %.c,$(BUILD)/%.o,$(wildcard dpdk_apps/common/*.c))
app_objs   = $(patsubst %.c,$(BUILD)/%.o,$(wildcard dpdk_apps/$(1)/*.c))

# DPDK only here: its headers as system headers (our warnings are for our code).
DPDK_CFLAGS := $(shell pkg-config --cflags libdpdk 2>/dev/null | sed 's/-I/-isystem /g')
DPDK_LIBS   := $(shell pkg-config --libs libdpdk 2>/dev/null)

TEST_SRC     = $(wildcard tests/test_*.c)
TEST_BINS    = $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_SUP_SRC = $(filter-out $(TEST_SRC),$(wildcard tests/*.c))
TEST_SUP_OBJ = $(TEST_SUP_SRC:%.c=$(BUILD)/%.o)
TEST_SUP     = $(BUILD)/tests/libsupport.a

PERF_SRC  = $(wildcard perf/bench_*.c)
PERF_BINS = $(PERF_SRC:perf/%.c=$(BUILD)/perf/%)
# Shared timing and reporting (perf/perf_util.[ch]): built once, linked into every bench.
PERF_SUP  = $(BUILD)/perf/perf_util.o
# Tests linked with DPDK (rules below); defined before `all` names them.
DPDK_TEST_BINS = $(BUILD)/tests/dpdk/test_txq $(BUILD)/tests/dpdk/test_feed_stop

.PHONY: all lib apps tests perf-bins test unit golden dpdk-test fuzz run perf check asan ubsan deps clean

all: lib apps tests perf-bins $(DPDK_TEST_BINS)

lib: $(LIB)
apps: $(APPS)
tests: $(TEST_BINS)
perf-bins: $(PERF_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/nxreplay: $(call app_objs,nxreplay) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/nxclient: $(call app_objs,nxclient) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lm

$(BUILD)/nxitch: $(call app_objs,nxitch) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/nxfeed: $(call app_objs,nxfeed) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/nanoex-sock: $(call app_objs,nanoex-sock) $(COMMON_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lpthread

$(BUILD)/dpdk_apps/nanoex/%.o: dpdk_apps/nanoex/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DPDK_CFLAGS) -c -o $@ $<

$(BUILD)/nanoex: $(call app_objs,nanoex) $(COMMON_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(DPDK_LIBS) $(LDLIBS) -lpthread

# nxgen: DPDK only in its backend file (io_dpdk.c); the rest is DPDK-free.
$(BUILD)/dpdk_apps/nxgen/io_dpdk.o: dpdk_apps/nxgen/io_dpdk.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DPDK_CFLAGS) -c -o $@ $<

$(BUILD)/nxgen: $(call app_objs,nxgen) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(DPDK_LIBS) $(LDLIBS) -lpthread -lm

$(TEST_SUP): $(TEST_SUP_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(TEST_SUP) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(TEST_SUP) $(LIB) -lcmocka $(LDLIBS)

# The shard's frame path, with the real shard object and an EAL on no device.
$(BUILD)/tests/dpdk/%.o: tests/dpdk/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DPDK_CFLAGS) -c -o $@ $<

$(BUILD)/tests/dpdk/test_txq: $(BUILD)/tests/dpdk/test_txq.o $(BUILD)/dpdk_apps/nanoex/shard.o \
		$(COMMON_OBJ) $(TEST_SUP) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(DPDK_LIBS) $(LDLIBS) -lpthread

# The service's stop, with the real service and shard objects; the port is a
# net_ring made from the test's own rings (rte_eth_from_rings: its PMD linked).
$(BUILD)/tests/dpdk/test_feed_stop: $(BUILD)/tests/dpdk/test_feed_stop.o \
		$(BUILD)/dpdk_apps/nanoex/service.o $(BUILD)/dpdk_apps/nanoex/shard.o \
		$(COMMON_OBJ) $(TEST_SUP) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka -lrte_net_ring $(DPDK_LIBS) $(LDLIBS) -lpthread

# nanoex-sock's way out, with real sockets.
$(BUILD)/tests/test_sock_out: $(BUILD)/tests/test_sock_out.o $(BUILD)/dpdk_apps/nanoex-sock/out.o \
		$(TEST_SUP) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

# Edges of frames, nanoex-sock's way out (sendmmsg interposed by the test)
# and its telemetry.c (included by the test, with a stub control plane).
$(BUILD)/tests/test_net_edges: $(BUILD)/tests/test_net_edges.o $(BUILD)/dpdk_apps/nanoex-sock/out.o \
		$(TEST_SUP) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(LDLIBS) -lpthread

# The appliances' control plane is DPDK-free: tested like libnx.
$(BUILD)/tests/test_ctl: $(BUILD)/tests/test_ctl.o $(COMMON_OBJ) $(TEST_SUP) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(COMMON_OBJ) $(TEST_SUP) $(LIB) -lcmocka $(LDLIBS) -lpthread

# nxgen's core (DPDK-free) against an engine in the process, through a backend of the test's own;
# its reports too (DPDK-free), to check what the summary says of a run.
NXGEN_CORE_OBJ = $(patsubst %,$(BUILD)/dpdk_apps/nxgen/%.o,gen mix clock report)
$(BUILD)/tests/test_nxgen: $(BUILD)/tests/test_nxgen.o $(NXGEN_CORE_OBJ) $(TEST_SUP) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(NXGEN_CORE_OBJ) $(TEST_SUP) $(LIB) -lcmocka -lm $(LDLIBS)
$(BUILD)/tests/test_nxgen_lab: $(BUILD)/tests/test_nxgen_lab.o $(NXGEN_CORE_OBJ) $(TEST_SUP) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(NXGEN_CORE_OBJ) $(TEST_SUP) $(LIB) -lcmocka -lm $(LDLIBS)

# The benches' shared options and statistics (perf/perf_util.c), tested like libnx.
$(BUILD)/tests/test_perf_util: $(BUILD)/tests/test_perf_util.o $(PERF_SUP) $(TEST_SUP) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(PERF_SUP) $(TEST_SUP) $(LIB) -lcmocka -lm $(LDLIBS)

# A static pattern: only the bench_* binaries, never perf_util.o itself.
$(PERF_BINS): $(BUILD)/perf/%: $(BUILD)/perf/%.o $(PERF_SUP) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ -lm $(LDLIBS)

# --- running ---------------------------------------------------------------

unit: $(TEST_BINS)
	@tests/run_suite.sh unit $(TEST_BINS)

golden: $(BUILD)/nxreplay $(BUILD)/nxitch $(BUILD)/nxclient $(BUILD)/nxgen $(BUILD)/nanoex-sock
	@tests/run_golden.sh $(BUILD)/nxreplay tests/golden
	@BUILD=$(BUILD) tests/run_suite.sh tools tests/pcap/test_nxitch.sh tests/replay/test_nxreplay.sh \
		tests/client/test_nxclient.sh tests/objects/test_prefetch.sh tests/nxgen/test_nxgen_sock.sh \
		tests/replay/test_cli_edges.sh tests/client/test_client_tools.sh \
		tests/client/test_sock_telemetry.sh tests/nic_config/test_bind.sh

# The appliance on virtual ports (net_tap; root, no hugepages): tests/dpdk/.
dpdk-test: $(APPS) $(DPDK_TEST_BINS)
	@BUILD=$(BUILD) tests/run_suite.sh dpdk $(DPDK_TEST_BINS) tests/dpdk/test_*.sh

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit golden dpdk-test
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(TEST_FUZZ_SECONDS)

# --- fuzzing (clang + libFuzzer; the corpus is committed) -------------------
# Harnesses: tests/fuzz/fuzz_<name>.c, corpus: tests/fuzz/corpus/<name>/.
# New inputs found go to $(BUILD)/fuzz/new/<name>/; a crash leaves its input in
# $(BUILD)/fuzz/ and fails the target. Keep findings as regression inputs.

FUZZ_SECONDS      ?= 60
TEST_FUZZ_SECONDS ?= 10
FUZZ_CC    = clang
FUZZ_FLAGS = -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -fsanitize=fuzzer,address,undefined \
             -fno-sanitize-recover=undefined
FUZZ_NAMES = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS  = $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRC) $(wildcard include/nx/*.h src/*/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(LIB_SRC) $(LDLIBS)

fuzz: $(FUZZ_BINS)
	@for n in $(FUZZ_NAMES); do \
		mkdir -p $(BUILD)/fuzz/new/$$n; \
		echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
		$(BUILD)/fuzz/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/new/$$n tests/fuzz/corpus/$$n \
			2>&1 | grep -E '^(stat::number_of_executed_units|==|SUMMARY|invariant)' \
			|| true; \
		if [ -n "$$(find $(BUILD)/fuzz -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' \
			-o -name 'timeout-*' -o -name 'oom-*' \) -print)" ]; then \
			echo "fuzz: $$n FAILED, input kept in $(BUILD)/fuzz/"; exit 1; fi; \
		echo "fuzz: $$n clean"; \
	done

run: deps
	@$(MAKE) --no-print-directory apps
	@BUILD=$(BUILD) dpdk_apps/nanoex/demo.sh

perf: $(PERF_BINS)
	@for b in $(PERF_BINS); do echo "== $$b"; $$b || exit 1; done

asan:
	@$(MAKE) --no-print-directory BUILD=build/asan OPT=-O1 \
		SAN="-fsanitize=address -fno-omit-frame-pointer" unit golden

ubsan:
	@$(MAKE) --no-print-directory BUILD=build/ubsan OPT=-O1 \
		SAN="-fsanitize=undefined -fno-sanitize-recover=all" unit golden

# Layering: nothing in the core names DPDK; every public header compiles alone.
check: test
	@! grep -rnE '#include *<rte_|\brte_[a-z_]+\(' src include || \
		{ echo "check: DPDK used outside dpdk_apps/"; exit 1; }
	@for h in include/nx/*.h; do \
		echo "#include \"$${h#include/}\"" | $(CC) -std=c11 -Iinclude $(WARN) -x c -fsyntax-only - \
		|| { echo "check: $$h does not compile alone"; exit 1; }; done
	@echo "check: layering and headers ok"

deps:
	@missing=""; for p in $(DEPS_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi

clean:
	rm -rf build

# Keep objects between runs (they are not intermediates to delete).
.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
