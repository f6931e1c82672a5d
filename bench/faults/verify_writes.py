"""Checks a writer.py log against the rows in PostgreSQL: every acknowledged write must be there, no row
may exist that no client attempted, and writes whose answer was lost are reported apart.

    python3 verify_writes.py LOG DATABASE TAG

Reads the table with `psql` (user postgres on 127.0.0.1). Prints the counts; exits 1 if a write was lost or
a row appeared from nowhere.
"""

import subprocess
import sys


def main():
    log, database, tag = sys.argv[1], sys.argv[2], sys.argv[3]
    acked, refused, unknown = set(), set(), set()
    for line in open(log):
        kind, name = line.split()[:2]
        {"ack": acked, "refused": refused, "unknown": unknown}[kind].add(name)
    rows = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-Atc",
         f"SELECT username FROM orguser WHERE username LIKE '{tag}-%'"],
        check=True, capture_output=True, text=True,
    ).stdout.split()
    stored = set(rows)
    lost = acked - stored
    phantom = stored - acked - refused - unknown
    refused_but_stored = refused & stored
    unknown_stored = unknown & stored
    print(f"attempts {len(acked) + len(refused) + len(unknown)}: acknowledged {len(acked)}, refused {len(refused)}, "
          f"no answer {len(unknown)}")
    print(f"rows {len(stored)}: acknowledged writes lost {len(lost)}, rows no client attempted {len(phantom)}, "
          f"refused but stored {len(refused_but_stored)}, "
          f"answer lost but committed {len(unknown_stored)} of {len(unknown)}")
    if lost or phantom or refused_but_stored:
        print("lost:", sorted(lost)[:10], "phantom:", sorted(phantom)[:10], "refused but stored:", sorted(refused_but_stored)[:10])
        sys.exit(1)


if __name__ == "__main__":
    main()
