#!/usr/bin/env python3
"""map-diff.py BASE.map WITH.map - what a second image adds to a first, per object.

Both maps are GNU ld's (-Wl,-Map) of mps2-an386 images linked with --gc-sections, so an
input section listed there is one the image really keeps. Each is charged to its object
(the member of libcore.a, or the file) and to code+const (flash), .data (flash and RAM) or
.bss (RAM). The rows are the objects whose share changed; the groups sum them: the OCPP
client (protocols/ocpp/, firmware/ocpp_*, the board's OCPP instances), the station layer it
stands on (firmware/station*, the board's station instance) and the rest (what the client
pulls in from elsewhere: X.509 and SHA-256 for certificate management, C library functions).
"""
import re
import sys
from collections import defaultdict

CODE = re.compile(r'^\.(isr_vector|text|rodata|ARM\.extab|ARM\.exidx|preinit_array|init_array|fini_array)\b')
INPUT = re.compile(r'^\s+0x[0-9a-fA-F]+\s+0x([0-9a-fA-F]+)\s+(\S.*)$')


def kind_of(out_section):
    if CODE.match(out_section):
        return 'code'
    if out_section.startswith('.data'):
        return 'data'
    if out_section.startswith('.bss'):
        return 'bss'
    return None


def load(path):
    """{(object, input section): {kind: bytes}} of one map."""
    with open(path, encoding='utf-8', errors='replace') as f:
        lines = f.read().split('\n')
    try:
        start = lines.index('Linker script and memory map')
    except ValueError:
        sys.exit(f'map-diff: {path}: not a GNU ld map (no "Linker script and memory map")')
    out = None
    pending = None
    sizes = defaultdict(lambda: defaultdict(int))
    for line in lines[start + 1:]:
        if line.startswith('.'):                    # an output section
            out = line.split()[0]
            pending = None
            continue
        if out is None or kind_of(out) is None:
            continue
        m = re.match(r'^ (\.\S+|COMMON)(.*)$', line)
        if m:                                       # an input section, maybe with its numbers
            name, rest = m.group(1), m.group(2)
            n = INPUT.match(' ' + rest) if rest.strip() else None
            if n is None:
                pending = name
                continue
            size, obj = int(n.group(1), 16), n.group(2)
        else:
            n = INPUT.match(line)
            if pending is None or n is None:
                continue
            name, size, obj = pending, int(n.group(1), 16), n.group(2)
        pending = None
        if ' ' in obj or obj.startswith('0x'):     # a symbol line, not an input section
            continue
        member = re.search(r'\(([^()]+)\)$', obj)
        obj = member.group(1) if member else obj.rsplit('/', 1)[-1]
        obj = 'main.o' if obj.startswith('main-') else obj   # the same main.c, another -D
        sizes[(obj, name)][kind_of(out)] += size
    return sizes


def group(obj, section):
    if obj.startswith('station') or 'station' in section and obj == 'an386_ocpp.o':
        return 'station layer'
    if obj.startswith('ocpp_') or obj == 'an386_ocpp.o':
        return 'OCPP client'
    return 'rest'


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: map-diff.py BASE.map WITH.map')
    base, with_ = load(sys.argv[1]), load(sys.argv[2])
    per_obj = defaultdict(lambda: defaultdict(int))
    groups = defaultdict(lambda: defaultdict(int))
    for key in set(base) | set(with_):
        for k in ('code', 'data', 'bss'):
            d = with_.get(key, {}).get(k, 0) - base.get(key, {}).get(k, 0)
            if d:
                # the board's instances one by one (-fdata-sections: a section per variable)
                sec = 'strings' if '.str1.' in key[1] else key[1].rsplit('.', 1)[-1]
                row = key[0] + ' ' + sec if key[0] == 'an386_ocpp.o' else key[0]
                per_obj[(group(*key), row)][k] += d
                groups[group(*key)][k] += d
    print(f'{"added by the OCPP image":41s} {"code+const":>10s} {".data":>7s} {".bss":>8s}')
    for (g, obj), v in sorted(per_obj.items(), key=lambda kv: (kv[0][0], -sum(kv[1].values()))):
        print(f'  {g[:13]:13s} {obj:25s} {v["code"]:10d} {v["data"]:7d} {v["bss"]:8d}')
    for g in ('OCPP client', 'station layer', 'rest'):
        v = groups[g]
        print(f'{g}: flash {v["code"] + v["data"]} B (code+const {v["code"]}, .data {v["data"]}), '
              f'RAM {v["data"] + v["bss"]} B static (.bss {v["bss"]})')
    total = {k: sum(groups[g][k] for g in groups) for k in ('code', 'data', 'bss')}
    print(f'all the OCPP image adds: flash {total["code"] + total["data"]} B, '
          f'RAM {total["data"] + total["bss"]} B static')
    if not groups['OCPP client']:
        sys.exit('map-diff: no OCPP object in the second map: is it the OCPP image?')


if __name__ == '__main__':
    main()
