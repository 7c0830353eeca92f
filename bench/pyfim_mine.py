"""Reads baskets and mines frequent itemsets with pyfim (Borgelt's C FP-growth), as the
comparison point for `miner mine`. Prints a JSON line with timings and counts.

usage: python pyfim_mine.py BASKETS MIN_SUPPORT MAX_LEN [ITEMSETS_OUT]

ITEMSETS_OUT gets one line per itemset in `miner mine --itemsets` format (count, a tab, the
items sorted and space-separated), for an exact comparison.
"""
import json
import sys
import time

import fim

path, support, max_len = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
start = time.perf_counter()
with open(path) as f:
    # A transaction is the set of a playlist's tracks, as in Segue.
    transactions = [set(line.split()) for line in f]
read = time.perf_counter() - start
start = time.perf_counter()
# Negative supp = absolute minimum count; Segue's min count is ceil(support * playlists).
import math

min_count = max(1, math.ceil(support * len(transactions)))
itemsets = fim.fpgrowth(transactions, target="s", supp=-min_count, zmax=max_len, report="a")
mine = time.perf_counter() - start
if len(sys.argv) > 4:
    with open(sys.argv[4], "w") as out:
        for items, count in itemsets:
            out.write(f"{count}\t{' '.join(sorted(items))}\n")
sizes = {}
for items, _count in itemsets:
    sizes[len(items)] = sizes.get(len(items), 0) + 1
print(json.dumps({"read_s": round(read, 2), "mine_s": round(mine, 2), "min_count": min_count,
                  "itemsets_by_size": dict(sorted(sizes.items()))}))
