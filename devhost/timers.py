"""Timer triggers: NCRONTAB schedules (6 fields, or a TimeSpan) and the loop that fires them."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.functions.timer import TimerRequest

from devhost.app_loader import HostedFunction, resolve_setting_expr

__all__ = ["CronSchedule", "IntervalSchedule", "parse_schedule", "TimerRunner", "ScheduleError"]

log = logging.getLogger("devhost.timers")
_MONTHS = {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}
_DAYS = {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}
# (low, high, names) for second, minute, hour, day of month, month, day of week.
_FIELDS = [(0, 59, {}), (0, 59, {}), (0, 23, {}), (1, 31, {}), (1, 12, _MONTHS), (0, 6, _DAYS)]
PAST_DUE_TOLERANCE = timedelta(seconds=1)


class ScheduleError(ValueError):
    """A schedule expression that is neither a 6-field NCRONTAB expression nor a TimeSpan."""


def _value(text: str, low: int, high: int, names: dict[str, int]) -> int:
    value = names[text.lower()] if text.lower() in names else int(text) if text.isascii() and text.isdigit() else None
    if value is None or not low <= value <= high:
        raise ScheduleError(f"'{text}' is outside {low}-{high}")
    return value


def _field(text: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    allowed: set[int] = set()
    top = 7 if names is _DAYS else high  # Sunday may be written 0 or 7
    for part in text.split(","):
        range_part, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isascii() and step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise ScheduleError(f"bad step in '{part}'")
        if range_part == "*":
            start, end = low, high
        elif "-" in range_part:
            first, _, last = range_part.partition("-")
            start, end = _value(first, low, top, names), _value(last, low, top, names)
        else:
            start = _value(range_part, low, top, names)
            end = high if step else start
        if start > end:
            raise ScheduleError(f"range '{range_part}' runs backwards")
        allowed.update(v % 7 if names is _DAYS else v for v in range(start, end + 1, step or 1))
    return frozenset(allowed)


class CronSchedule:
    """NCRONTAB `{second} {minute} {hour} {day} {month} {day-of-week}` in UTC; day and weekday must both match."""

    def __init__(self, expression: str) -> None:
        parts = expression.split()
        if len(parts) == 5:
            parts = ["0", *parts]
        if len(parts) != 6:
            raise ScheduleError(f"'{expression}' needs 6 fields (second minute hour day month day-of-week)")
        try:
            self.seconds, self.minutes, self.hours, self.days, self.months, self.weekdays = (
                _field(text, low, high, names) for text, (low, high, names) in zip(parts, _FIELDS, strict=True))
        except ScheduleError as exc:
            raise ScheduleError(f"schedule '{expression}': {exc}") from None
        except ValueError:
            raise ScheduleError(f"schedule '{expression}' is not a valid NCRONTAB expression") from None
        self.expression = expression

    def next_after(self, when: datetime) -> datetime:
        """The first matching instant strictly after `when` (aware, UTC)."""
        moment = when.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
        limit = moment + timedelta(days=366 * 5)
        while moment < limit:
            if moment.month not in self.months:
                moment = (moment.replace(day=1, hour=0, minute=0, second=0) + timedelta(days=32)).replace(day=1)
            elif moment.day not in self.days or (moment.isoweekday() % 7) not in self.weekdays:
                moment = moment.replace(hour=0, minute=0, second=0) + timedelta(days=1)
            elif moment.hour not in self.hours:
                moment = moment.replace(minute=0, second=0) + timedelta(hours=1)
            elif moment.minute not in self.minutes:
                moment = moment.replace(second=0) + timedelta(minutes=1)
            elif moment.second not in self.seconds:
                moment += timedelta(seconds=1)
            else:
                return moment
        raise ScheduleError(f"schedule '{self.expression}' never fires")


class IntervalSchedule:
    """A fixed period: a TimeSpan schedule (`hh:mm:ss`) or the DEVHOST_TIMER_SECONDS override."""

    def __init__(self, seconds: float) -> None:
        if seconds <= 0:
            raise ScheduleError("an interval must be positive")
        self.period = timedelta(seconds=seconds)
        self.expression = f"every {seconds:g}s"

    def next_after(self, when: datetime) -> datetime:
        return when + self.period


def parse_schedule(expression: str) -> CronSchedule | IntervalSchedule:
    span = re.fullmatch(r"(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})", expression.strip())
    if span:
        days, hours, minutes, seconds = (int(g or 0) for g in span.groups())
        return IntervalSchedule(((days * 24 + hours) * 60 + minutes) * 60 + seconds)
    return CronSchedule(expression)


class TimerRunner:
    """Fires every timer function on its schedule; an invocation still running makes the next one skip."""

    def __init__(self, functions: list[HostedFunction], invoke: Callable[[HostedFunction, Any], Awaitable[Any]],
                 override_seconds: float | None = None) -> None:
        self._invoke = invoke
        self._timers: list[tuple[HostedFunction, CronSchedule | IntervalSchedule]] = []
        for fn in functions:
            if fn.trigger.type != "timerTrigger":
                continue
            schedule = (IntervalSchedule(override_seconds) if override_seconds
                        else parse_schedule(resolve_setting_expr(str(fn.trigger.get("schedule", "")))))
            self._timers.append((fn, schedule))
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def schedules(self) -> list[tuple[str, str]]:
        return [(fn.name, schedule.expression) for fn, schedule in self._timers]

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._run(fn, schedule), name=f"timer:{fn.name}")
                       for fn, schedule in self._timers]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _fire(self, fn: HostedFunction, past_due: bool) -> None:
        try:
            await self._invoke(fn, TimerRequest(past_due=past_due))
        except Exception:
            pass  # the invoker logged it; a failing timer keeps its schedule

    async def _run(self, fn: HostedFunction, schedule: CronSchedule | IntervalSchedule) -> None:
        running: asyncio.Task[None] | None = None
        if fn.trigger.get("runOnStartup"):
            running = asyncio.create_task(self._fire(fn, past_due=False))
        due = schedule.next_after(datetime.now(UTC))
        try:
            while True:
                await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
                late = datetime.now(UTC) - due
                if running is not None and not running.done():
                    log.warning("timer '%s' skipped: the previous invocation is still running", fn.name)
                else:
                    running = asyncio.create_task(self._fire(fn, past_due=late > PAST_DUE_TOLERANCE))
                due = schedule.next_after(max(due, datetime.now(UTC) - PAST_DUE_TOLERANCE))
        finally:
            if running is not None and not running.done():
                running.cancel()
