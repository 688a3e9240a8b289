"""A small Bicep reader for tests (no Bicep CLI here): nesting, declarations, object keys, module wiring."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

__all__ = ["Bicep", "Decl", "load", "all_files", "check_statements", "INFRA", "REPO"]

REPO = Path(__file__).resolve().parents[3]
INFRA = REPO / "infra"

_PAIRS = {"{": "}", "[": "]", "(": ")"}
_TOP_KEYWORDS = ("targetScope", "param", "var", "resource", "module", "output", "metadata", "type", "func",
                 "import", "@")
_KEYWORDS = {
    "targetScope", "param", "var", "resource", "module", "output", "metadata", "type", "func", "import",
    "existing", "if", "for", "in", "true", "false", "null", "string", "int", "bool", "object", "array",
    "az", "sys", "scope", "as", "with",
}
_DECL = re.compile(
    r"^(?P<kind>param|var|resource|module|output)\s+(?P<name>[A-Za-z_]\w*)\s*(?P<rest>.*)$")


@dataclass
class Decl:
    kind: str
    name: str
    line: int
    text: str                      # the declaration's first line, strings intact
    start: int                     # offset of the keyword
    body: tuple[int, int] | None   # offsets of the first {...} / [...] after '=', brackets included
    type_ref: str = ""             # resource type@version, module path, param/output type
    existing: bool = False
    default: str | None = None     # param default (text after '='), None when absent


@dataclass
class Bicep:
    path: Path
    text: str
    masked: str = ""
    errors: list[str] = field(default_factory=list)
    pairs: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.masked, self.pairs, self.errors = _scan(self.text)

    # -- declarations ------------------------------------------------------------------------------
    @cached_property
    def decls(self) -> list[Decl]:
        out: list[Decl] = []
        depth = 0
        offset = 0
        for lineno, line in enumerate(self.masked.split("\n"), start=1):
            stripped = line.strip()
            if depth == 0 and stripped:
                start = offset + (len(line) - len(line.lstrip()))
                match = _DECL.match(stripped)
                if match:
                    out.append(self._decl(match, lineno, start))
            depth += sum(line.count(c) for c in "{[(") - sum(line.count(c) for c in "}])")
            offset += len(line) + 1
        return out

    def _decl(self, match: re.Match[str], lineno: int, start: int) -> Decl:
        kind, name = match["kind"], match["name"]
        end = self.text.find("\n", start)
        original = self.text[start:end if end != -1 else len(self.text)]
        decl = Decl(kind, name, lineno, original, start, None)
        rest = original[len(kind):].strip()[len(name):].strip()
        if kind in ("resource", "module"):
            quoted = re.match(r"'([^']*)'\s*(existing)?", rest)
            if quoted:
                decl.type_ref, decl.existing = quoted[1], bool(quoted[2])
        elif kind in ("param", "output"):
            decl.type_ref = rest.split()[0] if rest.split() else ""
            if kind == "param" and "=" in rest:
                decl.default = rest.split("=", 1)[1].strip()
        eq = self.masked.find("=", start)
        if kind != "param" and eq != -1:
            decl.body = self._first_bracket_after(eq)
        return decl

    def _first_bracket_after(self, pos: int) -> tuple[int, int] | None:
        """The {...} or [...] right after '=' (after an optional `if (...)`), else None (`var x = 'a'`)."""
        m = self.masked
        i = pos + 1
        while i < len(m) and m[i] in " \t":
            i += 1
        if m.startswith("if", i):
            paren = m.find("(", i)
            close = self.pairs.get(paren)
            if close is None:
                return None
            i = close + 1
            while i < len(m) and m[i] in " \t":
                i += 1
        if i < len(m) and m[i] in "{[" and i in self.pairs:
            return i, self.pairs[i]
        return None

    def of_kind(self, kind: str) -> list[Decl]:
        return [d for d in self.decls if d.kind == kind]

    def get(self, kind: str, name: str) -> Decl:
        for d in self.decls:
            if d.kind == kind and d.name == name:
                return d
        raise KeyError(f"{self.path.name}: no {kind} {name}")

    def body_text(self, decl: Decl) -> str:
        assert decl.body, f"{self.path.name}: {decl.kind} {decl.name} has no body"
        return self.text[decl.body[0]:decl.body[1] + 1]

    # -- objects -----------------------------------------------------------------------------------
    def object_keys(self, open_pos: int) -> dict[str, str]:
        """Keys of the object literal opening at open_pos, mapped to the text of their (first-line) value."""
        close = self.pairs[open_pos]
        keys: dict[str, str] = {}
        depth = 0
        i = open_pos + 1
        line_start = True
        while i < close:
            ch = self.masked[i]
            if ch in "{[(":
                depth += 1
            elif ch in "}])":
                depth -= 1
            elif ch == "\n":
                line_start = True
                i += 1
                continue
            if depth == 0 and line_start and not ch.isspace():
                match = re.match(r"('[^'\n]*'|[A-Za-z_$][\w$]*)\s*:", self.masked[i:close])
                if match:
                    raw = self.text[i:i + len(match[1])].strip("'")
                    value_start = i + match.end()
                    end = self.masked.find("\n", value_start)
                    keys[raw] = self.text[value_start:end if 0 <= end < close else close].strip()
                line_start = False
            i += 1
        return keys

    def object_at_key(self, open_pos: int, key: str) -> int | None:
        """Offset of the object/array that is the value of `key` directly inside the object at open_pos."""
        close = self.pairs[open_pos]
        pattern = re.compile(rf"(?m)^\s*'?{re.escape(key)}'?\s*:\s*([{{\[])")
        for match in pattern.finditer(self.masked, open_pos + 1, close):
            pos = match.start(1)
            if self._depth_between(open_pos, pos) == 1:
                return pos
        return None

    def _depth_between(self, a: int, b: int) -> int:
        depth = 0
        for ch in self.masked[a:b]:
            if ch in "{[(":
                depth += 1
            elif ch in "}])":
                depth -= 1
        return depth

    # -- symbols -----------------------------------------------------------------------------------
    @cached_property
    def symbols(self) -> set[str]:
        names = {d.name for d in self.decls}
        names |= set(re.findall(r"(?m)^\s*resource\s+([A-Za-z_]\w*)\s+'", self.masked))
        names |= set(re.findall(r"\bfor\s*\(?\s*([A-Za-z_]\w*)", self.masked))
        names |= set(re.findall(r"\bfor\s*\(\s*[A-Za-z_]\w*\s*,\s*([A-Za-z_]\w*)\s*\)", self.masked))
        names |= set(re.findall(r"\b([A-Za-z_]\w*)\s*=>", self.masked))
        return names

    def undeclared(self) -> set[str]:
        """Identifiers the code uses that are neither declared here nor Bicep keywords, types or functions."""
        found = set()
        for match in re.finditer(r"(?<![\w.@$'])([A-Za-z_]\w*)\b(?!\s*\()", self.masked):
            word, end = match[1], match.end()
            if word in _KEYWORDS or word in self.symbols:
                continue
            after = self.masked[end:end + 40].lstrip(" \t")
            if after.startswith(":") and not after.startswith("::"):
                continue  # an object key (or the middle of a ternary, which is not worth telling apart)
            found.add(word)
        return found

    def dotted_bases(self) -> set[str]:
        """Identifiers used as `x.member` in code (string contents excluded, interpolations included)."""
        return set(re.findall(r"(?<![\w.)\]'])([A-Za-z_]\w*)(?:\[[^\]\n]*\])?\.[A-Za-z_]", self.masked))


def _scan(text: str) -> tuple[str, dict[int, int], list[str]]:
    """Mask comments and string contents (interpolations stay code) and match brackets."""
    out = list(text)
    pairs: dict[int, int] = {}
    errors: list[str] = []
    n = len(text)

    def line_of(pos: int) -> int:
        return text.count("\n", 0, pos) + 1

    def blank(a: int, b: int, fill: str = " ") -> None:
        # Newlines survive so line numbers and line-based parsing still work.
        for k in range(a, min(b, n)):
            if text[k] != "\n":
                out[k] = fill

    def code(i: int, interp: bool) -> int:
        stack: list[tuple[str, int]] = []
        while i < n:
            if text.startswith("//", i):
                end = text.find("\n", i)
                end = n if end == -1 else end
                blank(i, end)
                i = end
            elif text.startswith("/*", i):
                end = text.find("*/", i + 2)
                if end == -1:
                    errors.append(f"line {line_of(i)}: unterminated block comment")
                    end = n
                blank(i, end + 2)
                i = end + 2
            elif text.startswith("'''", i):
                end = text.find("'''", i + 3)
                if end == -1:
                    errors.append(f"line {line_of(i)}: unterminated multi-line string")
                    end = n
                blank(i + 3, end, "~")
                i = end + 3
            elif text[i] == "'":
                i = string(i)
            elif text[i] in _PAIRS:
                stack.append((text[i], i))
                i += 1
            elif text[i] in "}])":
                if not stack:
                    if interp and text[i] == "}":
                        return i
                    errors.append(f"line {line_of(i)}: unmatched '{text[i]}'")
                else:
                    opener, pos = stack.pop()
                    if _PAIRS[opener] != text[i]:
                        errors.append(f"line {line_of(i)}: '{text[i]}' closes '{opener}' from line {line_of(pos)}")
                    pairs[pos] = i
                i += 1
            else:
                i += 1
        for opener, pos in stack:
            errors.append(f"line {line_of(pos)}: '{opener}' is never closed")
        if interp:
            errors.append("unterminated interpolation")
        return n

    def string(i: int) -> int:
        start = i
        i += 1
        while i < n:
            ch = text[i]
            if ch == "\\":
                blank(i, i + 2, "~")
                i += 2
            elif ch == "'":
                return i + 1
            elif text.startswith("${", i):
                i = code(i + 2, interp=True) + 1
            elif ch == "\n":
                errors.append(f"line {line_of(start)}: string not closed on its line")
                return i
            else:
                out[i] = "~"
                i += 1
        errors.append(f"line {line_of(start)}: unterminated string")
        return n

    code(0, interp=False)
    return "".join(out), pairs, errors


def check_statements(bicep: Bicep) -> list[str]:
    """Every top-level line must start a known statement (or be a decorator)."""
    problems = []
    depth = 0
    for lineno, line in enumerate(bicep.masked.split("\n"), start=1):
        stripped = line.strip()
        if depth == 0 and stripped and not stripped.startswith(_TOP_KEYWORDS):
            problems.append(f"{bicep.path.name}:{lineno}: not a declaration: {stripped[:60]}")
        depth += sum(line.count(c) for c in "{[(") - sum(line.count(c) for c in "}])")
    return problems


def load(path: Path | str) -> Bicep:
    path = Path(path)
    return Bicep(path, path.read_text(encoding="utf-8"))


def all_files() -> list[Bicep]:
    return [load(p) for p in sorted(INFRA.rglob("*.bicep"))]
