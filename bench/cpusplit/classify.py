#!/usr/bin/env python3
"""bench/cpusplit/classify.py SCRIPT TPS SECONDS: reads `perf script -F
comm,pid,ip,sym` output of a system-wide `perf record -g` taken while
pgbench ran one engine, and prints the CPU time per transaction of each
part of the work, in microseconds: the engine's function, the sweeper,
the transaction's start and commit, the protocol and EXECUTE around the
function (with the scheduler's share), the pgbench client, the WAL
writer and the rest.  Then two cuts across those parts: the postgres
processes' time in the kernel, by system call (or page fault,
interrupt), and the B-tree inserts, by the table the engine wrote (ours'
function names; lean's all count as "other").  Samples are of cpu-clock
on every CPU, so a sample is SECONDS * CPUS / samples seconds of CPU."""
import collections
import os
import sys


def samples(path):
    cur = None
    with open(path, errors="replace") as f:
        for line in f:
            if not line.strip():
                if cur:
                    yield cur
                cur = None
            elif line[0] not in " \t":
                fields = line.split()
                cur = (fields[0], [])
            elif cur is not None:
                cur[1].append(line.strip())  # "address symbol"
    if cur:
        yield cur


def part(comm, frames):
    stack = " ".join(frames)
    if comm == "pgbench":
        return "pgbench (the client)"
    if comm != "postgres":
        return "other processes"
    if "sweeper_xact" in stack or "BookingSweeperMain" in stack:
        return "the sweeper (publishing, folding)"
    if "WalWriterMain" in stack:
        return "WAL writer"
    if "booking_reserve_range" in stack or "plpgsql_call_handler" in stack:
        return "the function"
    if "CommitTransactionCommand" in stack or "StartTransaction" in stack:
        return "transaction start and commit"
    return "protocol, EXECUTE, scheduling"


def kernel_part(comm, frames):
    """Where a postgres process's sample in the kernel came from, or None."""
    if comm != "postgres" or not frames or not frames[0].startswith("ffffffff"):
        return None
    for frame in frames:
        if "__x64_sys_" in frame:
            return "sys_" + frame.split("__x64_sys_", 1)[1].split()[0]
        if "asm_exc_page_fault" in frame:
            return "page faults"
        if "asm_sysvec" in frame or "asm_common_interrupt" in frame:
            return "interrupts"
    return "other kernel"


BTREE_TABLES = (("bk_reservation_insert_line", "reservation"), ("write_event", "event"),
                ("bk_event_write", "event"), ("bk_night_prices_write", "night prices"),
                ("BookingSweeperMain", "the sweeper's"))


def btree_part(comm, frames):
    """The table a B-tree insert wrote, or None for a sample outside one."""
    stack = " ".join(frames)
    if comm != "postgres" or "_bt_doinsert" not in stack:
        return None
    return next((table for fn, table in BTREE_TABLES if fn in stack), "other")


def main():
    path, tps, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    cpus = os.cpu_count()
    count = collections.Counter()
    kernel = collections.Counter()
    btree = collections.Counter()
    total = 0
    for comm, frames in samples(path):
        count[part(comm, frames)] += 1
        kernel[kernel_part(comm, frames)] += 1
        btree[btree_part(comm, frames)] += 1
        total += 1
    per_sample = seconds * cpus / total

    def show(counter, indent=""):
        for name, n in counter.most_common():
            us = n * per_sample / (tps * seconds) * 1e6
            if name is not None and us >= 0.1:
                print("%s%-*s %7.1f us" % (indent, 36 - len(indent), name, us))

    show(count)
    print("  of which in the kernel (postgres processes):")
    show(kernel, "    ")
    print("  of which B-tree inserts, by table:")
    show(btree, "    ")


main()
