#!/usr/bin/env python3
"""Runs each benchmark scenario against our gateway and against Kannel 1.4.5
(Debian's package) with the same generated kannel.conf, interleaved, several
repetitions, and prints medians and the ratio ours/Kannel.

    cargo build --release --workspace --bins
    python3 bench/compare.py [--reps 3] [--messages 20000] [--scenarios mt-short,mo] [--only ours|kannel]

Each run: the SMSC simulator (target/release/smsc-sim, SMPP on loopback),
bearerbox, smsbox, then target/release/loadgen. Figures per run: messages/s
delivered to the simulator (or to the MO sink), HTTP p50/p99, CPU seconds of
each box and microseconds of gateway CPU per message, peak RSS of each box,
and the CPU seconds of the harness beside them (cpu_sim: the simulator;
cpu_load: the load generator, or the MO sink), which shares the same two cores.
`--perf DIR` records the boxes and the simulator with perf; `--syscalls DIR`
counts the boxes' syscalls with strace (BENCH_STRACE replaces `-c`).
`--instructions DIR` runs both boxes (ours or Kannel's) under callgrind, counting
only while the load runs: exact user-space instructions per message, the same
from run to run where CPU seconds on this machine vary by a quarter (slow: use a
few thousand messages, and read the counts, not the rates).
Loopback only; every wait is bounded.
"""

import argparse
import json
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "target" / "release"
KANNEL = {"bearerbox": "/usr/sbin/bearerbox", "smsbox": "/usr/sbin/smsbox"}
# BENCH_OURS=DIR runs the boxes found in DIR instead (an older build, to compare two builds).
OURS_DIR = Path(os.environ.get("BENCH_OURS", str(RELEASE)))
OURS = {"bearerbox": str(OURS_DIR / "bearerbox"), "smsbox": str(OURS_DIR / "smsbox")}
TICKS = os.sysconf("SC_CLK_TCK")

SCENARIOS = {
    # name: (kind, text, extra query, connections)
    "mt-short": ("mt", "Hello+world", "", 50),
    "mt-300": ("mt", "x" * 300, "", 50),
    "mt-ucs2": ("mt", "%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82", "&coding=2&charset=UTF-8", 50),
    "mt-dlr": ("mt-dlr", "Hello+receipts", "&dlr-mask=3", 50),
    "mo": ("mo", None, None, 0),
    "mt-short-200": ("mt", "Hello+world", "", 200),
}


def free_port():
    """A free port below Linux's ephemeral range (32768 and up): a port the kernel
    handed out for binding could be given to one of the run's own outgoing
    connections before the box binds it (it happened: "Address already in use")."""
    while True:
        port = random.randrange(10000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def wait_port(port, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def cpu_seconds(pid):
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


def peak_rss_mib(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def control(port, command):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(command.encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data.decode().strip()


def sim_stats(port):
    answer = control(port, "stats")
    return json.loads(answer[3:]) if answer.startswith("OK ") else {}


def store_metrics(admin_port):
    """Our store writer's counters (commits, operations grouped in them) from /metrics."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/metrics?password=bench", timeout=5) as answer:
            text = answer.read().decode()
    except OSError:
        return {}
    wanted = {"bearerbox_store_commits_total": "store_commits", "bearerbox_store_operations_total": "store_ops",
              "bearerbox_store_commit_seconds_total": "store_commit_s"}
    found = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in wanted:
            found[wanted[name]] = float(value)
    return found


def write_conf(path, d, p, window, credits=None):
    path.write_text(f"""group = core
admin-port = {p['admin']}
admin-interface = 127.0.0.1
admin-password = bench
smsbox-port = {p['box']}
smsbox-interface = 127.0.0.1
log-file = "{d}/bearerbox.log"
log-level = 2
store-type = file
store-location = "{d}/store"

group = smsbox
bearerbox-host = 127.0.0.1
sendsms-port = {p['sendsms']}
sendsms-interface = 127.0.0.1
log-file = "{d}/smsbox.log"
log-level = 2

group = smsc
smsc = smpp
smsc-id = sim
host = 127.0.0.1
port = {p['smpp']}
smsc-username = bench
smsc-password = bench
system-type = VMA
transceiver-mode = true
max-pending-submits = {window}

group = sendsms-user
username = bench
password = bench
max-messages = 3
concatenation = true
{f"credits = {credits}" if credits else ""}

group = sms-service
keyword = default
catch-all = true
max-messages = 0
get-url = "http://127.0.0.1:{p['sink']}/mo?from=%p&to=%P&text=%a"
""")


def wrapper(box):
    """BENCH_WRAP_BEARERBOX / BENCH_WRAP_SMSBOX: a command to run that box under,
    e.g. `valgrind --tool=callgrind --callgrind-out-file=/tmp/bb.out` for exact
    instruction counts (slow: use few messages, and read counts, not rates)."""
    return os.environ.get(f"BENCH_WRAP_{box.upper()}", "").split()


def callgrind_out(instructions_dir, gateway, scenario, box):
    return Path(instructions_dir) / f"{gateway}-{scenario}-{box}.callgrind"


def callgrind_total(path):
    """The instructions a callgrind output file counted (its `totals:` or `summary:` line)."""
    for line in Path(path).read_text(errors="replace").splitlines():
        if line.startswith(("totals:", "summary:")):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in {path}")


def run_once(gateway, scenario, messages, window, perf_dir=None, syscalls_dir=None, instructions_dir=None,
             credits=None):
    kind, text, extra, connections = SCENARIOS[scenario]
    binaries = KANNEL if gateway == "kannel" else OURS
    d = Path(tempfile.mkdtemp(prefix=f"bench-{gateway}-"))
    names = ("admin", "box", "sendsms", "smpp", "control", "sink")
    p = {}
    while len(set(p.values())) < len(names):
        p = {name: free_port() for name in names}
    write_conf(d / "kannel.conf", d, p, window, credits)
    procs = []
    result = {"gateway": gateway, "scenario": scenario}
    try:
        sim_args = [str(RELEASE / "smsc-sim"), "--port", str(p["smpp"]), "--control-port", str(p["control"]),
                    "--run-secs", "600"]
        if kind == "mt-dlr":
            sim_args.append("--receipts")
        sim = subprocess.Popen(sim_args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(sim)
        if not wait_port(p["smpp"]):
            raise RuntimeError("smsc-sim did not start")
        def under(box):
            if instructions_dir:
                return ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                        f"--callgrind-out-file={callgrind_out(instructions_dir, gateway, scenario, box)}"]
            return wrapper(box)

        bb = subprocess.Popen([*under("bearerbox"), binaries["bearerbox"], "-v", "3", str(d / "kannel.conf")], cwd=d,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(bb)
        if not wait_port(p["box"]):
            raise RuntimeError(f"{gateway} bearerbox did not start; see {d}")
        sb = subprocess.Popen([*under("smsbox"), binaries["smsbox"], "-v", "3", str(d / "kannel.conf")], cwd=d,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(sb)
        if not wait_port(p["sendsms"]):
            raise RuntimeError(f"{gateway} smsbox did not start; see {d}")
        # Wait for the SMPP bind.
        deadline = time.time() + 15
        while time.time() < deadline and not sim_stats(p["control"]).get("connections"):
            time.sleep(0.1)
        time.sleep(0.5)
        if perf_dir:
            # Sampled call graphs of both boxes for the load only (start-up excluded): `perf report -i`.
            for name, proc in (("bearerbox", bb), ("smsbox", sb), ("smsc-sim", sim)):
                out = Path(perf_dir) / f"{gateway}-{scenario}-{name}.data"
                procs.append(subprocess.Popen(["perf", "record", "-F", "999", "--call-graph", "dwarf,16384",
                                               "-o", str(out), "-p", str(proc.pid)],
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            time.sleep(0.5)
        if syscalls_dir:
            # Syscall counts of both boxes during the load (strace slows them: read counts, not rates).
            for name, proc in (("bearerbox", bb), ("smsbox", sb)):
                out = Path(syscalls_dir) / f"{gateway}-{scenario}-{name}.txt"
                procs.append(subprocess.Popen(["strace", *os.environ.get("BENCH_STRACE", "-c").split(), "-f",
                                               "-o", str(out), "-p", str(proc.pid)],
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            time.sleep(0.5)
        if instructions_dir:
            # Count from here: start-up and the bind are not the load's.
            for proc in (bb, sb):
                subprocess.run(["callgrind_control", "--instr=on", str(proc.pid)], capture_output=True, timeout=60)
        cpu_before = {"bearerbox": cpu_seconds(bb.pid), "smsbox": cpu_seconds(sb.pid), "sim": cpu_seconds(sim.pid)}
        # The load generator's CPU (and the MO sink's): what the machine spends outside the gateway.
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.time()
        sink = None
        if kind == "mt-dlr":
            sink = subprocess.Popen([str(RELEASE / "loadgen"), "sink", "--port", str(p["sink"]),
                                     "--expect", str(messages), "--seconds", "180"],
                                    stdout=subprocess.PIPE, text=True)
            extra = extra + f"&dlr-url=http%3A%2F%2F127.0.0.1%3A{p['sink']}%2Fdlr%3Ftype%3D%25d"
        if kind in ("mt", "mt-dlr"):
            query = f"username=bench&password=bench&from=12345&text={text}{extra}"
            out = subprocess.run([str(RELEASE / "loadgen"), "mt", "--port", str(p["sendsms"]), "--query", query,
                                  "--connections", str(connections), "--requests", str(messages),
                                  "--seconds", "300"], capture_output=True, text=True, timeout=400)
            load = json.loads(out.stdout.strip().splitlines()[-1])
            # Timed from the first request: loadgen makes its connections first, untimed
            # (Kannel's smsbox is slow to accept 200 at once).
            started = time.time() - load["seconds"]
            result.update(p50_ms=load["p50_ms"], p99_ms=load["p99_ms"], accepted=load["accepted"],
                          load_s=load["seconds"], load_errors=load["errors"])
            parts = 2 if scenario == "mt-300" else 1
            expected = load["accepted"] * parts
            deadline = time.time() + 120
            while time.time() < deadline and sim_stats(p["control"]).get("submits", 0) < expected:
                time.sleep(0.05)
            delivered = sim_stats(p["control"]).get("submits", 0) // parts
            elapsed = time.time() - started
            result.update(delivered=delivered, msgs_per_s=delivered / elapsed)
            if sink:
                sink_out, _ = sink.communicate(timeout=200)
                result["dlr_callbacks"] = json.loads(sink_out.strip().splitlines()[-1])["arrived"]
        else:
            out = subprocess.run([str(RELEASE / "loadgen"), "mo", "--control", f"127.0.0.1:{p['control']}",
                                  "--sink-port", str(p["sink"]), "--messages", str(messages), "--seconds", "300"],
                                 capture_output=True, text=True, timeout=400)
            load = json.loads(out.stdout.strip().splitlines()[-1])
            result.update(delivered=load["arrived"], msgs_per_s=load["mo_per_s"], inject_s=load.get("inject_s"))
        cpu = {name: cpu_seconds(proc.pid) - cpu_before[name]
               for name, proc in (("bearerbox", bb), ("smsbox", sb), ("sim", sim))}
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu["load"] = (children.ru_utime + children.ru_stime) - (children_before.ru_utime + children_before.ru_stime)
        if gateway == "ours":
            result.update(store_metrics(p["admin"]))
        result.update(cpu_bearerbox=cpu["bearerbox"], cpu_smsbox=cpu["smsbox"],
                      cpu_sim=round(cpu["sim"], 2), cpu_load=round(cpu["load"], 2),
                      us_per_msg=1e6 * (cpu["bearerbox"] + cpu["smsbox"]) / max(result.get("delivered", 0), 1),
                      rss_bearerbox=peak_rss_mib(bb.pid), rss_smsbox=peak_rss_mib(sb.pid))
    except Exception as error:  # noqa: BLE001 - a failed run is reported, not fatal
        result["error"] = str(error)
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in reversed(procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if "error" not in result:
            shutil.rmtree(d, ignore_errors=True)
    if instructions_dir and "error" not in result:
        try:
            counts = {box: callgrind_total(callgrind_out(instructions_dir, gateway, scenario, box))
                      for box in ("bearerbox", "smsbox")}
            result.update(instr_bearerbox=counts["bearerbox"], instr_smsbox=counts["smsbox"],
                          instr_per_msg=round(sum(counts.values()) / max(result.get("delivered", 0), 1)))
        except (OSError, RuntimeError, ValueError) as error:
            result["error"] = f"callgrind counts: {error}"
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--perf", metavar="DIR", help="record each box with `perf record` into DIR")
    parser.add_argument("--syscalls", metavar="DIR", help="count each box's syscalls with `strace -c` into DIR")
    parser.add_argument("--instructions", metavar="DIR",
                        help="count each box's instructions during the load with callgrind into DIR")
    parser.add_argument("--only", choices=("ours", "kannel"))
    parser.add_argument("--credits", type=int, metavar="N",
                        help="give the sendsms user `credits = N`, so that every request is charged "
                             "(ours only: Kannel has no credits; needs --only ours)")
    args = parser.parse_args()
    if args.credits and args.only != "ours":
        parser.error("--credits needs --only ours: Kannel has no credits")
    # strace and perf write into these and fail quietly (the run's counts then missing) if they do not exist.
    for directory in (args.perf, args.syscalls, args.instructions):
        if directory:
            Path(directory).mkdir(parents=True, exist_ok=True)
    gateways = [args.only] if args.only else ["ours", "kannel"]
    results = []
    for scenario in args.scenarios.split(","):
        for rep in range(args.reps):
            for gateway in gateways:
                result = run_once(gateway, scenario, args.messages, args.window, args.perf, args.syscalls,
                                  args.instructions, args.credits)
                print(json.dumps(result), flush=True)
                results.append(result)
    print()
    keys = ("msgs_per_s", "p50_ms", "p99_ms", "us_per_msg", "cpu_bearerbox", "cpu_smsbox", "rss_bearerbox",
            "rss_smsbox", "cpu_sim", "cpu_load")
    if args.instructions:
        keys = ("instr_per_msg", "instr_bearerbox", "instr_smsbox", "msgs_per_s")
    print("| scenario | gateway | " + " | ".join(keys) + " |")
    print("|" + " --- |" * (len(keys) + 2))
    for scenario in args.scenarios.split(","):
        medians = {}
        for gateway in gateways:
            runs = [r for r in results if r["scenario"] == scenario and r["gateway"] == gateway and "error" not in r]
            if not runs:
                print(f"| {scenario} | {gateway} | (every run failed) |")
                continue
            medians[gateway] = {k: statistics.median(r.get(k, 0) for r in runs) for k in keys}
            row = " | ".join(f"{medians[gateway][k]:.2f}" for k in keys)
            print(f"| {scenario} | {gateway} ({len(runs)} runs) | {row} |")
        if "ours" in medians and "kannel" in medians:
            ratio = " | ".join(
                f"{medians['ours'][k] / medians['kannel'][k]:.2f}" if medians["kannel"][k] else "-" for k in keys)
            print(f"| {scenario} | ours/kannel | {ratio} |")


if __name__ == "__main__":
    sys.exit(main())
