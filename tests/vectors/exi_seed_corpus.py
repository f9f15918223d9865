#!/usr/bin/env python3
"""Write one libFuzzer seed file per catalog message of a schema.

usage: exi_seed_corpus.py SHARED_DIR SCHEMA OUT_DIR
The seeds go to OUT_DIR (under build/); nothing is copied into the project.
"""
import json
import os
import sys


def main():
    shared, schema, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    n = 0
    for name in ('exi_catalog.jsonl', 'misc/test_vectors_everest.jsonl', 'misc/issue_vectors.jsonl'):
        with open(os.path.join(shared, 'vectors', name), encoding='utf-8') as f:
            for i, line in enumerate(f):
                d = json.loads(line)
                if d['schema'] == schema:
                    with open(os.path.join(out, '%s-%d' % (os.path.basename(name), i)), 'wb') as o:
                        o.write(bytes.fromhex(d['exi']))
                    n += 1
    print('exi_seed_corpus: %d seeds for %s' % (n, schema))


if __name__ == '__main__':
    main()
