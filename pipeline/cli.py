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


def _overrides(ctx: typer.Context) -> dict:
    """``--section.key value`` pairs after the command, as spaCy's CLI takes them."""
    from spacy.cli._util import parse_config_overrides

    return parse_config_overrides(ctx.args)


@app.command("train", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def train_cli(
    ctx: typer.Context,
    corpus: List[Path] = typer.Argument([Path("corpus/annotations")], help="Annotation files or directories."),
    output: Path = typer.Option(Path("training"), "--output", "-o", help="Output directory (model-best, model-last, metrics.json)."),
    config: Path = typer.Option(Path("configs/ner.cfg"), "--config", "-c", help="Training config."),
) -> None:
    """Train the pipeline on the corpus (deterministic: fixed seed); extra --section.key value override the config."""
    from .train import train_cli_run

    metrics = train_cli_run(corpus, output, config, _overrides(ctx))
    typer.echo(metrics["conversion"])
    typer.echo(f"saved {output / 'model-best'}")


@app.command("evaluate")
def evaluate_cli(
    model: Path = typer.Argument(..., help="A trained pipeline directory."),
    data: List[Path] = typer.Argument(..., help="Annotation files or directories."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write evaluation.json and evaluation.md here."),
    records: bool = typer.Option(False, "--records", help="Also score records (gold entities → linker, and end to end)."),
) -> None:
    """Per-label strict/lenient P/R/F1, confusion table and errors (and records with --records)."""
    import json

    import spacy

    from .corpus import annotation_files, load_corpus, load_records
    from .evaluate import evaluate_records, predict_spans, score_spans, to_markdown, write_report

    if not model.exists():
        typer.echo(f"error: model not found: {model}", err=True)
        raise typer.Exit(2)
    nlp = spacy.load(model)
    docs = load_corpus(data)
    result = score_spans(predict_spans(nlp, docs))
    if records:
        gold = {f.name[: -len(".jsonl")]: load_records(f) for f in annotation_files(data)}
        result["records_gold_entities"] = evaluate_records(docs, gold)
        result["records_end_to_end"] = evaluate_records(docs, gold, model=nlp)
    md = to_markdown(result, f"Evaluation of {model}")
    if records:
        for key in ("records_gold_entities", "records_end_to_end"):
            r = result[key]
            md += f"\n{key}: P {r['p']:.3f} R {r['r']:.3f} F1 {r['f']:.3f}, exact activity {r['exact_activity']:.3f}, value {r['value_acc']:.3f}, unit {r['unit_acc']:.3f}, approx {r['approx_acc']:.3f}, section {r['section_acc']:.3f}\n"
    if output:
        write_report(result, output, f"Evaluation of {model}")
        if records:
            (output / "evaluation.md").write_text(md, encoding="utf-8")
    typer.echo(md if not output else f"wrote {output / 'evaluation.md'} and evaluation.json")


@app.command("cv", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def cv_cli(
    ctx: typer.Context,
    corpus: List[Path] = typer.Argument([Path("corpus/annotations")], help="Annotation files or directories."),
    output: Path = typer.Option(Path("training/cv/default"), "--output", "-o", help="Where fold models and cv.json/cv.md go."),
    config: Path = typer.Option(Path("configs/ner.cfg"), "--config", "-c", help="Training config."),
    workers: int = typer.Option(2, "--workers", help="Folds trained in parallel."),
    name: str = typer.Option("default", "--name", help="Title of the table."),
) -> None:
    """Leave-one-report-out cross-validation; extra --section.key value override the config."""
    from .cv import cross_validate, save

    result = cross_validate(corpus, output, config, _overrides(ctx), n_workers=workers)
    typer.echo(save(result, output, name))


@app.command("pkuseg")
def pkuseg_cli(
    output: Path = typer.Option(Path("training/pkuseg"), "--output", "-o", help="Model directory (features.msgpack, weights.npz)."),
    raw: Path = typer.Option(Path("corpus/raw"), help="Raw reports (used when no annotations are given)."),
    annotations: Optional[Path] = typer.Option(None, help="Keep these annotations' entities whole (leaks entity boundaries: not for cross-validation)."),
    iterations: int = typer.Option(10, help="Training iterations."),
) -> None:
    """Train the project's own pkuseg segmentation model offline (jieba-derived data)."""
    from .corpus import load_corpus
    from .segment import make_pkuseg

    make_pkuseg(raw, output, load_corpus([annotations]) if annotations else None, iterations)
    typer.echo(f"saved pkuseg model to {output}")
