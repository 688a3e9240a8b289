"""Cheap prefilters for catalog patterns: the literal text a regex cannot match without."""

# Checking `literal in text` is far cheaper than running the regex, and most patterns do not apply
# to most messages, so the matcher skips a pattern when none of its required literals is present.

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


Requirement = tuple[str, ...]  # any one of these literals must occur


def _strength(requirement: Requirement) -> int:
    return min(len(literal) for literal in requirement)


def _stronger(a: Requirement | None, b: Requirement | None) -> Requirement | None:
    if a is None or b is None:
        return a or b
    return a if (_strength(a), -len(a)) >= (_strength(b), -len(b)) else b


def _branch_requirement(branches: list[list[tuple[object, object]]]) -> Requirement | None:
    literals: list[str] = []
    for branch in branches:
        found = _requirement(branch)
        if found is None:
            return None
        literals.extend(found)
    return tuple(dict.fromkeys(literals))


def _requirement(sequence: list[tuple[object, object]]) -> Requirement | None:
    """The strongest literal requirement every match of `sequence` satisfies, or None."""
    best: Requirement | None = None
    run = ""
    for op, arg in sequence:
        if op is _LITERAL:
            run += chr(arg).lower()  # type: ignore[arg-type]
            continue
        if len(run) >= MIN_LITERAL:
            best = _stronger(best, (run,))
        run = ""
        if op is _SUBPATTERN:
            best = _stronger(best, _requirement(list(arg[-1])))  # type: ignore[index]
        elif op in _REPEATS and arg[0] >= 1:  # type: ignore[index]
            best = _stronger(best, _requirement(list(arg[2])))  # type: ignore[index]
        elif op is _BRANCH:
            best = _stronger(best, _branch_requirement([list(b) for b in arg[1]]))  # type: ignore[index]
    if len(run) >= MIN_LITERAL:
        best = _stronger(best, (run,))
    if best is not None and _strength(best) < MIN_LITERAL:
        return None
    return best


def required_literals(pattern: str) -> Requirement | None:
    """Lower-cased literals of which at least one occurs in any text the pattern matches.

    None means no useful literal was found, so the pattern must always be tried.
    """
    try:
        parsed = list(sre_parse.parse(pattern))
    except Exception:  # noqa: BLE001 - an unparsable pattern simply gets no prefilter
        return None
    return _requirement(parsed)
