"""Template filters: dates in UK time, written the GOV.UK way (30 July 2021, 11:59pm)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def uk_date(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(UK)
    return f"{local.day} {local:%B %Y}"


def uk_datetime(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(UK)
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    if local.hour == 23 and local.minute == 59:
        return f"11:59pm on {uk_date(moment)}"
    if local.hour == 0 and local.minute == 0:
        return f"midnight at the start of {uk_date(moment)}"
    return f"{hour}:{local.minute:02d}{suffix} on {uk_date(moment)}"
