"""Thai dictionary order for names, without ICU.

Code-point order puts "เสาไห้" before "แก่งคอย" and every name with a leading vowel
(เ แ โ ใ ไ) after all those without: a dictionary sorts by the consonant, reading the
leading vowel after it, and looks at tone marks only to break a tie.
"""

from __future__ import annotations

_LEADING_VOWELS = frozenset("เแโใไ")
_MARKS = str.maketrans("", "", "\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e4d\u0e4e")


def thai_key(text: str) -> tuple[str, str]:
    """A sort key putting Thai text in dictionary order (ties broken by the text itself)."""
    chars = list(text)
    i = 0
    while i < len(chars) - 1:
        if chars[i] in _LEADING_VOWELS:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
            i += 1
        i += 1
    return "".join(chars).translate(_MARKS), text
