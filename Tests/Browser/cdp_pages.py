#!/usr/bin/env python3
"""Drives a headless Chromium over the DevTools protocol: sets the admin session cookie, opens each page,
waits for it to settle, and prints what a person sees (the page's innerText, its title) as JSON, saving a
screenshot of each page. Used by the Swift browser tests; needs Debian's `chromium` and `websocket-client`.

usage: cdp_pages.py --base URL --cookie NAME=VALUE --out DIR --wait MS PATH [PATH ...]
       cdp_pages.py --base URL --cookie NAME=VALUE --out DIR --steps FILE

With --steps, FILE is a JSON list run in order on one page, as a person would:
  {"go": PATH}                       open a page and let it settle
  {"click": CSS}                     click an element (as the mouse does)
  {"fill": CSS, "value": TEXT}       type into a field (replacing its value)
  {"press": "Enter", "on": CSS}      focus an element and press a key (keyboard use)
  {"waitFor": TEXT, "timeout": MS}   wait until the page shows TEXT (fails after the timeout)
  {"sleep": MS}                      let the page work (a reload after an action)
  {"read": NAME}                     record what the page shows under NAME, with a screenshot
  {"signal": FILE}                   create FILE (the test waits for it before acting on the server)
A confirmation the page asks (window.confirm) is accepted; its messages are returned under "dialogs".
--width sets the window's width (390: a phone; 1280: a desktop).
"""
import argparse, base64, json, os, shutil, subprocess, sys, tempfile, time

import websocket


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("chromium not found (apt-get install chromium)")


class Page:
    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.dialogs = []

    def send(self, method, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("method") == "Page.javascriptDialogOpening":
                # A confirmation asked by the page (window.confirm): recorded, and accepted as a person would.
                self.dialogs.append(msg["params"].get("message", ""))
                self.next_id += 1
                self.ws.send(json.dumps({"id": self.next_id, "method": "Page.handleJavaScriptDialog", "params": {"accept": True}}))
                continue
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})


READ = ("JSON.stringify({text: document.body ? document.body.innerText : '', title: document.title, url: location.pathname, "
        "labelsMissing: Array.from(document.querySelectorAll('input:not([type=hidden]),select,textarea'))"
        ".filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).length})")


def evaluate(page, expression):
    result = page.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
    if "exceptionDetails" in result:
        raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails'].get('text')}")
    return result["result"].get("value")


def probe(page, expression, default):
    """evaluate, for polling while a document is being replaced: an evaluation that fails gives `default`."""
    try:
        return evaluate(page, expression)
    except RuntimeError:
        return default


def element(page, css, action):
    found = evaluate(page, f"(() => {{ const e = document.querySelector({json.dumps(css)}); if (!e) return false; {action}; return true; }})()")
    if not found:
        raise RuntimeError(f"no element {css} on {evaluate(page, 'location.pathname')}")


def run_steps(page, args, steps, results):
    for i, step in enumerate(steps):
        if "go" in step:
            page.send("Page.navigate", url=args.base + step["go"])
            time.sleep(args.wait / 1000)
        elif "click" in step:
            # A click that submits a form loads a new document: wait for it (the marker set on this one is gone and
            # the new one is complete), so the next step never acts on the page being replaced. A click that does
            # not navigate just waits 3 s at most. On a loaded machine a fixed pause was not enough.
            evaluate(page, "window.__cdpStep = true")
            element(page, step["click"], "e.scrollIntoView(); e.click()")
            deadline = time.time() + 3
            while time.time() < deadline and probe(page, "window.__cdpStep === true", False):
                time.sleep(0.1)
            deadline = time.time() + 20
            while time.time() < deadline and probe(page, "document.readyState", "loading") != "complete":
                time.sleep(0.1)
            time.sleep(0.3)
        elif "fill" in step:
            element(page, step["fill"], f"e.focus(); e.value = {json.dumps(step['value'])}; e.dispatchEvent(new Event('input', {{bubbles: true}}))")
        elif "press" in step:
            element(page, step["on"], "e.focus()")
            key = step["press"]
            code = {"Enter": 13, "Tab": 9, " ": 32}.get(key, 0)
            for kind in ("keyDown", "char", "keyUp") if key == "Enter" else ("keyDown", "keyUp"):
                params = {"type": kind, "key": key, "windowsVirtualKeyCode": code, "nativeVirtualKeyCode": code}
                if kind == "char":
                    params["text"] = "\r"
                page.send("Input.dispatchKeyEvent", **params)
            time.sleep(0.5)
        elif "waitFor" in step:
            deadline = time.time() + step.get("timeout", 10000) / 1000
            while step["waitFor"] not in (evaluate(page, "document.body ? document.body.innerText : ''") or ""):
                if time.time() > deadline:
                    shot(page, args.out, f"{i:02d}-timeout")
                    raise RuntimeError(f"step {i}: \"{step['waitFor']}\" not shown on {evaluate(page, 'location.pathname')}")
                time.sleep(0.2)
        elif "sleep" in step:
            time.sleep(step["sleep"] / 1000)
        elif "signal" in step:
            open(step["signal"], "w").close()
        elif "read" in step:
            results[step["read"]] = json.loads(evaluate(page, READ))
            shot(page, args.out, f"{i:02d}-{step['read']}")


def shot(page, out, name):
    data = page.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    with open(os.path.join(out, f"{name}.png"), "wb") as f:
        f.write(base64.b64decode(data["data"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--cookie", default=None)
    ap.add_argument("--out", required=True)
    ap.add_argument("--wait", type=int, default=1500)
    ap.add_argument("--width", type=int, default=390)
    ap.add_argument("--steps", default=None)
    ap.add_argument("paths", nargs="*")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    profile = tempfile.mkdtemp(prefix="alloresto-chromium-")
    proc = subprocess.Popen(
        [find_chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--remote-debugging-port=0", f"--user-data-dir={profile}",
         f"--window-size={args.width},900", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.time() + 30
        while not os.path.exists(port_file) or os.path.getsize(port_file) == 0:
            if time.time() > deadline or proc.poll() is not None:
                sys.exit("chromium did not start")
            time.sleep(0.1)
        port = open(port_file).read().split()[0]
        import urllib.request
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        page_target = next(t for t in targets if t.get("type") == "page")
        page = Page(page_target["webSocketDebuggerUrl"])
        page.send("Network.enable")
        page.send("Page.enable")
        # The window cannot be narrower than Chromium's minimum (about 500 px): a phone is emulated instead.
        page.send("Emulation.setDeviceMetricsOverride", width=args.width, height=900, deviceScaleFactor=1, mobile=args.width < 600)
        if args.cookie:
            name, value = args.cookie.split("=", 1)
            page.send("Network.setCookie", name=name, value=value, url=args.base, httpOnly=True, path="/")
        results = {}
        if args.steps:
            run_steps(page, args, json.load(open(args.steps)), results)
            results["dialogs"] = page.dialogs
            print(json.dumps(results))
            return
        for i, path in enumerate(args.paths):
            page.send("Page.navigate", url=args.base + path)
            time.sleep(args.wait / 1000)
            state = page.send("Runtime.evaluate", expression="JSON.stringify({text: document.body ? document.body.innerText : '', title: document.title, url: location.pathname, labelsMissing: Array.from(document.querySelectorAll('input:not([type=hidden]),select,textarea')).filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).length})", returnByValue=True)
            shot = page.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
            name = path.strip("/").replace("/", "_").replace("?", "_") or "root"
            with open(os.path.join(args.out, f"{i:02d}-{name}.png"), "wb") as f:
                f.write(base64.b64decode(shot["data"]))
            results[path] = json.loads(state["result"]["value"])
        print(json.dumps(results))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
