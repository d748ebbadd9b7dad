"""Shared pieces of Tools/crash-test, Tools/power-loss-test and Tools/disk-fault-test (Python 3.11
standard library only).

- `start_server` / `Server`: runs `evtool serve` on 127.0.0.1, optionally under a wrapper such as
  strace, and stops it by its pid.
- `Workload`: concurrent appenders that record every event the server acknowledged (and, when
  asked to accept 507 storage-full answers, every event it refused that way).
- `verify`: reads the whole log back and checks that every acknowledged event is there, unchanged,
  with dense positions and dense per-object seqs, and that no refused event is there.
- `build_powercut`: builds the power-cut simulator Tools/powercut/powercut.so on demand.
- `add_common_arguments`, `DataDirectory`, `report_failure`: what the command lines share.

The contract these rely on (HTTP, JSON fields) is written down in each function's docstring.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVTOOL = REPO_ROOT / ".build" / "debug" / "evtool"
POWERCUT_SOURCE = REPO_ROOT / "Tools" / "powercut" / "powercut.c"
POWERCUT_LIBRARY = REPO_ROOT / "Tools" / "powercut" / "powercut.so"
POWERCUT_EXIT_CODE = 86  # what powercut.so exits with when it cuts the power

HOST = "127.0.0.1"
EVENT_TYPE = "Deposited"
READY_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
WRAPPER_EXIT_TIMEOUT_S = 5.0  # how long a wrapper may outlive the server it wraps
STORAGE_FULL_TYPE = "/problems/storage-full"  # problem type of a 507 when a commit hit the disk
LOG_PAGE_LIMIT = 1000
OUTPUT_TAIL_LINES = 200
PROBLEMS_KEPT = 10
LOG_EVENT_FIELDS = frozenset({"position", "seq", "id", "type", "data", "object", "branch"})
OBJECT_EVENT_FIELDS = frozenset({"position", "seq", "id", "type", "data"})


class HarnessError(Exception):
    """A step of a test could not be carried out; the message says which and why."""


class ServerError(HarnessError):
    """The server did not become ready. `returncode` is its exit status if it exited, else None."""

    def __init__(self, message: str, returncode: int | None):
        super().__init__(message)
        self.returncode = returncode


def build_powercut() -> Path:
    """Returns the absolute path of powercut.so, first building it with gcc when it is missing or
    older than powercut.c. Raises HarnessError with gcc's output if the build fails."""
    if (not POWERCUT_LIBRARY.exists()
            or POWERCUT_LIBRARY.stat().st_mtime < POWERCUT_SOURCE.stat().st_mtime):
        command = ["gcc", "-O2", "-shared", "-fPIC", "-o", str(POWERCUT_LIBRARY),
                   str(POWERCUT_SOURCE), "-ldl", "-lpthread"]
        built = subprocess.run(command, capture_output=True, text=True)
        if built.returncode != 0:
            raise HarnessError(f"building powercut.so failed:\n{built.stdout}{built.stderr}")
    return POWERCUT_LIBRARY


def free_port() -> int:
    """Returns a TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Server:
    """A running `evtool serve`. Its stdout and stderr go to one pipe (never a file, so powercut.so
    does not count or revert them) drained by a thread that keeps the last lines for reports.

    When `wrapped`, `process` is a wrapper (such as `strace -f ... evtool serve ...`) that runs the
    server as its only child and exits when it does: signals then go to the server itself (`pid`),
    never to the wrapper, so the server sees the same SIGTERM or SIGKILL as when it runs alone."""

    def __init__(self, process: subprocess.Popen, port: int, wrapped: bool = False):
        self.process = process
        self.port = port
        self.wrapped = wrapped
        self._server_pid: int | None = None if wrapped else process.pid
        self._tail: collections.deque[str] = collections.deque(maxlen=OUTPUT_TAIL_LINES)
        self._drain = threading.Thread(target=self._read_output, daemon=True)
        self._drain.start()

    def _read_output(self) -> None:
        with self.process.stdout:
            for line in self.process.stdout:
                self._tail.append(line.decode("utf-8", "replace").rstrip("\n"))

    def output_tail(self, lines: int = 30) -> str:
        """The server's last `lines` lines of output, complete once the process has exited."""
        if self.process.poll() is not None:
            self._drain.join(timeout=STOP_TIMEOUT_S)
        return "\n".join(list(self._tail)[-lines:])

    def alive(self) -> bool:
        return self.process.poll() is None

    @property
    def pid(self) -> int | None:
        """The server's own process id: `process.pid`, or when wrapped the wrapper's child (read
        from /proc once, while the wrapper runs); None if a wrapper has no child (any more)."""
        if self._server_pid is None and self.alive():
            children: list[str] = []
            try:
                for task in Path(f"/proc/{self.process.pid}/task").iterdir():
                    children += (task / "children").read_text().split()
            except OSError:
                return None  # the wrapper exited meanwhile
            if len(children) == 1:
                self._server_pid = int(children[0])
        return self._server_pid

    def _signal(self, signal_number: int) -> None:
        """Sends signal_number to the server itself, if it still runs."""
        pid = self.pid
        if pid is not None and self.alive():
            try:
                os.kill(pid, signal_number)
            except ProcessLookupError:
                pass  # it has just exited

    def kill(self) -> int:
        """SIGKILLs the server (a crash) and returns its exit status once it is gone (a wrapper's
        status when wrapped; a wrapper still running WRAPPER_EXIT_TIMEOUT_S later is SIGKILLed)."""
        if self.alive():
            self._signal(signal.SIGKILL)
        if self.wrapped:
            try:
                return self.process.wait(timeout=WRAPPER_EXIT_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
        return self.process.wait()

    def stop(self) -> bool:
        """SIGTERMs the server and waits up to STOP_TIMEOUT_S for it to exit; SIGKILLs it after
        that. Returns True if it stopped on SIGTERM alone."""
        if not self.alive():
            return True
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
            return True
        except subprocess.TimeoutExpired:
            self.kill()
            return False


def start_server(evtool: Path, data_dir: Path, extra_env: dict[str, str] | None = None,
                 serve_args: list[str] | None = None,
                 command_prefix: list[str] | None = None) -> Server:
    """Starts `evtool serve --data DATA_DIR --host 127.0.0.1 --port PORT [serve_args]` in the repo
    root (so `./Schemas` resolves) with `extra_env` added to the environment, and returns it once
    `GET /healthz` answers 200. Raises ServerError, with the server's output tail, if it exits first
    or is not ready within READY_TIMEOUT_S (it is killed then).
    With `command_prefix` (e.g. ["strace", "-f", "-o", "FILE"]) the command runs under that
    wrapper, which must run the server as its only child and exit with it (see Server)."""
    port = free_port()
    command = [*(command_prefix or []), str(evtool), "serve", "--data", str(data_dir),
               "--host", HOST, "--port", str(port), *(serve_args or [])]
    env = {**os.environ, **(extra_env or {})}
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    server = Server(process, port, wrapped=bool(command_prefix))
    try:
        _wait_until_healthy(server)
    except BaseException:
        server.kill()  # also on Ctrl-C: never leave a server behind
        raise
    return server


def _wait_until_healthy(server: Server) -> None:
    """Returns once GET /healthz answers 200; raises ServerError if the server exits first or
    READY_TIMEOUT_S passes."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if not server.alive():
            raise ServerError(f"server exited with status {server.process.returncode} before it "
                              f"was ready; its output ends with:\n{server.output_tail()}",
                              server.process.returncode)
        connection = http.client.HTTPConnection(HOST, server.port, timeout=1.0)
        try:
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass  # not listening yet
        finally:
            connection.close()
        time.sleep(0.1)
    raise ServerError(f"GET /healthz did not answer 200 within {READY_TIMEOUT_S:.0f} s; the "
                      f"server's output ends with:\n{server.output_tail()}", None)


@dataclass(frozen=True)
class AckedEvent:
    """An event the server acknowledged with 201, as the acknowledgement places it."""
    object: str      # "type/id"
    seq: int
    position: int
    id: str
    type: str
    data: dict


@dataclass
class WorkloadStats:
    """What the appenders were answered: every status, and the unexpected answers by kind.
    The storage-full fields stay 0/None unless the Workload accepts storage-full answers."""
    statuses: collections.Counter = field(default_factory=collections.Counter)
    unexpected: collections.Counter = field(default_factory=collections.Counter)  # answer: times
    storage_full: int = 0          # 507 answers with problem type STORAGE_FULL_TYPE
    first_storage_full: float | None = None  # time.monotonic() when the first of them was read
    acked_after_storage_full: int = 0  # 201 answers to requests sent after that first 507

    def unexpected_report(self) -> list[str]:
        """One line per distinct unexpected answer (the first PROBLEMS_KEPT kinds)."""
        return [f"unexpected answer, {times} times: {answer}"
                for answer, times in self.unexpected.items()]


class ClientThreads:
    """Threads that each run `loop(seed)` against `server` until `stop()` or until the server
    is gone (`_running()` says which); subclasses record what they were answered in
    `acknowledged` and `stats` under `_lock`."""

    def __init__(self, server: Server, count: int, seed: int):
        self.acknowledged: list[AckedEvent] = []
        self.stats = WorkloadStats()
        self._server = server
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self.loop, args=(seed * 1000 + index,), daemon=True)
                         for index in range(count)]

    def loop(self, seed: int) -> None:
        raise NotImplementedError

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Ends every thread and waits for them; `acknowledged` is final afterwards."""
        self._stopping.set()
        for thread in self._threads:
            thread.join()

    def _running(self) -> bool:
        return not self._stopping.is_set() and self._server.alive()


class Workload(ClientThreads):
    """Appender threads, each with its own keep-alive HTTPConnection, appending 1-3 `Deposited`
    events per request to objects chosen at random, until `stop()` or until the server is gone.

    Request: POST /v1/objects/{type}/{id}/events, Content-Type: application/json,
    {"events":[{"type":"Deposited","id":"<uuid4>","data":{"n":<int>,"pad":"<letters>"}}, ...]}.
    An event is recorded in `acknowledged` only when a 201 answer was read in full and reads
    {"object":"type/id","firstSeq":F,"lastSeq":F+k-1,"position":P,...}: event i (from 0) of k is
    then at seq F+i and position P-k+1+i. 503 is taken as back-pressure; any other answer is
    counted in `stats.unexpected`. A connection error while the server runs is retried on a new
    connection; once the server has exited or `stop()` was called, it ends the thread quietly.

    With `accept_storage_full`, a 507 answer whose problem+json `type` is STORAGE_FULL_TYPE is
    expected too: it is counted in `stats.storage_full` (WorkloadStats also keeps when the first
    came and how many requests sent after it were acknowledged), and the ids of its events, which
    the server says it did not write, go to `refused`. A 507 of any other type is unexpected."""

    def __init__(self, server: Server, object_type: str, object_ids: list[str], appenders: int,
                 seed: int, accept_storage_full: bool = False):
        super().__init__(server, appenders, seed)
        self.refused: list[str] = []  # ids of the events answered 507 storage-full
        self._accept_storage_full = accept_storage_full
        self._object_type = object_type
        self._object_ids = object_ids

    def loop(self, seed: int) -> None:
        rng = random.Random(seed)
        connection = http.client.HTTPConnection(HOST, self._server.port, timeout=REQUEST_TIMEOUT_S)
        while self._running():
            object_id = rng.choice(self._object_ids)
            events = [{"type": EVENT_TYPE, "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                       "data": {"n": rng.randrange(1 << 31),
                                "pad": "".join(rng.choices("abcdefghijklmnopqrstuvwxyz",
                                                           k=rng.randrange(8, 200)))}}
                      for _ in range(rng.randint(1, 3))]
            path = (f"/v1/objects/{urllib.parse.quote(self._object_type)}/"
                    f"{urllib.parse.quote(object_id)}/events")
            sent = time.monotonic()
            try:
                connection.request("POST", path, body=json.dumps({"events": events}).encode(),
                                   headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                status, body = response.status, response.read()
            except (OSError, http.client.HTTPException):
                connection.close()  # the next request opens a new connection
                if self._running():
                    time.sleep(0.05)
                continue
            self._record(f"{self._object_type}/{object_id}", events, status, body, sent)
        connection.close()

    def _is_storage_full(self, status: int, body: bytes) -> bool:
        """A 507 problem+json answer of type STORAGE_FULL_TYPE, when the workload accepts them."""
        if not (self._accept_storage_full and status == 507):
            return False
        try:
            answer = json.loads(body)
        except ValueError:
            return False
        return isinstance(answer, dict) and answer.get("type") == STORAGE_FULL_TYPE

    def _record(self, object_key: str, events: list[dict], status: int, body: bytes,
                sent: float) -> None:
        acked: list[AckedEvent] = []
        problem = None
        storage_full = self._is_storage_full(status, body)
        if status == 201:
            try:
                answer = json.loads(body)
                first, last, position = answer["firstSeq"], answer["lastSeq"], answer["position"]
                if answer["object"] != object_key or last - first + 1 != len(events):
                    problem = f"201 for {len(events)} events of {object_key}: {answer}"
                else:
                    acked = [AckedEvent(object_key, first + i, position - len(events) + 1 + i,
                                        event["id"], event["type"], event["data"])
                             for i, event in enumerate(events)]
            except (ValueError, KeyError, TypeError):
                problem = f"201 with an unreadable body: {body[:300]!r}"
        elif status != 503 and not storage_full:
            problem = f"{status}: {body[:300].decode('utf-8', 'replace')}"
        with self._lock:
            self.stats.statuses[status] += 1
            self.acknowledged.extend(acked)
            if storage_full:
                self.stats.storage_full += 1
                self.refused.extend(event["id"] for event in events)
                if self.stats.first_storage_full is None:
                    self.stats.first_storage_full = time.monotonic()
            elif (acked and self.stats.first_storage_full is not None
                  and sent > self.stats.first_storage_full):
                self.stats.acked_after_storage_full += 1
            if problem and (problem in self.stats.unexpected
                            or len(self.stats.unexpected) < PROBLEMS_KEPT):
                self.stats.unexpected[problem] += 1


@dataclass
class Verification:
    """The outcome of `verify`. `ok` holds when nothing acknowledged is lost or changed, positions
    and seqs are dense, and every page of the log could be read."""
    acknowledged: int = 0
    present: int = 0           # acknowledged and found unchanged at their position
    lost: int = 0              # acknowledged and found nowhere in the log, or unreadable
    gaps: int = 0              # missing log positions (unreadable ones aside) and per-object seqs
    mismatches: int = 0        # found, but changed, moved, duplicated or out of order
    refused: int = 0           # events the server refused (verify's refused_ids), checked
    phantoms: int = 0          # refused, yet found in the log
    crc_failures: int = 0      # log positions answered 500 with a problem type containing "corrupt"
    log_events: int = 0
    listed: int = 0            # objects whose listing was checked against the log
    unreadable: set[int] = field(default_factory=set)  # the positions of those CRC failures
    problems: list[str] = field(default_factory=list)  # the first few, human-readable
    problems_not_kept: int = 0

    @property
    def ok(self) -> bool:
        return (self.lost == self.gaps == self.mismatches == self.crc_failures
                == self.phantoms == 0
                and self.present == self.acknowledged and not self.problems)

    def note(self, problem: str) -> None:
        if len(self.problems) < PROBLEMS_KEPT:
            self.problems.append(problem)
        else:
            self.problems_not_kept += 1

    def report(self) -> list[str]:
        """The kept problems, then how many more there were."""
        more = [f"... and {self.problems_not_kept} more"] if self.problems_not_kept else []
        return self.problems + more


def _get_json(connection: http.client.HTTPConnection, path: str) -> tuple[int, object]:
    """GETs path and returns (status, decoded JSON body or None if the body is not JSON)."""
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    try:
        return response.status, json.loads(body)
    except ValueError:
        return response.status, None


def _is_event_list(events: object, fields: frozenset[str]) -> bool:
    """True if events is a list of JSON objects that each have `fields`, with integer `position`
    and `seq`, and string `object` and `branch` where those are among `fields`."""
    return isinstance(events, list) and all(
        isinstance(event, dict) and fields <= event.keys()
        and isinstance(event["position"], int) and isinstance(event["seq"], int)
        and all(isinstance(event[name], str) for name in ("object", "branch") if name in fields)
        for event in events)


def _is_corrupt(status: int, page: object) -> bool:
    """A 500 problem+json answer whose `type` contains "corrupt": a record failed its CRC."""
    return status == 500 and isinstance(page, dict) and "corrupt" in str(page.get("type", ""))


def _read_log(connection: http.client.HTTPConnection, result: Verification) -> list[dict]:
    """Pages through GET /v1/log?after=P&limit=LOG_PAGE_LIMIT from P=0 until a page has no
    events (the next P is the last event's position) and returns the events in log order.
    After a corrupt answer (_is_corrupt) the limit halves until the damaged record is isolated:
    a corrupt answer for limit=1 is a CRC failure, its position P+1 goes to `result.unreadable`,
    and reading goes on after it with full pages. Stops early, noting why, at any other answer
    that is not 200 with well-formed events (_is_event_list), at a page that does not move
    forward, or after LOG_PAGE_LIMIT unreadable positions."""
    events: list[dict] = []
    after = 0
    limit = LOG_PAGE_LIMIT
    while True:
        status, page = _get_json(connection, f"/v1/log?after={after}&limit={limit}")
        if _is_corrupt(status, page) and limit > 1:
            limit //= 2
        elif _is_corrupt(status, page):
            result.crc_failures += 1
            result.unreadable.add(after + 1)
            result.note(f"log position {after + 1} is unreadable: {page}")
            if len(result.unreadable) >= LOG_PAGE_LIMIT:
                result.note(f"stopped reading the log at {LOG_PAGE_LIMIT} unreadable positions")
                return events
            after, limit = after + 1, LOG_PAGE_LIMIT
        elif not (status == 200 and isinstance(page, dict)
                  and _is_event_list(page.get("events"), LOG_EVENT_FIELDS)):
            result.note(f"GET /v1/log?after={after} answered {status}: {str(page)[:300]}")
            return events
        elif not page["events"]:
            return events
        elif page["events"][-1]["position"] <= after:
            result.note(f"GET /v1/log?after={after} did not move forward")
            return events
        else:
            events.extend(page["events"])
            after = page["events"][-1]["position"]


def _check_log(log: list[dict], result: Verification) -> None:
    """Positions must run 1, 2, 3, ... in log order (unreadable ones aside); each (object,
    branch) must have seqs 1, 2, 3, ... in log order; no event id may appear twice."""
    expected_position = 1
    next_seq: dict[tuple[str, str], int] = collections.defaultdict(lambda: 1)
    seen_ids: set[str] = set()
    for event in log:
        position = event["position"]
        missing = set(range(expected_position, position)) - result.unreadable
        if missing:
            result.gaps += len(missing)
            result.note(f"log positions {min(missing)}..{max(missing)} are missing")
        elif position < expected_position:
            result.mismatches += 1
            result.note(f"log position {position} comes after {expected_position - 1}")
        expected_position = max(expected_position, position + 1)
        stream = (event["object"], event["branch"])
        seq = event["seq"]
        if seq > next_seq[stream]:
            result.gaps += seq - next_seq[stream]
            result.note(f"{stream[0]}@{stream[1]}: seqs {next_seq[stream]}..{seq - 1} missing "
                        f"before position {position}")
        elif seq < next_seq[stream]:
            result.mismatches += 1
            result.note(f"{stream[0]}@{stream[1]}: seq {seq} at position {position} repeats")
        next_seq[stream] = max(next_seq[stream], seq + 1)
        if event["id"] in seen_ids:
            result.mismatches += 1
            result.note(f"event id {event['id']} appears twice (again at position {position})")
        seen_ids.add(event["id"])


def _check_acknowledged(log: list[dict], acknowledged: list[AckedEvent],
                        result: Verification) -> None:
    """Every acknowledged event must be at its acknowledged position with the same object (on
    branch main), seq, id, type and data."""
    by_position = {event["position"]: event for event in log}
    by_id = {event["id"]: event for event in log}
    for acked in acknowledged:
        found = by_position.get(acked.position)
        if found is not None and found["id"] == acked.id:
            expected = {"object": acked.object, "branch": "main", "seq": acked.seq,
                        "type": acked.type, "data": acked.data}
            actual = {name: found.get(name) for name in expected}
            if actual == expected:
                result.present += 1
            else:
                result.mismatches += 1
                result.note(f"event {acked.id} at position {acked.position}: acknowledged "
                            f"{expected}, log has {actual}")
        elif acked.id in by_id:
            result.mismatches += 1
            result.note(f"event {acked.id} acknowledged at position {acked.position} is at "
                        f"position {by_id[acked.id]['position']}")
        else:
            result.lost += 1
            why = "unreadable (CRC)" if acked.position in result.unreadable else "lost"
            result.note(f"event {acked.id} ({acked.object} seq {acked.seq}, position "
                        f"{acked.position}) was acknowledged and is {why}")


def _read_object(connection: http.client.HTTPConnection, object_key: str,
                 result: Verification) -> tuple[list[dict], object] | None:
    """Pages through GET /v1/objects/{type}/{id}/events?from=S&limit=LOG_PAGE_LIMIT (S = 1, then
    the last seq + 1, until a page has no events) and returns (events, the last page's `version`),
    or None, noting why, at a page that is not 200 with well-formed events (_is_event_list) or
    that does not move forward."""
    object_type, object_id = object_key.split("/", 1)
    path = f"/v1/objects/{urllib.parse.quote(object_type)}/{urllib.parse.quote(object_id)}/events"
    events: list[dict] = []
    start = 1
    while True:
        status, page = _get_json(connection, f"{path}?from={start}&limit={LOG_PAGE_LIMIT}")
        if not (status == 200 and isinstance(page, dict)
                and _is_event_list(page.get("events"), OBJECT_EVENT_FIELDS)):
            result.note(f"GET {path}?from={start} answered {status}: {str(page)[:300]}")
            return None
        if not page["events"]:
            return events, page.get("version")
        if page["events"][-1]["seq"] < start:
            result.note(f"GET {path}?from={start} did not move forward")
            return None
        events.extend(page["events"])
        start = page["events"][-1]["seq"] + 1


def _spot_check_objects(connection: http.client.HTTPConnection, log: list[dict],
                        object_keys: list[str], result: Verification) -> None:
    """Each object in object_keys, read by object (_read_object), must give exactly the log's
    main-branch events of that object, in order, and a `version` equal to its last seq."""
    fields = ("seq", "position", "id", "type", "data")
    for object_key in object_keys:
        in_log = [tuple(event.get(name) for name in fields) for event in log
                  if event["object"] == object_key and event["branch"] == "main"]
        answer = _read_object(connection, object_key, result)
        if answer is None:
            result.mismatches += 1
            continue
        events, version = answer
        read = [tuple(event.get(name) for name in fields) for event in events]
        if read != in_log or version != len(in_log):
            result.mismatches += 1
            result.note(f"{object_key}: read by object, {len(read)} events and version {version}; "
                        f"the log has {len(in_log)} events for it, or different ones")


def _check_listings(connection: http.client.HTTPConnection, log: list[dict], result: Verification) -> None:
    """The object listings must be what the log says: GET /v1/objects counts, per type, the
    objects with events on main; GET /v1/objects/{type} (paged) lists exactly those ids in byte
    order, each with its main head as `version`, its newest commit time on any live branch as
    `lastCommitTime`, and at least as many branches as have events of their own."""
    expected: dict[str, dict[str, dict]] = {}
    for event in log:
        if event["branch"].endswith("~deleted"):
            continue
        object_type, _, object_id = event["object"].partition("/")
        entry = expected.setdefault(object_type, {}).setdefault(
            object_id, {"version": 0, "lastCommitTime": 0, "branches": set()})
        if event["branch"] == "main":
            entry["version"] = max(entry["version"], event["seq"])
        entry["lastCommitTime"] = max(entry["lastCommitTime"], event["time"])
        entry["branches"].add(event["branch"])
    for objects in expected.values():
        for object_id in [key for key, entry in objects.items() if entry["version"] == 0]:
            del objects[object_id]  # only branches left: the object was deleted
    status, counts = _get_json(connection, "/v1/objects")
    listed_counts = ({entry["type"]: entry["objects"] for entry in counts.get("types", []) if entry["objects"] > 0}
                     if status == 200 and isinstance(counts, dict) else None)
    wanted_counts = {object_type: len(objects) for object_type, objects in expected.items() if objects}
    if listed_counts != wanted_counts:
        result.note(f"GET /v1/objects counts {listed_counts}, the log says {wanted_counts}")
    for object_type, objects in expected.items():
        listed: list[dict] = []
        after = None
        while True:
            path = f"/v1/objects/{urllib.parse.quote(object_type)}?limit=1000" + (f"&after={urllib.parse.quote(after)}" if after else "")
            status, page = _get_json(connection, path)
            if status != 200 or not isinstance(page, dict):
                result.note(f"GET {path} answered {status}: {str(page)[:300]}")
                return
            listed += page["objects"]
            after = page["next"]
            if after is None:
                break
        want = sorted(objects, key=lambda object_id: object_id.encode())
        if [entry["id"] for entry in listed] != want:
            result.note(f"GET /v1/objects/{object_type} lists {len(listed)} objects, the log has {len(want)}: "
                        f"first difference at {next((i for i, (a, b) in enumerate(zip([e['id'] for e in listed], want)) if a != b), min(len(listed), len(want)))}")
            continue
        result.listed += len(listed)
        for entry in listed:
            known = objects[entry["id"]]
            if (entry["version"], entry["lastCommitTime"]) != (known["version"], known["lastCommitTime"]) \
                    or entry["branches"] < len(known["branches"]):
                result.note(f"{object_type}/{entry['id']} is listed as {entry}, the log says version {known['version']}, "
                            f"last commit {known['lastCommitTime']}, {len(known['branches'])} branches with events")
                break


def _check_refused(log: list[dict], refused_ids: list[str], result: Verification) -> None:
    """No event the server refused (said it did not write) may be in the log."""
    by_id = {event["id"]: event for event in log}
    for event_id in refused_ids:
        if event_id in by_id:
            result.phantoms += 1
            result.note(f"event {event_id} was refused, yet the log has it at position "
                        f"{by_id[event_id]['position']}")


def verify(port: int, acknowledged: list[AckedEvent], spot_checks: int = 5,
           seed: int = 0, refused_ids: list[str] | None = None) -> Verification:
    """Reads the server's whole log and checks it against `acknowledged` (see _read_log,
    _check_log, _check_acknowledged) and `refused_ids` (_check_refused), the object listings
    against the log (_check_listings), then spot-checks
    `spot_checks` objects drawn with `seed` (_spot_check_objects). Raises HarnessError only if
    the server cannot be reached at all."""
    result = Verification(acknowledged=len(acknowledged), refused=len(refused_ids or []))
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    try:
        log = _read_log(connection, result)
        result.log_events = len(log)
        _check_log(log, result)
        _check_acknowledged(log, acknowledged, result)
        _check_refused(log, refused_ids or [], result)
        if not result.unreadable:
            _check_listings(connection, log, result)
        objects = sorted({event["object"] for event in log if event["branch"] == "main"})
        chosen = random.Random(seed).sample(objects, min(spot_checks, len(objects)))
        _spot_check_objects(connection, log, chosen, result)
    except (OSError, http.client.HTTPException) as error:
        raise HarnessError(f"verification could not reach the server: {error!r}") from error
    finally:
        connection.close()
    return result


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the options every harness takes (see each one's help)."""
    parser.add_argument("--evtool", type=Path, default=DEFAULT_EVTOOL, metavar="PATH",
                        help="the evtool binary to test (default: .build/debug/evtool)")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed for every random choice, printed so a failure can be replayed "
                             "(default: random)")
    parser.add_argument("--appenders", type=int, default=16, metavar="N",
                        help="concurrent appender connections (default: 16)")
    parser.add_argument("--objects", type=int, default=50, metavar="N",
                        help="objects the appenders spread events over (default: 50)")
    parser.add_argument("--object-type", default="account", metavar="TYPE",
                        help="object type appended to; its schema must accept 'Deposited' events "
                             "with data {n, pad} (default: account)")
    parser.add_argument("--data", type=Path, default=None, metavar="DIR",
                        help="data folder, kept afterwards (default: a fresh temporary folder, "
                             "removed at the end unless --keep or a failure)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary data folder and print where it is")
    parser.add_argument("--serve-arg", action="append", default=[], metavar="ARG",
                        help="extra argument for `evtool serve`, repeatable "
                             "(e.g. --serve-arg=--schemas --serve-arg=DIR)")


def check_evtool(path: Path) -> Path:
    """Returns path made absolute; raises HarnessError if it is not an executable file."""
    path = path.resolve()
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise HarnessError(f"{path} is not an executable; build it first (swift build) or pass "
                           "--evtool PATH")
    return path


def object_ids(count: int) -> list[str]:
    """The ids the appenders use: obj-0000, obj-0001, ..."""
    return [f"obj-{index:04d}" for index in range(count)]


class DataDirectory:
    """The data folder of one run: `path` is `--data` (created if missing, always kept) or a
    fresh temporary folder, which `finish` removes unless told to keep it."""

    def __init__(self, given: Path | None, prefix: str):
        self.temporary = given is None
        self.path = Path(tempfile.mkdtemp(prefix=prefix)) if given is None else given.resolve()
        self.path.mkdir(parents=True, exist_ok=True)

    def finish(self, keep: bool) -> None:
        """Removes a temporary folder unless keep; otherwise prints where the data is."""
        if self.temporary and not keep:
            shutil.rmtree(self.path, ignore_errors=True)
        else:
            print(f"data kept in {self.path}")


def report_failure(lines: list[str]) -> None:
    """Prints a cycle's failure reasons, indented under its line."""
    for line in lines:
        print("    " + line.replace("\n", "\n    "))


def describe(result: Verification) -> str:
    """One line of a verification's counts (refused ones only when verify checked some)."""
    refused = (f", refused yet present {result.phantoms} of {result.refused}"
               if result.refused else "")
    return (f"log {result.log_events} events, {result.listed} objects listed as it says; lost {result.lost}, gaps {result.gaps}, "
            f"mismatches {result.mismatches}, crc failures {result.crc_failures}{refused}")
