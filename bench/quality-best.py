#!/usr/bin/env python3
"""Issue 18's second target, from `miner evaluate` reports (their evaluate.json).

For every shape and for R-precision and NDCG: the best engine strategy by mean (the
baselines `popular` and `item_knn` are not strategies), whether the default's mean lies
within that strategy's 95% interval (the target as worded), and the paired interval of
"best minus default" (stricter: it should include 0).

    bench/quality-best.py fit-mpd/evaluate.json fit-niche/evaluate.json fit-loose/evaluate.json
"""
import json
import sys

BASELINES = {"popular", "item_knn"}
inside = paired = total = 0
for path in sys.argv[1:]:
    e = json.load(open(path))
    print(f"== {path}: default {e['default_ranker']}, rule {e['adaptive']}")
    shapes = list(dict.fromkeys(r["shape"] for r in e["results"]))
    for shape in shapes:
        rows = [r for r in e["results"] if r["shape"] == shape and r["ranker"] not in BASELINES]
        if rows[0]["cases"] == 0:
            continue
        default = next(r for r in rows if r["ranker"] == e["default_ranker"])
        for metric in ["r_precision", "ndcg"]:
            best = max(rows, key=lambda r: r[metric])
            total += 1
            ci = best[metric + "_ci"]
            within = ci["low"] <= default[metric] <= ci["high"]
            inside += within
            if best["ranker"] == default["ranker"] or best[metric] == default[metric]:
                paired += 1
                print(f"  {shape:10} {metric:11} the default is the best ({default[metric]:.4f})")
                continue
            d = best["vs_default"][metric]
            zero = d["interval"]["low"] <= 0 <= d["interval"]["high"]
            paired += zero
            print(
                f"  {shape:10} {metric:11} best {best['ranker']} {best[metric]:.4f} "
                f"[{ci['low']:.4f}, {ci['high']:.4f}], default {default[metric]:.4f} "
                f"{'within' if within else 'OUTSIDE'}; paired {d['mean']:+.5f} "
                f"[{d['interval']['low']:+.5f}, {d['interval']['high']:+.5f}]"
                f"{'' if zero else ' REAL'}"
            )
print(f"default within the best's interval: {inside} of {total}; paired interval holds 0: {paired} of {total}")
