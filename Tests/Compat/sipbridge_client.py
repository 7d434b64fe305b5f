"""Independent compatibility client for the SIP bridge REST API and status callbacks.

Written from SIP-BRIDGE.md §2 (API REST) and §5 (Callbacks HTTP) of the original
Python bridge `sipbridge.py` (Bluestart83/AlloResto, branch v2), from the document
only. It imports nothing from the project: Python 3 standard library only.

Usage:
  python3 sipbridge_client.py --base http://127.0.0.1:PORT \
      --callee sip:+33611111111@127.0.0.1:CALLEEPORT [--callback-port N]

The callee is expected to ring (180) and never answer; the client hangs up via the API.
Prints one "ok: ..." / "FAIL: ..." line per check; exit status 0 only if all passed.
"""
import argparse
import datetime
import http.server
import json
import sys
import threading
import time
import urllib.error
import urllib.request

FAILURES = []

# §5 "Status possibles" and "Events"
STATUSES = {"initiated", "ringing", "answered", "active", "completed",
            "failed", "busy", "no-answer", "cancelled"}
EVENTS = {"initiated", "ringing", "answered", "completed"}


def check(cond, what, detail=""):
    print(("ok: " if cond else "FAIL: ") + what + ("" if cond else f" ({detail})"))
    if not cond:
        FAILURES.append(what)
    return cond


def request(method, url, body=None):
    """Return (status code, parsed JSON or None, raw text)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            code, raw = r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        code, raw = e.code, e.read().decode("utf-8", "replace")
    try:
        return code, json.loads(raw), raw
    except ValueError:
        return code, None, raw


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_iso8601(v):
    if not isinstance(v, str):
        return False
    try:  # Python < 3.11 does not take a trailing "Z"
        datetime.datetime.fromisoformat(v[:-1] + "+00:00" if v.endswith("Z") else v)
        return True
    except ValueError:
        return False


def type_errors(obj, spec, prefix=""):
    """spec: field -> predicate. Returns a list of 'field: problem' strings."""
    if not isinstance(obj, dict):
        return [f"{prefix or 'body'} is not an object: {obj!r}"]
    errs = []
    for key, pred in spec.items():
        if key not in obj:
            errs.append(f"{prefix}{key} missing")
        elif isinstance(pred, dict):
            errs += type_errors(obj[key], pred, prefix + key + ".")
        elif not pred(obj[key]):
            errs.append(f"{prefix}{key}={obj[key]!r} has the wrong type")
    return errs


string = lambda v: isinstance(v, str)
str_or_null = lambda v: v is None or isinstance(v, str)
boolean = lambda v: isinstance(v, bool)

# §2 GET /health example
HEALTH = {"status": string, "sip_registered": boolean, "sip_account": str_or_null,
          "ws_target": str_or_null, "active_calls": is_int, "max_concurrent_calls": is_int,
          "audio": {"codec": string, "clock_rate": is_int, "frame_ms": is_int,
                    "ec_enabled": boolean, "vad_enabled": boolean}}
# §2 GET /api/calls example record
RECORD = {"sid": string, "direction": string, "from": string, "to": string, "status": string,
          "customParams": lambda v: isinstance(v, dict), "createdAt": is_iso8601,
          "answeredAt": str_or_null, "endedAt": str_or_null, "durationSec": is_int}
# §5 status callback example
CALLBACK_KEYS = ["sid", "direction", "from", "to", "status", "customParams", "event", "timestamp"]


def start_callback_server(port):
    received, lock = [], threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw)
            except ValueError:
                body = {"_unparsable": raw.decode("utf-8", "replace")}
            with lock:
                received.append((self.path, body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):  # keep the output to the check lines
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received, lock


def watch(base, sid, last, cond):
    """Our record in GET /api/calls if cond(record) holds; the record seen goes in last["rec"]."""
    _, calls, _ = request("GET", base + "/api/calls")
    calls = calls if isinstance(calls, list) else []
    rec = last["rec"] = next((c for c in calls if isinstance(c, dict) and c.get("sid") == sid), None)
    return rec if rec and cond(rec) else None


def poll(fn, seconds=10.0):
    deadline = time.time() + seconds
    while True:
        value = fn()
        if value or time.time() > deadline:
            return value
        time.sleep(0.2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True)
    ap.add_argument("--callee", required=True)
    ap.add_argument("--callback-port", type=int, default=0)
    ap.add_argument("--verbose", action="store_true", help="print the callbacks received")
    args = ap.parse_args()
    base = args.base.rstrip("/")

    # 1. §2 GET /health: every field of the example, with its JSON type.
    code, health, raw = request("GET", base + "/health")
    errs = type_errors(health, HEALTH) if code == 200 else [f"status {code}: {raw[:200]}"]
    check(not errs, "GET /health has every documented field with its type", "; ".join(errs))

    # 2. §5: a local receiver for the status callbacks.
    server, received, lock = start_callback_server(args.callback_port)
    callback_url = f"http://127.0.0.1:{server.server_address[1]}/call-status"
    check(True, f"callback server listening at {callback_url}")

    # 3. §2 POST /api/calls: 201 and the documented response (no wsTarget sent).
    body = {"to": args.callee, "from": "+33491234567", "customParams": {"restaurantId": "compat-1"},
            "callbackUrl": callback_url, "timeoutSec": 20}
    code, call, raw = request("POST", base + "/api/calls", body)
    check(code == 201, "POST /api/calls answers 201", f"got {code}: {raw[:300]}")
    call = call if isinstance(call, dict) else {}
    expected = {"direction": "outbound", "from": "+33491234567", "status": "initiated"}
    errs = [f"{k}={call.get(k)!r}, expected {v!r}" for k, v in expected.items() if call.get(k) != v]
    if not isinstance(call.get("to"), str):
        errs.append(f"to={call.get('to')!r}")
    if not isinstance(call.get("sid"), str) or not call.get("sid"):
        errs.append(f"sid={call.get('sid')!r}")
    if not isinstance(call.get("customParams"), dict) or call["customParams"].get("restaurantId") != "compat-1":
        errs.append(f"customParams={call.get('customParams')!r}")
    if not is_iso8601(call.get("createdAt")):
        errs.append(f"createdAt={call.get('createdAt')!r} is not ISO 8601")
    check(not errs, "POST /api/calls response has the documented fields and values", "; ".join(errs))
    # §2 example: the response's "to" is the request's "to" as given (here a SIP URI).
    check(call.get("to") == args.callee, 'POST /api/calls response echoes "to" as sent',
          f"to={call.get('to')!r}, expected {args.callee!r}")
    sid = call.get("sid")
    if not isinstance(sid, str) or not sid:
        check(False, "cannot go on without a sid")
        return 1

    # 4. §2 GET /api/calls: an array; our call reaches "ringing"; record fields typed as documented.
    code, calls, raw = request("GET", base + "/api/calls")
    check(code == 200 and isinstance(calls, list), "GET /api/calls is a JSON array", f"{code}: {raw[:200]}")
    last = {}
    rec = poll(lambda: watch(base, sid, last, lambda r: r.get("status") == "ringing"))
    check(rec is not None, "GET /api/calls shows our call as ringing within 10 s", f"last record: {last.get('rec')!r}")
    errs = type_errors(rec or last.get("rec") or {}, RECORD)
    check(not errs, "call record has every documented field with its type", "; ".join(errs))

    # 5. §2 DELETE /api/calls/{sid}: 2xx, then the record ends with status "cancelled" (§5).
    code, _, raw = request("DELETE", f"{base}/api/calls/{sid}")
    check(200 <= code < 300, "DELETE /api/calls/{sid} answers 2xx", f"got {code}: {raw[:200]}")

    rec = poll(lambda: watch(base, sid, last, lambda r: r.get("endedAt") is not None))
    check(rec is not None, "record gets a non-null endedAt within 10 s", f"last record: {last.get('rec')!r}")
    if rec is not None:
        check(rec.get("status") == "cancelled", 'ended record has status "cancelled" (Raccroché via API)',
              f"status={rec.get('status')!r}")
        errs = type_errors(rec, RECORD)
        check(not errs, "ended record still has every documented field with its type", "; ".join(errs))

    # 6. §5 status callbacks: keys, values, known statuses/events, order.
    poll(lambda: any(isinstance(b, dict) and b.get("status") == "cancelled" for _, b in list(received)))
    time.sleep(0.5)  # let a late, misordered callback arrive too
    with lock:
        cbs = list(received)
    server.shutdown()
    for path, cb in cbs if args.verbose else []:
        print(f"  callback {path}: {json.dumps(cb)}")
    check(len(cbs) > 0, "status callbacks were received", "none")
    errs = []
    for i, (path, cb) in enumerate(cbs):
        if path != "/call-status":
            errs.append(f"#{i} posted to {path}")
        if not isinstance(cb, dict):
            errs.append(f"#{i} not an object: {cb!r}")
            continue
        missing = [k for k in CALLBACK_KEYS if k not in cb]
        if missing:
            errs.append(f"#{i} misses {missing}")
        if cb.get("sid") != sid:
            errs.append(f"#{i} sid={cb.get('sid')!r}")
        if not isinstance(cb.get("customParams"), dict) or cb["customParams"].get("restaurantId") != "compat-1":
            errs.append(f"#{i} customParams={cb.get('customParams')!r}")
        if cb.get("status") not in STATUSES:
            errs.append(f"#{i} undocumented status {cb.get('status')!r}")
        if cb.get("event") not in EVENTS:
            errs.append(f"#{i} undocumented event {cb.get('event')!r} (status {cb.get('status')!r})")
        if not is_iso8601(cb.get("timestamp")):
            errs.append(f"#{i} timestamp={cb.get('timestamp')!r}")
    check(not errs, "every callback has the documented keys, our sid and customParams, known status/event",
          "; ".join(errs))
    statuses = [cb.get("status") for _, cb in cbs if isinstance(cb, dict)]
    check("initiated" in statuses, 'callbacks include status "initiated"', f"statuses {statuses}")
    check(bool(statuses) and statuses[-1] == "cancelled", 'callbacks end with status "cancelled"',
          f"statuses {statuses}")
    rank = {"initiated": 0, "ringing": 1, "cancelled": 2}
    ranks = [rank[s] for s in statuses if s in rank]
    check(ranks == sorted(ranks), "callbacks arrive in order initiated < ringing < cancelled",
          f"statuses {statuses}")

    # 7. §2 DELETE of an unknown sid -> 404.
    code, _, raw = request("DELETE", base + "/api/calls/CAdoesnotexist")
    check(code == 404, "DELETE /api/calls/CAdoesnotexist answers 404", f"got {code}: {raw[:200]}")

    print(f"{'FAILED' if FAILURES else 'PASSED'}: {len(FAILURES)} failed check(s)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
