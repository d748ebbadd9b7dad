"""Big keyed objects for Tools/crash-test and Tools/power-loss-test (Python 3.11 standard library
only): inventory SKUs with many pending orders, each order a row of the keyed `stock` view,
driven by commands while the server is killed or loses power.

- `seed_keyed_objects`: fills SKUs with a restock and many reservations, appended in bulk.
- `CommandWorkload`: threads running `reserve` (a new order) and `release` (one of their own
  acknowledged orders) on those SKUs; every event a 200 answer carries is acknowledged.
- `check_keyed_views`: after a restart, the view's summary and rows must be what the SKU's
  events say: a pending row per reserved order not released, released rows marked so.
- `evtool_verify`: `evtool verify` on the stopped server's data folder must find nothing (every
  checkpoint's summary and rows equal a fold of the events).
- `SERVE_ARGS`: checkpoint often, so kills and cuts land in the middle of checkpoints.
"""

from __future__ import annotations

import collections
import http.client
import json
import random
import subprocess
import time
import urllib.parse
import uuid
from pathlib import Path

import evharness

SKU_PREFIX = "big-"
FAR_FUTURE_MS = 4_102_444_800_000  # 2100-01-01: seeded reservations never expire in a test
TTL_SECONDS = 2_592_000  # the longest a reserve takes: no order expires during a test
SEED_BATCH = 1000
SERVE_ARGS = ["--checkpoint-rows-max", "50", "--snapshot-interval-events", "100", "--checkpoint-seconds", "1"]


def sku_ids(count: int) -> list[str]:
    """The SKUs: big-0, big-1, ..."""
    return [f"{SKU_PREFIX}{index}" for index in range(count)]


def _post(connection: http.client.HTTPConnection, path: str, body: dict) -> tuple[int, bytes]:
    connection.request("POST", path, body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    return response.status, response.read()


def _get(connection: http.client.HTTPConnection, path: str) -> tuple[int, object]:
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    try:
        return response.status, json.loads(body)
    except ValueError:
        return response.status, body[:300]


def _path(sku: str, rest: str) -> str:
    return f"/v1/objects/inventory/{urllib.parse.quote(sku)}{rest}"


def seed_keyed_objects(port: int, skus: list[str], rows: int, seed: int) -> list[evharness.AckedEvent]:
    """Appends to each SKU a Restocked of 10^9 units and `rows` Reserved events (orders
    seed-0000000, ...; one unit each, expiring in 2100), SEED_BATCH per request, and returns
    them as acknowledged (their ids drawn with `seed`). Raises HarnessError on any answer but 201."""
    rng = random.Random(seed)
    acknowledged: list[evharness.AckedEvent] = []
    connection = http.client.HTTPConnection(evharness.HOST, port, timeout=evharness.REQUEST_TIMEOUT_S * 4)
    try:
        for sku in skus:
            batches = [[{"type": "Restocked", "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "data": {"qty": 1_000_000_000}}]]
            orders = [{"type": "Reserved", "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                       "data": {"orderId": f"seed-{index:07d}", "qty": 1, "expiresAt": FAR_FUTURE_MS}} for index in range(rows)]
            batches += [orders[start:start + SEED_BATCH] for start in range(0, rows, SEED_BATCH)]
            for events in batches:
                status, body = _post(connection, _path(sku, "/events"), {"events": events})
                if status != 201:
                    raise evharness.HarnessError(f"seeding {sku}: {status} {body[:300]!r}")
                answer = json.loads(body)
                first, position = answer["firstSeq"], answer["position"]
                acknowledged += [evharness.AckedEvent(f"inventory/{sku}", first + index, position - len(events) + 1 + index,
                                                      event["id"], event["type"], event["data"])
                                 for index, event in enumerate(events)]
    finally:
        connection.close()
    return acknowledged


class CommandWorkload(evharness.ClientThreads):
    """Threads, each with its own keep-alive connection, running commands on `skus` until
    `stop()` or until the server is gone: mostly `reserve` of a new order (one unit, the longest
    ttl), and one time in five `release` of an order the same thread reserved and saw
    acknowledged. A 200 answer's events (each with seq, position, id, type, data) go to
    `acknowledged`; 503 is back-pressure; any other answer is counted in `stats.unexpected`."""

    def __init__(self, server: evharness.Server, skus: list[str], threads: int, seed: int):
        super().__init__(server, threads, seed)
        self.commands = 0
        self._skus = skus

    def loop(self, seed: int) -> None:
        rng = random.Random(seed)
        connection = http.client.HTTPConnection(evharness.HOST, self._server.port, timeout=evharness.REQUEST_TIMEOUT_S)
        pending: list[tuple[str, str]] = []
        counter = 0
        while self._running():
            if pending and rng.random() < 0.2:
                sku, order = pending.pop(rng.randrange(len(pending)))
                command, body = "release", {"orderId": order, "reason": "crash test"}
            else:
                counter += 1
                sku, order = rng.choice(self._skus), f"c{seed}-{counter}"
                command, body = "reserve", {"orderId": order, "qty": 1, "ttlSeconds": TTL_SECONDS}
            try:
                status, answer = _post(connection, _path(sku, f"/commands/{command}"), body)
            except (OSError, http.client.HTTPException):
                connection.close()
                if self._running():
                    time.sleep(0.05)
                continue
            self._record(sku, order, command, status, answer, pending)
        connection.close()

    def _record(self, sku: str, order: str, command: str, status: int, body: bytes, pending: list[tuple[str, str]]) -> None:
        acked: list[evharness.AckedEvent] = []
        problem = None
        if status == 200:
            try:
                answer = json.loads(body)
                acked = [evharness.AckedEvent(f"inventory/{sku}", event["seq"], event["position"], event["id"], event["type"], event["data"])
                         for event in answer["events"]]
                if not acked or answer["version"] != acked[-1].seq:
                    problem = f"200 to {command} with events that do not end at the version: {body[:300]!r}"
            except (ValueError, KeyError, TypeError):
                problem = f"200 with an unreadable body: {body[:300]!r}"
            if command == "reserve" and problem is None:
                pending.append((sku, order))
        elif status != 503:
            problem = f"{command}: {status}: {body[:300].decode('utf-8', 'replace')}"
        with self._lock:
            self.commands += 1
            self.stats.statuses[status] += 1
            self.acknowledged.extend(acked)
            if problem and (problem in self.stats.unexpected or len(self.stats.unexpected) < evharness.PROBLEMS_KEPT):
                self.stats.unexpected[problem] += 1


def _read_events(connection: http.client.HTTPConnection, sku: str) -> list[dict]:
    events: list[dict] = []
    while True:
        status, page = _get(connection, _path(sku, f"/events?from={len(events) + 1}&limit={evharness.LOG_PAGE_LIMIT}"))
        if status != 200 or not isinstance(page, dict):
            raise evharness.HarnessError(f"reading {sku}'s events: {status} {str(page)[:300]}")
        if not page["events"]:
            return events
        events += page["events"]


def check_keyed_views(port: int, skus: list[str], sample: int = 20, seed: int = 0) -> tuple[int, list[str]]:
    """Reads each SKU's events and its stock view, and returns (rows checked, failures): the
    summary's pendingOrders and reserved must count the orders reserved and not released, the
    view must hold one row per order ever reserved (read in pages of 1,000 by prefix), and
    `sample` orders read by key must have the status their events give."""
    failures: list[str] = []
    checked = 0
    rng = random.Random(seed)
    connection = http.client.HTTPConnection(evharness.HOST, port, timeout=evharness.REQUEST_TIMEOUT_S * 4)
    try:
        for sku in skus:
            status_of: dict[str, str] = {}
            for event in _read_events(connection, sku):
                if event["type"] == "Reserved":
                    status_of[event["data"]["orderId"]] = "pending"
                elif event["type"] == "Released":
                    status_of[event["data"]["orderId"]] = "released"
            pending = sum(1 for status in status_of.values() if status == "pending")
            status, view = _get(connection, _path(sku, "/views/stock"))
            state = view.get("state", {}) if isinstance(view, dict) else {}
            if status != 200 or state.get("pendingOrders") != pending or state.get("reserved") != pending:
                failures.append(f"{sku}: the events leave {pending} pending orders; the view answered {status} {str(view)[:300]}")
            rows: dict[str, str] = {}
            after = None
            while True:
                query = f"/views/stock?limit=1000" + (f"&after={urllib.parse.quote(after)}" if after else "")
                status, page = _get(connection, _path(sku, query))
                if status != 200 or not isinstance(page, dict):
                    failures.append(f"{sku}: reading rows after {after}: {status} {str(page)[:300]}")
                    break
                rows.update({row["key"]: row["row"]["status"] for row in page["rows"]})
                after = page["next"]
                if after is None:
                    break
            checked += len(rows)
            if rows != status_of:
                differing = sorted(key for key in status_of.keys() | rows.keys() if rows.get(key) != status_of.get(key))
                failures.append(f"{sku}: {len(rows)} rows, {len(status_of)} orders in the events; they differ at {differing[:5]}")
            for order in rng.sample(sorted(status_of), min(sample, len(status_of))):
                status, answer = _get(connection, _path(sku, f"/views/stock?key={urllib.parse.quote(order)}"))
                row = answer.get("row", {}) if isinstance(answer, dict) else {}
                if status != 200 or row.get("status") != status_of[order]:
                    failures.append(f"{sku}: order {order} is {status_of[order]} in the events; ?key= answered {status} {str(answer)[:200]}")
    except (OSError, http.client.HTTPException) as error:
        raise evharness.HarnessError(f"checking the keyed views could not reach the server: {error!r}") from error
    finally:
        connection.close()
    return checked, failures


def evtool_verify(evtool: Path, data: Path) -> list[str]:
    """Runs `evtool verify --data DATA` (the server must be stopped); its report when it finds
    anything, else nothing."""
    verified = subprocess.run([str(evtool), "verify", "--data", str(data)], capture_output=True, text=True, cwd=evharness.REPO_ROOT)
    if verified.returncode == 0:
        return []
    return [f"evtool verify exited with {verified.returncode}:\n{verified.stdout[-3000:]}{verified.stderr[-2000:]}"]


def command_counts(statuses: collections.Counter) -> str:
    """The answers' statuses, e.g. "200: 812, 503: 3"."""
    return ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))


def add_arguments(parser) -> None:
    """Adds the options of the keyed workload (see each one's help)."""
    parser.add_argument("--skus", type=int, default=2, metavar="N",
                        help="inventory SKUs driven by commands alongside the appends; 0 for none (default: 2)")
    parser.add_argument("--sku-rows", type=int, default=20_000, metavar="N",
                        help="pending orders (rows of the keyed stock view) each SKU starts with (default: 20000)")
    parser.add_argument("--commanders", type=int, default=2, metavar="N",
                        help="concurrent connections running reserve and release (default: 2)")


def seed_before_test(args, evtool: Path, data: Path, seed: int) -> list[evharness.AckedEvent]:
    """Starts the server on `data` without faults, fills `args.skus` SKUs (seed_keyed_objects),
    stops it, prints what it did, and returns the events as acknowledged."""
    if args.skus == 0:
        return []
    started = time.monotonic()
    server = evharness.start_server(evtool, data, serve_args=args.serve_arg + SERVE_ARGS)
    try:
        seeded = seed_keyed_objects(server.port, sku_ids(args.skus), args.sku_rows, seed)
    finally:
        server.stop()
    print(f"seeded {args.skus} SKUs with {args.sku_rows} pending orders each in {time.monotonic() - started:.1f} s")
    return seeded
