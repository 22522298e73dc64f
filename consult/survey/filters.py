"""Template filters: dates in UK time, written the GOV.UK way (30 July 2021, 11:59pm) in
English, and as the page's language writes them (CLDR's long date and short time) in others."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from flask import has_request_context
from flask_babel import gettext

UK = ZoneInfo("Europe/London")


def _language() -> str:
    if not has_request_context():
        return "en"
    from ..i18n import current_language

    return current_language()


def uk_date(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(UK)
    language = _language()
    if language != "en":
        return format_date(local.date(), "long", locale=language)
    return f"{local.day} {local:%B %Y}"


def uk_datetime(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(UK)
    language = _language()
    if local.hour == 0 and local.minute == 0:
        return gettext("midnight at the start of %(date)s", date=uk_date(moment))
    if language != "en":
        time = format_time(local.time(), "short", locale=language)
    else:
        hour = local.hour % 12 or 12
        time = f"{hour}:{local.minute:02d}{'am' if local.hour < 12 else 'pm'}"
    return gettext("%(time)s on %(date)s", time=time, date=uk_date(moment))
