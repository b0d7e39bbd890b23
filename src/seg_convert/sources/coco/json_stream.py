"""A JSON document read value by value from a binary stream, in bounded memory.

The file is scanned as Latin-1 text, where a character is a byte, so positions
are byte offsets; the structure of JSON is ASCII.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, NoReturn

from seg_convert.core.errors import InputError

_CHUNK = 1 << 20
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_STRUCTURE = re.compile(r'["\[\]{}]')
_IN_STRING = re.compile(r'["\\]')
_DECODER = json.JSONDecoder()
# Longer than any token an error can point into the start of: a \uXXXX escape.
_LONGEST_TOKEN = 8


class JsonStream:
    """A JSON document read value by value from a binary stream."""

    def __init__(self, stream: IO[bytes], path: Path) -> None:
        self.path = path
        self.last_value: Any = None
        self._stream = stream
        self._text = ""
        self._base = 0  # the byte offset of _text[0]
        self._pos = 0
        self._eof = False

    def object_keys(self) -> Iterator[str]:
        """The keys of the top-level object; the caller reads each value."""
        self._skip_byte_order_mark()
        self._take("{")
        if self._peek() == "}":
            return
        while True:
            key = self.value()
            if not isinstance(key, str):
                self._fail("expected a key")
            self._take(":")
            yield key
            if self._peek() == "}":
                self._pos += 1
                return
            self._take(",")

    def _skip_byte_order_mark(self) -> None:
        """UTF-8's mark is read past (Python's json.load refuses it, but the
        text is UTF-8); UTF-16 or 32, which no COCO tool writes, is refused
        by its name rather than as a '{' not found."""
        while len(self._text) < 4 and self._fill():
            pass
        if self._text.startswith("\xef\xbb\xbf"):
            self._pos = 3
            return
        start = self._text[:4].encode("latin-1")
        if start and json.detect_encoding(start) != "utf-8":
            raise InputError(
                self.path,
                f"is {json.detect_encoding(start).upper()} text; a COCO file is "
                "UTF-8 (convert it, e.g. with iconv)",
            )

    def array_spans(self) -> Iterator[tuple[int, int]]:
        """The byte spans of an array's elements (each decoded into
        ``last_value``, and so checked, as it goes)."""
        self._take("[")
        if self._peek() == "]":
            self._pos += 1
            return
        while True:
            self._peek()
            start = self._base + self._pos
            self.last_value = self.value()
            yield start, self._base + self._pos
            if self._peek() == "]":
                self._pos += 1
                return
            self._take(",")

    def bytes_between(self, start: int, end: int) -> bytes:
        """The bytes of a span that lies in the buffer (the last value's)."""
        return self._text[start - self._base : end - self._base].encode("latin-1")

    def value(self) -> Any:
        self._peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self._text, self._pos)
            except json.JSONDecodeError as error:
                if self._cut_short(error) and self._fill():
                    continue
                self._fail(error.msg, at=error.pos)
            except RecursionError:
                self._fail("nested too deeply")
            except ValueError:  # Python's limit on an integer's digits
                self._fail("a number of thousands of digits")
            if end == len(self._text) and self._fill():
                continue  # a number may go on in the next chunk
            self._pos = end
            return value

    def starts_with(self, character: str) -> bool:
        """Whether the next value starts with ``character``."""
        return self._peek() == character

    def skip_value(self) -> None:
        """Read past a value that is not kept. One that ends in the buffer is
        decoded (and so checked); a longer one (a string of a GB in ``info``)
        is only scanned for where it ends, dropping what was read as it goes."""
        self._peek()
        try:
            _, end = _DECODER.raw_decode(self._text, self._pos)
        except json.JSONDecodeError as error:
            if not self._cut_short(error):
                self._fail(error.msg, at=error.pos)
            end = len(self._text)
        except RecursionError:
            self._fail("nested too deeply")
        except ValueError:
            self._fail("a number of thousands of digits")
        if end < len(self._text):
            self._pos = end
            return
        if self._peek() not in ('"', "[", "{"):
            self.value()  # a number or a literal: short
            return
        self._scan_to_end()

    def _scan_to_end(self) -> None:
        depth, in_string = 0, False
        while True:
            pattern = _IN_STRING if in_string else _STRUCTURE
            found = pattern.search(self._text, self._pos)
            if found is None:
                self._pos = len(self._text)
                if not self._fill():
                    self._fail("the file ends inside a value")
                continue
            char = found.group()
            self._pos = found.end()
            if char == "\\":
                if self._pos >= len(self._text) and not self._fill():
                    self._fail("the file ends inside a string")
                self._pos += 1  # the escaped character
            elif char == '"':
                in_string = not in_string
                if not in_string and depth == 0:
                    return
            else:
                depth += 1 if char in "[{" else -1
                if depth == 0:
                    return

    def _cut_short(self, error: json.JSONDecodeError) -> bool:
        """Whether the error may be the buffer's end cutting a value short (a
        string's error is at its start); any other is in the file, and is
        reported without reading the rest of it."""
        near_end = error.pos >= len(self._text) - _LONGEST_TOKEN
        return near_end or error.msg.startswith("Unterminated string")

    def _peek(self) -> str:
        while True:
            match = _WHITESPACE.match(self._text, self._pos)
            self._pos = match.end() if match else self._pos
            if self._pos < len(self._text):
                return self._text[self._pos]
            if not self._fill():
                return ""

    def _take(self, expected: str) -> None:
        if self._peek() != expected:
            self._fail(f"expected {expected!r}")
        self._pos += 1

    def _fill(self) -> bool:
        """Read more (as much again as is buffered, so a long value is decoded
        a few times at most), dropping what was consumed."""
        if self._eof:
            return False
        kept = len(self._text) - self._pos
        chunk = self._stream.read(max(_CHUNK, kept))
        if not chunk:
            self._eof = True
            return False
        self._base += self._pos
        self._text = self._text[self._pos :] + chunk.decode("latin-1")
        self._pos = 0
        return True

    def _fail(self, message: str, *, at: int | None = None) -> NoReturn:
        offset = self._base + (self._pos if at is None else at)
        raise InputError(self.path, f"not valid JSON at byte {offset}: {message}")
