"""`tradingbot data book-check CAPTURE...`: rebuild L2 books from raw WebSocket captures and
report how often the captured bookTicker agrees with them (``marketdata.book_check``)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ai_engine.marketdata.book_check import CaptureCheck, check_captures


def book_check(
    captures: list[Path] = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        help="Raw captures (*.jsonl.gz, '<local time> <JSON>' per line), in time order.",
    ),
    json_out: Path | None = typer.Option(
        None, "--json", help="Also write the full report as JSON to this file ('-': stdout)."
    ),
) -> None:
    """Rebuild each capture's book (snapshot + diffs) and compare it with its bookTicker.

    Consecutive captures of one symbol continue the same book when the diff chain connects.
    Exit 1 if any compared bookTicker (or book state) disagrees.
    """
    results = check_captures(captures)
    report = [result.to_dict() for result in results]
    if json_out is not None and str(json_out) == "-":
        typer.echo(json.dumps(report, indent=2))
    else:
        for result in results:
            _print(result)
        if json_out is not None:
            json_out.write_text(json.dumps(report, indent=2) + "\n")
            typer.echo(f"report written to {json_out}")
    bad = [result for result in results if not result.ok]
    if bad:
        typer.echo(f"{len(bad)} capture(s) with mismatches", err=True)
        raise typer.Exit(1)


def _print(result: CaptureCheck) -> None:
    info = result.to_dict()
    book, ticker = info["book"], info["book_ticker"]
    span = "" if info["span_s"] is None else f" ({info['span_s']:.1f} s)"
    typer.echo(
        f"{result.path}: {info['symbol'] or '-'} {info['market'] or '-'}, "
        f"{info['events']:,} events, {info['first_local_time']} .. "
        f"{info['last_local_time']}{span}"
    )
    if result.malformed_lines or result.other_symbol:
        typer.echo(
            f"  skipped: {result.malformed_lines:,} malformed lines, "
            f"{result.other_symbol:,} events of other symbols"
        )
    typer.echo(
        f"  book: {book['status']}; {book['diffs']:,} diffs: {book.get('applied', 0):,} applied, "
        f"{book.get('stale', 0):,} stale (dropped), {book.get('gaps', 0):,} gaps, "
        f"{book.get('resyncs', 0):,} resyncs; {book.get('snapshots', 0):,} snapshot(s)"
    )
    rate = ticker["match_rate"]
    rate_text = "-" if rate is None else f"{rate:.2%}"
    skipped = ticker["not_comparable"]
    typer.echo(
        f"  bookTicker: {ticker['matched']:,} of {ticker['compared']:,} compared matched "
        f"({rate_text}); not comparable: {skipped['superseded_within_diff']:,} superseded "
        f"within a diff, {skipped['unsynced']:,} unsynced, {skipped['after_last_diff']:,} "
        f"after the last diff, {skipped['out_of_order']:,} out of order "
        f"(of {ticker['events']:,})"
    )
    typer.echo(
        f"  book states: {ticker['book_states_matched']:,} of "
        f"{ticker['book_states_checked']:,} matched the last bookTicker before them"
    )
    for example in ticker["mismatch_examples"]:
        typer.echo(f"  mismatch: {example}")
