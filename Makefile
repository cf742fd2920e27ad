# booking: PGXS build.  `make && make install`, then `make installcheck`
# against a running server (see test/run-all for the whole suite).

EXTENSION = booking
MODULE_big = booking
OBJS = \
	src/booking.o \
	src/spi_util.o \
	src/cents.o \
	src/lockwait.o \
	src/validate.o \
	src/ids.o \
	src/state.o \
	src/catalog.o \
	src/inventory.o \
	src/idempotency.o \
	src/reserve.o \
	src/lifecycle.o \
	src/expiry.o \
	src/search.o \
	src/invariants.o \
	src/event_pass.o \
	src/events.o \
	src/publisher.o \
	src/load_signal.o \
	src/stats.o \
	src/sweeper.o \
	src/launcher.o \
	src/workerstate.o \
	src/restore_fence.o \
	src/hooks.o \
	src/repair.o \
	src/guard.o \
	src/calendar.o \
	src/fold_hint.o \
	src/calendar_read.o \
	src/rules.o \
	src/quote.o \
	src/compat.o \
	src/direct.o \
	src/values.o \
	src/reservation.o \
	src/lookup.o \
	src/night_prices.o \
	src/night_runs.o \
	src/group.o \
	src/rate_plan.o \
	src/plan_check.o \
	src/group_lifecycle.o \
	src/modify.o \
	src/policy.o \
	src/stay.o \
	src/channel.o \
	src/ari.o \
	src/ari_log.o \
	src/ari_read.o \
	src/ical_parse.o \
	src/ical.o \
	src/waitlist.o \
	src/waitlist_offer.o \
	src/block.o \
	src/block_release.o

DATA = $(wildcard sql/booking--*.sql)

# -Wextra, minus what PostgreSQL's own headers and macros trip over
# (unused fmgr arguments, partial initialisers, ARR_DATA_PTR's ?: signedness).
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare

# The tests: regression files in test/sql, isolation specs in test/specs,
# and the expected output of both in expected/ at the top.  pg_regress and
# pg_isolation_regress look for <name>.out in <outputdir>/expected before
# <inputdir>/expected, so both run with the top directory as their output
# directory (pg_regress's default; PGXS gives the isolation tester
# output_iso, overridden here): they write results/ and regression.diffs
# here and find expected/ here, with no copy and no link.
REGRESS = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test
ISOLATION = $(patsubst test/specs/%.spec,%,$(sort $(wildcard test/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test --outputdir=.

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(OBJS): src/booking.h

# ---------------------------------------------------------------------
# Packaging.  `make dist` writes the archive PGXN takes,
# booking-<version>.zip with everything under booking-<version>/, made by
# `git archive` from the committed tree (HEAD; DIST_REF=<ref> for another
# commit), so nothing uncommitted or ignored goes in.  <version> is
# META.json's, which test/packaging/run keeps equal to default_version in
# booking.control and to the newest version in CHANGELOG.md.
# DISTDIR=<dir> puts the archive elsewhere.
# ---------------------------------------------------------------------
DIST_VERSION = $(shell sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' META.json | head -n 1)
DIST_NAME = $(EXTENSION)-$(DIST_VERSION)
DIST_REF ?= HEAD
DISTDIR ?= .

dist:
	@test -n "$(DIST_VERSION)" || { echo "dist: no version in META.json" >&2; exit 1; }
	@git diff --quiet HEAD -- 2>/dev/null || echo "dist: warning: uncommitted changes are not in the archive" >&2
	git archive --format=zip --prefix=$(DIST_NAME)/ --output=$(DISTDIR)/$(DIST_NAME).zip $(DIST_REF)
	@echo "dist: $(DISTDIR)/$(DIST_NAME).zip"

.PHONY: dist
