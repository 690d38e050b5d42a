"""Reading what a request sends: ids and JSON, bounded, so bad input gets a message, never a crash.

No Django here: views, forms and the API call these and turn InputError
into their own 400 (a form error, a flash message, the API's JSON error).
"""

import json
import math
import re
from typing import Any

# Primary keys are PostgreSQL bigints: a larger number can name no row, and
# sending it to the database would be an error instead of "not found".
MAX_ID = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")
# Well past any count, size or setting we take, and far below where int() and
# float() become slow or overflow.
MAX_NUMBER_DIGITS = 20


class InputError(ValueError):
    """Input that cannot be read; the message is written for the person who sent it."""


def parse_id(value: object) -> int | None:
    """`value` as a row id (1 to MAX_ID, ASCII digits only), or None.

    str.isdigit() also accepts "²", "٣" and "１", which int() refuses or reads
    as another number: ids are only ever the ASCII digits the app writes.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 1 <= value <= MAX_ID else None
    if not isinstance(value, str) or not _ASCII_DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def parse_ids(values: list[str]) -> list[int]:
    """The values that are ids, in order; the rest are left out."""
    return [number for number in map(parse_id, values) if number is not None]


def parse_json(data: str | bytes, *, max_length: int, max_depth: int) -> Any:
    """`data` as JSON, refusing a text longer than `max_length`, nesting over `max_depth`,
    numbers of more than MAX_NUMBER_DIGITS digits, NaN and Infinity. Raises InputError.
    """
    if len(data) > max_length:
        raise InputError(f"The JSON is too long: at most {max_length:,} characters.")
    try:
        value = json.loads(
            data,
            parse_int=_bounded_int,
            parse_float=_bounded_float,
            parse_constant=_no_constant,
        )
    except InputError:
        raise
    except RecursionError:
        raise InputError(f"The JSON is nested too deeply: at most {max_depth} levels.") from None
    except ValueError as error:
        raise InputError(f"This is not valid JSON: {_reason(error)}.") from None
    if _depth(value) > max_depth:
        raise InputError(f"The JSON is nested too deeply: at most {max_depth} levels.")
    return value


def _bounded_int(text: str) -> int:
    # Checked before int(): converting thousands of digits is slow, and over
    # 4,300 Python refuses.
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise InputError(f"The number {_shortened(text)} is too large.")
    return int(text)


def _bounded_float(text: str) -> float:
    # json.loads reads 1e999 as infinity.
    number = float(text)
    if not math.isfinite(number) or abs(number) >= 10**MAX_NUMBER_DIGITS:
        raise InputError(f"The number {_shortened(text)} is too large.")
    return number


def _shortened(text: str) -> str:
    return text if len(text) <= 12 else f"{text[:12]}…"


def _no_constant(text: str) -> None:
    raise InputError(f"{text} is not a number JSON allows.")


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in `value` (a scalar is 0), without recursing."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level)
            pending.extend((child, level + 1) for child in item)
    return deepest


def _reason(error: ValueError) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} (line {error.lineno}, column {error.colno})"
    return "a value could not be read"
