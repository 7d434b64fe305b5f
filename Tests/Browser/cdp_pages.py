#!/usr/bin/env python3
"""Drives a headless Chromium over the DevTools protocol: sets the admin session cookie, opens each page,
waits for it to settle, and prints what a person sees (the page's innerText, its title) as JSON, saving a
screenshot of each page. Used by the Swift browser tests; needs Debian's `chromium` and `websocket-client`.

usage: cdp_pages.py --base URL --cookie NAME=VALUE --out DIR --wait MS PATH [PATH ...]
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

    def send(self, method, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--cookie", default=None)
    ap.add_argument("--out", required=True)
    ap.add_argument("--wait", type=int, default=1500)
    ap.add_argument("--width", type=int, default=390)
    ap.add_argument("paths", nargs="+")
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
        if args.cookie:
            name, value = args.cookie.split("=", 1)
            page.send("Network.setCookie", name=name, value=value, url=args.base, httpOnly=True, path="/")
        results = {}
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
