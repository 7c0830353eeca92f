"""When each replica first serves a model: bench/store-switch.sh's probe.

    switch_probe.py MODEL_ID PORT...

Asks each replica on 127.0.0.1:PORT for GET /api/model every 20 ms or so, over one kept-alive
connection each, and once every replica has answered with "version": MODEL_ID prints, in the
order of the ports, the time each first did (seconds since the epoch). Exits 1 if that takes
more than two minutes.

One process for a whole switch, started before it: the earlier check (a curl and a grep per
replica per sweep) started about 150 processes a second, a tenth of a core taken from the
replicas being timed.
"""

import http.client
import json
import sys
import time

POLL_SECONDS = 0.02
GIVE_UP_SECONDS = 120


def version_of(conn):
    """The model a replica serves, or None if it does not answer (the next ask reconnects)."""
    try:
        conn.request("GET", "/api/model")
        return json.loads(conn.getresponse().read()).get("version")
    except (OSError, http.client.HTTPException, ValueError):
        conn.close()
        return None


def main():
    target, ports = sys.argv[1], sys.argv[2:]
    conns = {p: http.client.HTTPConnection("127.0.0.1", int(p), timeout=5) for p in ports}
    served = {}
    give_up = time.time() + GIVE_UP_SECONDS
    while len(served) < len(ports):
        for p in ports:
            if p not in served and version_of(conns[p]) == target:
                served[p] = time.time()
        if time.time() > give_up:
            sys.exit(f"switch_probe: not every replica serves {target} after {GIVE_UP_SECONDS} s")
        time.sleep(POLL_SECONDS)
    print(" ".join(f"{served[p]:.3f}" for p in ports))


if __name__ == "__main__":
    main()
