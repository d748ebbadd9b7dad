#!/usr/bin/env python3
"""Self-test of powercut.so: python3 Tools/powercut/selftest.py (needs gcc and liblmdb-dev).

1. Files: a child process writes pages with pwrite, write, writev, through a second O_DSYNC
   descriptor and to a write-only O_APPEND file, syncing some, and is cut at its next write. Over
   several seeds: synced pages always survive; unsynced ones are sometimes reverted (to their old
   bytes, or zeros past the old end of file) and sometimes kept; the same seed cuts the same way.
2. Transparency: with LD_PRELOAD but no POWERCUT_AT the child runs to the end, writing everything.
3. LMDB: lmdb_probe.c commits transactions and prints each one after mdb_txn_commit returns; after
   a cut every printed transaction is present (default flags), while MDB_NOSYNC must be caught
   losing some (the negative control that shows the simulator bites).
Ends with the line "selftest: N passed, M failed"; exits 1 if any check failed.
"""

import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the work tree
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from evharness import POWERCUT_EXIT_CODE, build_powercut  # noqa: E402

PAGE = 4096
ZERO_PAGE = bytes(PAGE)
LINE = 64
LINES = 8
SEEDS = range(1, 13)
LMDB_CUTS = 12

# Runs as `python3 -I -B -c CHILD MAIN SIDE`. -B: no .pyc files, whose writes would shift the count.
CHILD = r'''
import os, sys
PAGE = 4096
main, side = sys.argv[1], sys.argv[2]
tracked = 0
def page(tag, i): return f"{tag}{i:03d}".encode() * (PAGE // 4)
def put(fd, tag, i):
    global tracked
    os.pwrite(fd, page(tag, i), i * PAGE); tracked += 1
fd = os.open(main, os.O_RDWR | os.O_CREAT, 0o644)
dsync = os.open(main, os.O_RDWR | os.O_DSYNC)
for i in range(0, 8): put(fd, "a", i)
os.fsync(fd)
for i in range(26, 30): put(fd, "i", i)
os.fdatasync(dsync)
put(fd, "f", 24); os.pwrite(dsync, page("g", 24), 24 * PAGE)
os.pwrite(dsync, page("h", 25), 25 * PAGE)
for i in range(0, 4): put(fd, "b", i)
for i in range(8, 16): put(fd, "c", i)
os.lseek(fd, 16 * PAGE, os.SEEK_SET)
for i in range(16, 20): os.write(fd, page("d", i)); tracked += 1
os.lseek(fd, 20 * PAGE, os.SEEK_SET)
os.writev(fd, [page("e", i) for i in range(20, 24)]); tracked += 1
for i in range(30, 34): put(fd, "j", i)
log = os.open(side, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
for i in range(8): os.write(log, f"line {i}".encode().ljust(64, b".")); tracked += 1
print("reached", tracked, flush=True)
put(fd, "z", 0)
print("not cut", flush=True)
'''


def page(tag: str, i: int) -> bytes:
    return f"{tag}{i:03d}".encode() * (PAGE // 4)


def line(i: int) -> bytes:
    return f"line {i}".encode().ljust(LINE, b".")


# What each page of MAIN may hold after the cut. Synced pages: "a" (fsync), "i" (fdatasync on the
# other descriptor of the same file), "g" and "h" (O_DSYNC; "g" overwrote an unsynced "f"). Unsynced
# pages: the new value or what was there before (the synced value, or zeros in a hole or past the
# old end of file).
SYNCED = {**{i: page("a", i) for i in range(4, 8)}, 24: page("g", 24), 25: page("h", 25),
          **{i: page("i", i) for i in range(26, 30)}}
UNSYNCED = {**{i: (page("b", i), page("a", i)) for i in range(0, 4)},
            **{i: (page(tag, i), ZERO_PAGE) for tag, pages in
               (("c", range(8, 16)), ("d", range(16, 20)), ("e", range(20, 24)),
                ("j", range(30, 34))) for i in pages}}
UNSYNCED_WRITES = 30  # records alive at the cut: b 4, c 8, d 4, e 1 (writev), f 1, j 4, lines 8


class Checks:
    """Counts and prints checks."""

    def __init__(self):
        self.passed = self.failed = 0

    def check(self, condition: bool, what: str) -> None:
        if condition:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {what}")


def run_child(directory: Path, env: dict[str, str]
              ) -> tuple[subprocess.CompletedProcess, bytes, bytes]:
    """Runs CHILD in a new folder; returns it and what its two files hold afterwards."""
    directory.mkdir()
    main, side = directory / "main", directory / "side"
    child = subprocess.run([sys.executable, "-I", "-B", "-c", CHILD, str(main), str(side)],
                           env=env, capture_output=True, text=True, timeout=60)
    return child, main.read_bytes(), side.read_bytes()


def test_files(checks: Checks, library: Path, work: Path) -> None:
    base = {**os.environ, "LD_PRELOAD": str(library)}
    child, main, side = run_child(work / "transparent", base)
    checks.check(child.returncode == 0 and child.stdout.endswith("not cut\n"),
                 f"without POWERCUT_AT the child runs to the end: {child}")
    expected = {**{i: new for i, (new, _) in UNSYNCED.items()}, **SYNCED, 0: page("z", 0)}
    checks.check(all(main[i * PAGE:(i + 1) * PAGE] == value for i, value in expected.items())
                 and side == b"".join(line(i) for i in range(LINES)),
                 "without POWERCUT_AT every write lands")
    tracked = int(child.stdout.split()[1])

    reverted = kept = 0
    outcomes = {}
    for seed in [*SEEDS, SEEDS[0]]:
        directory = work / f"cut-{len(outcomes)}-seed-{seed}"
        log = directory / "powercut.log"
        env = {**base, "POWERCUT_AT": str(tracked + 1), "POWERCUT_SEED": str(seed),
               "POWERCUT_LOG": str(log)}
        child, main, side = run_child(directory, env)
        checks.check(child.returncode == POWERCUT_EXIT_CODE
                     and child.stdout == f"reached {tracked}\n",
                     f"seed {seed}: cut exactly at write {tracked + 1}: {child}")
        checks.check(len(main) == 34 * PAGE and len(side) == LINES * LINE,
                     f"seed {seed}: file sizes are kept (reverted bytes become zeros)")
        for i, value in SYNCED.items():
            checks.check(main[i * PAGE:(i + 1) * PAGE] == value,
                         f"seed {seed}: synced page {i} survives")
        for i, (new, old) in UNSYNCED.items():
            held = main[i * PAGE:(i + 1) * PAGE]
            checks.check(held in (new, old), f"seed {seed}: page {i} holds its new or old bytes")
            reverted, kept = reverted + (held == old), kept + (held == new)
        writev_pages = {main[i * PAGE:(i + 1) * PAGE] == ZERO_PAGE for i in range(20, 24)}
        checks.check(len(writev_pages) == 1,
                     f"seed {seed}: one writev is reverted whole or not at all")
        for i in range(LINES):
            checks.check(side[i * LINE:(i + 1) * LINE] in (line(i), bytes(LINE)),
                         f"seed {seed}: write-only O_APPEND line {i} holds its new or old bytes")
        logged = log.read_text()
        counts = [int(word) for word in logged.replace(",", " ").split() if word.isdigit()]
        checks.check(sum(counts[-3:]) == UNSYNCED_WRITES and counts[-1] == 0,
                     f"seed {seed}: the log counts {UNSYNCED_WRITES} unsynced writes: {logged!r}")
        if seed in outcomes:
            checks.check(outcomes[seed] == (main, side), f"seed {seed} cuts the same way twice")
        outcomes[seed] = (main, side)
    print(f"files: over {len(SEEDS)} seeds, unsynced pages reverted {reverted} times, kept {kept}")
    checks.check(reverted > 0 and kept > 0, "unsynced pages are sometimes reverted, sometimes kept")


def lmdb_cuts(probe: Path, library: Path, work: Path, nosync: bool,
              rng: random.Random) -> tuple[int, int]:
    """Runs LMDB_CUTS cuts of the probe, each on a fresh environment. Returns (cuts after which
    the check lost acknowledged transactions or failed, unsynced writes reverted in all cuts);
    prints the details of a loss where it is unexpected (default flags)."""
    broken = reverted = 0
    for cut in range(LMDB_CUTS):
        directory = work / f"lmdb-{'nosync' if nosync else 'sync'}-{cut}"
        log = work / f"lmdb-{'nosync' if nosync else 'sync'}-{cut}.log"
        at, seed = rng.randint(5, 400), rng.randrange(1 << 32)
        env = {**os.environ, "LD_PRELOAD": str(library), "POWERCUT_AT": str(at),
               "POWERCUT_SEED": str(seed), "POWERCUT_LOG": str(log)}
        command = [str(probe), "write", str(directory), "1000000", *(["nosync"] if nosync else [])]
        writer = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        if writer.returncode != POWERCUT_EXIT_CODE:
            raise RuntimeError(f"probe was not cut (at={at}): {writer}")
        reverted += int(log.read_text().split(": ")[-1].split()[0])
        acknowledged = int(writer.stdout.split()[-1]) if writer.stdout.split() else 0
        check = subprocess.run([str(probe), "check", str(directory)], capture_output=True,
                               text=True, timeout=120)
        last = int(check.stdout.split()[-1]) if check.returncode == 0 else -1
        broken += last < acknowledged
        if last < acknowledged and not nosync:
            print(f"  lmdb cut at write {at} seed {seed}: acknowledged 1..{acknowledged}, check: "
                  f"rc {check.returncode} {check.stdout.strip()} {check.stderr.strip()}")
    return broken, reverted


def test_lmdb(checks: Checks, library: Path, work: Path) -> None:
    probe = work / "lmdb_probe"
    subprocess.run(["gcc", "-O2", "-Wall", "-o", str(probe),
                    str(Path(__file__).resolve().parent / "lmdb_probe.c"), "-llmdb"], check=True)
    rng = random.Random(86)
    synced, synced_reverted = lmdb_cuts(probe, library, work, nosync=False, rng=rng)
    checks.check(synced == 0, f"LMDB default flags: {synced} of {LMDB_CUTS} cuts lost "
                              "acknowledged transactions")
    checks.check(synced_reverted > 0, "LMDB default flags: the cuts reverted some writes")
    unsynced, unsynced_reverted = lmdb_cuts(probe, library, work, nosync=True, rng=rng)
    print(f"lmdb: default flags lost data in {synced} of {LMDB_CUTS} cuts "
          f"({synced_reverted} writes reverted), MDB_NOSYNC in {unsynced} of {LMDB_CUTS} "
          f"({unsynced_reverted} writes reverted)")
    checks.check(unsynced > 0, "the simulator catches MDB_NOSYNC losing acknowledged transactions")


def main() -> int:
    checks = Checks()
    library = build_powercut()
    with tempfile.TemporaryDirectory(prefix="powercut-selftest-") as work:
        test_files(checks, library, Path(work))
        test_lmdb(checks, library, Path(work))
    print(f"selftest: {checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
