#!/usr/bin/env python3
"""decode_test.py DECODER SHARED WORKDIR - the v2g-decode group (issue 22).

1. Every raw capture of SHARED/vectors/raw decodes with 0 errors, and its V2GTP messages
   (schema, name, direction, in order), SDP and SLAC frames equal the session JSONL of the
   same name. (The JSONL leaves out 802.1Q-tagged HomePlug frames: the tagged ones are
   counted apart.)
2. The session JSONL as input; the output forms (text, --json, --csv, --xml).
3. The same capture in other containers: big-endian pcapng, Linux cooked (SLL), raw IP.
4. Bad input, each built here from the shared captures or by hand: a truncated capture,
   pcapng with an unknown block, a capture with no V2G traffic, TCP out of order, with
   retransmissions and with a gap, EXI the codec rejects, TLS without keys, with the key
   log of another session, with wrong secrets, with the keys in a pcapng DSB block.
Prints PASS/FAIL lines, then "N passed, N failed"; a SKIP line without the shared vectors.
"""
import json
import os
import struct
import subprocess
import sys

dec, shared, work = sys.argv[1], sys.argv[2], sys.argv[3]
raw = os.path.join(shared, "vectors", "raw")
sessions = os.path.join(shared, "vectors", "sessions")
if not os.path.isdir(raw):
    print(f"SKIP decode: {raw} not found (the shared captures are read in place, SHARED={shared})")
    print("0 passed, 0 failed")
    sys.exit(0)
os.makedirs(work, exist_ok=True)
npass = nfail = 0


def check(ok, text, detail=""):
    global npass, nfail
    if ok:
        npass += 1
        print(f"PASS decode {text}")
    else:
        nfail += 1
        print(f"FAIL decode {text}")
        if detail:
            print("    " + str(detail)[:600])


def run(*args):
    p = subprocess.run([dec, *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def run_json(*args):
    rc, out, err = run("--json", *args)
    lines = [json.loads(l) for l in out.splitlines() if l.strip()]
    summary = lines[-1].get("summary") if lines else None
    return rc, lines, summary, err


def w(name, data):
    path = os.path.join(work, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


# ------------------------------------------------------------------ 1. shared captures
captures = sorted(os.path.join(d, f) for d in (os.path.join(raw, "pyplc"), os.path.join(raw, "dsv2gshark"))
                  if os.path.isdir(d) for f in os.listdir(d) if f.endswith((".pcap", ".pcapng")))
for cap in captures:
    name = os.path.basename(cap)
    ref = os.path.join(sessions, name + ".jsonl")
    if not os.path.isfile(ref):
        check(False, f"{name}: no session JSONL {ref}")
        continue
    exp = [json.loads(l) for l in open(ref)]
    ev2 = [(l["schema"], l["msg"], l["dir"]) for l in exp if l["p"] == "V2GTP"]
    esdp = sum(1 for l in exp if l["p"] == "SDP")
    eslac = sum(1 for l in exp if l["p"] == "HPAV")
    rc, lines, s, err = run_json(cap)
    got = [(l.get("schema"), l["msg"], l["dir"]) for l in lines if l.get("layer") == "v2gtp"]
    gsdp = sum(1 for l in lines if l.get("layer") == "sdp")
    gslac = sum(1 for l in lines if l.get("layer") == "slac" and not l["fields"].get("vlan"))
    tagged = sum(1 for l in lines if l.get("layer") == "slac" and l["fields"].get("vlan"))
    ok = rc == 0 and s is not None and s["errors"] == 0 and got == ev2 and gsdp == esdp and gslac == eslac
    first_diff = next(((i, a, b) for i, (a, b) in enumerate(zip(ev2, got)) if a != b), None)
    check(ok, f"{name}: v2gtp {len(got)}/{len(ev2)} sdp {gsdp}/{esdp} slac {gslac}/{eslac}"
          f"{f' (+{tagged} 802.1Q-tagged)' if tagged else ''}, errors {s and s['errors']}",
          f"exit {rc}; first difference {first_diff}; {err}")

# ------------------------------------------------------------------ 2. JSONL in, output forms
din = os.path.join(raw, "dsv2gshark", "DIN_DC_DS5366_Josev.pcapng")
din_ref = os.path.join(sessions, "DIN_DC_DS5366_Josev.pcapng.jsonl")
exp_din = [json.loads(l) for l in open(din_ref)]
n_v2g = sum(1 for l in exp_din if l["p"] == "V2GTP")
rc, lines, s, err = run_json(din_ref)
n_hpav = sum(1 for l in exp_din if l["p"] == "HPAV")
n_sdp = sum(1 for l in exp_din if l["p"] == "SDP")
check(rc == 0 and s["errors"] == 0 and (s["v2gtp"], s["slac"], s["sdp"]) == (n_v2g, n_hpav, n_sdp),
      f"session JSONL as input: {n_v2g} V2GTP, {n_hpav} SLAC, {n_sdp} SDP, 0 errors", s)
cd = [l for l in lines if l.get("msg") == "CurrentDemandReq"]
check(len(cd) > 0 and all(k in cd[0]["fields"] for k in ("ev_target_voltage_V", "ev_target_current_A", "soc_pct")),
      "CurrentDemandReq carries target voltage/current and SoC", cd[:1])
cdr = [l for l in lines if l.get("msg") == "CurrentDemandRes"]
check(len(cdr) > 0 and cdr[0]["fields"].get("response_code") == "OK" and "evse_present_voltage_V" in cdr[0]["fields"],
      "CurrentDemandRes carries response code and present voltage", cdr[:1])
rc, out, err = run(din)
last = out.splitlines()[-1] if out else ""
check(rc == 0 and last.startswith("messages=") and last.endswith(" errors=0") and "CurrentDemandReq" in out,
      f"text output ends with '{last}'")
rc, out, err = run("--csv", din)
rows = out.splitlines()
check(rc == 0 and rows[0].startswith("t,layer,dir,schema,msg,ev_target_voltage_V") and rows[-1].startswith("messages=")
      and sum(1 for r in rows if ",v2gtp," in r) == n_v2g, f"CSV: header, {n_v2g} v2gtp rows, summary")
rc, out, err = run("--xml", din)
check(rc == 0 and "<V2G_Message>" in out and "<CurrentDemandReq>" in out, "--xml prints the full message")
rc, out, err = run("--help")
check(rc == 0 and "--keylog" in out and "--listen" in out, "--help names every option")
rc, out, err = run("--bogus", din)
check(rc == 2 and "unknown option" in err, "an unknown option: exit 2 with a reason")


# ------------------------------------------------------------------ pcapng helpers
def blocks(data):
    o = 0
    out = []
    while o < len(data):
        t, l = struct.unpack_from("<II", data, o)
        out.append((t, data[o + 8:o + l - 4]))
        o += l
    return out


def block(t, body, be=False):
    body = body + b"\0" * (-len(body) % 4)
    e = ">" if be else "<"
    return struct.pack(e + "II", t, len(body) + 12) + body + struct.pack(e + "I", len(body) + 12)


def idb_tsresol(body):
    o = 8
    while o + 4 <= len(body):
        c, l = struct.unpack_from("<HH", body, o)
        if c == 0:
            break
        if c == 9:
            return body[o + 4]
        o += 4 + l + (-l % 4)
    return 6


def rewrite(src, be=False, link=None, convert=None, extra_after_idb=b"", drop=None):
    """Re-emit a little-endian single-section pcapng: byte order, link type, packets."""
    out = []
    for t, b in blocks(open(src, "rb").read()):
        e = ">" if be else "<"
        if t == 0x0A0D0D0A:
            out.append(block(t, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1), be))
        elif t == 1:
            lt, snap = struct.unpack_from("<HxxI", b, 0)
            res = idb_tsresol(b)
            opts = struct.pack(e + "HH", 9, 1) + bytes([res]) + b"\0\0\0" + struct.pack(e + "HH", 0, 0)
            out.append(block(1, struct.pack(e + "HHI", link if link is not None else lt, 0, snap) + opts, be))
            if extra_after_idb:
                out.append(extra_after_idb)
        elif t == 6:
            ifc, hi, lo, cl, ol = struct.unpack_from("<IIIII", b, 0)
            pkt = b[20:20 + cl]
            if drop is not None and drop(pkt):
                continue
            if convert is not None:
                pkt = convert(pkt)
                if pkt is None:
                    continue
            out.append(block(6, struct.pack(e + "IIIII", ifc, hi, lo, len(pkt), len(pkt)) + pkt, be))
    return b"".join(out)


def counts(lines):
    return {k: sum(1 for l in lines if l.get("layer") == k) for k in ("slac", "sdp", "v2gtp")}


# ------------------------------------------------------------------ 3. containers
rc0, lines0, s0, _ = run_json(din)
base = counts(lines0)
p = w("din_be.pcapng", rewrite(din, be=True))
rc, lines, s, err = run_json(p)
check(rc == 0 and counts(lines) == base, f"big-endian pcapng: the same {base}", (counts(lines), err))


def to_sll(pkt):
    et = pkt[12:14]
    return struct.pack(">HHH", 0, 1, 6) + pkt[6:12] + b"\0\0" + et + pkt[14:]


p = w("din_sll.pcapng", rewrite(din, link=113, convert=to_sll))
rc, lines, s, err = run_json(p)
check(rc == 0 and counts(lines) == base, f"Linux cooked capture (SLL): the same {base}", (counts(lines), err))


def to_sll2(pkt):
    et = pkt[12:14]
    return et + b"\0\0" + struct.pack(">IHBB", 1, 1, 0, 6) + pkt[6:12] + b"\0\0" + pkt[14:]


p = w("din_sll2.pcapng", rewrite(din, link=276, convert=to_sll2))
rc, lines, s, err = run_json(p)
check(rc == 0 and counts(lines) == base, f"Linux cooked capture v2 (SLL2): the same {base}", (counts(lines), err))


def to_raw(pkt):
    return pkt[14:] if pkt[12:14] in (b"\x86\xdd", b"\x08\x00") else None


p = w("din_raw.pcapng", rewrite(din, link=101, convert=to_raw))
rc, lines, s, err = run_json(p)
want = dict(base, slac=0)
check(rc == 0 and counts(lines) == want, f"raw IP: {want}", (counts(lines), err))

# ------------------------------------------------------------------ 4. bad input
data = open(din, "rb").read()
p = w("truncated.pcapng", data[:len(data) * 6 // 10 + 3])
rc, lines, s, err = run_json(p)
check(rc == 1 and "truncated" in err and s is not None and s["errors"] == 1 and 0 < s["v2gtp"] < base["v2gtp"],
      f"truncated pcapng: what precedes is decoded, then an error (exit {rc})", (s, err))
pc = open(os.path.join(raw, "pyplc", "2026-02-03_pyPLC_FoccciCape_with_Ioniq_runs_10_minutes.pcap"), "rb").read()
p = w("truncated.pcap", pc[:5000])
rc, out, err = run(p)
check(rc == 1 and "truncated" in err and out.splitlines()[-1].endswith("errors=1"), "truncated classic pcap", err)
p = w("header_only.pcap", pc[:10])
rc, out, err = run(p)
check(rc == 1 and "truncated" in err, "a pcap cut inside its file header", err)
p = w("not_capture.bin", b"hello world, no capture here\n")
rc, out, err = run(p)
check(rc == 1 and "not a pcap" in err, "a file that is no capture", err)

unknown = block(0x00000077, b"\x01\x02\x03\x04\x05")
p = w("unknown_block.pcapng", rewrite(din, extra_after_idb=unknown))
rc, lines, s, err = run_json(p)
notes = [l for l in lines if l.get("msg") == "note" and "unknown type" in l.get("note", "")]
check(rc == 0 and counts(lines) == base and len(notes) == 1, "pcapng with an unknown block: skipped with a note",
      (counts(lines), notes, err))

# A capture with no V2G traffic: an ARP request and a DNS query.
eth = b"\xff" * 6 + b"\x02\0\0\0\0\x01"
arp = eth + b"\x08\x06" + bytes(28)
ip4 = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + 8 + 4, 1, 0, 64, 17, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
dns = eth + b"\x08\x00" + ip4 + struct.pack(">HHHH", 5353, 53, 12, 0) + b"abcd"


def pcap(frames, link=1):
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, link)]
    for i, f in enumerate(frames):
        out.append(struct.pack("<IIII", 1700000000 + i, 0, len(f), len(f)) + f)
    return b"".join(out)


p = w("no_v2g.pcap", pcap([arp, dns]))
rc, lines, s, err = run_json(p)
check(rc == 0 and s["messages"] == 0 and s["errors"] == 0 and any("no V2G traffic" in l.get("note", "") for l in lines),
      "a capture with no V2G traffic: 0 messages, 0 errors, said so", lines)

# A hand-made DIN session over IPv6/TCP: segments in order, out of order, repeated, lost.
msgs = [(l["dir"] == "EV->EVSE", bytes.fromhex(l["exi"])) for l in exp_din if l["p"] == "V2GTP"][:12]
EV = bytes.fromhex("fe800000000000000000000000000001")
SE = bytes.fromhex("fe800000000000000000000000000002")


IPV4 = [False]


def seg(from_ev, seq, ack, flags, data=b""):
    src, dst = (EV, SE) if from_ev else (SE, EV)
    sp, dp = (50000, 15118) if from_ev else (15118, 50000)
    tcp = struct.pack(">HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack, 5 << 4, flags, 65535, 0, 0) + data
    if IPV4[0]:
        ip4 = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, src[-4:], dst[-4:])
        return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ip4 + tcp
    ip6 = struct.pack(">IHBB", 0x60000000, len(tcp), 6, 64) + src + dst
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x86\xdd" + ip6 + tcp


def session(mutate=None, bad_exi_at=None):
    """Frames of a TCP session carrying msgs; the first EV message goes in two segments."""
    seq = {True: 1000, False: 5000}
    frames = [seg(True, 999, 0, 0x02), seg(False, 4999, 1000, 0x12), seg(True, 1000, 5000, 0x10)]
    parts = []
    for i, (from_ev, exi) in enumerate(msgs):
        if i == bad_exi_at:
            exi = bytes.fromhex("00") + exi[1:]  # the EXI header's first byte must be 0x80
        m = b"\x01\xfe\x80\x01" + struct.pack(">I", len(exi)) + exi
        if i == 2:  # a DIN request in two segments
            parts.append((from_ev, seq[from_ev], m[:5], "a"))
            parts.append((from_ev, seq[from_ev] + 5, m[5:], "b"))
        else:
            parts.append((from_ev, seq[from_ev], m, None))
        seq[from_ev] += len(m)
    if mutate is not None:
        parts = mutate(parts)
    sent = {True: 1000, False: 5000}  # what each side has sent: the other side acknowledges it
    for from_ev, s_, d, _ in parts:
        frames.append(seg(from_ev, s_, sent[not from_ev], 0x18, d))
        sent[from_ev] = max(sent[from_ev], s_ + len(d))
    return frames


p = w("tcp_ok.pcap", pcap(session()))
rc, lines, s, err = run_json(p)
check(rc == 0 and s["v2gtp"] == len(msgs) and s["errors"] == 0, f"hand-made TCP session: {len(msgs)} messages", s)


IPV4[0] = True
rc, lines, s, err = run_json(w("tcp_ipv4.pcap", pcap(session())))
IPV4[0] = False
check(rc == 0 and s["v2gtp"] == len(msgs) and s["errors"] == 0, f"the same session over IPv4: {len(msgs)} messages", s)


def swap(parts):
    i = next(k for k, x in enumerate(parts) if x[3] == "a")
    parts[i], parts[i + 1] = parts[i + 1], parts[i]
    return parts


rc, lines, s, err = run_json(w("tcp_reorder.pcap", pcap(session(swap))))
gaps = [l for l in lines if "gap" in l.get("note", "")]
check(rc == 0 and s["v2gtp"] == len(msgs) and s["errors"] == 0 and not gaps,
      "TCP segments out of order: put back in order, nothing lost", (s, gaps))


def repeat(parts):
    return parts[:5] + [parts[3], parts[4]] + parts[5:]


rc, lines, s, err = run_json(w("tcp_retrans.pcap", pcap(session(repeat))))
check(rc == 0 and s["v2gtp"] == len(msgs) and s["errors"] == 0, "TCP retransmissions: dropped, each message once", s)


def lose(parts):
    return [x for x in parts if x[3] != "a"]


rc, lines, s, err = run_json(w("tcp_gap.pcap", pcap(session(lose))))
gaps = [l for l in lines if "TCP gap" in l.get("note", "")]
order = [l["dir"] for l in lines if l.get("layer") == "v2gtp"]
alternate = all(a != b for a, b in zip(order[2:], order[3:]))
check(rc == 0 and s["v2gtp"] == len(msgs) - 1 and s["errors"] == 0 and len(gaps) == 1 and alternate,
      "TCP gap: reported as a gap once the peer acknowledges the lost bytes, decoding resumes at the next message",
      (s, gaps, order))

rc, lines, s, err = run_json(w("bad_exi.pcap", pcap(session(bad_exi_at=4))))
und = [l for l in lines if l.get("msg") == "undecodable"]
check(rc == 1 and s["v2gtp"] == len(msgs) and s["errors"] == 1 and len(und) == 1 and und[0].get("error"),
      f"EXI the codec rejects: shown undecodable ('{und[0].get('error') if und else ''}'), decoding goes on", s)

# ------------------------------------------------------------------ TLS
def keylines(pkt):
    for tag in (b"CLIENT_RANDOM ", b"_TRAFFIC_SECRET"):
        if tag in pkt:
            return True
    return False


def strip_keys(src):
    keys = []
    for t, b in blocks(open(src, "rb").read()):
        if t == 6:
            pkt = b[20:20 + struct.unpack_from("<I", b, 12)[0]]
            if keylines(pkt):
                keys.append(pkt[pkt.index(b"CLIENT_") if b"CLIENT_" in pkt else pkt.index(b"SERVER_"):].decode().strip())
    return rewrite(src, drop=keylines), keys


tls13 = os.path.join(raw, "dsv2gshark", "ISO-20_TLS13_DC_DS5366_Josev.pcapng")
tls12 = os.path.join(raw, "dsv2gshark", "ISO-2_DC_PnC_TLS_Contract_DS5366_RiseV2G.pcapng")
n13 = sum(1 for l in open(os.path.join(sessions, os.path.basename(tls13) + ".jsonl")) if '"p":"V2GTP"' in l)
n12 = sum(1 for l in open(os.path.join(sessions, os.path.basename(tls12) + ".jsonl")) if '"p":"V2GTP"' in l)
bare13, keys13 = strip_keys(tls13)
bare12, keys12 = strip_keys(tls12)
p13 = w("tls13_nokeys.pcapng", bare13)
p12 = w("tls12_nokeys.pcapng", bare12)
k13 = w("tls13.keys", ("\n".join(keys13) + "\n").encode())
k12 = w("tls12.keys", ("\n".join(keys12) + "\n").encode())
rc, lines, s, err = run_json(p13)
errs = [l.get("error", "") for l in lines if l.get("layer") == "tls" and l.get("error")]
check(rc == 1 and len(keys13) == 4 and s["v2gtp"] < n13 and errs and "no key log line" in errs[0],
      f"TLS 1.3 without keys: an error with the reason ('{errs[0] if errs else ''}')", (s, errs))
rc, lines, s, err = run_json("--keylog", k13, p13)
check(rc == 0 and s["v2gtp"] == n13 and s["errors"] == 0, f"TLS 1.3 (AES-256-GCM) with --keylog: {n13} messages", s)
rc, lines, s, err = run_json("--keylog", k12, p12)
check(rc == 0 and s["v2gtp"] == n12 and s["errors"] == 0, f"TLS 1.2 (AES-128-CBC-SHA256) with --keylog: {n12}", s)
rc, lines, s, err = run_json("--keylog", k12, p13)
errs = [l.get("error", "") for l in lines if l.get("layer") == "tls" and l.get("error")]
check(rc == 1 and errs and "no key log line" in errs[0], "the key log of another session: an error, said why",
      (s, errs))


def spoil(line):
    lab, rnd, sec = line.split()
    return f"{lab} {rnd} {'%02x' % (int(sec[:2], 16) ^ 1)}{sec[2:]}"


kbad = w("tls12_wrong.keys", ("\n".join(spoil(l) for l in keys12) + "\n").encode())
rc, lines, s, err = run_json("--keylog", kbad, p12)
errs = [l.get("error", "") for l in lines if l.get("layer") == "tls" and l.get("error")]
check(rc == 1 and errs and "authentication" in errs[0], "a wrong secret for the right session: authentication fails",
      (s, errs))
kbad13 = w("tls13_wrong.keys", ("\n".join(spoil(l) for l in keys13) + "\n").encode())
rc, lines, s, err = run_json("--keylog", kbad13, p13)
errs = [l.get("error", "") for l in lines if l.get("layer") == "tls" and l.get("error")]
check(rc == 1 and errs and "authentication" in errs[0], "TLS 1.3 wrong secrets: authentication fails", (s, errs))
dsb_text = ("\n".join(keys13) + "\n").encode()
dsb = block(10, struct.pack("<II", 0x544C534B, len(dsb_text)) + dsb_text)
p = w("tls13_dsb.pcapng", rewrite(tls13, drop=keylines, extra_after_idb=dsb))
rc, lines, s, err = run_json(p)
check(rc == 0 and s["v2gtp"] == n13 and s["errors"] == 0, f"TLS 1.3 keys from a pcapng DSB block: {n13}", s)
rc, out, err = run("--keylog", os.path.join(work, "missing.keys"), p13)
check(rc == 2 and "missing.keys" in err, "a key log file that does not exist: exit 2", err)

# ------------------------------------------------------------------ live mode
# Needs the right to capture: checked as root (the test machine), said so otherwise.
if os.geteuid() == 0:
    import signal
    import socket
    import time
    lp = subprocess.Popen([dec, "--json", "--listen", "lo"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 20
    line = ""
    while time.time() < deadline and "listening" not in line:
        line = lp.stderr.readline()
        if line == "" and lp.poll() is not None:
            break
    time.sleep(0.5)
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    for _ in range(3):
        sock.sendto(bytes.fromhex("01fe9000000000021000"), ("::1", 15118))
        time.sleep(0.2)
    sock.close()
    time.sleep(1.0)
    lp.send_signal(signal.SIGINT)
    try:
        out, err = lp.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        lp.kill()
        out, err = lp.communicate()
    lines = [json.loads(l) for l in out.splitlines() if l.strip()]
    sdp = [l for l in lines if l.get("msg") == "SECCDiscoveryReq"]
    # Other programs may talk V2G on lo meanwhile (tests running side by side): their
    # messages, and errors such as TLS without keys, do not make this check fail.
    check(lp.returncode in (0, 1) and len(sdp) >= 3 and "summary" in lines[-1],
          f"--listen lo: SDP requests sent to [::1]:15118 decoded live ({len(sdp)} seen), summary at Ctrl-C",
          (lp.returncode, lines[-2:], err))
else:
    print("note: not root, --listen (live capture) not checked")

print(f"{npass} passed, {nfail} failed")
sys.exit(1 if nfail else 0)
