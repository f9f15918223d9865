#!/usr/bin/env python3
"""Write the committed seed corpora of the fuzz harnesses (tests/fuzz/corpus/<harness>/).

usage: gen_corpus.py --seed-modbus BIN --sim BIN --scratch DIR OUT_DIR
       (run by `make fuzz-corpus`; commit what it writes)

Every seed is a valid message or a valid script, made here, never copied from elsewhere:
  - V2G (apphand, DIN, V2GTP, SDP, SLAC): the frames of one simulated DIN session, taken
    from the simulator's pcap (sim --out DIR), plus the unit tests' EXI vectors;
  - EM580/EM300, Bender, Dold: conversations of the drivers with the unit tests' device
    models, recorded in the harness's input format by seed_modbus;
  - OCMF, InfyPower frames, configuration files, journal records: built below from the
    formats' definitions (docs/configuration.md, firmware/journal.c, infy_frame.c).
The file names are the content's SHA-1, as libFuzzer names corpus files.
"""
import argparse
import hashlib
import os
import shutil
import struct
import subprocess
import sys
import zlib


def put(out, harness, data):
    d = os.path.join(out, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), 'wb') as f:
        f.write(data)


def pcap_frames(path):
    with open(path, 'rb') as f:
        b = f.read()
    magic = struct.unpack('<I', b[:4])[0]
    if magic == 0x0A0D0D0A and struct.unpack('<I', b[8:12])[0] == 0x1A2B3C4D:
        # the simulator's pcapng: little-endian, one Ethernet interface, enhanced packet blocks
        pos = 0
        while pos + 12 <= len(b):
            btype, blen = struct.unpack('<II', b[pos:pos + 8])
            if blen < 12:
                sys.exit('gen_corpus: %s: bad pcapng block length' % path)
            if btype == 6:
                incl = struct.unpack('<I', b[pos + 20:pos + 24])[0]
                yield b[pos + 28:pos + 28 + incl]
            pos += blen
        return
    if magic != 0xA1B2C3D4 or struct.unpack('<I', b[20:24])[0] != 1:
        sys.exit('gen_corpus: %s is not a little-endian Ethernet pcap' % path)
    pos = 24
    while pos + 16 <= len(b):
        incl = struct.unpack('<I', b[pos + 8:pos + 12])[0]
        yield b[pos + 16:pos + 16 + incl]
        pos += 16 + incl


def session_messages(pcap):
    """SLAC frames, SDP payloads, and the V2GTP stream of each direction."""
    slac, sdp, streams = [], [], {}
    for fr in pcap_frames(pcap):
        et = struct.unpack('>H', fr[12:14])[0]
        if et == 0x88E1:
            slac.append(fr)
        elif et == 0x86DD and len(fr) >= 54:
            nh, ip = fr[20], fr[54:]
            if nh == 17 and len(ip) >= 8 and 15118 in struct.unpack('>HH', ip[:4]):
                sdp.append(ip[8:])
            elif nh == 6 and len(ip) >= 20:
                sport = struct.unpack('>H', ip[:2])[0]
                payload = ip[(ip[12] >> 4) * 4:]
                if payload:
                    streams.setdefault(sport, bytearray()).extend(payload)
    return slac, sdp, streams


def v2gtp_split(stream):
    msgs, pos = [], 0
    while pos + 8 <= len(stream):
        n = struct.unpack('>I', stream[pos + 4:pos + 8])[0]
        msgs.append(bytes(stream[pos:pos + 8 + n]))
        pos += 8 + n
    return msgs


def v2g_seeds(out, sim, scratch):
    d = os.path.join(scratch, 'sim')
    shutil.rmtree(d, ignore_errors=True)
    subprocess.run([sim, '--out', d], check=True, stdout=subprocess.DEVNULL)
    slac, sdp, streams = session_messages(os.path.join(d, 'cp0.pcapng'))
    if len(streams) < 2:
        sys.exit('gen_corpus: the simulated session has no V2GTP traffic in both directions')
    # The simulator's pcapng holds SLAC, SDP and the TCP session; link_seeds() writes more
    # SLAC and SDP seeds, and the frames of this capture are added here.
    for f in {f[:255] for f in slac}:
        put(out, 'homeplug', bytes([len(f), 1]) + f)
    for p in sdp:
        put(out, 'sdp', p)
    ev_port = min(streams)  # the EV's ephemeral port is not 15118; the EVSE's is
    ev = v2gtp_split(streams[max(streams, key=lambda p: p != 15118)])
    evse = v2gtp_split(streams[15118]) if 15118 in streams else []
    del ev_port
    seen = set()
    reqs = []
    for m in ev:
        body = m[8:]
        reqs.append(body)
        if body not in seen:
            seen.add(body)
            put(out, 'exi_apphand' if len(seen) == 1 else 'exi_din', body)
    for i, m in enumerate(evse):
        body = m[8:]
        if body not in seen:
            seen.add(body)
            put(out, 'exi_apphand' if i == 0 else 'exi_din', body)
    # v2gtp: first byte picks the maximum and the read size; then the stream
    put(out, 'v2gtp', b'\x85' + b''.join(ev[:6]))
    put(out, 'v2gtp', b'\x13' + b''.join(evse[:6]))
    # din: chunks [flags][len][bytes]; flags 0x0B = our SessionID patched in, authorised,
    # cable check done, isolation valid; the session's start and its end (the charging
    # loop in between repeats the same requests)
    chunks = [bytes([0x0B, len(b)]) + b for b in reqs[:30] + reqs[-6:] if len(b) < 256]
    put(out, 'din', b''.join(chunks))
    put(out, 'din', b''.join(c[:0] + bytes([0x0F]) + c[1:] for c in chunks[:8]))


def iso2_seeds(out, shared):
    # iso2: the car's requests of the ISO-2 DC lab capture (DS5366) as chunks for
    # fuzz_iso2.c: the handshake, then requests with flags 0x0F (our SessionID patched in,
    # authorised, limits final, cable check done, isolation valid); the whole start, the
    # end, and a pause/resume capture with the 0xFD "new connection" chunk between.
    import json
    def reqs_of(name):
        path = os.path.join(shared, 'vectors', 'sessions', name + '.pcapng.jsonl')
        if not os.path.exists(path):
            return []
        got = []
        with open(path) as f:
            for line in f:
                m = json.loads(line)
                if m.get('p') == 'V2GTP' and m.get('dir') == 'EV->EVSE' and 'exi' in m:
                    got.append((m.get('schema'), bytes.fromhex(m['exi'])))
        return got
    def chunks(reqs):
        return b''.join(bytes([0x00 if sch == 'appHand' else 0x0F, len(b)]) + b
                        for sch, b in reqs if len(b) < 256)
    dc = reqs_of('ISO-2_DC_DS5366')
    if dc:
        put(out, 'iso2', chunks(dc[:24] + dc[-5:]))
        put(out, 'iso2', chunks(dc[:9]))
    pause = reqs_of('ISO-2_DC_Pause_DS5366')
    if pause:
        starts = [i for i, (sch, _) in enumerate(pause) if sch == 'appHand']
        if len(starts) >= 2:
            first, second = pause[:starts[1]], pause[starts[1]:]
            seed = chunks(first[:12] + first[-4:]) + bytes([0xFD, 0]) + chunks(second[1:6])
            put(out, 'iso2', seed)


def iso20_seeds(out, shared):
    # iso20: the car's requests of the -20 DC lab session (D20, TLS 1.3 plaintext) as chunks
    # for fuzz_iso20.c: the handshake, then requests with flags 0x0F (common, 0x8002) or 0x4F
    # (DC, 0x8004): our SessionID patched in, authorised, limits final, cable check done.
    import json
    path = os.path.join(shared, 'vectors', 'sessions', 'ISO-20_TLS13_DC_DS5366_Josev.pcapng.jsonl')
    if not os.path.exists(path):
        return
    reqs = []
    with open(path) as f:
        for line in f:
            m = json.loads(line)
            if m.get('p') == 'V2GTP' and m.get('dir') == 'EV->EVSE' and 'exi' in m:
                reqs.append((m.get('schema'), bytes.fromhex(m['exi'])))
    def flag(sch):
        return 0x00 if sch == 'appHand' else 0x4F if sch == 'iso20_dc' else 0x0F
    def chunks(rs):
        return b''.join(bytes([flag(sch), len(b)]) + b for sch, b in rs if len(b) < 256)
    put(out, 'iso20', chunks(reqs[:14] + reqs[-8:]))
    put(out, 'iso20', chunks(reqs[:10]))
    # pause after the stop, then a new connection that presents the old ID
    put(out, 'iso20', chunks(reqs[:12]) + bytes([0xFD, 0]) + chunks(reqs[1:4]))


def link_seeds(out):
    # CM_SLAC_PARM.REQ (EV -> broadcast), as a [len][time step][frame] record
    parm_req = bytes.fromhex('ffffffffffff' '020000000002' '88e1' '01' '6460' '00000000') + b'TESLA EV'
    put(out, 'homeplug', bytes([60, 1]) + parm_req)  # 60: the frame padded to the minimum
    # the V2GTP stream receiver: two messages back to back (first byte: maximum, read size)
    put(out, 'v2gtp', bytes.fromhex('8501fe8001000000036162630' '1fe800200000001' '78'))
    # SDP request (TCP, no TLS) and a response (fe80::...:c690, port 15118)
    put(out, 'sdp', bytes.fromhex('033e3b0101fe9000000000021000'))
    put(out, 'sdp', bytes.fromhex('01fe900100000014fe80000000000000c69083f3fbcb980e3b0e1000'))


def exi_vector_seeds(out):
    # the unit tests' vectors (tests/unit/test_exi_stream.c, test_din_evse.c)
    put(out, 'exi_iso2', bytes.fromhex('809a02004080c1014181c210b800'))
    put(out, 'exi_iso2', bytes.fromhex('809a02004080c1014181c210d100000ba0406014010285010004061a01e04070c84c'
                                      '0400c081e00604000040a1503c00'))
    put(out, 'exi_iso20_ac', bytes.fromhex('800c041e9869d6a61dc1ef895b9b4a806200484180180418018041801980'))
    # iso20 and iso20_dc: the EXI header and the first event codes only; the fuzzer grows them
    for h in ('exi_iso20', 'exi_iso20_dc'):
        put(out, h, bytes.fromhex('80'))
        put(out, h, bytes.fromhex('8008'))
        put(out, h, bytes.fromhex('800c041e9869d6a61dc1ef895b9b4a8062'))


def modbus_seeds(out, seeder, scratch):
    for dev, harness in (('em580', 'em580'), ('em300', 'em580'), ('bender', 'imd_bender'),
                         ('dold', 'imd_dold')):
        p = os.path.join(scratch, 'seed-' + dev)
        subprocess.run([seeder, dev, p], check=True)
        with open(p, 'rb') as f:
            data = f.read()
        if len(data) < 200:
            sys.exit('gen_corpus: the %s conversation is too short (%d bytes)' % (dev, len(data)))
        put(out, harness, data)


OCMF_PAYLOAD = ('{"FV":"1.0","GI":"SEAL AG","GS":"1","GV":"1.0","PG":"T%d","MV":"Carlo Gavazzi",'
                '"MM":"EM580","MS":"KX%d","MF":"1.1","IS":true,"IL":"VERIFIED","IF":["RFID_PLAIN"],'
                '"IT":"ISO14443","ID":"04A1B2C3","TT":"0.39 EUR/kWh<=>tx-%d","CT":"EVSEID",'
                '"CI":"DE*ABC*E1","RD":[{"TM":"2026-01-01T10:00:00,000+0100 S","TX":"B",'
                '"RV":%s,"RI":"1-b:1.8.0","RU":"kWh","RT":"DC","ST":"G"},'
                '{"TM":"2026-01-01T11:00:00,000+0100 S","TX":"E","RV":%s,"ST":"G"}]}')


def ocmf_seeds(out):
    sig_der = ('3044022011' + '11' * 31 + '022022' + '22' * 31)
    for i, (a, b) in enumerate((('2935.600', '2945.612'), ('0', '0.001'), ('12', '13.5'))):
        payload = OCMF_PAYLOAD % (i, i, i, a, b)
        put(out, 'ocmf', ('OCMF|%s|{"SA":"ECDSA-secp256r1-SHA256","SD":"%s"}' % (payload, sig_der)).encode())
    put(out, 'ocmf', ('OCMF|{"PG":"T1","MS":"x","IS":false,"IT":"NONE","RD":[{"TM":"t","ST":"G",'
                      '"RV":12,"RU":"Wh"}]}|{"SD":"%s"}' % sig_der).encode())
    put(out, 'ocmf', ('04' + '11' * 64).encode())  # a public key in hex


def infy_seeds(out):
    def frame(cmd, src, data, dt=4, dev=0x0A):
        fid = (dev << 22) | (cmd << 16) | (0xF0 << 8) | src
        return struct.pack('>I', fid | 0x80000000) + bytes([1, 8]) + data + bytes([dt])
    script = b''
    for m in range(4):
        script += frame(0x0A, m, struct.pack('>HHHH', 1000, 150, 200, 3000))  # caps
        script += frame(0x0B, m, b'AB12345' + bytes([0x30 + m]))              # barcode
    for step in range(30):
        for m in range(4):
            script += frame(0x03, m, struct.pack('>ff', 400.0, 10.0 + step), dt=0x11 if step == 2 else 3)
            script += frame(0x04, m, bytes([0, 0, 1, 0, 35, 0, 0, 0]))        # status OK
            script += frame(0x0C, m, struct.pack('>HHHH', 4000, 200, 0, 0))   # after diode
    put(out, 'infy', script)
    put(out, 'infy', frame(0x03, 1, struct.pack('>ff', 750.5, 100.25)) + frame(0x04, 1, bytes(8)))


def config_seeds(out):
    put(out, 'config', b'# all types\na.flag = true\na.small = 42\nb.wide = 4000000000\n'
                       b'b.name = "cp 1"\nc.path = /var/lib/x\nlog.level = debug\n')
    put(out, 'config', b'a.small=5\r\nc.path=p\r\n')
    put(out, 'config', b'a.small = 501\nc.path = p\n')
    board = (b'# /etc/dcfc/charger.conf\ncan.interface = can0\ncan.bitrate = 125000\n'
             b'store.dir = /var/lib/dcfc\ncharger.name = left\nlog.syslog = true\npsu.type = infy\n'
             b'infy.modules = 0-3\ninterlock.power_down_timeout_ms = 1500\n'
             b'meter.bus = rtu:/dev/ttyUSB0,9600,8N1\nimd.model = bender\n'
             b'imd.bus = rtu:/dev/ttyUSB1,19200,8E1\nlink.interface = eth1\n')
    put(out, 'board_config', board)
    put(out, 'board_config', b'can.interface = vcan0\nstore.dir = /tmp/s\nmeter.bus = tcp:127.0.0.1:1502\n'
                             b'imd.model = dold\nimd.bus = tcp:localhost:1503\ninfy.modules = 0x10-0x13,0x20\n')
    put(out, 'board_config', b'can.interface = vcan0\nstore.dir = /tmp/s\n')


def api_json_seeds(out):
    """The MQTT API's commands (docs/mqtt.md) and a few near misses."""
    for cmd in (b'{"cmd":"ping","id":"1"}',
                b'{"cmd":"set_limit","connector":1,"current_a":12.5,"power_w":null}',
                b'{"cmd":"set_limit","station":true,"power_w":60000}',
                b'{"cmd":"authorize","token":"card-7","source":"rfid"}',
                b'{"cmd":"set_availability","operative":false,"after_session":true}',
                b' { "cmd" : "stop" , "t" : "a\\"b\\u0041\\n" } ',
                b'{"cmd":"stop"', b'{"a":1e3}', b'{"a":{"b":1}}', b'{}'):
        put(out, 'api_json', cmd)


def cbsom_plant_seeds(out):
    """Plant command scripts for fuzz_cbsom_plant: one command a line, as the tests of the
    co-processor image and cbsomsim send them, good and bad."""
    put(out, 'cbsom_plant', b'car B\ncar C\nstatus\ncar B\ncar A\n')
    put(out, 'cbsom_plant', b'car C\nestop 1 1\nestop 1 0\nreset\ncar D\ndiode 0\nreboot\n')
    put(out, 'cbsom_plant', b'garbage 600\ncar Z\nestop 4 1\ndiode 2\n\r\nfly me\nquit\n')


def chargesom_seeds(out):
    """Co-processor byte streams for fuzz_chargesom: records of (count | passes << 5)
    followed by count bytes; frames built from spec linux-board-io.md section 3."""
    def crc8(b):
        c = 0xFF
        for x in b:
            c ^= x
            for _ in range(8):
                c = ((c << 1) ^ 0x1D) & 0xFF if c & 0x80 else (c << 1) & 0xFF
        return c ^ 0xFF

    def frame(fid, payload):
        body = bytes([fid]) + bytes(payload)
        return b'\xa5' + body + bytes([crc8(body), 3])

    def rec(data, passes=0):
        outb = b''
        while data:
            part, data = data[:31], data[31:]
            outb += bytes([len(part) | (passes << 5)]) + part
        return outb
    cs_b = frame(0x07, [0x80, 0x32, 0x02, 0, 0x35, 0x3C, 0, 0])
    cs_c = frame(0x07, [0x80, 0x32, 0x03, 0, 0x7A, 0x3C, 0, 0])
    safe = frame(0x07, [0x84, 0x00, 0x06, 0, 0x35, 0x3D, 0x10, 0])
    temps = frame(0x08, [0x01, 0x38, 0x7F, 0xFC, 0x7F, 0xFC, 0x7F, 0xFC])
    err = frame(0x0E, [0x80, 0x07, 0, 2, 0, 0, 0, 0])
    put(out, 'chargesom', rec(cs_b, 7) + rec(cs_c, 7) + rec(temps, 7) + rec(cs_c, 7))
    put(out, 'chargesom', rec(cs_c, 3) + rec(safe, 1))
    put(out, 'chargesom', rec(b'\xa5' * 20 + cs_b, 2) + rec(cs_c[:7] + cs_c[8:] + cs_c, 2))
    put(out, 'chargesom', rec(err + cs_c, 5) + b'\xe0' * 8 + rec(cs_c, 1))


def journal_record(seq, state, end, txid, start_wh, stop_wh, ocmf=b''):
    b = struct.pack('<IBIBBBB', 0x4A524E31, 1, seq, state, end, 0, len(txid)) + txid
    b += struct.pack('<qqqqH', start_wh, stop_wh, 1700000000, 1700003600 if state == 2 else 0, len(ocmf))
    b += ocmf
    return b + struct.pack('<I', zlib.crc32(b) & 0xFFFFFFFF)


def journal_seeds(out):
    def wrap(slot, rec, fix_crc=0):
        return bytes([slot, fix_crc]) + struct.pack('<H', len(rec)) + rec
    r1 = journal_record(1, 1, 0, b'tx-1', 1000, 0)
    r2 = journal_record(2, 2, 1, b'tx-2', 2000, 2500, b'OCMF|{"PG":"T1"}|{"SD":"00"}')
    r3 = journal_record(3, 2, 4, b'tx-3', 3000, 3000)
    put(out, 'journal', wrap(1, r1) + wrap(2, r2) + wrap(3, r3) + b'\xff' + bytes([0, 1, 2, 3, 0, 1]))
    put(out, 'journal', wrap(1, r1, 1) + b'\xff' + b'\x00\x01\x02')
    put(out, 'journal', wrap(2, r2[:-7], 1) + b'\xff')  # torn: dropped at open


# The root and leaf of tests/unit/test_ocpp_cert.c (openssl, EC P-256), as JSON string content.
OCPP_ROOT = (
    '-----BEGIN CERTIFICATE-----\\n'
    'MIIBojCCAUegAwIBAgIGAPHi08S1MAoGCCqGSM49BAMCMCwxFzAVBgNVBAMMDm9j\\n'
    'cHAtdW5pdC1yb290MREwDwYDVQQKDAhUZXN0IENQTzAgFw0yNjEyMDYwMTU5NDBa\\n'
    'GA8yMTI2MTExMjAxNTk0MFowLDEXMBUGA1UEAwwOb2NwcC11bml0LXJvb3QxETAP\\n'
    'BgNVBAoMCFRlc3QgQ1BPMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEcDu3cKMm\\n'
    '2SbPvGU96gyxkpVtcA11YGySWC6jlufFL/5HmIIRjkVUTnowb/xDrzTLQjXgC0cO\\n'
    'cR07N8Vtcac1kaNTMFEwHQYDVR0OBBYEFDExyhk6UN0EwBvjPcfbtmNmrhXbMB8G\\n'
    'A1UdIwQYMBaAFDExyhk6UN0EwBvjPcfbtmNmrhXbMA8GA1UdEwEB/wQFMAMBAf8w\\n'
    'CgYIKoZIzj0EAwIDSQAwRgIhALowwwQiI/flPHGIGsiUt+d5ZdH/2AJlZXv/0us/\\n'
    'Mm88AiEAsLvugtvVtCxNUAWv/A62SuC6FVyE5zUxmZz0w/MXZdE=\\n'
    '-----END CERTIFICATE-----\\n'
)
OCPP_LEAF = (
    '-----BEGIN CERTIFICATE-----\\n'
    'MIIBnjCCAUSgAwIBAgIBZDAKBggqhkjOPQQDAjAsMRcwFQYDVQQDDA5vY3BwLXVu\\n'
    'aXQtcm9vdDERMA8GA1UECgwIVGVzdCBDUE8wIBcNMjYxMjA2MDIxMzA2WhgPMjEy\\n'
    'NjExMTIwMjEzMDZaMCExDDAKBgNVBAMMA0NQMTERMA8GA1UECgwIVGVzdCBDUE8w\\n'
    'WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAT1PHz9LWjIJqB9GwH7iIJ1EY5Kw0gr\\n'
    'gAJmhmaHXgqvVL9p+iT99XWUtuDsVCw8fRncN4CmKe0zPcFNeKAOsTh+o2AwXjAM\\n'
    'BgNVHRMBAf8EAjAAMA4GA1UdDwEB/wQEAwIDiDAdBgNVHQ4EFgQUXelFHdZQ3QVJ\\n'
    '9SxkGtrYo8P89vowHwYDVR0jBBgwFoAUMTHKGTpQ3QTAG+M9x9u2Y2auFdswCgYI\\n'
    'KoZIzj0EAwIDSAAwRQIgAM3pWIz0qhufQLzZN1x1WqsQZkN2gc9YFMvBJ8/TMeMC\\n'
    'IQDxEtVDeiEFIMrH5LDof1TF1oeHMWc6ckrhJRBXHsf5/Q==\\n'
    '-----END CERTIFICATE-----\\n'
)


def ocpp_seeds(out):
    """Frames a CSMS sends: CALLs of every action the core knows, answers to the charge
    point's outstanding CALL (IDs 00000001..00000005 in the harness), errata spellings."""
    frames = [
        '[2,"a","RemoteStartTransaction",{"idTag":"ABC","connectorId":1}]',
        '[2,"b","RemoteStopTransaction",{"transactionId":7}]',
        '[2,"c","Reset",{"type":"Soft"}]',
        '[2,"d","UnlockConnector",{"connectorId":2}]',
        '[2,"e","ChangeAvailability",{"connectorId":0,"type":"Inoperative"}]',
        '[2,"f","GetConfiguration",{"key":["HeartbeatInterval","X"]}]',
        '[2,"g","ChangeConfiguration",{"key":"AuthorizationKey","value":"0123456789abcdef"}]',
        '[2,"h","TriggerMessage",{"requestedMessage":"StatusNotification","connectorId":1}]',
        '[2,"i","DataTransfer",{"vendorId":"v","messageId":"m","data":"x"}]',
        '[2,"j","SetChargingProfile",{"connectorId":1,"csChargingProfiles":{}}]',
        # Smart Charging (ocpp_smart.c): a whole recurring profile, a TxProfile for the
        # transaction in flight, a clear and a composite
        '[2,"s1","SetChargingProfile",{"connectorId":0,"csChargingProfiles":{"chargingProfileId":3,"stackLevel":1,'
        '"chargingProfilePurpose":"TxDefaultProfile","chargingProfileKind":"Recurring","recurrencyKind":"Daily",'
        '"validFrom":"2026-01-01T00:00:00Z","chargingSchedule":{"duration":7200,"startSchedule":"2026-01-01T22:00:00Z",'
        '"chargingRateUnit":"W","minChargingRate":1.5,"chargingSchedulePeriod":[{"startPeriod":0,"limit":11000.5,'
        '"numberPhases":3},{"startPeriod":3600,"limit":0}]}}}]',
        '[2,"s2","SetChargingProfile",{"connectorId":1,"csChargingProfiles":{"chargingProfileId":4,"stackLevel":0,'
        '"chargingProfilePurpose":"TxProfile","chargingProfileKind":"Relative","chargingSchedule":{'
        '"chargingRateUnit":"A","chargingSchedulePeriod":[{"startPeriod":0,"limit":32}]}}}]',
        '[2,"s3","ClearChargingProfile",{"connectorId":0,"chargingProfilePurpose":"TxDefaultProfile","stackLevel":1}]',
        '[2,"s4","GetCompositeSchedule",{"connectorId":1,"duration":86400,"chargingRateUnit":"A"}]',
        '[2,"k","ClearCache",{}]',
        # Firmware Management (ocpp_fw.c): each request whole (signed: an odd length)
        '[2,"f1","UpdateFirmware",{"location":"http://h/fw.bin","retrieveDate":"2026-01-01T00:00:00Z","retries":2,'
        '"retryInterval":5}]',
        '[2,"f2","GetDiagnostics",{"location":"ftp://u:p@h/d/","startTime":"2025-12-31T00:00:00Z","retries":1}]',
        '[2,"f3","SignedUpdateFirmware",{"requestId":7,"retries":1,"firmware":{"location":"https://h/f",'
        '"retrieveDateTime":"2026-01-01T00:00:00Z","installDateTime":"2026-01-01T01:00:00Z",'
        '"signingCertificate":"-----BEGIN CERTIFICATE-----\\nMIIB\\n","signature":"MEUCIQ=="}}] ',
        '[2,"f4","GetLog",{"logType":"SecurityLog","requestId":3,"log":{"remoteLocation":"https://h/up",'
        '"oldestTimestamp":"2025-12-01T00:00:00Z"}}]',
        '[2,"f5","TriggerMessage",{"requestedMessage":"FirmwareStatusNotification"}]',
        '[3,"00000005",{"transactionId":42,"idTagInfo":{"status":"Accepted"}}]',
        '[3,"00000005",{"transactionId":1e3,"idTagInfo":{"status":"Blocked"}}]',
        '[4,"00000005","OccurrenceConstraintViolation","",{}]',
        '[4,"00000005","FormationViolation","\\u00e9\\uD83D\\uDE00",{"a":[1,2.5e-3,true,null]}]',
        '[3,"00000003",{}]',
        '2026-03-01T12:00:00.5+01:00',
        # certificate management (ocpp_cert.c): a real root (EC P-256) and a leaf signed by it
        '[2,"c1","InstallCertificate",{"certificateType":"CentralSystemRootCertificate","certificate":"%s"}]' % OCPP_ROOT,
        '[2,"c2","CertificateSigned",{"certificateChain":"%s%s"}]' % (OCPP_LEAF, OCPP_ROOT),
        '[2,"c3","DeleteCertificate",{"certificateHashData":{"hashAlgorithm":"SHA256","issuerNameHash":"8876fe",'
        '"issuerKeyHash":"dc02","serialNumber":"00F1"}}]',
        '[2,"c4","GetInstalledCertificateIds",{"certificateType":"ManufacturerRootCertificate"}]',
        '[2,"c5","ExtendedTriggerMessage",{"requestedMessage":"SignChargePointCertificate"}]',
        '[2,"c6","ExtendedTriggerMessage",{"requestedMessage":"StatusNotification","connectorId":2}]',
    ]
    for f in frames:
        put(out, 'ocpp', f.encode())


def iso2_sig_seeds(out, v2g_sig):
    # iso2_sig: signed ISO-2 messages made by our own code (v2g-sig seeds: AuthorizationReq,
    # MeteringReceiptReq, CertificateInstallationReq, CertificateInstallationRes with its
    # four References), signed with a key made for the run; nothing taken from elsewhere.
    p = subprocess.run([v2g_sig, 'seeds'], check=True, capture_output=True, text=True)
    for line in p.stdout.split():
        put(out, 'iso2_sig', bytes.fromhex(line))

def x509_seeds(out, scratch):
    """Certificates of our own test PKI (tools/v2g-pki/make-pki.sh, made here by openssl; no
    private key is written to the corpus): single certificates of every kind and whole chains,
    each input being DER certificates back to back (leaf first, the anchor last)."""
    here = os.path.dirname(os.path.abspath(__file__))
    pki = os.path.join(scratch, 'pki')
    subprocess.run([os.path.join(here, '..', '..', 'tools', 'v2g-pki', 'make-pki.sh'), pki],
                   check=True, stdout=subprocess.DEVNULL)

    def der(name):
        return subprocess.run(['openssl', 'x509', '-in', os.path.join(pki, 'certs', name + '.pem'),
                               '-outform', 'DER'], check=True, stdout=subprocess.PIPE).stdout
    for c in ('contract', 'secc', 'oem', 'mo-root', 'mo-sub1', 'bad-rsa', 'bad-p384', 'bad-big',
              'bad-crit', 'bad-leafca', 'bad-ku'):
        put(out, 'x509', der(c))
    put(out, 'x509', b''.join(der(c) for c in ('contract', 'mo-sub2', 'mo-sub1', 'mo-root')))
    put(out, 'x509', b''.join(der(c) for c in ('secc', 'cpo-sub2', 'cpo-sub1', 'v2g-root')))
    put(out, 'x509', b''.join(der(c) for c in ('bad-pathlen', 'pl0-sub2', 'pl0-sub1', 'mo-root')))


def huawei_crc16(b):
    crc = 0xFFFF
    for x in b:
        crc ^= x
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def huawei_goose(kind, conn, st, sq, key=None, vid=None, result=0, req=1, volt=0.0, amp=0.0, reason=0x1000):
    """One GOOSE frame of the Huawei FusionCharge sheet (§5, §6), as the unit sends it."""
    import hmac
    gid, appid = {'req': (b'CC/0$GO$PowerRequest\0', 1), 'reply': (b'CC/0$GO$PowerRequestReply\0', 0x3001),
                  'stop': (b'CC/0$GO$ShutdownRequest\0', 0x3002)}[kind]

    def tlv(tag, v):
        return bytes([tag, len(v)]) + v if len(v) < 128 else bytes([tag, 0x81, len(v)]) + v
    u16 = lambda v: tlv(0x86, struct.pack('>H', v))
    f32 = lambda v: tlv(0x87, struct.pack('>f', v))
    if kind == 'stop':
        ents = [u16(conn), u16(0xFFFF), u16(reason), u16(0xFFFF), u16(0xFFFF)]
    else:
        ents = [u16(conn), u16(0xFFFF), u16(req)] + ([u16(result)] if kind == 'reply' else []) + \
               [u16(2), f32(volt), f32(amp), u16(0xFFFF), u16(0xFFFF)]
    body = tlv(0x80, gid) + tlv(0x81, struct.pack('>I', 10000)) + tlv(0x82, gid) + tlv(0x83, gid) + \
        tlv(0x84, struct.pack('>I', 1700000000) + bytes([0x80, 0, 0, 0x0A])) + tlv(0x85, struct.pack('>I', st)) + \
        tlv(0x86, struct.pack('>I', sq)) + tlv(0x87, b'\0') + tlv(0x88, struct.pack('>I', 1)) + tlv(0x89, b'\0') + \
        tlv(0x8A, struct.pack('>I', len(ents))) + tlv(0xAB, b''.join(ents))
    pdu = tlv(0x61, body)
    res1 = 0x23 if key else 0
    hdr = struct.pack('>HHHH', 0x88B8, appid, 8 + len(pdu), res1)
    res2 = huawei_crc16(hdr) if key else 0
    auth = hdr + struct.pack('>H', res2) + pdu
    trailer = b'\xad\x00\x20' + hmac.new(key, auth, 'sha256').digest() if key else b''
    tag = struct.pack('>HH', 0x8100, 0xA000 | vid) if vid is not None else b''
    return bytes.fromhex('02aabbccdd01') + bytes.fromhex('021122334455') + tag + auth + trailer


def huawei_seeds(out):
    # fuzz_huawei_goose: flag byte (1 = verify HMAC, 2 = VLAN 5), then the frame; the key of
    # connector 1 is byte i = i + 1 (see the harness).
    key = bytes(range(1, 49))
    frames = [
        (1, huawei_goose('reply', 1, 1, 0, key, vid=0)),
        (1, huawei_goose('reply', 1, 2, 3, key, result=1)),
        (0, huawei_goose('reply', 1, 1, 0, None, vid=0)),
        (3, huawei_goose('reply', 1, 1, 0, key, vid=5)),
        (1, huawei_goose('reply', 2, 1, 0, bytes(48), vid=0)),
        (1, huawei_goose('req', 1, 1, 0, key, vid=0, req=5, volt=400.0, amp=100.0)),
        (0, huawei_goose('stop', 1, 1, 0, None, vid=0)),
    ]
    for flags, f in frames:
        put(out, 'huawei_goose', bytes([flags]) + f)
    # fuzz_huawei_modbus: chunk-size byte, then what the unit writes on the TCP link.
    def adu(tid, pdu):
        return struct.pack('>HHHB', tid, 0, len(pdu) + 1, 1) + pdu
    wr = lambda a, data: struct.pack('>BHHB', 0x10, a, len(data) // 2, len(data)) + data
    streams = [
        adu(1, struct.pack('>BHH', 0x03, 0x0000, 5)) + adu(2, struct.pack('>BHH', 0x06, 0x2006, 1)),
        adu(3, wr(0x2111, bytes.fromhex('021122334455'))) + adu(4, wr(0x2100, struct.pack('>ff', 1000.0, 200.0))),
        adu(5, wr(0x2115 + 0x0C00, bytes(range(48)))) + adu(6, struct.pack('>BHH', 0x03, 0x110B + 0x0C00, 3)),
        adu(7, struct.pack('>BHH', 0x03, 0x4000, 0x13)) + adu(8, bytes.fromhex('41910001 0000')),
        adu(9, struct.pack('>BHH', 0x06, 0x4004, 1)) + adu(10, struct.pack('>BHH', 0x03, 0x7777, 1)),
    ]
    for chunk, st in zip([0, 5, 63, 1, 12], streams):
        put(out, 'huawei_modbus', bytes([chunk]) + st)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seed-modbus', required=True)
    ap.add_argument('--sim', required=True)
    ap.add_argument('--v2g-sig', required=True)
    ap.add_argument('--scratch', required=True)
    ap.add_argument('--shared', default='../shared')
    ap.add_argument('out')
    a = ap.parse_args()
    os.makedirs(a.scratch, exist_ok=True)
    shutil.rmtree(a.out, ignore_errors=True)
    v2g_seeds(a.out, a.sim, a.scratch)
    link_seeds(a.out)
    exi_vector_seeds(a.out)
    iso2_seeds(a.out, a.shared)
    iso20_seeds(a.out, a.shared)
    modbus_seeds(a.out, a.seed_modbus, a.scratch)
    ocmf_seeds(a.out)
    iso2_sig_seeds(a.out, a.v2g_sig)
    infy_seeds(a.out)
    config_seeds(a.out)
    api_json_seeds(a.out)
    journal_seeds(a.out)
    chargesom_seeds(a.out)
    cbsom_plant_seeds(a.out)
    ocpp_seeds(a.out)
    x509_seeds(a.out, a.scratch)
    huawei_seeds(a.out)
    for h in sorted(os.listdir(a.out)):
        n = len(os.listdir(os.path.join(a.out, h)))
        size = sum(os.path.getsize(os.path.join(a.out, h, f)) for f in os.listdir(os.path.join(a.out, h)))
        print('gen_corpus: %-14s %3d seeds, %6d bytes' % (h, n, size))


if __name__ == '__main__':
    main()
