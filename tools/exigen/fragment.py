#!/usr/bin/env python3
"""EXI fragment grammars (W3C EXI 1.0 §8.5.2, §8.5.3; fact sheet exi-for-v2g §2.3).

ISO 15118-2 signs elements, not documents: the bytes that are hashed are the signed
element encoded alone as an EXI *fragment* (header 0x80, FragmentContent event codes,
zero padding). The FragmentContent grammar lists every distinct element qname declared
anywhere in the schema set (global and local), sorted by (local name, URI), then SE(*)
and ED, without an escape code. After SE(F) the element's own grammar runs when all
declarations of F agree on the type; otherwise the relaxed ElementFragment grammar,
whose attribute productions list every distinct attribute qname of the set.

This module computes those tables; cgen.Gen.fragment_c() emits the encoders.
"""
from xsd import ComplexType, SchemaSet, SchemaError


def _wnoesc(n):
    b = 0
    while (1 << b) < n:
        b += 1
    return b


class FragmentTable:
    """The FragmentContent and ElementFragment productions of one schema set."""

    def __init__(self, sset):
        # Named types are built lazily by the loader; a fragment grammar counts the
        # declarations of every type in the set, used by the messages or not.
        for qn in list(sset.ctypes):
            sset.type_by_name(qn)
        decls = {}
        for e in sset.elements.values():
            decls.setdefault((e.local, e.uri), []).append(e)
        attrs = {}
        i = 0
        while i < len(sset.all_ctypes):      # the walk may build anonymous types
            ct = sset.all_ctypes[i]
            i += 1
            for a in ct.attrs:
                attrs.setdefault((a.local, a.uri), []).append(a)
            stack = [ct.content] if ct.content is not None else []
            while stack:
                p = stack.pop()
                if p.kind == 'elem':
                    if not p.elem.is_global:
                        decls.setdefault((p.elem.local, p.elem.uri), []).append(p.elem)
                elif p.kind != 'any':
                    stack.extend(p.children)
        self.decls = decls
        self.qnames = sorted(decls)              # (local, uri)
        self.attr_qnames = sorted(attrs)
        self.m = len(self.qnames)
        self.fc_width = _wnoesc(self.m + 2)      # SE(F0..Fm-1), SE(*), ED; no escape
        self.ed_code = self.m + 1

    def find(self, local):
        """(code, [ElemDecl]) of the one qname with this local name."""
        hits = [i for i, k in enumerate(self.qnames) if k[0] == local]
        if len(hits) != 1:
            raise SchemaError('fragment: %d element qnames named %s' % (len(hits), local))
        return hits[0], self.decls[self.qnames[hits[0]]]

    def uniform(self, decls):
        """True when every declaration has the same type: the element's own grammar applies."""
        return len(set(id(d.type) for d in decls)) == 1

    # ElementFragment0: AT(A0..Aa-1), AT(*), SE(F0..Fm-1), SE(*), EE, CH, then escape.
    def ef0(self):
        a = len(self.attr_qnames)
        n = a + 1 + self.m + 1 + 1 + 1
        return {'width': _wnoesc(n + 1), 'ee': a + 1 + self.m + 1, 'ch': a + 1 + self.m + 2}

    def attr_code(self, local, uri):
        return self.attr_qnames.index((local, uri))

    # ElementFragment2: SE(F0..Fm-1), SE(*), EE, CH, then escape.
    def ef2(self):
        n = self.m + 3
        return {'width': _wnoesc(n + 1), 'ee': self.m + 1}


def plan(sset, xsd_dir, specs):
    """Fragment encoders to emit: list of dicts for cgen.Gen.fragment_c().

    specs: (element local name, C type local name or None, schema set of the codes:
    None = this set, else a path under xsd_dir). A qname declared with several types
    names the type whose struct the encoder takes.
    """
    own = FragmentTable(sset)
    other = {}
    out = []
    for local, tname, codes_from in specs:
        tab = own
        if codes_from is not None:
            if codes_from not in other:
                import os
                other[codes_from] = FragmentTable(SchemaSet(os.path.join(xsd_dir, codes_from)))
            tab = other[codes_from]
        code, decls = tab.find(local)
        relaxed = not tab.uniform(decls)
        # the struct type comes from this set's declarations (same grammar in both sets)
        _, mine = own.find(local)
        types = [d.type for d in mine if isinstance(d.type, ComplexType)]
        if tname is not None:
            types = [t for t in types if t.name and t.name[1] == tname]
        if len(set(id(t) for t in types)) != 1:
            raise SchemaError('fragment %s: name the type of its struct' % local)
        f = {'local': local, 'type': types[0], 'code': code, 'fc_width': tab.fc_width,
             'ed': tab.ed_code, 'relaxed': relaxed, 'm': tab.m, 'codes_from': codes_from}
        if relaxed:
            t = types[0]
            if t.simple is None or t.simple.kind != 'string' or t.content is not None:
                raise SchemaError('fragment %s: relaxed grammar only for string content' % local)
            for a in t.attrs:
                if a.stype.kind != 'string' or any(x.stype.kind != 'string' for x in
                                                   _attr_decls(tab, a)):
                    raise SchemaError('fragment %s: relaxed grammar only for string attributes' % local)
            f['ef0'] = tab.ef0()
            f['ef2'] = tab.ef2()
            f['attr_codes'] = [tab.attr_code(a.local, a.uri) for a in t.attrs]
        out.append(f)
    return out


def _attr_decls(tab, a):
    # All declarations of the attribute qname (their types decide its representation).
    out = []
    for decls in tab.decls.values():
        for d in decls:
            t = d.type
            if isinstance(t, ComplexType):
                out += [x for x in t.attrs if (x.local, x.uri) == (a.local, a.uri)]
    return out
