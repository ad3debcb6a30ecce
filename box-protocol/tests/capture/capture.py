#!/usr/bin/env python3
"""Record a real Kannel 1.4.5 smsbox <-> bearerbox session and cut it into fixtures.

A tool, not a test: the Rust test suite only reads the hex files this writes.
See README.md next to this file for what it drives and how to re-run it.

Everything binds to 127.0.0.1. Every wait has a deadline, and the script only
ever signals the processes it started itself (by their Popen handles).
"""

import argparse
import http.server
import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
BEARERBOX = "/usr/sbin/bearerbox"
SMSBOX = "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"

ADMIN_PORT = 13450
SMSBOX_PORT = 13451  # bearerbox's box port
FAKE_PORT = 13452
PROXY_PORT = 13453  # smsbox's bearerbox-port
SENDSMS_PORT = 13454
HTTP_PORT = 13455  # get-url and dlr-url target

HEARTBEAT_WAIT = 34.0  # smsbox sends its first heartbeat 30 s after connecting
OVERALL_DEADLINE = 120.0


def log(out, line):
    stamp = time.strftime("%H:%M:%S")
    with open(os.path.join(out, "driver.log"), "a") as f:
        f.write(f"{stamp} {line}\n")
    print(f"{stamp} {line}", flush=True)


# ---------------------------------------------------------------- HTTP target


class Target(http.server.BaseHTTPRequestHandler):
    out = "."

    def do_GET(self):
        with open(os.path.join(self.out, "http.log"), "a") as f:
            f.write(self.path + "\n")
        if self.path.startswith("/mo"):
            body = b"Thanks for your message"
        else:
            body = b"ok"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


# ---------------------------------------------------------- recording proxy


class Proxy(threading.Thread):
    """Relays smsbox's connections to bearerbox, appending each direction to a file."""

    def __init__(self, out):
        super().__init__(daemon=True)
        self.out = out
        self.conns = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", PROXY_PORT))
        self.sock.listen(4)
        self.sock.settimeout(0.5)
        self.stop = False

    def run(self):
        while not self.stop:
            try:
                box, _ = self.sock.accept()
            except socket.timeout:
                continue
            self.conns += 1
            n = self.conns
            bb = socket.create_connection(("127.0.0.1", SMSBOX_PORT), timeout=5)
            bb.settimeout(None)
            box.settimeout(None)
            for src, dst, name in ((box, bb, "box2bb"), (bb, box, "bb2box")):
                path = os.path.join(self.out, f"conn{n}.{name}.bin")
                threading.Thread(target=self.pump, args=(src, dst, path), daemon=True).start()

    @staticmethod
    def pump(src, dst, path):
        with open(path, "ab") as f:
            while True:
                try:
                    data = src.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    break
                f.write(data)
                f.flush()
                try:
                    dst.sendall(data)
                except OSError:
                    break
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


# --------------------------------------------------------------- helpers


def wait_port(port, deadline):
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.2)
    return False


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except OSError as e:
        return None, str(e)


def sendsms(params):
    q = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    return http_get(f"http://127.0.0.1:{SENDSMS_PORT}/cgi-bin/sendsms?{q}")


# ------------------------------------------------ a tiny independent decoder


def be32(b, o):
    return struct.unpack_from(">i", b, o)[0]


def octstr(b, o):
    n = be32(b, o)
    if n == -1:
        return None, o + 4
    return bytes(b[o + 4 : o + 4 + n]), o + 4 + n


SMS_FIELDS = [
    ("sender", "s"), ("receiver", "s"), ("udhdata", "s"), ("msgdata", "s"), ("time", "i"),
    ("smsc_id", "s"), ("smsc_number", "s"), ("foreign_id", "s"), ("service", "s"),
    ("account", "s"), ("id", "s"), ("sms_type", "i"), ("mclass", "i"), ("mwi", "i"),
    ("coding", "i"), ("compress", "i"), ("validity", "i"), ("deferred", "i"),
    ("dlr_mask", "i"), ("dlr_url", "s"), ("pid", "i"), ("alt_dcs", "i"), ("rpi", "i"),
    ("charset", "s"), ("boxc_id", "s"), ("binfo", "s"), ("msg_left", "i"),
    ("priority", "i"), ("resend_try", "i"), ("resend_time", "i"), ("meta_data", "s"),
]


def describe(payload):
    t = be32(payload, 0)
    if t == 0:
        return {"type": "heartbeat", "load": be32(payload, 4)}
    if t == 1:
        return {"type": "admin", "command": be32(payload, 4), "boxc_id": octstr(payload, 8)[0]}
    if t == 3:
        return {"type": "ack", "nack": be32(payload, 4), "time": be32(payload, 8),
                "id": octstr(payload, 12)[0]}
    if t == 2:
        d, o = {"type": "sms"}, 4
        for name, kind in SMS_FIELDS:
            if kind == "i":
                d[name], o = be32(payload, o), o + 4
            else:
                d[name], o = octstr(payload, o)
        return d
    return {"type": f"unknown {t}"}


def frames(stream):
    o = 0
    while o + 4 <= len(stream):
        n = be32(stream, o)
        yield stream[o : o + 4 + n]
        o += 4 + n


# ------------------------------------------------------------ fixture names


MT_BY_RECEIVER = {
    b"4670000001": "mt_simple",
    b"4670000003": "mt_all_options",
    b"4670000004": "mt_queued",
    b"9990000001": "mt_unroutable",
}


def classify(direction, d, seen_sms):
    """A stable file name for the frames worth keeping, or None to skip."""
    if d["type"] == "admin":
        return {3: "identify", 0: "admin_shutdown", 4: "admin_restart"}.get(d["command"])
    if d["type"] == "heartbeat":
        return "heartbeat"
    if d["type"] == "sms":
        st = d["sms_type"]
        if direction == "box2bb" and st == 2:
            return MT_BY_RECEIVER.get(d["receiver"])
        if direction == "box2bb" and st == 1:
            return "mt_reply"
        if direction == "bb2box" and st == 0:
            return "mo_udh" if d["udhdata"] else "mo_text"
        if direction == "bb2box" and st == 3:
            return f"dlr_event{d['dlr_mask']}"
        return None
    if d["type"] == "ack":
        origin = seen_sms.get(d["id"])
        if origin is None:
            return None
        return f"ack_{d['nack']}_for_{origin}"
    return None


def hexdump(frame):
    rows = []
    for i in range(0, len(frame), 16):
        chunk = frame[i : i + 16]
        rows.append(f"{i:04x}  " + " ".join(f"{x:02x}" for x in chunk))
    return "\n".join(rows)


def cut(out, dest):
    os.makedirs(dest, exist_ok=True)
    written = []
    for name in sorted(os.listdir(out)):
        if not (name.startswith("conn") and name.endswith(".bin")):
            continue
        direction = name.split(".")[1]
        with open(os.path.join(out, name), "rb") as f:
            stream = f.read()
        seen_sms = {}
        # Acks in one direction answer sms frames from the other, so learn both.
        other = name.replace(direction, "bb2box" if direction == "box2bb" else "box2bb")
        other_path = os.path.join(out, other)
        streams = [(direction, stream)]
        if os.path.exists(other_path):
            with open(other_path, "rb") as f:
                streams.append(("other", f.read()))
        for dirn, s in streams:
            real = direction if dirn == direction else other.split(".")[1]
            for fr in frames(s):
                d = describe(fr[4:])
                if d["type"] == "sms":
                    label = classify(real, d, {})
                    if label:
                        seen_sms[d["id"]] = label
        for fr in frames(stream):
            d = describe(fr[4:])
            label = classify(direction, d, seen_sms)
            if label is None or label in written:
                continue
            written.append(label)
            summary = ", ".join(
                f"{k}={v!r}" for k, v in d.items() if v not in (None, -1) or k == "type"
            )
            with open(os.path.join(dest, label + ".hex"), "w") as f:
                f.write(f"# {label}: {direction} frame captured from real Kannel 1.4.5\n")
                f.write(f"# ({len(fr)} bytes incl. the 4-byte length) by tests/capture/capture.py\n")
                for i in range(0, len(summary), 100):
                    f.write("# " + summary[i : i + 100] + "\n")
                f.write(hexdump(fr) + "\n")
    return written


# ------------------------------------------------------------------- drive


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="/tmp/kannel-box-capture", help="scratch directory")
    ap.add_argument("--install", action="store_true",
                    help="also write the fixtures into ../vectors/")
    ap.add_argument("--cut-only", action="store_true",
                    help="do not run Kannel; re-cut an existing scratch directory")
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    procs = []

    if not args.cut_only:
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        with open(os.path.join(HERE, "kannel.conf.in")) as f:
            conf = f.read().replace("@OUT@", out)
        conf_path = os.path.join(out, "kannel.conf")
        with open(conf_path, "w") as f:
            f.write(conf)
        start = time.monotonic()
        deadline = start + OVERALL_DEADLINE

        Target.out = out
        web = http.server.ThreadingHTTPServer(("127.0.0.1", HTTP_PORT), Target)
        threading.Thread(target=web.serve_forever, daemon=True).start()
        proxy = Proxy(out)
        proxy.start()

        def spawn(name, argv):
            f = open(os.path.join(out, name + ".out"), "w")
            p = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, cwd=out)
            procs.append((name, p))
            log(out, f"started {name} pid {p.pid}")
            return p

        try:
            spawn("bearerbox", [BEARERBOX, conf_path])
            if not wait_port(SMSBOX_PORT, time.monotonic() + 15):
                raise RuntimeError("bearerbox did not open its box port")
            spawn("smsbox", [SMSBOX, conf_path])
            box_started = time.monotonic()
            if not wait_port(SENDSMS_PORT, time.monotonic() + 15):
                raise RuntimeError("smsbox did not open its sendsms port")
            # No fake client connected yet, so the link is not online: ack 3.
            log(out, "sendsms while the link is down: %s %s" % sendsms(
                {"username": "tester", "password": "foobar", "to": "4670000004",
                 "text": "Queued until the link is up"}))
            # The fake SMSC client: one MO now, then it stays to receive MTs.
            spawn("fakesmsc", [FAKESMSC, "-H", "127.0.0.1", "-r", str(FAKE_PORT),
                               "-i", "1", "-m", "1", "4670000002 5555 text hello world foo"])
            time.sleep(3)
            log(out, "sendsms simple: %s %s" % sendsms(
                {"username": "tester", "password": "foobar", "to": "4670000001",
                 "text": "Hello world"}))
            time.sleep(1)
            log(out, "sendsms all options: %s %s" % sendsms({
                "username": "tester", "password": "foobar", "from": "12345",
                "to": "4670000003", "text": "h\u00e9llo \u20ac", "charset": "UTF-8",
                "coding": "2", "mclass": "1", "validity": "10", "deferred": "5",
                "dlr-mask": "31",
                "dlr-url": f"http://127.0.0.1:{HTTP_PORT}/dlr?id=42&type=%d&answer=%A",
                "pid": "0", "alt-dcs": "0", "rpi": "0", "account": "acct1",
                "binfo": "bill1", "priority": "2", "meta-data": "?smpp?my_tlv=hello",
                "udh": b"\x06\x05\x04\x0b\x84\x23\xf0",
            }))
            time.sleep(1)
            log(out, "sendsms to a denied prefix: %s %s" % sendsms(
                {"username": "tester", "password": "foobar", "to": "9990000001",
                 "text": "Nowhere to go"}))
            time.sleep(2)
            wait = box_started + HEARTBEAT_WAIT - time.monotonic()
            if wait > 0:
                log(out, f"waiting {wait:.0f} s for smsbox's heartbeat")
                time.sleep(min(wait, deadline - time.monotonic()))
            log(out, "admin shutdown: %s %s" % http_get(
                f"http://127.0.0.1:{ADMIN_PORT}/shutdown?password=secret"))
            for name, p in procs:
                try:
                    p.wait(timeout=max(1, min(15, deadline - time.monotonic())))
                    log(out, f"{name} exited {p.returncode}")
                except subprocess.TimeoutExpired:
                    pass
        finally:
            for name, p in procs:
                if p.poll() is None:
                    log(out, f"terminating {name} pid {p.pid}")
                    p.terminate()
                    try:
                        p.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        p.wait(timeout=5)
            proxy.stop = True
            web.shutdown()

    written = cut(out, os.path.join(out, "vectors"))
    log(out, "cut: " + ", ".join(written))
    if args.install:
        dest = os.path.join(HERE, "..", "vectors")
        for label in written:
            shutil.copy(os.path.join(out, "vectors", label + ".hex"), dest)
        log(out, f"installed {len(written)} fixtures into {os.path.normpath(dest)}")


if __name__ == "__main__":
    sys.exit(main())
