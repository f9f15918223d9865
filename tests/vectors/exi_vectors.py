#!/usr/bin/env python3
"""Run the shared EXI vectors through v2g-codec.

usage: exi_vectors.py V2G_CODEC SHARED_DIR [--max-fail N] [--sig V2G_SIG]

Checks, per schema:
  * exi_catalog.jsonl and misc/test_vectors_everest.jsonl: decode(exi) == xml
    exactly, and encode(xml) == exi.
  * The catalog README's re-encoding exceptions: when a line carries
    exificient_reencoded (a second legal encoding of the same document),
      - the Tesla ContractAuthenticationReq ends with one byte after the end
        of the document: our encoding must equal the stream without that
        trailing zero byte (and equal EXIficient's re-encoding);
      - the pyPLC empty EVCCID: our encoding keeps the CH-of-length-0 form,
        i.e. equals the original bytes; EXIficient's escape + EE form must
        decode to the same XML (an extra check).
  * misc/issue_vectors.jsonl: entries with xml must decode to it and re-encode
    to the same bytes; entries without xml are negative and must be rejected.
  * With --sig: v2g-sig check over the ISO-2 Plug & Charge sessions (every signed
    element's DigestValue re-computed from our EXI fragment encoding, every
    SignatureValue verified with the signer's certificate from the capture); each
    signed message counts as one case; then v2g-sig selftest (sign, encode, decode,
    verify and the refusals with real ECDSA).
Prints one line per failure and ends with "N passed, N failed".
"""
import glob
import json
import os
import subprocess
import sys


def check_signatures(tool, vec):
    """(passed, failed) of v2g-sig check over the PnC captures; prints its lines."""
    files = sorted(glob.glob(os.path.join(vec, 'sessions', 'ISO-2_*PnC*.jsonl')))
    if not files:
        print('FAIL sig: no ISO-2 PnC session in %s/sessions' % vec)
        return 0, 1
    ok = bad = 0
    # the captures, then sign -> encode -> decode -> verify with a key made for the run
    for args in (['check'] + files, ['selftest']):
        p = subprocess.run([tool] + args, capture_output=True, text=True, check=False)
        sys.stderr.write(p.stderr)
        lines = p.stdout.splitlines()
        good = sum(1 for l in lines if l.startswith('PASS'))
        fails = sum(1 for l in lines if l.startswith('FAIL'))
        for l in lines:
            if l.startswith('FAIL') or l.startswith('v2g-sig:'):
                print(l)
        if p.returncode != 0 and fails == 0:
            print('FAIL sig: v2g-sig %s exited %d' % (args[0], p.returncode))
            fails = 1
        ok += good
        bad += fails
    return ok, bad


def run(codec, mode, schema, lines):
    p = subprocess.run([codec, mode, schema], input=''.join(l + '\n' for l in lines),
                       capture_output=True, text=True, check=False)
    out = p.stdout.split('\n')
    # v2g-codec exits 1 exactly when some line failed (negative vectors do).
    want_rc = 1 if any(o.startswith('ERROR') for o in out[:len(lines)]) else 0
    if p.returncode != want_rc or len(out) < len(lines):
        sys.stderr.write(p.stderr)
        raise SystemExit('v2g-codec %s %s failed (rc %d)' % (mode, schema, p.returncode))
    return out[:len(lines)]


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    codec, shared = sys.argv[1], sys.argv[2]
    sig = sys.argv[sys.argv.index('--sig') + 1] if '--sig' in sys.argv[3:-1] else None
    vec = os.path.join(shared, 'vectors')
    entries = []
    for name in ('exi_catalog.jsonl', 'misc/test_vectors_everest.jsonl', 'misc/issue_vectors.jsonl'):
        with open(os.path.join(vec, name), encoding='utf-8') as f:
            for i, line in enumerate(f):
                d = json.loads(line)
                d['_src'] = '%s:%d' % (name, i + 1)
                entries.append(d)
    passed = failed = 0
    per = {}
    schemas = sorted(set(d['schema'] for d in entries))
    for sc in schemas:
        es = [d for d in entries if d['schema'] == sc]
        dec = run(codec, 'decode', sc, [d['exi'] for d in es])
        pos = [d for d in es if 'xml' in d]
        enc = run(codec, 'encode', sc, [d['xml'] for d in pos])
        encmap = {id(d): e for d, e in zip(pos, enc)}
        alt = [d for d in pos if d.get('exificient_reencoded') not in (None, '-', d['exi'])]
        altdec = run(codec, 'decode', sc, [d['exificient_reencoded'] for d in alt]) if alt else []
        altmap = {id(d): x for d, x in zip(alt, altdec)}
        cnt = per.setdefault(sc, [0, 0])
        for d, got in zip(es, dec):
            errs = []
            if 'xml' not in d:
                if not got.startswith('ERROR'):
                    errs.append('negative vector decoded: %s' % got[:120])
            else:
                if got != d['xml']:
                    errs.append('decode differs:\n  got  %s\n  want %s' % (got[:400], d['xml'][:400]))
                e = encmap[id(d)]
                if e != d['exi']:
                    tail = d['exi'][len(e):]
                    ok = (id(d) in altmap and d['exificient_reencoded'] == e and d['exi'].startswith(e)
                          and tail and set(tail) == {'0'})
                    if not ok:
                        errs.append('encode differs:\n  got  %s\n  want %s' % (e[:200], d['exi'][:200]))
                if id(d) in altmap and altmap[id(d)] != d['xml']:
                    errs.append('alternative encoding decodes differently: %s' % altmap[id(d)][:200])
            if errs:
                failed += 1
                cnt[1] += 1
                print('FAIL %s %s %s: %s' % (d['_src'], sc, d.get('msg', '?'), '; '.join(errs)))
            else:
                passed += 1
                cnt[0] += 1
    for sc in schemas:
        print('%-9s %d passed, %d failed' % (sc, per[sc][0], per[sc][1]))
    if sig is not None:
        p, f = check_signatures(sig, vec)
        print('%-9s %d passed, %d failed' % ('xmldsig', p, f))
        passed += p
        failed += f
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
