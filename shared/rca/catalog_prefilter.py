"""Cheap prefilters for catalog patterns: the literal text a regex cannot match without.

Checking `literal in text` is far cheaper than running the regex, and most patterns do not apply to
most messages, so the matcher skips a pattern when none of its required literals is present.
"""

from __future__ import annotations

try:  # Python 3.11+
    from re import _constants as sre_constants  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older interpreters
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

__all__ = ["required_literals", "MIN_LITERAL"]

MIN_LITERAL = 3
_LITERAL, _SUBPATTERN, _BRANCH = sre_constants.LITERAL, sre_constants.SUBPATTERN, sre_constants.BRANCH
_REPEATS = (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT)


def _longest_literal(sequence: list[tuple[object, object]]) -> str:
    """The longest literal run that every match of `sequence` must contain (may be empty)."""
    best, run = "", ""
    for op, arg in sequence:
        if op is _LITERAL:
            run += chr(arg).lower()  # type: ignore[arg-type]
            continue
        best, run = max(best, run, key=len), ""
        inner: list[tuple[object, object]] | None = None
        if op is _SUBPATTERN:
            inner = arg[-1]  # type: ignore[index]
        elif op in _REPEATS and arg[0] >= 1:  # type: ignore[index]
            inner = arg[2]  # type: ignore[index]
        if inner is not None:
            best = max(best, _longest_literal(list(inner)), key=len)
    return max(best, run, key=len)


def required_literals(pattern: str) -> tuple[str, ...] | None:
    """Lower-cased literals of which at least one occurs in any text the pattern matches.

    None means no useful literal was found, so the pattern must always be tried.
    """
    try:
        parsed = list(sre_parse.parse(pattern))
    except Exception:  # noqa: BLE001 - an unparsable pattern simply gets no prefilter
        return None
    if len(parsed) == 1 and parsed[0][0] is _BRANCH:
        branches = [list(b) for b in parsed[0][1][1]]  # type: ignore[index]
    else:
        branches = [parsed]
    literals = []
    for branch in branches:
        literal = _longest_literal(branch)
        if len(literal) < MIN_LITERAL:
            return None
        literals.append(literal)
    return tuple(dict.fromkeys(literals))
