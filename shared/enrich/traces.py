"""Error traces for humans: ANSI colour codes stripped, long traces cut to the lines that tell them apart."""

from __future__ import annotations

import re

__all__ = ["strip_ansi", "clean_trace", "clean_message", "MAX_TRACE_CHARS"]

MAX_TRACE_CHARS = 4000
MAX_LINE_CHARS = 600
USER_FRAMES_KEPT = 3
EXCEPTION_LINES_KEPT = 4  # at each end of the trace
CONTINUATION_LINES = 3  # message lines that follow an exception line

# CSI (colours, cursor), OSC (titles, links) and the two-byte escapes notebooks emit.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# "pkg.FooException: msg", ": org.x.SparkException: msg" (Py4J), "Caused by: java.io.X: msg",
# "ValueError" alone on the last line, and Databricks' "[ERROR_CLASS] msg" lines.
_EXCEPTION = re.compile(
    r"^\s*(?::\s*)?(?:Caused by:\s*)?"
    r"[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)*(?:Error|Exception|Exit|Failure|Fault|Interrupt)\w*"
    r"(?::\s|:$|$)"
)
_CAUSED_BY = re.compile(r"^\s*Caused by:")
_PY_FRAME = re.compile(r'^\s*(?:File\s+["<]|Cell In\[)')
_JVM_FRAME = re.compile(r"^\s*at\s+[\w$.<>/-]+\(")
_ARROW = re.compile(r"^\s*-+>\s*\d+")  # IPython's "----> 3 df = ..." marker of the failing line
_RULE = re.compile(r"^\s*-{10,}\s*$")

# Frames that belong to Spark, Python or the JVM rather than to the job's own code.
_LIBRARY_PY = ("/databricks/spark/", "/databricks/python", "pyspark/", "py4j/", "site-packages/",
               "dist-packages/", "/usr/lib/python", "/lib/python3", "<frozen ")
_LIBRARY_JVM = ("java.", "javax.", "jdk.", "sun.", "scala.", "org.apache.", "com.databricks.", "py4j.", "io.netty.",
                "akka.", "shaded.", "com.google.", "com.microsoft.", "com.azure.", "com.amazonaws.", "software.amazon.",
                "com.fasterxml.", "org.json4s.", "io.delta.", "org.postgresql.", "com.mysql.", "net.snowflake.",
                "okhttp3.", "reactor.", "kafkashaded.", "org.eclipse.", "org.glassfish.")


def strip_ansi(text: str) -> str:
    return _CONTROL.sub("", _ANSI.sub("", text))


def clean_message(text: str | None, limit: int = 2000) -> str | None:
    """A one-line error message: ANSI-free, trimmed; None when empty."""
    if not text:
        return None
    cleaned = strip_ansi(text).strip()
    return (cleaned[: limit - 1] + "…") if len(cleaned) > limit else (cleaned or None)


def _lines(text: str) -> list[str]:
    out: list[str] = []
    for raw in strip_ansi(text.replace("\r\n", "\n").replace("\r", "\n")).split("\n"):
        line = raw.rstrip()
        if out and line == out[-1] and line:  # repeated log lines carry no extra information
            continue
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return out


def _is_user_frame(line: str) -> bool:
    if _PY_FRAME.match(line):
        return not any(lib in line for lib in _LIBRARY_PY)
    if _JVM_FRAME.match(line):
        target = line.strip()[3:].lstrip()
        return not target.startswith(_LIBRARY_JVM)
    return False


def _is_frame(line: str) -> bool:
    return bool(_PY_FRAME.match(line) or _JVM_FRAME.match(line) or re.match(r"^\s*\.\.\. \d+ more", line))


def _source_line(lines: list[str], frame: int) -> list[int]:
    """The frame's source line: the "---->" line of an IPython block, else the next line of a
    plain Python traceback (JVM frames carry no source)."""
    if not _PY_FRAME.match(lines[frame]):
        return []
    for j in range(frame + 1, min(frame + 10, len(lines))):
        if _ARROW.match(lines[j]):
            return [j]
        if not lines[j] or _is_frame(lines[j]) or _EXCEPTION.match(lines[j]):
            break
    nxt = frame + 1
    if nxt < len(lines) and lines[nxt].strip() and not _is_frame(lines[nxt]) and not _EXCEPTION.match(lines[nxt]):
        return [nxt]
    return []


def _select(lines: list[str]) -> set[int]:
    keep: set[int] = set()
    exceptions = [i for i, line in enumerate(lines) if _EXCEPTION.match(line)]
    for i in exceptions[:EXCEPTION_LINES_KEPT] + exceptions[-EXCEPTION_LINES_KEPT:]:
        keep.add(i)
        # The message often continues on the next lines (hints, SQLSTATE, the failing query).
        for j in range(i + 1, min(i + 1 + CONTINUATION_LINES, len(lines))):
            if not lines[j] or _is_frame(lines[j]) or _EXCEPTION.match(lines[j]) or _RULE.match(lines[j]):
                break
            keep.add(j)
    caused = [i for i, line in enumerate(lines) if _CAUSED_BY.match(line)]
    keep.update(caused[:1] + caused[-1:])  # the first cause, and the innermost (JVM: the last)
    # Python prints the innermost call last, the JVM prints it first.
    py_user = [i for i, line in enumerate(lines) if _PY_FRAME.match(line) and _is_user_frame(line)]
    jvm_user = [i for i, line in enumerate(lines) if _JVM_FRAME.match(line) and _is_user_frame(line)]
    for i in py_user[-USER_FRAMES_KEPT:] + jvm_user[:USER_FRAMES_KEPT]:
        keep.add(i)
        keep.update(_source_line(lines, i))
    if lines:
        keep.add(len(lines) - 1)  # Python ends with the exception; keep it whatever it looks like
    return keep


def _render(lines: list[str], keep: set[int]) -> str:
    out: list[str] = []
    previous = -1
    for i in sorted(keep):
        gap = i - previous - 1
        if gap > 0:
            out.append(f"    [... {gap} line{'s' if gap > 1 else ''} trimmed ...]")
        line = lines[i]
        out.append(line if len(line) <= MAX_LINE_CHARS else line[: MAX_LINE_CHARS - 1] + "…")
        previous = i
    if previous < len(lines) - 1:
        out.append(f"    [... {len(lines) - 1 - previous} lines trimmed ...]")
    return "\n".join(out)


def clean_trace(text: str | None, limit: int = MAX_TRACE_CHARS) -> str | None:
    """ANSI-free trace; over `limit` characters, only the exception lines, the first and last
    'Caused by', and the last frames of user code (with their source line) are kept."""
    if not text:
        return None
    lines = _lines(text)
    whole = "\n".join(lines).strip()
    if len(whole) <= limit:
        return whole or None
    trimmed = _render(lines, _select(lines))
    if len(trimmed) <= limit:
        return trimmed
    # Still too long (huge messages): keep the head (first exception) and the tail (the final one).
    half = (limit - 40) // 2
    return trimmed[:half].rstrip() + "\n    [... trimmed ...]\n" + trimmed[-half:].lstrip()
