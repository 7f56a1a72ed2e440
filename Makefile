# annals: one non-recursive Makefile for the daemon, the client and the tests.
#
#   make                build build/annalsd and build/annals
#   make run            build, start annalsd on config/annalsd.conf, load the seed timeline
#   make test           build and run every test (unit binaries and integration scripts via prove)
#   make test SANITIZE=address,undefined
#   make test VALGRIND=1  the integration tests with every annalsd under valgrind's memcheck
#                         (VALGRIND=all: the annals client too); any error or leak fails
#   make crashtest CYCLES=50     kill annalsd under writes CYCLES times; nothing acknowledged may be lost
#   make bench          build and run the benchmarks (tests/bench): feed, query, peers, scale, import
#   make bench BENCH=query               only the query workloads (BENCH=feed: only the feed)
#   make bench BENCH=peers               annals side by side with Redis, PostgreSQL, SQLite, LMDB
#   make bench BENCH=scale               annals alone at N=100000 and 1000000 (BENCH_LONG=1: and 10M)
#   make bench BENCH=import              GDELT rows, JSON lines and PostgreSQL COPY, rows/s
#   make bench BENCH_QUICK=1             query at N=20000,100000, peers at 100000, shorter runs
#   make fuzz FUZZ_TIME=60       run each libFuzzer target (tests/fuzz) FUZZ_TIME seconds, growing its corpus
#   make fuzz FUZZ=edtf          only the targets named
#   make lib            build libannals (build/libannals.a, build/libannals.so.0)
#   make install PREFIX=/usr/local DESTDIR=   the programs, libannals, annals.h, annals.pc,
#                         man pages, the systemd unit, its config and bash completion
#                         (SYSCONFDIR, MANDIR, LIBDIR, SYSTEMDUNITDIR, BASHCOMPDIR: see below)
#   make uninstall PREFIX=/usr/local DESTDIR=  what install wrote (an edited config stays)
#   make clean
#
# Missing Debian build dependencies are installed with apt-get when we are
# root or have password-less sudo; otherwise the exact command is printed.
# Redis, PostgreSQL and SQLite are installed the same way, but only by
# `make bench` with peers in BENCH: make, make run and make test never need them.
# clang and its libFuzzer runtime likewise, only by `make fuzz`; valgrind
# only by make test VALGRIND=1. make test also needs mandoc (to lint the man
# pages) and chromium with fonts-dejavu-core (to render the timeline page).

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/annals
DOCDIR  ?= $(PREFIX)/share/doc/annals
LIBDIR  ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
SANITIZE ?=
OPT     ?= -O2 -g

# make fuzz builds everything with clang in a directory of its own, with
# coverage instrumentation for libFuzzer and ASan/UBSan; only the fuzz
# targets are linked with libFuzzer's main.
ifneq ($(filter fuzz,$(MAKECMDGOALS)),)
CC := clang
BUILD := build/libfuzzer
SAN := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else ifeq ($(SANITIZE),)
BUILD := build
SAN :=
else
BUILD := build/sanitize
SAN := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

DEB_PKGS := pkg-config liblmdb-dev libuv1-dev libmsgpack-dev libjansson-dev perl
PKG_DAEMON := lmdb libuv msgpack
PKG_CLIENT := msgpack jansson
PKG_LIB    := msgpack

WARN   := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes -Wshadow
STD    := -std=c11 -D_GNU_SOURCE
CFLAGS_ALL = $(STD) $(OPT) $(WARN) $(SAN) -I. $(PKG_CFLAGS) -MMD -MP $(CFLAGS)
LDFLAGS_ALL = $(SAN) $(LDFLAGS)

PROTO_SRC  := $(wildcard proto/*.c)
DAEMON_SRC := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
CLIENT_SRC := $(filter-out client/main.c,$(wildcard client/*.c))
LIB_SRC    := $(wildcard client/lib/*.c)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)

PROTO_OBJ  := $(PROTO_SRC:%.c=$(BUILD)/obj/%.o)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/obj/%.o)
CLIENT_OBJ := $(CLIENT_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all run test unit clean install uninstall deps lib install-lib uninstall-lib
all: $(BUILD)/annalsd $(BUILD)/annals lib

# The page template of annals render stays a real file to edit and open in a
# browser; it is compiled in as a byte array (client/render/embed.pl).
RENDER_PAGE := client/render/timeline.html
CLIENT_OBJ += $(BUILD)/obj/gen/render_page.o
$(BUILD)/gen/render_page.c: $(RENDER_PAGE) client/render/embed.pl
	@mkdir -p $(@D)
	perl client/render/embed.pl render_html_template $(RENDER_PAGE) > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/gen/render_page.o: $(BUILD)/gen/render_page.c $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

# The configuration fragment is made first (GNU make remakes included
# makefiles before anything else), so dependencies are checked and pkg-config
# is asked exactly once per build directory.
ifeq ($(filter clean uninstall,$(MAKECMDGOALS)),)
include $(BUILD)/config.mk
endif

# $(call deb_install,DEBIAN PACKAGES,CHECK,WHAT): the shell commands that
# install whichever of the Debian packages are missing, with apt-get when we
# are root or have password-less sudo, or else print the exact command and
# fail. Without dpkg (another distribution), the shell command CHECK must
# succeed instead: pkg-config for libraries, command -v for programs.
define deb_install
missing=""; \
if command -v dpkg-query >/dev/null 2>&1; then \
  for p in $(1); do \
    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
  done; \
elif ! { $(2); } >/dev/null 2>&1; then \
  echo "annals: cannot find the $(3) (this check failed: $(2))" >&2; exit 1; \
fi; \
if [ -n "$$missing" ]; then \
  if [ "$$(id -u)" = 0 ]; then SUDO=""; \
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; \
  else echo "annals: missing $(3). Install them with:" >&2; \
       echo "  sudo apt-get install -y$$missing" >&2; exit 1; fi; \
  echo "annals: installing $(3):$$missing" >&2; \
  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing >/dev/null 2>&1 || \
  { $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
    $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; } || \
  { echo "annals: apt-get failed; run: sudo apt-get install -y$$missing" >&2; exit 1; }; \
fi
endef

$(BUILD)/config.mk: Makefile
	@mkdir -p $(@D)
	@$(call deb_install,$(DEB_PKGS),pkg-config --exists $(PKG_DAEMON) $(PKG_CLIENT),build dependencies)
	@{ echo "PKG_CFLAGS := $$(pkg-config --cflags $(PKG_DAEMON) $(PKG_CLIENT))"; \
	   echo "DAEMON_LIBS := $$(pkg-config --libs $(PKG_DAEMON)) -lpthread"; \
	   echo "CLIENT_LIBS := $$(pkg-config --libs $(PKG_CLIENT))"; \
	   echo "LIB_LIBS := $$(pkg-config --libs $(PKG_LIB))"; } > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/%.o: %.c $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/libproto.a: $(PROTO_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^
$(BUILD)/libdaemon.a: $(DAEMON_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^
$(BUILD)/libclient.a: $(CLIENT_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/annalsd: $(BUILD)/obj/daemon/main.o $(BUILD)/libdaemon.a $(BUILD)/libproto.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(DAEMON_LIBS)

$(BUILD)/annals: $(BUILD)/obj/client/main.o $(BUILD)/libclient.a $(BUILD)/libannals.a $(BUILD)/libproto.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(CLIENT_LIBS)

# libannals, the client library (client/lib; annals.h is its one public
# header). Its objects, and those of the proto/ files it uses, are compiled
# apart with -fPIC and hidden visibility: the shared library exports the
# ANNALS_API functions only, so buf_, xmalloc and the like cannot clash with
# a program's names. The annals client links the static archive.
LIB_PROTO   := proto/buf.c proto/error.c proto/frame.c proto/xalloc.c
LIB_OBJ     := $(LIB_SRC:%.c=$(BUILD)/pic/%.o) $(LIB_PROTO:%.c=$(BUILD)/pic/%.o)
LIB_SONAME  := libannals.so.0

$(BUILD)/pic/%.o: %.c $(BUILD)/config.mk
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -fPIC -fvisibility=hidden -DANNALS_BUILDING -c $< -o $@

# The static archive holds one object, linked from them all with ld -r, in
# which every hidden symbol is made local: a program that links it
# statically and has its own buf_append or xmalloc gets no clash either.
# The unit tests, which test the internals (annals__*), link the plain
# archive of the objects, libannals-internal.a.
$(BUILD)/libannals.a: $(LIB_OBJ)
	@rm -f $@ $(BUILD)/pic/libannals.o
	$(LD) -r -o $(BUILD)/pic/libannals.o $^
	objcopy --localize-hidden $(BUILD)/pic/libannals.o
	$(AR) rcs $@ $(BUILD)/pic/libannals.o
$(BUILD)/libannals-internal.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^
$(BUILD)/$(LIB_SONAME): $(LIB_OBJ) client/lib/annals.map
	$(CC) $(LDFLAGS_ALL) -shared -Wl,-soname,$(LIB_SONAME) -Wl,--no-undefined \
	    -Wl,--version-script=client/lib/annals.map -o $@ $(LIB_OBJ) $(LIB_LIBS)
$(BUILD)/libannals.so: $(BUILD)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $@

lib: $(BUILD)/libannals.a $(BUILD)/$(LIB_SONAME) $(BUILD)/libannals.so

# The program tests/t/libannals_speaks_to_a_real_annalsd.t runs: built with
# annals.h alone and linked to the shared library, as a user's program is.
LIBCHECK := $(BUILD)/libannals/check_libannals
$(BUILD)/obj/tests/libannals/check_libannals.o: PKG_CFLAGS += -Iclient/lib
$(LIBCHECK): $(BUILD)/obj/tests/libannals/check_libannals.o $(BUILD)/libannals.so
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $< -L$(BUILD) -lannals -Wl,-rpath,$(abspath $(BUILD)) $(LIB_LIBS)

# Unit tests link against the component archives; the linker pulls in only
# the objects a test needs.
$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/libdaemon.a $(BUILD)/libclient.a $(BUILD)/libannals-internal.a $(BUILD)/libproto.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(DAEMON_LIBS) $(CLIENT_LIBS)

unit: $(UNIT_BIN)
# A unit test's object is an intermediate of its binary; keep it, or make
# deletes it and rebuilds every test next time.
.SECONDARY: $(UNIT_SRC:%.c=$(BUILD)/obj/%.o)

# Fuzz targets (tests/fuzz, whose README.md says what each checks). Each is
# built twice: build/fuzz/replay_NAME with replay_main.c, a plain program
# that make test runs over the corpus tests/fuzz/corpus/NAME (under ASan and
# UBSan with SANITIZE=address,undefined); and, by make fuzz only,
# build/libfuzzer/fuzz/fuzz_NAME, the libFuzzer binary.
FUZZ_TARGETS := frame edtf event json import dispatch
FUZZ ?= $(FUZZ_TARGETS)
FUZZ_TIME ?= 60
FUZZ_FLAGS ?=
FUZZ_LIBS := $(BUILD)/obj/tests/fuzz/fuzz_common.o $(BUILD)/libdaemon.a $(BUILD)/libclient.a $(BUILD)/libannals.a $(BUILD)/libproto.a
FUZZ_REPLAY := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/replay_%)
.SECONDARY: $(FUZZ_TARGETS:%=$(BUILD)/obj/tests/fuzz/fuzz_%.o) $(BUILD)/obj/tests/fuzz/replay_main.o \
            $(BUILD)/obj/tests/fuzz/fuzz_common.o

# The dispatch target runs a real server, whose backup method would make
# directories anywhere: its mkdir is the harness's (fuzz_dispatch.c).
$(BUILD)/fuzz/replay_dispatch $(BUILD)/fuzz/fuzz_dispatch: LDFLAGS += -Wl,--wrap=mkdir

$(BUILD)/fuzz/replay_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(BUILD)/obj/tests/fuzz/replay_main.o $(FUZZ_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(DAEMON_LIBS) $(CLIENT_LIBS)

$(BUILD)/fuzz/fuzz_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -fsanitize=fuzzer -o $@ $^ $(DAEMON_LIBS) $(CLIENT_LIBS)

ifneq ($(filter fuzz,$(MAKECMDGOALS)),)
include $(BUILD)/config-fuzz.mk
endif
$(BUILD)/config-fuzz.mk: Makefile
	@mkdir -p $(@D)
	@$(call deb_install,clang libclang-rt-dev,command -v clang,fuzzing tools)
	@command -v $(CC) >/dev/null || { echo "annals: make fuzz needs $(CC)" >&2; exit 1; }
	@echo "# clang and libFuzzer checked" > $@

# make fuzz: each target of FUZZ for FUZZ_TIME seconds, starting from its
# corpus. New inputs go to a scratch directory, then -merge=1 copies into
# the corpus only those that add coverage (the corpus's own files stay, so
# seeds and crash regressions are kept). A crash leaves its input as
# build/libfuzzer/fuzz/crash-NAME-* and fails the run; the other targets
# still run.
.PHONY: fuzz
fuzz: $(FUZZ:%=$(BUILD)/fuzz/fuzz_%)
	@rc=0; \
	for t in $(FUZZ); do \
	  corpus=tests/fuzz/corpus/$$t; new=$(BUILD)/fuzz/new-$$t; \
	  mkdir -p $$corpus; rm -rf $$new; mkdir -p $$new; \
	  echo "make fuzz: $$t for $(FUZZ_TIME) s on $$corpus" >&2; \
	  $(BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix=$(BUILD)/fuzz/crash-$$t- $(FUZZ_FLAGS) \
	    $$new $$corpus || rc=1; \
	  $(BUILD)/fuzz/fuzz_$$t -merge=1 $$corpus $$new 2>&1 | grep -E 'MERGE-OUTER: [0-9]+ new files' >&2; \
	  rm -rf $$new; \
	done; \
	exit $$rc

# The load generator (tests/bench; its README.md says what it measures). It
# needs msgpack and threads only, not jansson. The side-by-side benchmark
# (bench_peer*.c) is a program of its own, build/bench/bench_peers, since
# it links hiredis, libpq, SQLite and LMDB: only `make bench` builds it.
PEERS_SRC  := $(wildcard tests/bench/bench_peer*.c)
PEERS_OBJ  := $(PEERS_SRC:%.c=$(BUILD)/obj/%.o)
BENCH_SRC  := $(filter-out $(PEERS_SRC),$(wildcard tests/bench/*.c))
BENCH_OBJ  := $(BENCH_SRC:%.c=$(BUILD)/obj/%.o)
BENCH_LIBS = $(filter-out -ljansson,$(CLIENT_LIBS)) -lpthread
BENCH ?= feed query peers scale import
BENCH_DURATION ?= 5
BENCH_QUERY_N ?= 100000 1000000
BENCH_QUERY_DURATION ?= 3
BENCH_QUERIES ?=
BENCH_N ?= 1000000
BENCH_RUNS ?= 3
BENCH_PEERS_DURATION ?= 3
BENCH_SYSTEMS ?= annals,redis,postgres,sqlite,lmdb
BENCH_RESULTS ?= tests/bench/RESULTS.md
comma := ,
BENCH_SCALE_N ?= 100000,1000000$(if $(BENCH_LONG),$(comma)10000000)
BENCH_SCALE_RESULTS ?= tests/bench/SCALE.md
BENCH_IMPORT_N ?= 100000
BENCH_GDELT ?= ../shared/data/gdelt/gdelt2-20191024143000.export.CSV
ifneq ($(BENCH_QUICK),)
BENCH_DURATION := 2
BENCH_QUERY_N := 20000 100000
BENCH_QUERY_DURATION := 1
BENCH_N := 100000
BENCH_RUNS := 1
BENCH_PEERS_DURATION := 1
BENCH_SCALE_N := 20000,100000
BENCH_IMPORT_N := 20000
endif

$(BUILD)/bench/bench: $(BENCH_OBJ) $(BUILD)/libproto.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(BENCH_LIBS)

# What the peers need is checked (and installed) only by `make bench` with
# peers in BENCH (or when bench_peers is asked for by name). Once that has
# been done here, make test also rebuilds bench_peers, for its smoke run
# (tests/t/bench_peers_smoke_runs.t, skipped where it is not built, as in CI).
PEERS_DEB_PKGS := redis-server postgresql-15 libhiredis-dev libpq-dev libsqlite3-dev liblmdb-dev
PEERS_PKGS := hiredis libpq sqlite3 lmdb
PEERS_READY := $(wildcard $(BUILD)/config-peers.mk)
PEERS_WANTED := $(if $(filter bench,$(MAKECMDGOALS)),$(filter peers scale,$(BENCH)))$(filter %bench_peers,$(MAKECMDGOALS))
ifneq ($(PEERS_WANTED)$(if $(filter test,$(MAKECMDGOALS)),$(PEERS_READY)),)
include $(BUILD)/config-peers.mk
endif

$(BUILD)/config-peers.mk: Makefile $(BUILD)/config.mk
	@mkdir -p $(@D)
	@$(call deb_install,$(PEERS_DEB_PKGS),pkg-config --exists $(PEERS_PKGS),benchmark dependencies)
	@{ echo "PEERS_CFLAGS := $$(pkg-config --cflags $(PEERS_PKGS))"; \
	   echo "PEERS_LIBS := $$(pkg-config --libs $(PEERS_PKGS))"; } > $@.tmp && mv $@.tmp $@

$(PEERS_OBJ): PKG_CFLAGS += $(PEERS_CFLAGS)
$(PEERS_OBJ): $(BUILD)/config-peers.mk

$(BUILD)/libbench.a: $(filter-out %/bench.o,$(BENCH_OBJ))
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/bench/bench_peers: $(PEERS_OBJ) $(BUILD)/libbench.a $(BUILD)/libproto.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PEERS_LIBS) $(BENCH_LIBS)

# make bench: the workloads named in BENCH, in order, each run on fresh
# servers that the benchmark starts under a private directory and removes;
# the trap removes that directory also should the benchmark crash. feed: 1
# and then 10 subscribers. query: load BENCH_QUERY_N events in stages and
# run every query workload (BENCH_QUERIES: only these) at 1 and 8
# connections, BENCH_QUERY_DURATION seconds each. peers: annals, Redis,
# PostgreSQL, SQLite and raw LMDB (BENCH_SYSTEMS) each load the same BENCH_N
# events and answer the same requests (LMDB: GET and PUT) at 1 and 32
# connections, BENCH_PEERS_DURATION seconds each, BENCH_RUNS times; the
# table goes to BENCH_RESULTS. scale:
# annals alone (bench_peers --scale), its database grown through each N of
# BENCH_SCALE_N, RANGE, RANGE_F and COUNT at 1 and 32 connections at each,
# BENCH_RUNS runs of BENCH_PEERS_DURATION seconds; the table goes to
# BENCH_SCALE_RESULTS. import: the GDELT 2.0 file BENCH_GDELT repeated to
# BENCH_IMPORT_N rows, imported as GDELT, then as JSON lines, then COPY'd
# into PostgreSQL where it is installed (tests/bench/bench_import.pl).
# All of them run even if one fails; the exit status says whether any did.
.PHONY: bench
bench: all $(BUILD)/bench/bench $(if $(filter peers scale,$(BENCH)),$(BUILD)/bench/bench_peers)
	@tmp=$$(mktemp -d "$${TMPDIR:-/tmp}/annals-bench-XXXXXX") || exit 1; \
	trap 'rm -rf "$$tmp"' EXIT; \
	chmod 711 "$$tmp"; \
	rc=0; \
	for w in $(BENCH); do \
	  case $$w in \
	  feed) TMPDIR="$$tmp" $(BUILD)/bench/bench --annalsd $(BUILD)/annalsd --workload feed \
	          --duration $(BENCH_DURATION) --writers 4 --subscribers 1,10 || rc=1 ;; \
	  query) TMPDIR="$$tmp" $(BUILD)/bench/bench --annalsd $(BUILD)/annalsd --workload query \
	          --query-n "$(BENCH_QUERY_N)" --duration $(BENCH_QUERY_DURATION) --concurrency 1,8 \
	          $(if $(strip $(BENCH_QUERIES)),--queries "$(BENCH_QUERIES)") || rc=1 ;; \
	  peers) TMPDIR="$$tmp" $(BUILD)/bench/bench_peers --annalsd $(BUILD)/annalsd \
	          --systems $(BENCH_SYSTEMS) --n $(BENCH_N) --runs $(BENCH_RUNS) \
	          --duration $(BENCH_PEERS_DURATION) --concurrency 1,32 \
	          --results $(BENCH_RESULTS) --command "make bench BENCH=peers$(if $(BENCH_QUICK), BENCH_QUICK=1) BENCH_N=$(BENCH_N) BENCH_RUNS=$(BENCH_RUNS) BENCH_PEERS_DURATION=$(BENCH_PEERS_DURATION)" || rc=1 ;; \
	  scale) TMPDIR="$$tmp" $(BUILD)/bench/bench_peers --annalsd $(BUILD)/annalsd \
	          --scale $(BENCH_SCALE_N) --runs $(BENCH_RUNS) --duration $(BENCH_PEERS_DURATION) \
	          --concurrency 1,32 --results $(BENCH_SCALE_RESULTS) \
	          --command "make bench BENCH=scale$(if $(BENCH_QUICK), BENCH_QUICK=1) BENCH_SCALE_N=$(BENCH_SCALE_N) BENCH_RUNS=$(BENCH_RUNS) BENCH_PEERS_DURATION=$(BENCH_PEERS_DURATION)" || rc=1 ;; \
	  import) TMPDIR="$$tmp" perl tests/bench/bench_import.pl --annalsd $(BUILD)/annalsd \
	          --annals $(BUILD)/annals --gdelt $(BENCH_GDELT) --n $(BENCH_IMPORT_N) || rc=1 ;; \
	  *) echo "make bench: unknown workload '$$w' in BENCH (feed, query, peers, scale, import)" >&2; rc=2 ;; \
	  esac; \
	done; \
	exit $$rc

# prove runs the TAP unit binaries first, then the integration scripts, each
# of which starts its own annalsd on a private data dir and socket.
#
# VALGRIND=1 runs the integration scripts only, each annalsd under memcheck
# (tests/lib/Annals/Test.pm reads the command from ANNALS_VALGRIND, scales its
# waits by 20 and fails a test whose valgrind log shows an error or a
# definitely or indirectly lost block); valgrind is installed when missing.
# It takes a long while; CI runs the sanitizers instead.
VALGRIND ?=
VALGRIND_CMD := valgrind --error-exitcode=99 --leak-check=full \
  --errors-for-leak-kinds=definite,indirect --track-fds=no \
  --suppressions=$(CURDIR)/tests/valgrind.supp
ifeq ($(VALGRIND),)
TEST_ENV :=
TEST_UNITS = $(UNIT_BIN)
else
TEST_ENV := ANNALS_VALGRIND="$(VALGRIND_CMD)" $(if $(filter all,$(VALGRIND)),ANNALS_VALGRIND_CLIENT=1)
TEST_UNITS :=
endif
TEST_FILES ?= tests/t/*.t
# Headless Chromium opens the page of annals render
# (tests/t/render_timeline_in_chromium.t), with a font that has Arabic;
# mandoc -T lint checks the man pages
# (tests/t/man_pages_and_completion_match_the_code.t).
TEST_DEB_PKGS := chromium fonts-dejavu-core mandoc

test: $(LIBCHECK)
test: all unit $(FUZZ_REPLAY) $(BUILD)/bench/bench $(if $(PEERS_READY),$(BUILD)/bench/bench_peers)
ifneq ($(VALGRIND),)
	@$(call deb_install,valgrind,command -v valgrind,test dependency valgrind)
endif
	@$(call deb_install,$(TEST_DEB_PKGS),command -v chromium && command -v mandoc,test dependencies)
	ANNALS_BUILD=$(abspath $(BUILD)) ANNALS_TOP=$(CURDIR) $(TEST_ENV) prove -I tests/lib $(PROVE_FLAGS) $(TEST_UNITS) $(TEST_FILES)

# make crashtest: the crash-safety test alone, at length. Writers put,
# put_many and delete while annalsd is killed with SIGKILL at random moments
# and restarted, CYCLES times; after each restart every acknowledged write
# must be there and the indexes and change log must agree with the events
# (tests/t/sigkill_under_writes_loses_no_acknowledged_write.t, which make test
# runs with 4 cycles). It prints the figures: cycles, writes acknowledged,
# writes lost (must be 0). CRASH_SEED=n replays the kill moments of a run
# (its seed is printed); SANITIZE= works as for make test.
CYCLES ?= 50
CRASH_SEED ?=
.PHONY: crashtest
crashtest: all
	ANNALS_BUILD=$(abspath $(BUILD)) ANNALS_TOP=$(CURDIR) ANNALS_CRASH_CYCLES=$(CYCLES) \
	  ANNALS_TEST_TIMEOUT=$$(( $(CYCLES) * 10 + 60 )) $(if $(CRASH_SEED),ANNALS_CRASH_SEED=$(CRASH_SEED)) \
	  prove -I tests/lib $(PROVE_FLAGS) tests/t/sigkill_under_writes_loses_no_acknowledged_write.t

run: all
	@mkdir -p var
	@( ANNALS_SOCKET=var/annalsd.sock; export ANNALS_SOCKET; \
	   for i in $$(seq 1 100); do $(BUILD)/annals ping >/dev/null 2>&1 && break; sleep 0.1; done; \
	   n=$$($(BUILD)/annals count --json 2>/dev/null | sed -n 's/.*"count": *\([0-9]*\).*/\1/p'); \
	   if [ "$$n" = 0 ]; then $(BUILD)/annals import config/seed-events.jsonl && \
	     echo "annals: seed timeline loaded from config/seed-events.jsonl" >&2; fi ) &
	exec $(BUILD)/annalsd --config config/annalsd.conf

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 $(BUILD)/annalsd $(BUILD)/annals $(DESTDIR)$(BINDIR)/
	install -m 0644 config/annalsd.conf config/seed-events.jsonl $(DESTDIR)$(DATADIR)/
	install -m 0644 proto/PROTOCOL.md README.md $(DESTDIR)$(DOCDIR)/

# libannals: the libraries, annals.h and annals.pc (made from
# client/lib/annals.pc.in with the real directories).
install: install-lib
install-lib: lib
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 0644 $(BUILD)/libannals.a $(DESTDIR)$(LIBDIR)/
	install -m 0755 $(BUILD)/$(LIB_SONAME) $(DESTDIR)$(LIBDIR)/
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libannals.so
	install -m 0644 client/lib/annals.h $(DESTDIR)$(INCLUDEDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
	    -e "s|@REQUIRES@|$$(pkg-config --exists msgpack-c && echo msgpack-c || echo $(PKG_LIB))|g" \
	    -e "s|@VERSION@|$$(sed -n 's/^#define ANNALS_LIB_VERSION \"\(.*\)\"/\1/p' client/lib/annals.h)|g" \
	    client/lib/annals.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/annals.pc
	chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/annals.pc

uninstall: uninstall-lib
uninstall-lib:
	rm -f $(DESTDIR)$(LIBDIR)/libannals.a $(DESTDIR)$(LIBDIR)/$(LIB_SONAME) \
	      $(DESTDIR)$(LIBDIR)/libannals.so $(DESTDIR)$(INCLUDEDIR)/annals.h \
	      $(DESTDIR)$(PKGCONFIGDIR)/annals.pc

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/annalsd $(DESTDIR)$(BINDIR)/annals
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)

# Installing for operation (README.md, Install and operate): the man pages,
# the systemd unit, the service's configuration and bash completion. With
# PREFIX=/usr the configuration goes to /etc, as Debian's packages put it.
# The service's annalsd.conf is the sample with data in /var/lib/annals and
# the socket in /run/annals (the unit's StateDirectory and RuntimeDirectory).
# Like a package's conffile it is written only when absent, and uninstall
# removes it only when unchanged, so an administrator's edits survive both.
SYSCONFDIR     ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
MANDIR         ?= $(PREFIX)/share/man
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR    ?= $(PREFIX)/share/bash-completion/completions
SERVICE_CONF   := $(DESTDIR)$(SYSCONFDIR)/annals/annalsd.conf
SERVICE_CONF_SED := sed -e '1a\# Installed for annalsd.service: data in /var/lib/annals, socket in /run/annals.' \
  -e 's|^data = var/data$$|data = /var/lib/annals|' \
  -e 's|^socket = var/annalsd.sock$$|socket = /run/annals/annalsd.sock|' config/annalsd.conf
UNIT_SED := sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' config/annalsd.service

.PHONY: install-operate uninstall-operate
install: install-operate
uninstall: uninstall-operate
install-operate:
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(SYSCONFDIR)/annals
	install -m 0644 client/annals.1 $(DESTDIR)$(MANDIR)/man1/annals.1
	install -m 0644 config/annals.conf.5 $(DESTDIR)$(MANDIR)/man5/annals.conf.5
	ln -sf annals.conf.5 $(DESTDIR)$(MANDIR)/man5/annalsd.conf.5
	install -m 0644 daemon/annalsd.8 $(DESTDIR)$(MANDIR)/man8/annalsd.8
	install -m 0644 client/annals.bash $(DESTDIR)$(BASHCOMPDIR)/annals
	@tmp=$$(mktemp) && trap 'rm -f "$$tmp"' EXIT && $(UNIT_SED) > "$$tmp" && \
	  if grep -n '@[A-Z_]*@' "$$tmp"; then echo "annals: config/annalsd.service: a placeholder is left" >&2; exit 1; fi && \
	  echo "install -m 0644 annalsd.service $(DESTDIR)$(SYSTEMDUNITDIR)/annalsd.service" && \
	  install -m 0644 "$$tmp" $(DESTDIR)$(SYSTEMDUNITDIR)/annalsd.service
	@tmp=$$(mktemp) && trap 'rm -f "$$tmp"' EXIT && $(SERVICE_CONF_SED) > "$$tmp" && \
	  { grep -qx 'data = /var/lib/annals' "$$tmp" && grep -qx 'socket = /run/annals/annalsd.sock' "$$tmp" || \
	    { echo "annals: config/annalsd.conf: no 'data = var/data' or 'socket = var/annalsd.sock' line to point at /var/lib/annals and /run/annals" >&2; exit 1; }; } && \
	  if [ -e $(SERVICE_CONF) ]; then \
	    cmp -s "$$tmp" $(SERVICE_CONF) || echo "annals: kept $(SERVICE_CONF) as it is; the new one would differ" >&2; \
	  else echo "install -m 0644 annalsd.conf $(SERVICE_CONF)"; install -m 0644 "$$tmp" $(SERVICE_CONF); fi

uninstall-operate:
	rm -f $(DESTDIR)$(MANDIR)/man1/annals.1 $(DESTDIR)$(MANDIR)/man5/annals.conf.5 \
	  $(DESTDIR)$(MANDIR)/man5/annalsd.conf.5 $(DESTDIR)$(MANDIR)/man8/annalsd.8 \
	  $(DESTDIR)$(SYSTEMDUNITDIR)/annalsd.service $(DESTDIR)$(BASHCOMPDIR)/annals
	@tmp=$$(mktemp) && trap 'rm -f "$$tmp"' EXIT && $(SERVICE_CONF_SED) > "$$tmp" && \
	  if [ -e $(SERVICE_CONF) ] && ! cmp -s "$$tmp" $(SERVICE_CONF); then \
	    echo "annals: kept $(SERVICE_CONF): it was changed since make install" >&2; \
	  else rm -f $(SERVICE_CONF); rmdir $(DESTDIR)$(SYSCONFDIR)/annals 2>/dev/null || true; fi

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj $(BUILD)/pic -name '*.d' 2>/dev/null)
