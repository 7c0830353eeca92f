"""Request bodies for wrk (bench/wrk/recommend.lua), one JSON object per line, from a sample of
popular tracks as `GET /api/tracks?sample=N` returns it.

    python3 bench/wrk/bodies.py SAMPLE.json [mixed|known] > bodies.txt

mixed (default): 2,000 bodies of 1 to 10 seeds, a third known tracks only (names and URIs),
a third unknown songs only, a third both. known: every body is known seeds, plus one unknown
song in a third of them. k = 10; seeded, so the same sample gives the same bodies.
"""
import json
import random
import sys

tracks = json.load(open(sys.argv[1]))["tracks"]
mode = sys.argv[2] if len(sys.argv) > 2 else "mixed"
known = [t["name"] for t in tracks] + [t["uri"] for t in tracks]
rng = random.Random(7)
for i in range(2000):
    n = rng.randint(1, 10)
    if mode == "known":
        songs = rng.sample(known, n)
        if i % 3 == 0:
            songs.append("no such song %d" % i)
    elif i % 3 == 0:
        songs = rng.sample(known, n)
    elif i % 3 == 1:
        songs = ["unknown song %d" % rng.randint(0, 10**6) for _ in range(n)]
    else:
        songs = [rng.choice(known) if rng.random() < 0.5 else "no such song %d" % rng.randint(0, 10**6) for _ in range(n)]
    print(json.dumps({"songs": songs, "k": 10}))
