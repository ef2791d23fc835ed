#!/usr/bin/env python3
"""Prints bench/run's results (one JSON object per line) as one markdown table.
A push scenario (CLIENTSxpush: one symbol from the fake Coinbase feed, latency
from each quote's as_of) has no peer: its Node cells and ratios are "–".
Usage: bench/results_table.py RESULTS.jsonl SYMBOLS"""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
symbols = sys.argv[2]
by = {(r["scenario"], r["server"]): r for r in rows}
scenarios = list(dict.fromkeys(r["scenario"] for r in rows if r["scenario"] not in ("snapshot", "idle")))


def num(v, d=1):
    return "–" if v is None else f"{v:,.{d}f}"


def ratio(a, b):
    return "–" if a is None or b in (None, 0) else f"{a / b:.2f}×"


def cpu_pct(r):
    return None if r.get("server_cpu_s") is None else 100 * r["server_cpu_s"] / r["measured_s"]


def client_pct(r):
    return 100 * r["client_cpu_s"] / r["measured_s"]


def mib(r):
    return None if r.get("server_rss_end_kib") is None else r["server_rss_end_kib"] / 1024


def is_push(s):
    return s.split("x", 1)[1] == "push"


def label(s, r):
    n, rate = s.split("x", 1)
    if rate == "push":
        push_rate = (r or {}).get("push_rate")
        return f"{int(n):,} × push ({push_rate if push_rate is not None else '?'}/s, 1 symbol)"
    return f"{int(n):,} × {'max' if rate == 'max' else rate + '/s'}"


FIGURES = [  # (name, value of one run, decimals, with a ratio)
    ("messages/s delivered", lambda r: r["messages_per_s"], 0, True),
    ("quotes/s delivered", lambda r: r["quotes_per_s"], 0, True),
    ("probe p50 ms", lambda r: r["p50_ms"], 2, True),
    ("probe p99 ms", lambda r: r["p99_ms"], 2, True),
    ("probe p99.9 ms", lambda r: r["p999_ms"], 2, True),
    ("probe max ms", lambda r: r["max_ms"], 2, True),
    ("server CPU, % of a core", cpu_pct, 0, True),
    ("server RSS per connection, KiB", lambda r: r.get("server_rss_per_connection_kib"), 2, True),
    ("server RSS at the end, MiB", mib, 1, True),
    ("connect time for all, s", lambda r: r["connect_s"], 2, True),
    ("load client CPU, % of a core", client_pct, 0, False),
]


def text(r, key):
    if r is None:
        return "not run"
    if r.get("failed"):
        return "failed"
    if key == "connected":
        return f"{r['connected']:,}/{r['clients']:,} (+{r['probes_connected']}/{r['probes']} probes)"
    if key == "closes":
        closes = ", ".join(f"{c}×{n}" for c, n in r["closes"].items()) or "none"
        errors = ", ".join(f"{w}×{n}" for w, n in r["errors"].items()) or "none"
        return f"closes: {closes}; errors: {errors}"
    if key == "source":
        return {"ts": "`ts`", "received_at": "`received_at`", "none": "none",
                "as_of": "`as_of` (upstream `time`, whole ms: up to 1 ms high)"}[r["latency_source"]]


print(f"| Scenario (clients × updates/s, {symbols} symbols) | Figure | tickerd | Node `ws` | tickerd / Node |")
print("|---|---|---|---|---|")
for s in scenarios:
    t, p = by.get((s, "tickerd")), by.get((s, "node-ws"))
    ok = lambda r: r is not None and not r.get("failed")
    # The peer has no push source: "–" in its cells, as in the ratios.
    peer = (lambda cell: "–") if is_push(s) else (lambda cell: cell)
    first = True
    for key, name in (("connected", "connected"), ("source", "latency timed from")):
        print(f"| {label(s, t) if first else ''} | {name} | {text(t, key)} | {peer(text(p, key))} | |")
        first = False
    for name, f, d, with_ratio in FIGURES:
        a = f(t) if ok(t) else None
        b = f(p) if ok(p) else None
        print(f"| | {name} | {num(a, d) if ok(t) else text(t, '')} | {peer(num(b, d) if ok(p) else text(p, ''))} | "
              f"{ratio(a, b) if with_ratio else ''} |")
    print(f"| | closes, errors | {text(t, 'closes')} | {peer(text(p, 'closes'))} | |")

t, n = by.get(("snapshot", "tickerd")), by.get(("snapshot", "nginx"))
if t and n:
    print(f"| `GET /v1/snapshot` ({t['body_bytes']:,} bytes), wrk -t2 -c64 -d10s | requests/s "
          f"(tickerd / nginx static file) | {num(t['requests_per_s'], 0)} | nginx: {num(n['requests_per_s'], 0)} | "
          f"{ratio(t['requests_per_s'], n['requests_per_s'])} |")
i = by.get(("idle", "tickerd"))
if i:
    print(f"| idle, config/tickerd.toml, no clients, {i['seconds']:.0f} s | CPU, % of a core | {i['cpu_pct']:.3f} | | |")
    print(f"| | wake-ups/s (context switches, all {i['threads']} threads) | {i['wakeups_per_s']:.1f} | | |")
