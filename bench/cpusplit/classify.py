#!/usr/bin/env python3
"""bench/cpusplit/classify.py SCRIPT TPS SECONDS: reads `perf script -F
comm,pid,ip,sym` output of a system-wide `perf record -g` taken while
pgbench ran one engine, and prints the CPU time per transaction of each
part of the work, in microseconds: the engine's function, the sweeper,
the transaction's start and commit, the protocol and EXECUTE around the
function (with the scheduler's share), the pgbench client, the WAL
writer and the rest.  Samples are of cpu-clock on every CPU, so a sample
is SECONDS * CPUS / samples seconds of CPU."""
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
                parts = line.split(None, 1)
                cur[1].append(parts[1].strip() if len(parts) > 1 else "")
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


def main():
    path, tps, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    cpus = os.cpu_count()
    count = collections.Counter()
    total = 0
    for comm, frames in samples(path):
        count[part(comm, frames)] += 1
        total += 1
    per_sample = seconds * cpus / total
    for name, n in count.most_common():
        print("%-36s %7.1f us" % (name, n * per_sample / (tps * seconds) * 1e6))


main()
