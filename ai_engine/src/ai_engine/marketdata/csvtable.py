"""Typed, fast CSV reading (pyarrow.csv) that still names the bad line when a file is wrong.

The fast path reads with explicit column types. Arrow's own errors do not give reliable line
numbers, so when it fails the text is scanned once more in Python (error path only) to find the
first bad line and say what is wrong with it, as the user sees it: 1-based, header counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.csv as pcsv

from ai_engine.domain.errors import BadMarketData
from ai_engine.marketdata.layouts import Layout

_BOM = b"\xef\xbb\xbf"
_INT = re.compile(rb"^\s*[+-]?\d+\s*$")
_FLOAT = re.compile(rb"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$|^\s*[+-]?(nan|inf)\s*$", re.I)
_BOOLS = frozenset({b"True", b"true", b"False", b"false"})


@dataclass(frozen=True)
class CsvText:
    """A file's text split into what sniffing needs: header (if any) and first-line width."""

    source: str
    body: memoryview  # text without BOM and trailing blank lines, header included
    header: tuple[str, ...] | None
    field_count: int
    single_line: bool  # nothing after the first line

    @property
    def first_data_line(self) -> int:
        return 2 if self.header is not None else 1


def sniff(data: bytes, source: str) -> CsvText:
    """Find the header: a first line whose first field is not a number is one."""
    start = len(_BOM) if data.startswith(_BOM) else 0
    end = len(data)
    while end > start and data[end - 1] in b"\r\n \t":
        end -= 1
    body = memoryview(data)[start:end]
    newline = data.find(b"\n", start, end)
    first = bytes(body[: (newline - start) if newline >= 0 else len(body)]).rstrip(b"\r")
    try:
        fields = [field.strip() for field in first.decode("ascii").split(",")]
    except UnicodeDecodeError as exc:
        raise BadMarketData("not a CSV text file", source=source, row=1) from exc
    is_header = not _INT.match(fields[0].encode())
    header = tuple(field.lower() for field in fields) if is_header else None
    return CsvText(
        source=source, body=body, header=header, field_count=len(fields), single_line=newline < 0
    )


def read_typed(text: CsvText, layout: Layout) -> pa.Table:
    """The kept columns of ``text`` as typed Arrow arrays; errors name file and line."""
    types = dict(layout.types)
    if text.header is not None and text.single_line:
        raise BadMarketData("header only: no data rows", source=text.source, row=2)
    try:
        table = pcsv.read_csv(
            pa.py_buffer(text.body),
            read_options=pcsv.ReadOptions(
                column_names=list(layout.names), skip_rows=1 if text.header is not None else 0
            ),
            parse_options=pcsv.ParseOptions(ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(
                column_types=types,
                include_columns=list(types),
                null_values=[""],
                strings_can_be_null=False,
                true_values=["True", "true"],
                false_values=["False", "false"],
            ),
        )
    except pa.ArrowInvalid as exc:
        located = locate_bad_line(text, layout)
        if located is None:
            raise BadMarketData(f"unreadable CSV ({exc})", source=text.source) from exc
        line, message = located
        raise BadMarketData(message, source=text.source, row=line) from exc
    if table.num_rows == 0:
        raise BadMarketData(
            "header only: no data rows", source=text.source, row=text.first_data_line
        )
    if any(column.null_count for column in table.columns):
        # An empty field or line: find it in the text, to say which in the user's terms.
        located = locate_bad_line(text, layout)
        if located is None:
            raise BadMarketData("empty value", source=text.source)
        raise BadMarketData(located[1], source=text.source, row=located[0])
    return table


def locate_bad_line(text: CsvText, layout: Layout) -> tuple[int, str] | None:
    """First line that does not fit ``layout`` and why (slow; only called after a failure)."""
    types = dict(layout.types)
    lines = bytes(text.body).split(b"\n")
    for number, raw in enumerate(lines, start=1):
        if number < text.first_data_line:
            continue
        fields = raw.rstrip(b"\r").split(b",")
        if len(fields) != len(layout.names):
            if not raw.strip():
                return number, "empty line"
            return number, (
                f"wrong column count: expected {len(layout.names)} ({layout.description}), "
                f"got {len(fields)}"
            )
        for position, (name, field) in enumerate(zip(layout.names, fields, strict=True), 1):
            problem = _field_problem(field, types.get(name))
            if problem is not None:
                shown = field.decode("ascii", "replace")[:40]
                return number, f"column {position} ({name}): {shown!r} {problem}"
    return None


def _field_problem(field: bytes, kind: pa.DataType | None) -> str | None:
    if kind is None:
        return None
    if not field.strip():
        return "is empty"
    if kind == pa.int64() and not _INT.match(field):
        return "is not an integer"
    if kind == pa.float64() and not _FLOAT.match(field):
        return "is not a number"
    if kind == pa.bool_() and field.strip() not in _BOOLS:
        return "is not True/False"
    return None
