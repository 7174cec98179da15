"""Summarise a `bench_sinkhorn.py --cases panel` output into the README's per-(d, eps) table.

    python sinkhorn_panel_summary.py sinkhorn_panel_n1000.txt

Ratios are peer / ours, wall time ('>=' rows, where a peer stopped at its budget, count
as lower bounds) and CPU time (process_time of each solve in the same process).
"""
import re
import sys
from collections import defaultdict

ms = re.compile(r"([\d.]+) ms \(cpu ([\d.]+) ms, (\d+) it")


def parse(path):
    rows = []
    for line in open(path):
        if not line.startswith("| ") or line.startswith("| input"):
            continue
        c = [v.strip() for v in line.strip().strip("|").split(" | ")]
        o = ms.search(c[4])
        row = {"input": c[0], "d": int(c[2]), "eps": c[3], "ours": float(o[1]),
               "ours_cpu": float(o[2]), "it": int(o[3]), "route": c[4].rsplit(", ", 1)[1][:-1]}
        for key, cell, ratio in (("plain", c[6], c[7]), ("log", c[9], c[10]), ("ott", c[11], c[12])):
            m = ms.search(cell)
            if ratio == "failed" or not re.match(r"[\d.]+ ms", cell):
                row[key] = None
                continue
            # sinkhorn_log's cell has no CPU time (its budgeted runs are timed by wall only).
            row[key] = {"wall": float(ratio.lstrip(">=").rstrip("x")), "bound": ratio.startswith(">="),
                        "cpu": None if m is None else float(m[2]) / row["ours_cpu"]}
        rows.append(row)
    return rows


def span(values, fmt="{:.1f}"):
    return "—" if not values else f"{fmt.format(min(values))}–{fmt.format(max(values))}"


def summary(rows):
    groups = defaultdict(list)
    for r in rows:
        groups[(r["d"], r["eps"])].append(r)
    out = ["| d | ε (% median) | inputs | divergences (wall; it; route) | plain `sinkhorn2` / ours: wall (below 1×), CPU (below 1×) | `sinkhorn_log` / ours: wall (below 10×) | OTT-JAX / ours: wall (below 1×), CPU (below 1×) |",
           "|---|---|---|---|---|---|---|"]
    for (d, eps), g in sorted(groups.items(), key=lambda kv: (kv[0][0], -float(kv[0][1]))):
        routes = defaultdict(int)
        for r in g:
            routes[r["route"]] += 1
        cells = [str(d), eps, str(len(g)),
                 f"{span([r['ours'] for r in g], '{:.0f}')} ms; {span([r['it'] for r in g], '{:d}')} it; "
                 + ", ".join(f"{k} {v}" for k, v in sorted(routes.items()))]
        for key, floor in (("plain", 1.0), ("log", 10.0), ("ott", 1.0)):
            ok = [r[key] for r in g if r[key] is not None]
            failed = len(g) - len(ok)
            wall = [v["wall"] for v in ok]
            cpu = [v["cpu"] for v in ok if v["cpu"] is not None]
            below = sum(1 for v in ok if v["wall"] < floor and not v["bound"])
            below_cpu = sum(1 for v in ok if v["cpu"] is not None and v["cpu"] < floor
                            and not v["bound"])
            bounds = sum(1 for v in ok if v["bound"])
            text = (f"{span(wall)}× ({below})" + (f", CPU {span(cpu)}× ({below_cpu})" if cpu else "")
                    + (f"; {bounds} ≥" if bounds else "") + (f"; {failed} failed" if failed else ""))
            cells.append(text if ok else f"— ({failed} failed)")
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


if __name__ == "__main__":
    print(summary(parse(sys.argv[1])))
