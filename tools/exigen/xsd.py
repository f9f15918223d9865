#!/usr/bin/env python3
"""Load an XSD schema set into a small model for EXI grammar generation.

Only the XML Schema features used by the V2G schema sets are supported
(see ../../docs/exi.md); anything else raises SchemaError so that a schema
change never silently produces a wrong grammar.
"""
import os
import xml.etree.ElementTree as ET

XS = 'http://www.w3.org/2001/XMLSchema'
UNBOUNDED = None


class SchemaError(Exception):
    pass


def q(tag):
    return '{%s}%s' % (XS, tag)


# Built-in simple types: name -> (kind, min, max)
BUILTINS = {
    'string': ('string', None, None), 'anyURI': ('string', None, None),
    'ID': ('string', None, None), 'IDREF': ('string', None, None),
    'NCName': ('string', None, None), 'token': ('string', None, None),
    'normalizedString': ('string', None, None), 'Name': ('string', None, None),
    'hexBinary': ('hex', None, None), 'base64Binary': ('b64', None, None),
    'boolean': ('bool', None, None),
    'byte': ('int', -128, 127), 'short': ('int', -32768, 32767),
    'int': ('int', -2**31, 2**31 - 1), 'long': ('int', -2**63, 2**63 - 1),
    'integer': ('int', -2**63, 2**63 - 1),  # limited to 64 bits, see docs/exi.md
    'unsignedByte': ('int', 0, 255), 'unsignedShort': ('int', 0, 65535),
    'unsignedInt': ('int', 0, 2**32 - 1), 'unsignedLong': ('int', 0, 2**64 - 1),
    'nonNegativeInteger': ('int', 0, 2**64 - 1),
    'positiveInteger': ('int', 1, 2**64 - 1),
}


class SimpleType:
    """A resolved simple type: kind in bool/enum/int/string/hex/b64."""

    def __init__(self, name, kind):
        self.name = name          # (uri, local) or None for anonymous
        self.kind = kind
        self.lo = None            # int bounds (effective)
        self.hi = None
        self.enum = None          # list of enumeration values
        self.maxlen = None        # maxLength/length facet
        self.builtin = None       # base built-in local name

    # EXI representation of integers (fact sheet 3.2)
    def int_repr(self):
        if self.lo is not None and self.hi is not None and self.hi - self.lo + 1 <= 4096:
            return 'nbit'
        if self.lo is not None and self.lo >= 0:
            return 'uint'
        return 'sint'

    def nbits(self):
        if self.kind == 'bool':
            return 1
        if self.kind == 'enum':
            n = len(self.enum)
        else:
            n = self.hi - self.lo + 1
        b = 0
        while (1 << b) < n:
            b += 1
        return b


class Attr:
    def __init__(self, local, uri, stype, required):
        self.local, self.uri, self.stype, self.required = local, uri, stype, required


class ElemDecl:
    def __init__(self, local, uri, is_global):
        self.local, self.uri, self.is_global = local, uri, is_global
        self.type = None          # SimpleType or ComplexType
        self.abstract = False
        self.subst_head = None    # (uri, local)
        self.members = []         # ElemDecl substituting this one (transitive), filled later
        self.type_ref = None
        self.anon_node = None
        self.schema = None


class Particle:
    def __init__(self, kind, mn, mx):
        self.kind = kind          # 'elem', 'any', 'seq', 'choice'
        self.min, self.max = mn, mx
        self.children = []
        self.elem = None          # ElemDecl for 'elem'


class ComplexType:
    def __init__(self, name):
        self.name = name          # (uri, local) or None
        self.attrs = []
        self.content = None       # Particle or None (empty)
        self.simple = None        # SimpleType for simple content
        self.mixed = False
        self.cname = None
        self.anon_for = None      # element local name for anonymous types


class SchemaDoc:
    def __init__(self, path, root, nsmap):
        self.path, self.root, self.nsmap = path, root, nsmap
        self.tns = root.get('targetNamespace', '')
        self.efd = root.get('elementFormDefault', 'unqualified') == 'qualified'
        self.afd = root.get('attributeFormDefault', 'unqualified') == 'qualified'

    def resolve(self, qn):
        if ':' in qn:
            p, l = qn.split(':', 1)
            if p not in self.nsmap:
                raise SchemaError('%s: unknown prefix %s' % (self.path, p))
            return (self.nsmap[p], l)
        return (self.nsmap.get('', ''), qn)


def parse_doc(path):
    nsmap = {}
    events = ET.iterparse(path, events=('start-ns', 'start'))
    root = None
    for ev, obj in events:
        if ev == 'start-ns':
            pfx, uri = obj
            if root is None:
                nsmap[pfx] = uri
        elif root is None:
            root = obj
    tree = ET.parse(path)
    return SchemaDoc(path, tree.getroot(), nsmap)


class SchemaSet:
    """All declarations reachable from one root XSD (imports/includes followed)."""

    def __init__(self, root_path):
        self.docs = []
        self.elements = {}        # (uri, local) -> ElemDecl (global)
        self.ctypes = {}          # (uri, local) -> xml node + doc
        self.stypes = {}
        self.ctype_objs = {}
        self.stype_objs = {}
        self.all_ctypes = []      # every ComplexType object (named and anonymous)
        self._load(os.path.abspath(root_path), set())
        self._build()

    def _load(self, path, seen):
        if path in seen:
            return
        seen.add(path)
        doc = parse_doc(path)
        self.docs.append(doc)
        for ch in doc.root:
            if ch.tag in (q('import'), q('include')):
                loc = ch.get('schemaLocation')
                if loc:
                    self._load(os.path.normpath(os.path.join(os.path.dirname(path), loc)), seen)

    # ---------------------------------------------------------------- model
    def _build(self):
        self.elements_raw = {}
        for doc in self.docs:
            for ch in doc.root:
                name = ch.get('name')
                if ch.tag == q('element'):
                    self.elements_raw[(doc.tns, name)] = (ch, doc)
                elif ch.tag == q('complexType'):
                    self.ctypes[(doc.tns, name)] = (ch, doc)
                elif ch.tag == q('simpleType'):
                    self.stypes[(doc.tns, name)] = (ch, doc)
                elif ch.tag in (q('import'), q('include'), q('annotation')):
                    pass
                elif ch.tag is ET.Comment:
                    pass
                elif isinstance(ch.tag, str):
                    raise SchemaError('unsupported top-level %s in %s' % (ch.tag, doc.path))
        for key, (node, doc) in self.elements_raw.items():
            e = ElemDecl(key[1], key[0], True)
            e.schema = doc
            e.abstract = node.get('abstract') == 'true'
            if node.get('substitutionGroup'):
                e.subst_head = doc.resolve(node.get('substitutionGroup'))
            self.elements[key] = e
        for key, (node, doc) in self.elements_raw.items():
            self.elements[key].type = self._elem_type(node, doc, key[1])
        # substitution groups (transitive)
        direct = {}
        for e in self.elements.values():
            if e.subst_head:
                direct.setdefault(e.subst_head, []).append(e)
        for key, e in self.elements.items():
            out, stack = [], list(direct.get(key, []))
            while stack:
                m = stack.pop()
                if m not in out:
                    out.append(m)
                    stack.extend(direct.get((m.uri, m.local), []))
            e.members = out

    def _elem_type(self, node, doc, ename):
        t = node.get('type')
        if t:
            return self.type_by_name(doc.resolve(t))
        for ch in node:
            if ch.tag == q('complexType'):
                return self._complex(ch, doc, None, ename)
            if ch.tag == q('simpleType'):
                return self._simple(ch, doc, None)
        # no type: anyType. Not used by V2G schemas.
        raise SchemaError('element %s without type' % ename)

    def type_by_name(self, qn):
        if qn[0] == XS:
            if qn[1] not in BUILTINS:
                raise SchemaError('unsupported built-in type %s' % qn[1])
            kind, lo, hi = BUILTINS[qn[1]]
            st = SimpleType(qn, kind)
            st.lo, st.hi, st.builtin = lo, hi, qn[1]
            return st
        if qn in self.ctype_objs:
            return self.ctype_objs[qn]
        if qn in self.stype_objs:
            return self.stype_objs[qn]
        if qn in self.ctypes:
            node, doc = self.ctypes[qn]
            return self._complex(node, doc, qn, None)
        if qn in self.stypes:
            node, doc = self.stypes[qn]
            st = self._simple(node, doc, qn)
            self.stype_objs[qn] = st
            return st
        raise SchemaError('unknown type %s' % (qn,))

    def _simple(self, node, doc, name):
        kids = [c for c in node if isinstance(c.tag, str) and c.tag != q('annotation')]
        if len(kids) != 1 or kids[0].tag != q('restriction'):
            raise SchemaError('unsupported simpleType %s' % (name,))
        return self._restriction(kids[0], doc, name)

    def _restriction(self, r, doc, name):
        base = r.get('base')
        if base:
            bt = self.type_by_name(doc.resolve(base))
        else:
            inner = [c for c in r if c.tag == q('simpleType')]
            bt = self._simple(inner[0], doc, None)
        if not isinstance(bt, SimpleType):
            raise SchemaError('restriction of complex type')
        st = SimpleType(name, bt.kind)
        st.lo, st.hi, st.enum, st.maxlen, st.builtin = bt.lo, bt.hi, bt.enum, bt.maxlen, bt.builtin
        enums = []
        for f in r:
            if not isinstance(f.tag, str):
                continue
            v = f.get('value')
            tag = f.tag
            if tag == q('enumeration'):
                enums.append(v)
            elif tag == q('minInclusive'):
                st.lo = max(st.lo, int(v)) if st.lo is not None else int(v)
            elif tag == q('maxInclusive'):
                st.hi = min(st.hi, int(v)) if st.hi is not None else int(v)
            elif tag == q('minExclusive'):
                st.lo = int(v) + 1
            elif tag == q('maxExclusive'):
                st.hi = int(v) - 1
            elif tag in (q('maxLength'), q('length')):
                st.maxlen = int(v)
            elif tag in (q('minLength'), q('pattern'), q('totalDigits'),
                         q('fractionDigits'), q('whiteSpace'), q('annotation'), q('simpleType')):
                pass
            else:
                raise SchemaError('unsupported facet %s' % tag)
        if enums:
            if st.kind not in ('string',):
                raise SchemaError('enumeration on non-string type %s' % (name,))
            st.kind = 'enum'
            st.enum = enums
        return st

    def _attr(self, a, doc):
        if a.get('ref'):
            raise SchemaError('attribute ref not supported')
        uri = doc.tns if (a.get('form', 'qualified' if doc.afd else 'unqualified') == 'qualified') else ''
        t = a.get('type')
        if t:
            st = self.type_by_name(doc.resolve(t))
        else:
            st = self._simple([c for c in a if c.tag == q('simpleType')][0], doc, None)
        return Attr(a.get('name'), uri, st, a.get('use') == 'required')

    def _complex(self, node, doc, name, anon_for):
        ct = ComplexType(name)
        ct.anon_for = anon_for
        if name:
            self.ctype_objs[name] = ct
        self.all_ctypes.append(ct)
        ct.mixed = node.get('mixed') == 'true'
        for ch in node:
            if not isinstance(ch.tag, str) or ch.tag == q('annotation'):
                continue
            if ch.tag in (q('sequence'), q('choice')):
                ct.content = self._particle(ch, doc)
            elif ch.tag == q('attribute'):
                ct.attrs.append(self._attr(ch, doc))
            elif ch.tag == q('complexContent'):
                ext = [c for c in ch if c.tag == q('extension')]
                if not ext:
                    raise SchemaError('complexContent restriction not supported')
                ext = ext[0]
                base = self.type_by_name(doc.resolve(ext.get('base')))
                parts = []
                if base.content is not None:
                    parts.append(base.content)
                ct.attrs.extend(base.attrs)
                for c in ext:
                    if not isinstance(c.tag, str) or c.tag == q('annotation'):
                        continue
                    if c.tag in (q('sequence'), q('choice')):
                        parts.append(self._particle(c, doc))
                    elif c.tag == q('attribute'):
                        ct.attrs.append(self._attr(c, doc))
                    else:
                        raise SchemaError('unsupported %s in extension' % c.tag)
                if len(parts) == 1:
                    ct.content = parts[0]
                elif parts:
                    p = Particle('seq', 1, 1)
                    p.children = parts
                    ct.content = p
                ct.mixed = ct.mixed or base.mixed
            elif ch.tag == q('simpleContent'):
                ext = [c for c in ch if c.tag == q('extension')][0]
                base = self.type_by_name(doc.resolve(ext.get('base')))
                if isinstance(base, ComplexType):
                    ct.simple = base.simple
                    ct.attrs.extend(base.attrs)
                else:
                    ct.simple = base
                for c in ext:
                    if isinstance(c.tag, str) and c.tag == q('attribute'):
                        ct.attrs.append(self._attr(c, doc))
            elif ch.tag in (q('anyAttribute'), q('group'), q('attributeGroup'), q('all')):
                raise SchemaError('unsupported %s' % ch.tag)
            else:
                raise SchemaError('unsupported %s' % ch.tag)
        ct.attrs.sort(key=lambda a: (a.local, a.uri))
        return ct

    def _occurs(self, n):
        mn = int(n.get('minOccurs', '1'))
        mx = n.get('maxOccurs', '1')
        mx = UNBOUNDED if mx == 'unbounded' else int(mx)
        return mn, mx

    def _particle(self, n, doc):
        mn, mx = self._occurs(n)
        if n.tag == q('sequence') or n.tag == q('choice'):
            p = Particle('seq' if n.tag == q('sequence') else 'choice', mn, mx)
            for c in n:
                if isinstance(c.tag, str) and c.tag != q('annotation'):
                    p.children.append(self._particle(c, doc))
            return p
        if n.tag == q('element'):
            p = Particle('elem', mn, mx)
            if n.get('ref'):
                key = doc.resolve(n.get('ref'))
                if key not in self.elements:
                    raise SchemaError('unknown element ref %s' % (key,))
                p.elem = self.elements[key]
            else:
                e = ElemDecl(n.get('name'), doc.tns if doc.efd else '', False)
                e.schema = doc
                e.type = self._elem_type(n, doc, n.get('name'))
                p.elem = e
            return p
        if n.tag == q('any'):
            return Particle('any', mn, mx)
        raise SchemaError('unsupported particle %s' % n.tag)

    def namespaces(self):
        """Target namespaces of the set, sorted: URI partition ids 4.. (App. D)."""
        return sorted(set(d.tns for d in self.docs if d.tns))
