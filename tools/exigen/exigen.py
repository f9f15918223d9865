#!/usr/bin/env python3
"""exigen: generate schema-informed EXI codecs (C) from the V2G XML schemas.

usage: exigen.py --xsd DIR --out DIR [--check]

DIR is the folder that holds appprotocol/, din70121/, iso15118-2/ and
iso15118-20/ (../shared/spec/xsd). For every schema set it writes
exi_<set>.h (structs, capacities, API), exi_<set>_dec.c, exi_<set>_enc.c
and exi_<set>_meta.c (reflection tables) into --out. Output is a pure
function of the inputs; files whose content is unchanged are not rewritten.
With --check nothing is written and the exit status is 1 when any file
would change.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from xsd import SchemaSet, ComplexType  # noqa: E402
from cgen import Gen  # noqa: E402
import fragment  # noqa: E402

# (key, title, root XSD, which global elements are supported as document roots)
SETS = [
    ('apphand', 'SupportedAppProtocol', 'appprotocol/V2G_CI_AppProtocol.xsd', None),
    ('din', 'DIN SPEC 70121', 'din70121/V2G_CI_MsgDef.xsd', ['V2G_Message']),
    ('iso2', 'ISO 15118-2:2014', 'iso15118-2/V2G_CI_MsgDef.xsd', ['V2G_Message']),
    ('iso20', 'ISO 15118-20 CommonMessages', 'iso15118-20/V2G_CI_CommonMessages.xsd', None),
    ('iso20_dc', 'ISO 15118-20 DC', 'iso15118-20/V2G_CI_DC.xsd', None),
    ('iso20_ac', 'ISO 15118-20 AC', 'iso15118-20/V2G_CI_AC.xsd', None),
]

# Elements ISO 15118-2 signs (xmldsig References) and SignedInfo itself, whose fragment
# codes come from the xmldsig schema alone (fact sheet exi-for-v2g §2.3):
# (element, C type when the qname has several, schema set of the codes or None).
FRAGMENTS = {
    'iso2': [
        ('AuthorizationReq', None, None),
        ('CertificateInstallationReq', None, None),
        ('CertificateUpdateReq', None, None),
        ('ContractSignatureCertChain', None, None),
        ('ContractSignatureEncryptedPrivateKey', None, None),
        ('DHpublickey', None, None),
        ('MeteringReceiptReq', None, None),
        ('SalesTariff', None, None),
        ('eMAID', 'EMAIDType', None),
        ('SignedInfo', None, 'iso15118-2/xmldsig-core-schema.xsd'),
    ],
}


def roots_of(sset, root_xsd, names):
    tns = [d.tns for d in sset.docs if d.path.endswith(os.path.basename(root_xsd))][0]
    out = []
    for e in sorted(sset.elements.values(), key=lambda e: (e.local, e.uri)):
        if e.uri != tns or e.abstract or not isinstance(e.type, ComplexType):
            continue
        if names is None or e.local in names:
            out.append(e)
    return out


def generate(xsd_dir):
    files = {}
    for key, title, root, names in SETS:
        sset = SchemaSet(os.path.join(xsd_dir, root))
        gen = Gen(sset, key, 'exi_' + key, title, roots_of(sset, root, names))
        if key in FRAGMENTS:
            gen.frags = fragment.plan(sset, xsd_dir, FRAGMENTS[key])
        files['exi_%s.h' % key] = gen.header()
        files['exi_%s_dec.c' % key] = gen.codec_c('dec')
        files['exi_%s_enc.c' % key] = gen.codec_c('enc')
        files['exi_%s_meta.c' % key] = gen.meta_c()
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--xsd', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--check', action='store_true')
    a = ap.parse_args()
    files = generate(a.xsd)
    changed = []
    for name in sorted(files):
        path = os.path.join(a.out, name)
        old = None
        if os.path.exists(path):
            with open(path, encoding='utf-8') as f:
                old = f.read()
        if old != files[name]:
            changed.append(name)
            if not a.check:
                with open(path, 'w', encoding='utf-8', newline='\n') as f:
                    f.write(files[name])
    if a.check:
        for n in changed:
            print('exigen: %s is out of date' % n)
        return 1 if changed else 0
    print('exigen: %d files, %d updated' % (len(files), len(changed)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
