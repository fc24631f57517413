#!/usr/bin/env python3
"""CPU used per process kind over a window, from /proc (utime + stime).

Run it while a benchmark is in its steady state, e.g.:
  (FERRY_BENCH_ONLY=lifecycle FERRY_BENCH_TASKS=20000 node dist/bench/run.js &) ; sleep 6; python3 bench/cpu-split.py 10
It tells which process is the bottleneck (a Node process near 1.0 core is saturated).
"""
import os
import sys
import time

HZ = os.sysconf('SC_CLK_TCK')


def snapshot():
    seen = {}
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            stat = open(f'/proc/{pid}/stat').read()
            cmd = open(f'/proc/{pid}/cmdline').read().replace('\0', ' ')
        except OSError:
            continue
        fields = stat.rsplit(')', 1)[1].split()
        seen[pid] = (int(fields[11]) + int(fields[12]), cmd)
    return seen


def kind(cmd):
    for needle, name in (('postgres', 'postgres'), ('redis', 'redis'), ('fake-downstream', 'fake downstream'),
                         ('bench/run.js', 'bench + scheduler'), ('bench/sync.js', 'bench (sync)'), ('apps/consumer', 'consumer'),
                         ('apps/scheduler', 'scheduler'), ('apps/provider', 'provider')):
        if needle in cmd:
            return name
    return cmd[:40] or '(kernel)'


window = float(sys.argv[1]) if len(sys.argv) > 1 else 10
before = snapshot()
time.sleep(window)
after = snapshot()
totals = {}
for pid, (ticks, cmd) in after.items():
    used = ticks - before.get(pid, (0, ''))[0]
    if used > 0:
        totals[kind(cmd)] = totals.get(kind(cmd), 0) + used
for name, ticks in sorted(totals.items(), key=lambda kv: -kv[1])[:10]:
    print(f'{name:28} {ticks / HZ / window:5.2f} cores')
