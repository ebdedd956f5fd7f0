"""A strict, bounded YAML reader for the files users hand to hedgekit (books, backtest configs).

PyYAML's ``safe_load`` follows YAML 1.1: ``1:30`` is the number 90, ``yes``/``on`` are
booleans, a repeated key silently keeps the last value, and nothing bounds the work a small
file can demand (an alias "billion laughs" bomb, nesting thousands deep). This module reads
the event stream of the libyaml (or pure-Python) parser and builds the document itself,
iteratively, with:

* the YAML 1.2 core schema for plain scalars (https://yaml.org/spec/1.2.2/#1032-tag-resolution):
  ``null``/``~``/empty, ``true``/``false``, decimal/``0o``/``0x`` integers, decimal floats,
  ``.inf``/``.nan``; everything else (``1:30``, ``yes``, ``2021-02-30``) stays a string;
* duplicate keys refused, naming the key and its line;
* at most :data:`MAX_DEPTH` levels of nesting, integers of at most :data:`MAX_INT_DIGITS`
  digits, and aliases that expand the document by at most :data:`MAX_ALIAS_EXPANSION` values;
* one document per file, and no control characters (ANSI escape sequences) in values.

Every refusal is a :class:`YamlRefused` with the line and column; the caller turns it into
one error line.
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["MAX_ALIAS_EXPANSION", "MAX_DEPTH", "MAX_INT_DIGITS", "YamlRefused", "decode_text", "load"]

MAX_DEPTH = 64
MAX_INT_DIGITS = 64
MAX_ALIAS_EXPANSION = 100_000

_NULL = re.compile(r"~|null|Null|NULL|")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT10 = re.compile(r"[-+]?[0-9]+")
_INT8 = re.compile(r"0o[0-7]+")
_INT16 = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)")
_NAN = re.compile(r"\.(nan|NaN|NAN)")


class YamlRefused(ValueError):
    """The text is not a document hedgekit reads; ``line``/``column`` are 1-based (0 = unknown)."""

    def __init__(self, problem: str, line: int = 0, column: int = 0):
        self.problem, self.line, self.column = problem, line, column
        where = f"line {line}, column {column}: " if line else ""
        super().__init__(where + problem)


def _where(event: Any) -> tuple[int, int]:
    mark = getattr(event, "start_mark", None)
    return (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)


def _int(text: str, event: Any) -> int:
    digits = len(text.lstrip("+-"))
    if digits > MAX_INT_DIGITS:
        raise YamlRefused(f"an integer of {digits} digits (at most {MAX_INT_DIGITS})", *_where(event))
    if text.startswith(("0o", "0x")):
        return int(text, 0)  # Python reads both prefixes as YAML 1.2 writes them
    return int(text, 10)


def _plain(text: str, event: Any) -> Any:
    """A plain (unquoted, untagged) scalar under the YAML 1.2 core schema."""
    if _NULL.fullmatch(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT10.fullmatch(text) or _INT8.fullmatch(text) or _INT16.fullmatch(text):
        return _int(text, event)
    if _FLOAT.fullmatch(text):
        return float(text)
    if _INF.fullmatch(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.fullmatch(text):
        return math.nan
    return text


_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
         "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:map",
         "tag:yaml.org,2002:seq"}


# C0 controls but tab and newline, DEL and C1: only reachable through "\e"-style escapes
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _scalar(event: Any) -> Any:
    tag, text = event.tag, event.value
    bad = _CONTROL.search(text)
    if bad:
        raise YamlRefused(f"control character {bad.group()!r} in a value (an escape sequence?)", *_where(event))
    if tag in (None, "!"):
        return _plain(text, event) if event.implicit[0] and tag is None else text
    if tag not in _TAGS:
        raise YamlRefused(f"unsupported tag {tag[:40]!r}", *_where(event))
    kind = tag.rsplit(":", 1)[1]
    if kind == "str":
        return text
    value = _plain(text, event)
    ok = {"int": lambda v: isinstance(v, int) and not isinstance(v, bool),
          "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
          "bool": lambda v: isinstance(v, bool), "null": lambda v: v is None}.get(kind, lambda v: False)
    if not ok(value):
        raise YamlRefused(f"{text[:40]!r} is not a valid !!{kind}", *_where(event))
    return float(value) if kind == "float" else value


class _Open:
    """A mapping or sequence being built: its value, pending key, and expanded size so far."""

    __slots__ = ("anchor", "is_map", "key", "key_event", "lines", "size", "value")

    def __init__(self, value: Any, anchor: str | None, is_map: bool):
        self.value, self.anchor, self.is_map = value, anchor, is_map
        self.key: Any = _Open  # sentinel: no key pending
        self.key_event: Any = None
        self.lines: dict[Any, Any] = {}  # key -> the event that wrote it
        self.size = 1


def _hashable_key(key: Any, event: Any) -> Any:
    if isinstance(key, (dict, list)):
        raise YamlRefused("a mapping key must be a plain value, not a list or mapping", *_where(event))
    return key


def _merge(frame: _Open, value: Any, event: Any) -> None:
    """``<<: *defaults`` (or a list of them): copy keys the mapping does not set itself."""
    sources = value if isinstance(value, list) else [value]
    if not all(isinstance(s, dict) for s in sources):
        raise YamlRefused("'<<' merges mappings only", *_where(event))
    for source in sources:
        for k, v in source.items():
            frame.value.setdefault(k, v)


def load(text: str) -> Any:
    """The single document in ``text``, or :class:`YamlRefused` (a ``yaml.YAMLError`` from the
    parser passes through: the caller reports its mark)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
    anchors: dict[str, tuple[Any, int]] = {}  # anchor -> (value, expanded size)
    open_anchors: set[str] = set()
    stack: list[_Open] = []
    documents = 0
    result: Any = None
    extra = 0  # values that aliases add to the document

    def add(value: Any, size: int, event: Any) -> None:
        nonlocal result
        if not stack:
            result = value
            return
        top = stack[-1]
        top.size += size
        if not top.is_map:
            top.value.append(value)
        elif top.key is _Open:
            top.key, top.key_event = _hashable_key(value, event), event
        else:
            key, key_event = top.key, top.key_event
            top.key = _Open
            if key == "<<" and key_event.implicit[0] and key not in top.lines:
                _merge(top, value, event)
                return
            if key in top.lines:
                shown = str(key)
                shown = shown if len(shown) <= 40 else shown[:39] + "…"
                first = _where(top.lines[key])[0]
                raise YamlRefused(f"duplicate key {shown!r} (first at line {first})", *_where(key_event))
            top.lines[key] = key_event  # its line is looked up only for an error
            top.value[key] = value

    starts = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.ScalarEvent):
            value = _scalar(event)
            if event.anchor:
                anchors[event.anchor] = (value, 1)
            add(value, 1, event)
        elif isinstance(event, starts):
            if len(stack) >= MAX_DEPTH:
                raise YamlRefused(f"nested more than {MAX_DEPTH} levels deep", *_where(event))
            if event.tag not in (None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"):
                raise YamlRefused(f"unsupported tag {event.tag[:40]!r}", *_where(event))
            is_map = isinstance(event, yaml.MappingStartEvent)
            frame = _Open({} if is_map else [], event.anchor, is_map)
            if event.anchor:
                open_anchors.add(event.anchor)
            stack.append(frame)
        elif isinstance(event, ends):
            frame = stack.pop()
            if frame.anchor:
                open_anchors.discard(frame.anchor)
                anchors[frame.anchor] = (frame.value, frame.size)
            add(frame.value, frame.size, event)
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor in open_anchors:
                raise YamlRefused(f"alias *{event.anchor[:40]} refers to the value that contains it", *_where(event))
            if event.anchor not in anchors:
                raise YamlRefused(f"unknown alias *{event.anchor[:40]}", *_where(event))
            value, size = anchors[event.anchor]
            extra += size
            if extra > MAX_ALIAS_EXPANSION:
                raise YamlRefused(f"aliases expand the document by more than {MAX_ALIAS_EXPANSION:,} values",
                                  *_where(event))
            add(value, size, event)
        elif isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise YamlRefused("more than one YAML document (---) in the file", *_where(event))
    return result


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def decode_text(data: bytes) -> str:
    """Text of a file: UTF-8 (with or without a byte-order mark) or UTF-16/32 with a byte-order
    mark (what Excel and Windows Notepad save). ``ValueError`` with the reason otherwise."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                raise ValueError(f"not valid {codec.upper()} text") from None
    if b"\x00" in data:
        raise ValueError("binary data, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValueError(f"not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}; save it as UTF-8)") from None
