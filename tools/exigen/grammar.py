#!/usr/bin/env python3
"""EXI grammars (fact sheet section 2) for the complex types of a schema set.

Each complex type becomes a Glushkov automaton over its element particles
("leaves"); repeated leaves keep a counter instead of expanded copies
(fact sheet 2.4, three-case rule). Productions of a state are ordered as in
fact sheet 2.5 and the event-code width is ceil(log2(k + 1)) (strict = false).
"""
from xsd import ComplexType, SimpleType, SchemaError

UNB = None


def width(k):
    b = 0
    while (1 << b) < k + 1:
        b += 1
    return b


class Leaf:
    def __init__(self, idx, part):
        self.idx = idx
        self.part = part
        self.kind = part.kind            # 'elem' or 'any'
        self.min = part.min
        self.max = part.max
        self.in_group = False            # inside a repeated sequence/choice
        self.cond = part.min == 0        # needs a presence flag
        self.in_choice = False
        self.qnames = []                 # ElemDecl list (substitution members sorted)
        if part.kind == 'elem':
            e = part.elem
            if e.members:
                self.qnames = sorted([e] + e.members, key=lambda d: (d.local, d.uri))
            else:
                self.qnames = [e]

    @property
    def counter(self):
        """Grammar counter needed (repeated leaf, not via a group)."""
        return self.kind == 'elem' and not self.in_group and (self.max is UNB or self.max > 1)

    @property
    def is_array(self):
        return self.kind == 'elem' and (self.in_group or self.max is UNB or self.max > 1)


class Prod:
    def __init__(self, kind, rank, key, target, leaf=None, member=None, attr=None):
        self.kind = kind      # AT SE ANY EE CH CHM
        self.rank = rank
        self.key = key
        self.target = target  # state key
        self.leaf = leaf
        self.member = member  # index into leaf.qnames
        self.attr = attr      # attribute index
        self.code = None


class Grammar:
    """States and productions of one complex type."""

    def __init__(self, ct):
        self.ct = ct
        self.leaves = []
        self.follow = {}
        self.first = set()
        self.last = set()
        self.nullable = True
        if ct.content is not None:
            self._collect(ct.content, False, False, 0)
            for l in self.leaves:
                self.follow[l.idx] = set()
            self.nullable, self.first, self.last = self._walk(ct.content)
        self.states = {}
        self._build_states()

    def _collect(self, p, in_group, cond, depth):
        if p.kind in ('elem', 'any'):
            l = Leaf(len(self.leaves), p)
            l.in_group = in_group
            l.cond = l.cond or cond
            self.leaves.append(l)
            p._leaf = l
            if in_group and p.kind == 'elem' and p.max != 1:
                raise SchemaError('repeated element inside repeated group not supported')
            return
        rep = p.max is UNB or p.max > 1
        if rep and p.min > 1:
            raise SchemaError('repeated group with minOccurs > 1 not supported')
        for c in p.children:
            self._collect(c, in_group or rep, cond or p.min == 0 or p.kind == 'choice', depth + 1)
            if p.kind == 'choice':
                for l in self._leaves_of(c):
                    l.in_choice = True

    def _leaves_of(self, p):
        if p.kind in ('elem', 'any'):
            return [p._leaf]
        out = []
        for c in p.children:
            out += self._leaves_of(c)
        return out

    def _walk(self, p):
        """Returns (nullable, first, last); fills follow."""
        if p.kind in ('elem', 'any'):
            l = p._leaf
            if l.counter:
                self.follow[l.idx].add(l.idx)
            return p.min == 0, {l.idx}, {l.idx}
        parts = [self._walk(c) for c in p.children]
        if p.kind == 'seq':
            nullable = all(x[0] for x in parts)
            first, last = set(), set()
            for n, f, _ in parts:
                first |= f
                if not n:
                    break
            for n, _, la in reversed(parts):
                last |= la
                if not n:
                    break
            for i, (_, _, la) in enumerate(parts):
                for j in range(i + 1, len(parts)):
                    for x in la:
                        self.follow[x] |= parts[j][1]
                    if not parts[j][0]:
                        break
        else:
            nullable = any(x[0] for x in parts)
            first = set().union(*[x[1] for x in parts]) if parts else set()
            last = set().union(*[x[2] for x in parts]) if parts else set()
        if p.max is UNB or p.max > 1:
            for x in last:
                self.follow[x] |= first
        if p.min == 0:
            nullable = True
        return nullable, first, last

    # ------------------------------------------------------------ states
    def _se_prods(self, leaf_ids):
        prods = []
        anys = False
        for li in sorted(leaf_ids):
            l = self.leaves[li]
            if l.kind == 'any':
                anys = True
                continue
            for mi, d in enumerate(l.qnames):
                prods.append(Prod('SE', 4, (li, mi), ('P', li), leaf=l, member=mi))
        if anys:
            prods.append(Prod('ANY', 6, 0, None))
        return prods

    def _content_start(self):
        ct = self.ct
        if ct.simple is not None:
            return [Prod('CH', 8, 0, ('S',))]
        prods = self._se_prods(self.first)
        if self.nullable:
            prods.append(Prod('EE', 7, 0, None))
        if ct.mixed:
            prods.append(Prod('CHM', 8, 0, None))
        return prods

    def _finish(self, key, prods):
        prods.sort(key=lambda p: (p.rank, p.key))
        for i, p in enumerate(prods):
            p.code = i
        self.states[key] = prods

    def _build_states(self):
        ct = self.ct
        na = len(ct.attrs)
        for i in range(na):
            prods = []
            j = i
            while j < na:
                a = ct.attrs[j]
                prods.append(Prod('AT', 1, (a.local, a.uri), ('A', j + 1) if j + 1 < na else ('C',), attr=j))
                if a.required:
                    break
                j += 1
            if j == na:
                prods += self._content_start()
            self._finish(('A', i), prods)
        self._finish(('C',), self._content_start())
        if ct.simple is not None:
            self._finish(('S',), [Prod('EE', 7, 0, None)])
        for l in self.leaves:
            if l.kind == 'any':
                continue
            fol = self.follow[l.idx]
            others = fol - {l.idx} if l.counter else fol
            can_end = l.idx in self.last
            if l.counter:
                if l.min >= 2:
                    self._finish(('P', l.idx, 'a'), self._se_prods({l.idx}))
                prods = self._se_prods(others | {l.idx})
                if can_end:
                    prods.append(Prod('EE', 7, 0, None))
                if ct.mixed:
                    prods.append(Prod('CHM', 8, 0, None))
                self._finish(('P', l.idx, 'b'), prods)
                if l.max is not UNB:
                    prods = self._se_prods(others)
                    if can_end:
                        prods.append(Prod('EE', 7, 0, None))
                    if ct.mixed:
                        prods.append(Prod('CHM', 8, 0, None))
                    self._finish(('P', l.idx, 'c'), prods)
            else:
                prods = self._se_prods(others)
                if can_end:
                    prods.append(Prod('EE', 7, 0, None))
                if ct.mixed:
                    prods.append(Prod('CHM', 8, 0, None))
                self._finish(('P', l.idx), prods)

    def entry(self):
        return ('A', 0) if self.ct.attrs else ('C',)
