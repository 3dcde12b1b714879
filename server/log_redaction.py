"""Keys never reach the logs. The live events stream takes its key as `?key=` (a browser's
EventSource cannot send headers), and uvicorn logs every request line with its query string, so
a filter on uvicorn's loggers masks the value of every `key` query parameter before any handler
formats the record. It is installed once per process by the app (`redact_keys_in_logs()`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from urllib.parse import unquote_plus

SECRET_PARAMETERS = frozenset({"key"})  # compared decoded and case-blind: ?%6Bey= is the same parameter
MASK = "***"
REDACTED_LOGGERS = ("uvicorn.access", "uvicorn.error")  # request lines; WebSocket lines go to uvicorn.error
_PARAMETER = re.compile(r"(?<=[?&])([^=&#\s\"']+)=([^&#\s\"']*)")


def redact_query_secrets(text: str) -> str:
    """`text` with the value of each secret query parameter replaced by ***."""
    if "=" not in text:
        return text

    def mask(match: re.Match[str]) -> str:
        if unquote_plus(match.group(1)).lower() in SECRET_PARAMETERS:
            return f"{match.group(1)}={MASK}"
        return match.group(0)

    return _PARAMETER.sub(mask, text)


class QuerySecretRedaction(logging.Filter):
    """Masks secret query parameters in a record's message and its string arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_query_secrets(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_query_secrets(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {k: redact_query_secrets(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


def redact_keys_in_logs(logger_names: tuple[str, ...] = REDACTED_LOGGERS) -> None:
    """Install the filter on uvicorn's loggers; calling it again adds nothing. A logger's filter
    sees only records logged on that logger, which is how uvicorn logs requests."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, QuerySecretRedaction) for existing in logger.filters):
            logger.addFilter(QuerySecretRedaction())
