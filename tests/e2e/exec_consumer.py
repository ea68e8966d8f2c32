"""A consumer for `--exec` in the end-to-end tests: it receives one batch on stdin and delivers it
by writing it, whole, to a file of its own (a temporary file renamed into place, so a batch is
delivered entirely or not at all, even when the consumer is killed).

    --exec "python3 exec_consumer.py"   with, in the environment:
  CONSUMER_DIR      where batches are delivered: RUN-NANOSECONDS-PID.ndjson (required)
  CONSUMER_RUN      the RUN part of the file names (default "run")
  CONSUMER_FAIL     probability (0..1) of failing, exit 3, before delivering (default 0)
  CONSUMER_FAIL_ID  fail (exit 7) every batch that holds this activity id
  CONSUMER_DELAY    seconds to wait after reading, before delivering (default 0)

A batch that is not whole NDJSON activities, each line ending in a newline, exits 9 undelivered.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time


def main() -> int:
    data = sys.stdin.buffer.read()
    directory = os.environ["CONSUMER_DIR"]
    if not data or not data.endswith(b"\n"):
        print(f"exec_consumer: a cut-off batch ({len(data)} bytes)", file=sys.stderr)
        return 9
    ids = []
    for line in data.decode("utf-8").splitlines():
        try:
            ids.append(json.loads(line)["id"])
        except (ValueError, KeyError, TypeError):
            print(f"exec_consumer: not an activity: {line[:200]!r}", file=sys.stderr)
            return 9
    fail_id = os.environ.get("CONSUMER_FAIL_ID")
    if fail_id and fail_id in ids:
        print(f"exec_consumer: refusing the batch with {fail_id}", file=sys.stderr)
        return 7
    if random.random() < float(os.environ.get("CONSUMER_FAIL") or 0):
        print("exec_consumer: failing at random", file=sys.stderr)
        return 3
    delay = float(os.environ.get("CONSUMER_DELAY") or 0)
    if delay:
        time.sleep(delay)
    name = f"{os.environ.get('CONSUMER_RUN') or 'run'}-{time.time_ns():020d}-{os.getpid()}.ndjson"
    temporary = os.path.join(directory, "." + name)
    with open(temporary, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, os.path.join(directory, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
