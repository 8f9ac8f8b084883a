"""The ``fazhi`` command line: thin wrappers over importable functions."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

app = typer.Typer(no_args_is_help=True, help="fazhi-ie: extract entities and knowledge records from 法治政府建设年度情况报告.")
corpus_app = typer.Typer(no_args_is_help=True, help="Check, summarise and build the annotated corpus.")
app.add_typer(corpus_app, name="corpus")


@corpus_app.command("validate")
def corpus_validate_cli(paths: List[Path] = typer.Argument(..., help="Annotation files or directories.")) -> None:
    """Check offsets, labels, overlaps, relations and records; one line per problem."""
    from .corpus import validate_paths

    problems = validate_paths(paths)
    for p in problems:
        typer.echo(str(p), err=True)
    if problems:
        typer.echo(f"{len(problems)} problem(s)", err=True)
        raise typer.Exit(1)
    typer.echo("ok: no problems")


@corpus_app.command("stats")
def corpus_stats_cli(paths: List[Path] = typer.Argument(..., help="Annotation files or directories.")) -> None:
    """Entities per label, records and characters, per report and in total (Markdown)."""
    from .corpus import corpus_stats, stats_table

    typer.echo(stats_table(corpus_stats(paths)))


@corpus_app.command("compile")
def corpus_compile_cli(
    raw_dir: Path = typer.Option(Path("corpus/raw"), help="Raw reports."),
    markup_dir: Path = typer.Option(Path("corpus/annotations/markup"), help="Markup sources."),
    out_dir: Path = typer.Option(Path("corpus/annotations"), help="Where the corpus files go."),
) -> None:
    """Compile the inline-markup gold into doccano JSONL + gold records."""
    from .markup import MarkupError, compile_dir

    try:
        done = compile_dir(raw_dir, markup_dir, out_dir)
    except MarkupError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1)
    typer.echo(f"compiled {len(done)} report(s)")
