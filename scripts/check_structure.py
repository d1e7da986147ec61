#!/usr/bin/env python3
"""Structure checks for the signlang library (Python 3.11, standard library only).

Reads crates/signlang/src/**/*.rs and reports:

  (a) import cycles between files: strongly connected components of the
      file-level dependency graph with more than one file, with the edges;
  (b) files over 400 lines of code (non-blank, non-comment lines, without
      #[cfg(test)] items);
  (c) functions over 60 lines of code (counted the same way, from the `fn`
      line to the closing brace), outside tests.

The dependency graph: file A depends on file B when A's code names an item
that is *defined* in B, through `use` declarations (crate::, super::, self::,
child modules, 2018-style relative paths) or through paths written in the
code (`crate::x::y(..)`, `super::x`, `child::f`, `alias::f` after
`use crate::x::{self}`). Paths are followed through re-exports to the file
that defines the item, so a module's `pub use child::X` facade is not itself
an edge (a re-export from a module outside its own subtree is). Tests
(#[cfg(test)] items, files declared by them such as tests.rs, and
`testing.rs`, compiled only for tests) and comments (doc comments included)
are ignored; string contents never match.

Usage:
  python3 scripts/check_structure.py            # exit 1 and list problems if any
  python3 scripts/check_structure.py --report   # print everything, exit 0
  python3 scripts/check_structure.py --cycles   # exit 1 on any cycle (a) or (d) only (`make lint`)
  python3 scripts/check_structure.py --self-test
  python3 scripts/check_structure.py --src DIR  # another crate's src/
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

MAX_FILE_LINES = 400
MAX_FN_LINES = 60
DEFAULT_SRC = Path(__file__).resolve().parent.parent / "crates" / "signlang" / "src"

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# ---------------------------------------------------------------- lexing


RAW_STRING = re.compile(r'b?r(#*)"')


def mask(text: str) -> str:
    """The text with comments blanked (spaces) and the contents of string and
    char literals replaced by '_' (newlines kept, so lines and columns stay)."""
    out = list(text)
    n = len(text)
    i = 0

    def blank(a: int, b: int, fill: str) -> None:
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " " if fill == " " or out[k].isspace() else fill

    while i < n:
        c = text[i]
        if c == "/" and text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j, " ")
            i = j
        elif c == "/" and text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            blank(i, j, " ")
            i = j
        elif c in "rb" and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")) \
                and RAW_STRING.match(text, i):
            m = RAW_STRING.match(text, i)
            end = '"' + m.group(1)
            j = text.find(end, m.end())
            j = n if j < 0 else j
            blank(m.end(), j, "_")
            i = j + len(end)
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            blank(i + 1, min(j, n), "_")
            i = j + 1
        elif c == "'":
            # A char literal ('a', '\n', '\u{1F}') or a lifetime ('a, 'static).
            if i + 1 < n and text[i + 1] == "\\":
                j = text.find("'", i + 3)
                if j < 0:
                    break
                blank(i + 1, j, "_")
                i = j + 1
            elif i + 2 < n and text[i + 2] == "'":
                blank(i + 1, i + 2, "_")
                i += 3
            else:
                i += 1
        else:
            i += 1
    return "".join(out)


def match_close(code: str, open_at: int) -> int:
    """Index of the bracket closing the one at `open_at` (or len(code))."""
    pairs = {"{": "}", "(": ")", "[": "]"}
    stack = [pairs[code[open_at]]]
    i = open_at + 1
    while i < len(code) and stack:
        c = code[i]
        if c in pairs:
            stack.append(pairs[c])
        elif c in ")]}":
            stack.pop()
        i += 1
    return i - 1


def item_end(code: str, start: int) -> tuple[int, int | None]:
    """End (exclusive) of the item starting at `start`: after its `;` or its
    closing `}`; and the index of its body's `{` (None for `;` items)."""
    depth = 0
    i = start
    while i < len(code):
        c = code[i]
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == ";" and depth == 0:
            return i + 1, None
        elif c == "{" and depth == 0:
            return match_close(code, i) + 1, i
        i += 1
    return len(code), None


def line_of(code: str, index: int) -> int:
    return code.count("\n", 0, index) + 1


ATTR = re.compile(r"#\s*(!?)\s*\[")


def is_test_cfg(attr: str) -> bool:
    """True for #[cfg(test)], #[cfg(any(test, ...))]: compiled only for tests."""
    m = re.match(r"#!?\s*\[\s*cfg\s*\((.*)\)\s*\]$", attr, re.S)
    if not m:
        return False
    pred = m.group(1)
    return bool(re.search(r"\btest\b", pred)) and "not" not in pred and "all" not in pred


def strip_tests(code: str) -> tuple[str, list[str], bool]:
    """Blanks #[cfg(test)] items; returns the code, the names of modules
    declared only for tests (`#[cfg(test)] mod tests;`), and whether the
    whole file is test-only (`#![cfg(test)]`)."""
    out = list(code)
    test_mods: list[str] = []
    whole_file = False
    pos = 0
    while True:
        m = ATTR.search(code, pos)
        if not m:
            break
        close = match_close(code, m.end() - 1)
        attr = code[m.start():close + 1]
        pos = close + 1
        if not is_test_cfg(attr):
            continue
        if m.group(1) == "!":
            whole_file = True
            continue
        # Skip further attributes, then the item itself.
        j = pos
        while True:
            while j < len(code) and code[j].isspace():
                j += 1
            a = ATTR.match(code, j)
            if not a:
                break
            j = match_close(code, a.end() - 1) + 1
        mod = re.compile(r"(?:pub(?:\([^)]*\))?\s+)?mod\s+([A-Za-z_]\w*)\s*;").match(code, j)
        if mod:
            test_mods.append(mod.group(1))
        end, _ = item_end(code, j)
        for k in range(m.start(), end):
            if out[k] != "\n":
                out[k] = " "
        pos = end
    return "".join(out), test_mods, whole_file


def code_lines(code: str, first: int = 1, last: int | None = None) -> int:
    lines = code.split("\n")
    last = len(lines) if last is None else last
    return sum(1 for line in lines[first - 1:last] if line.strip())


# ---------------------------------------------------------------- modules


@dataclass
class SourceFile:
    rel: str                  # path relative to src/
    module: tuple[str, ...]   # module path, () for the crate root
    code: str                 # masked, tests removed
    children: set[str] = field(default_factory=set)    # child module names
    defined: set[str] = field(default_factory=set)     # top-level item names
    bindings: dict[str, tuple[str, ...]] = field(default_factory=dict)  # use name -> path
    globs: list[tuple[str, ...]] = field(default_factory=list)
    local: dict[str, tuple[str, ...]] = field(default_factory=dict)  # also in fn bodies
    # Every `use` leaf: path, line, public, glob.
    uses: list[tuple[tuple[str, ...], int, bool, bool]] = field(default_factory=list)


MOD_DECL = re.compile(r"^[ \t]*(?:pub(?:\([^)]*\))?\s+)?mod\s+([A-Za-z_]\w*)\s*([;{])", re.M)
ITEM_DEF = re.compile(
    r"^(?:pub(?:\([^)]*\))?\s+)?(?:unsafe\s+|async\s+|const\s+|extern\s+\"_*\"\s+)*"
    r"(?:fn|struct|enum|trait|type|const|static|union)\s+([A-Za-z_]\w*)"
)
MACRO_DEF = re.compile(r"^macro_rules!\s*([A-Za-z_]\w*)")
USE_DECL = re.compile(r"(?:(pub(?:\([^)]*\))?)\s+)?\buse\s+([^;]*);")


def top_level_spans(code: str) -> list[tuple[int, int]]:
    """Spans of `code` at brace depth 0 (item positions of the file's module)."""
    spans, depth, start = [], 0, 0
    for i, c in enumerate(code):
        if c == "{":
            if depth == 0:
                spans.append((start, i))
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                start = i + 1
    spans.append((start, len(code)))
    return spans


def parse_use_tree(text: str) -> list[tuple[tuple[str, ...], str | None, bool]]:
    """`crate::a::{b, c::d as e, f::*}` -> [(path, alias, glob), ...]."""
    tokens = re.findall(r"::|[A-Za-z_]\w*|[{},*]", text)
    pos = 0

    def tree(prefix: tuple[str, ...]) -> list:
        nonlocal pos
        out = []
        path = list(prefix)
        while pos < len(tokens):
            t = tokens[pos]
            if t == "::":
                pos += 1
            elif t == "{":
                pos += 1
                while pos < len(tokens) and tokens[pos] != "}":
                    out += tree(tuple(path))
                    if pos < len(tokens) and tokens[pos] == ",":
                        pos += 1
                pos += 1
                return out
            elif t == "*":
                pos += 1
                return out + [(tuple(path), None, True)]
            elif t in (",", "}"):
                break
            elif t == "as":
                alias = tokens[pos + 1]
                pos += 2
                return out + [(tuple(path), alias, False)]
            else:
                path.append(t)
                pos += 1
        if path and path[-1] == "self":
            path.pop()
        return out + [(tuple(path), None, False)] if path else out

    return tree(())


def load_crate(src: Path) -> dict[tuple[str, ...], SourceFile]:
    """Every library file reachable from lib.rs through non-test `mod x;`."""
    files: dict[tuple[str, ...], SourceFile] = {}

    def visit(path: Path, module: tuple[str, ...]) -> None:
        raw = path.read_text(encoding="utf-8")
        code, test_mods, whole = strip_tests(mask(raw))
        if whole:
            return
        rel = path.relative_to(src).as_posix()
        sf = SourceFile(rel, module, code)
        files[module] = sf
        # Children live in the folder of a mod.rs / lib.rs, else in <stem>/.
        base = path.parent if path.name in ("lib.rs", "main.rs", "mod.rs") else path.with_suffix("")
        for m in MOD_DECL.finditer(code):
            name, kind = m.group(1), m.group(2)
            if name in test_mods:
                continue
            sf.children.add(name)
            if kind == "{":
                files[module + (name,)] = SourceFile(rel, module + (name,), "")
                continue
            for cand in (base / f"{name}.rs", base / name / "mod.rs"):
                if cand.exists():
                    visit(cand, module + (name,))
                    break
        for a, b in top_level_spans(code):
            for stmt in re.split(r"[;}]", code[a:b]):
                s = stmt.strip()
                s = re.sub(r"^(#\s*\[[^\]]*\]\s*)+", "", s)
                d = ITEM_DEF.match(s) or MACRO_DEF.match(s)
                if d:
                    sf.defined.add(d.group(1))
        # Every `use` is an edge, also those inside function bodies; those
        # bind names for this file's code only.
        top = top_level_spans(code)
        for u in USE_DECL.finditer(code):
            line = line_of(code, u.start())
            at_top = any(a <= u.start() < b for a, b in top)
            for p, alias, glob in parse_use_tree(u.group(2)):
                if glob and at_top:
                    sf.globs.append(p)
                elif not glob:
                    sf.local.setdefault(alias or p[-1], p)
                    if at_top:
                        sf.bindings[alias or p[-1]] = p
                sf.uses.append((p, line, u.group(1) is not None, glob))

    visit(src / "lib.rs", ())
    return files


# ---------------------------------------------------------------- resolution


class Resolver:
    def __init__(self, files: dict[tuple[str, ...], SourceFile]):
        self.files = files

    def file_of(self, module: tuple[str, ...]) -> str:
        while module not in self.files:
            module = module[:-1]
        return self.files[module].rel

    def anchor(self, here: tuple[str, ...], path: tuple[str, ...], local: bool = False):
        """Where a path starts: (module, remaining segments) or None (extern).
        `local`: also names bound by `use` inside function bodies."""
        if not path:
            return None
        head = path[0]
        if head == "crate":
            return (), path[1:]
        if head == "self":
            return here, path[1:]
        if head == "super":
            m, rest = here, path
            while rest and rest[0] == "super":
                m, rest = m[:-1], rest[1:]
            return m, rest
        sf = self.files.get(here)
        if sf and head in sf.children:
            return here + (head,), path[1:]
        names = sf.local if sf and local else (sf.bindings if sf else {})
        if head in names and names[head][:1] != (head,):
            target = self.resolve(here, names[head])
            if target and target[0] == "module":
                return target[1], path[1:]
        return None

    def resolve(self, here: tuple[str, ...], path: tuple[str, ...], depth: int = 0,
                local: bool = False):
        """('module', module) or ('item', file, name), or None (extern, unknown)."""
        if depth > 20:
            return None
        start = self.anchor(here, path, local)
        if start is None:
            return None
        module, rest = start
        for seg in rest:
            sf = self.files.get(module)
            if sf is None:
                return ("item", self.file_of(module), seg)
            if seg in sf.children:
                module = module + (seg,)
                continue
            found = self.lookup(module, seg, depth)
            if found and found[0] == "module":
                module = found[1]
                continue
            return found or ("item", self.file_of(module), seg)
        return ("module", module)

    def lookup(self, module: tuple[str, ...], name: str, depth: int):
        sf = self.files[module]
        if name in sf.defined or not sf.code:
            return ("item", self.file_of(module), name)
        if name in sf.bindings:
            target = self.resolve(module, sf.bindings[name], depth + 1)
            if target:
                return target
        for g in sf.globs:
            base = self.resolve(module, g, depth + 1)
            if base and base[0] == "module" and base[1] in self.files:
                inner = self.files[base[1]]
                if name in inner.defined or name in inner.bindings or name in inner.children:
                    return self.resolve(base[1], ("self", name), depth + 1)
        return None


PATH_IN_CODE = re.compile(r"(?<![\w:])([A-Za-z_]\w*)((?:\s*::\s*[A-Za-z_]\w*)+)")


def dependencies(files: dict[tuple[str, ...], SourceFile]):
    """{file: {file defining what it uses: [(line, path text, top-level module the
    path names), ...]}}."""
    r = Resolver(files)
    edges: dict[str, dict[str, list[tuple[int, str, str]]]] = {}
    module_of = {sf.rel: m for m, sf in files.items() if sf.code}

    def target_file(module: tuple[str, ...], path: tuple[str, ...]) -> str | None:
        target = r.resolve(module, path, local=True)
        if target is None:
            return None
        return r.file_of(target[1]) if target[0] == "module" else target[1]

    def add(src: str, dst: str | None, line: int, path: tuple[str, ...],
            module: tuple[str, ...]) -> None:
        if dst is None:
            return
        start = r.anchor(module, path, local=True)
        named = (start[0] + tuple(start[1]))[:1] if start else ()
        named_top = named[0] if named else ""
        if dst != src or (named_top and named_top != top_module(src)):
            edges.setdefault(src, {}).setdefault(dst, []).append(
                (line, "::".join(path), named_top))

    for module, sf in files.items():
        if not sf.code:
            continue
        edges.setdefault(sf.rel, {})
        for path, line, public, glob in sf.uses:
            target = r.resolve(module, path, local=True)
            if target is None:
                continue
            if target[0] == "module" and not glob:
                continue  # a module alias: its uses in the code are the edges
            dst = target_file(module, path)
            # A module re-exporting from its own subtree is a facade, not a use.
            dst_module = module_of.get(dst, ())
            if public and len(dst_module) > len(module) and dst_module[:len(module)] == module:
                continue
            add(sf.rel, dst, line, path, module)
        use_spans = [(u.start(), u.end()) for u in USE_DECL.finditer(sf.code)]
        for m in PATH_IN_CODE.finditer(sf.code):
            if any(a <= m.start() < b for a, b in use_spans):
                continue
            segs = (m.group(1),) + tuple(s.strip() for s in m.group(2).split("::")[1:])
            if r.anchor(module, segs, local=True) is None:
                continue
            add(sf.rel, target_file(module, segs), line_of(sf.code, m.start()), segs, module)
    return edges


def top_module(rel: str) -> str:
    """The top-level module of a file: `study/app.rs` -> study, `infer.rs` -> infer."""
    first = rel.split("/")[0]
    return "" if first in ("lib.rs", "main.rs") else first.removesuffix(".rs")


def module_edges(edges):
    """{top module: {top module: [(file, line, path), ...]}} between top-level
    modules: the module a path names (`crate::train::predict_proba` names
    train, even though infer defines it) and the one that defines the item."""
    out: dict[str, dict[str, list]] = {}
    for src, targets in edges.items():
        a = top_module(src)
        if not a:
            continue
        out.setdefault(a, {})
        for dst, sites in targets.items():
            for line, path, named in sites:
                for b in {named, top_module(dst)}:
                    if b and b != a:
                        out[a].setdefault(b, []).append((src, line, path))
    return out


def cycles(edges: dict[str, dict[str, list]]) -> list[list[str]]:
    """Strongly connected components with more than one file (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(10000)

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            strong(v)
    return sorted(out, key=lambda c: (-len(c), c))


# ---------------------------------------------------------------- sizes


FN = re.compile(r"\bfn\s+([A-Za-z_]\w*)")
IMPL = re.compile(r"^[ \t]*(?:unsafe\s+)?impl\b", re.M)


def impl_name(header: str) -> str:
    h = re.sub(r"\s+", " ", header[4:]).strip()
    if h.startswith("<"):
        depth = 0
        for k, c in enumerate(h):
            depth += (c == "<") - (c == ">")
            if depth == 0:
                h = h[k + 1:].strip()
                break
    h = h.split(" where ")[0]
    if " for " in h:
        h = h.split(" for ", 1)[1]
    return re.split(r"[<\s{]", h.strip(), 1)[0]


def long_functions(sf: SourceFile) -> list[tuple[int, str, int]]:
    code = sf.code
    impls = []
    for m in IMPL.finditer(code):
        end, body = item_end(code, m.end())
        if body is not None:
            impls.append((body, end, impl_name(code[m.start():body].strip())))
    found = []
    for m in FN.finditer(code):
        end, body = item_end(code, m.end())
        if body is None:
            continue
        first, last = line_of(code, m.start()), line_of(code, end - 1)
        n = code_lines(code, first, last)
        if n > MAX_FN_LINES:
            owner = [name for a, b, name in impls if a < m.start() < b]
            name = f"{owner[-1]}::{m.group(1)}" if owner else m.group(1)
            found.append((first, name, n))
    return found


# ---------------------------------------------------------------- report


@dataclass
class Findings:
    cycles: list[tuple[list[str], list[str]]]   # files, edge lines
    long_files: list[tuple[str, int]]
    long_fns: list[tuple[str, int, str, int]]
    module_cycles: list[tuple[list[str], list[str]]]  # top-level modules, edge lines

    def any_cycle(self) -> bool:
        return bool(self.cycles or self.module_cycles)

    def any(self, modules: bool = False) -> bool:
        return bool(self.cycles or self.long_files or self.long_fns
                    or (modules and self.module_cycles))


def edge_lines(graph, comp: list[str], site) -> list[str]:
    """One line per edge inside a strongly connected component, with up to
    four of the places that make it."""
    lines = []
    for a in comp:
        for b, sites in sorted(graph[a].items()):
            if b in comp and b != a:
                places = sorted({site(x) for x in sites})
                more = f" (+{len(places) - 4} more)" if len(places) > 4 else ""
                lines.append(f"{a} -> {b}   [{', '.join(places[:4])}{more}]")
    return lines


def analyse(src: Path) -> Findings:
    files = load_crate(src)
    edges = dependencies(files)
    file_graph = {a: {b: s for b, s in t.items() if b != a} for a, t in edges.items()}
    found = [(c, edge_lines(file_graph, c, lambda x: f"{x[0]}: {x[1]}"))
             for c in cycles(file_graph)]
    mods = module_edges(edges)
    found_modules = [(c, edge_lines(mods, c, lambda x: f"{x[0]}:{x[1]} {x[2]}"))
                     for c in cycles(mods)]
    real = {sf.rel: sf for sf in files.values() if sf.code}
    long_files = sorted(((rel, code_lines(sf.code)) for rel, sf in real.items()
                         if code_lines(sf.code) > MAX_FILE_LINES), key=lambda t: -t[1])
    long_fns = sorted(((rel, line, name, n) for rel, sf in real.items()
                       for line, name, n in long_functions(sf)), key=lambda t: (-t[3], t[0]))
    return Findings(found, long_files, long_fns, found_modules)


def render(f: Findings, src: Path) -> str:
    out = [f"structure of {src}"]
    out.append(f"\n(a) import cycles between files: {len(f.cycles)}")
    for i, (comp, lines) in enumerate(f.cycles, 1):
        out.append(f"  cycle {i} ({len(comp)} files): {', '.join(comp)}")
        out += [f"    {line}" for line in lines]
    out.append(f"\n(b) files over {MAX_FILE_LINES} lines of code: {len(f.long_files)}")
    out += [f"  {rel}: {n}" for rel, n in f.long_files]
    out.append(f"\n(c) functions over {MAX_FN_LINES} lines of code (outside tests): "
               f"{len(f.long_fns)}")
    out += [f"  {rel}:{line} {name}: {n}" for rel, line, name, n in f.long_fns]
    out.append(f"\n(d) cycles between top-level modules (a path naming a module through a "
               f"re-export counts; fails with --modules or --cycles): {len(f.module_cycles)}")
    for i, (comp, lines) in enumerate(f.module_cycles, 1):
        out.append(f"  cycle {i} ({len(comp)} modules): {', '.join(comp)}")
        out += [f"    {line}" for line in lines]
    return "\n".join(out)


# ---------------------------------------------------------------- self-test


SELF_TEST_FILES = {
    "lib.rs": "//! Root: doc mentions crate::b::Y are not uses.\npub mod a;\npub mod b;\n"
              "pub mod c;\npub mod facade;\n#[cfg(test)]\nmod tests;\n",
    "a.rs": "use crate::b::Y;\n/// Uses [`crate::c::Z`] in a doc comment only.\npub struct X;\n"
            "pub fn f() -> Y { Y }\n",
    "b.rs": "pub struct Y;\npub fn g() { let _ = crate::a::X; let _s = \"crate::c::Z\"; }\n"
            "#[cfg(test)]\nmod tests {\n    use crate::c::Z;\n}\n",
    "c.rs": "pub struct Z;\n",
    "facade/mod.rs": "mod inner;\npub use inner::W;\npub struct Base;\n",
    "facade/inner.rs": "use super::Base;\npub struct W(pub Base);\n",
    "tests.rs": "use crate::a::X;\nuse crate::c::Z;\n",
}


def self_test() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp)
        for rel, text in SELF_TEST_FILES.items():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            (src / rel).write_text(text)
        long_body = "".join(f"    let v{i} = {i};\n" for i in range(MAX_FN_LINES + 5))
        (src / "c.rs").write_text("pub struct Z;\npub fn long() {\n" + long_body + "}\n"
                                  + "#[cfg(test)]\nmod tests {\n    fn long_test() {\n"
                                  + long_body + "    }\n}\n")
        (src / "big.rs").write_text("".join(f"pub const C{i}: u8 = 0;\n// note\n\n"
                                            for i in range(MAX_FILE_LINES + 1)))
        (src / "lib.rs").write_text(SELF_TEST_FILES["lib.rs"] + "pub mod big;\n")
        f = analyse(src)
        problems = []
        if [c for c, _ in f.cycles] != [["a.rs", "b.rs"]]:
            problems.append(f"expected exactly the cycle a.rs <-> b.rs, got {f.cycles}")
        edge_text = "\n".join(line for _, lines in f.cycles for line in lines)
        for want in ("a.rs -> b.rs", "b.rs -> a.rs"):
            if want not in edge_text:
                problems.append(f"missing edge {want!r} in {edge_text!r}")
        if [c for c, _ in f.module_cycles] != [["a", "b"]]:
            problems.append(f"expected the module cycle a <-> b, got {f.module_cycles}")
        if f.long_files != [("big.rs", MAX_FILE_LINES + 1)]:
            problems.append(f"expected big.rs with {MAX_FILE_LINES + 1} lines, got {f.long_files}")
        if [(r, n) for r, _, n, _ in f.long_fns] != [("c.rs", "long")]:
            problems.append(f"expected only c.rs's fn long, got {f.long_fns}")
        if not f.any_cycle():
            problems.append("--cycles would pass on a tree with cycles")
        text = render(f, src)
    if problems:
        print("self-test FAILED:\n  " + "\n  ".join(problems) + "\n\n" + text)
        return 1
    print("self-test passed: the cycle a.rs <-> b.rs found (doc comments, strings, tests and a "
          "facade ignored), one long file, one long function")
    return 0


def check_cycles(f: Findings, src: Path) -> int:
    """The `--cycles` mode: exit 1 listing the cycles when there are any,
    else one line (long files and functions only counted)."""
    if f.any_cycle():
        text = render(f, src)
        text = text[:text.index("\n\n(b)")] + text[text.index("\n\n(d)"):]
        print(text + "\n\nstructure check failed: import cycles between files or modules; "
              "move the items so that dependencies go one way (`make structure` lists all)")
        return 1
    print(f"structure: no import cycles between files or top-level modules of {src} "
          f"({len(f.long_files)} files over {MAX_FILE_LINES} and {len(f.long_fns)} functions "
          f"over {MAX_FN_LINES} lines of code: `make structure` lists them)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", type=Path, default=DEFAULT_SRC, help="the crate's src/ folder")
    ap.add_argument("--report", action="store_true", help="print everything and exit 0")
    ap.add_argument("--self-test", action="store_true",
                    help="check the checker on a generated tree")
    ap.add_argument("--modules", action="store_true",
                    help="also fail on cycles between top-level modules (d)")
    ap.add_argument("--cycles", action="store_true",
                    help="fail only on import cycles, between files (a) or top-level modules "
                         "(d); long files and functions are counted, not failed (make lint)")
    args = ap.parse_args()
    if args.self_test:
        return self_test()
    if not (args.src / "lib.rs").exists():
        print(f"check_structure: no lib.rs in {args.src}; pass --src crates/<crate>/src")
        return 2
    f = analyse(args.src)
    if args.cycles:
        return check_cycles(f, args.src)
    print(render(f, args.src))
    if f.any(args.modules) and not args.report:
        print("\nstructure check failed: fix the items above (or run with --report to list only)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
