#!/usr/bin/env python3
"""e2e_csms.py - a small OCPP 1.6J CSMS for the e2e group's VM (tests/integration/e2e_test.sh).

Why not tests/ocpp/csms.js: under the VM's TCG emulation node with ocpp-rpc's schema
validators cost about 87 s of CPU over the two sessions (measured: /proc/PID/stat), four
times the charger's; this one costs a few seconds. It validates nothing beyond the JSON
frames: the strict schema checks of the same charge point code are the ocpp group's
(make integration-ocpp). It only answers what the charge point sends: BootNotification
Accepted, transactions numbered from 1, every idTag Accepted, the rest empty.

  e2e_csms.py --port P --password PW --log FILE

FILE gets one JSON line per event in csms.js's form: {"t": ms, "ev": "listening"|"connect"|
"call"|"close"|"auth-fail", "action", "params"} (a StartTransaction's params also hold
"assigned": the id given). Basic authentication: the identity (last path segment) and PW.
"""
import argparse
import base64
import hashlib
import json
import socket
import socketserver
import struct
import threading
import time

GUID = b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
t0 = time.time()
lock = threading.Lock()
state = {'tx': 0}


def now_iso():
    t = time.time()
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(t)) + '.%03dZ' % (int(t * 1000) % 1000)


def log(out, **ev):
    with lock:
        out.write(json.dumps(dict(t=int((time.time() - t0) * 1000), **ev), separators=(',', ':')) + '\n')
        out.flush()


def answer(action, params):
    if action == 'BootNotification':
        return {'status': 'Accepted', 'currentTime': now_iso(), 'interval': 300}
    if action == 'Heartbeat':
        return {'currentTime': now_iso()}
    if action == 'StartTransaction':
        with lock:
            state['tx'] += 1
            params['assigned'] = state['tx']
        return {'transactionId': state['tx'], 'idTagInfo': {'status': 'Accepted'}}
    if action in ('Authorize', 'StopTransaction'):
        return {'idTagInfo': {'status': 'Accepted'}}
    return {}


class Conn(socketserver.StreamRequestHandler):
    def recv_exact(self, n):
        b = self.rfile.read(n)
        if len(b) != n:
            raise EOFError
        return b

    def send_frame(self, opcode, data):
        n = len(data)
        head = bytes([0x80 | opcode])
        head += bytes([n]) if n < 126 else (b'\x7e' + struct.pack('>H', n) if n < 65536 else
                                            b'\x7f' + struct.pack('>Q', n))
        self.wfile.write(head + data)
        self.wfile.flush()

    def handle(self):
        out = self.server.out
        lines = []
        while True:
            line = self.rfile.readline(8192)
            if not line or line in (b'\r\n', b'\n'):
                break
            lines.append(line.decode('latin-1').strip())
        if not lines:
            return
        path = lines[0].split()[1] if len(lines[0].split()) > 1 else '/'
        hdr = {k.strip().lower(): v.strip() for k, _, v in (x.partition(':') for x in lines[1:])}
        identity = path.rstrip('/').split('/')[-1]
        want = 'Basic ' + base64.b64encode(('%s:%s' % (identity, self.server.password)).encode()).decode()
        if self.server.password and hdr.get('authorization') != want:
            log(out, ev='auth-fail', identity=identity)
            self.wfile.write(b'HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n')
            return
        key = hdr.get('sec-websocket-key', '')
        acc = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
        proto = 'Sec-WebSocket-Protocol: ocpp1.6\r\n' if 'ocpp1.6' in hdr.get('sec-websocket-protocol', '') else ''
        self.wfile.write(('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
                          'Sec-WebSocket-Accept: %s\r\n%s\r\n' % (acc, proto)).encode())
        self.wfile.flush()
        log(out, ev='connect', identity=identity)
        msg = b''
        try:
            while True:
                b0, b1 = self.recv_exact(2)
                n = b1 & 0x7f
                if n == 126:
                    n = struct.unpack('>H', self.recv_exact(2))[0]
                elif n == 127:
                    n = struct.unpack('>Q', self.recv_exact(8))[0]
                mask = self.recv_exact(4) if b1 & 0x80 else b'\0\0\0\0'
                data = bytes(c ^ mask[i % 4] for i, c in enumerate(self.recv_exact(n)))
                op = b0 & 0x0f
                if op == 8:
                    self.send_frame(8, data[:2])
                    break
                if op == 9:
                    self.send_frame(10, data)
                    continue
                if op not in (0, 1):
                    continue
                msg += data
                if not b0 & 0x80:
                    continue
                text, msg = msg.decode(), b''
                m = json.loads(text)
                if m[0] != 2:
                    continue  # we send no CALLs: nothing to match
                params = m[3]
                res = answer(m[2], params)
                log(out, ev='call', action=m[2], params=params)
                self.send_frame(1, json.dumps([3, m[1], res]).encode())
        except (EOFError, ConnectionError, ValueError, IndexError, TypeError):
            pass
        log(out, ev='close', identity=identity)


def main():
    ap = argparse.ArgumentParser(description='a small OCPP 1.6J CSMS for the e2e VM')
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--password', default='')
    ap.add_argument('--log', required=True)
    a = ap.parse_args()
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    srv = socketserver.ThreadingTCPServer(('127.0.0.1', a.port), Conn)
    srv.daemon_threads = True
    srv.out = open(a.log, 'a')
    srv.password = a.password
    log(srv.out, ev='listening', port=a.port)
    srv.serve_forever()


if __name__ == '__main__':
    main()
