"""The ``fazhi`` command line: thin wrappers over importable functions."""
from __future__ import annotations

from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Iterator, List, Optional

import typer

app = typer.Typer(no_args_is_help=True, help="fazhi-ie: extract entities and knowledge records from 法治政府建设年度情况报告.")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"fazhi-ie {version('fazhi-ie')}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit.")) -> None:
    """fazhi-ie: extract entities and knowledge records from 法治政府建设年度情况报告."""
corpus_app = typer.Typer(no_args_is_help=True, help="Check, summarise and build the annotated corpus.")
app.add_typer(corpus_app, name="corpus")


@corpus_app.command("validate")
def corpus_validate_cli(paths: List[Path] = typer.Argument(..., help="Annotation files or directories.")) -> None:
    """Check offsets, labels, overlaps, relations and records; one line per problem."""
    from pipeline.learning.corpus import validate_paths

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
    from pipeline.learning.corpus import corpus_stats, stats_table

    typer.echo(stats_table(corpus_stats(paths)))


@corpus_app.command("compile")
def corpus_compile_cli(
    raw_dir: Path = typer.Option(Path("corpus/raw"), help="Raw reports."),
    markup_dir: Path = typer.Option(Path("corpus/annotations/markup"), help="Markup sources."),
    out_dir: Path = typer.Option(Path("corpus/annotations"), help="Where the corpus files go."),
) -> None:
    """Compile the inline-markup gold into doccano JSONL + gold records."""
    from pipeline.learning.markup import MarkupError, compile_dir

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
    corpus: List[Path] = typer.Option([Path("corpus/annotations")], "--corpus", help="Annotation files or directories."),
    output: Path = typer.Option(Path("training"), "--output", "-o", help="Output directory (model-best, model-last, metrics.json)."),
    config: Path = typer.Option(Path("configs/ner.cfg"), "--config", "-c", help="Training config."),
) -> None:
    """Train the pipeline on the corpus (deterministic: fixed seed); extra --section.key value override the config."""
    from pipeline.learning.train import train_cli_run

    metrics = train_cli_run(corpus, output, config, _overrides(ctx))
    typer.echo(metrics["conversion"])
    typer.echo(f"saved {output / 'model-best'}")


@app.command("evaluate")
def evaluate_cli(
    model: Path = typer.Argument(..., help="A trained pipeline directory."),
    data: List[Path] = typer.Argument(None, help="Annotation files or directories (not with --devset)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write evaluation.json and evaluation.md here."),
    records: bool = typer.Option(False, "--records", help="Also score records (gold entities → linker, and end to end)."),
    devset: Optional[str] = typer.Option(None, "--devset", help="Score on the out-of-district dev set: study, test or all (texts rebuilt in corpus/devset/texts)."),
    indicators: bool = typer.Option(False, "--indicators", help="Score the records' indicators instead: accuracy over matched records, macro-F1, other precision, top confusions."),
) -> None:
    """Per-label strict/lenient P/R/F1, confusion table and errors (and records with --records; indicators with --indicators)."""
    import json

    import spacy

    from pipeline.learning.corpus import load_corpus, load_gold_records
    from pipeline.learning.evaluate import evaluate_records, predict_spans, score_spans, to_markdown, write_report

    from pipeline.errors import E_MISSING_FILE, E_NO_MODEL, E_NOT_A_MODEL

    if not model.exists() or not (model / "config.cfg").is_file():
        typer.echo(f"error: {(E_NO_MODEL if not model.exists() else E_NOT_A_MODEL).format(path=model)}", err=True)
        raise typer.Exit(2)
    if devset is not None and devset not in ("study", "test", "all"):
        typer.echo("error: --devset takes study, test or all", err=True)
        raise typer.Exit(2)
    missing = [p for p in data or [] if not p.exists()]
    if missing:
        typer.echo(f"error: {missing[0]}: {E_MISSING_FILE}", err=True)
        raise typer.Exit(2)
    if indicators:
        from pipeline.learning import indicators as ind

        if devset is None and not data:
            typer.echo("error: give annotation files or directories, or --devset", err=True)
            raise typer.Exit(2)
        try:
            docs = ind.devset_documents(None if devset == "all" else devset) if devset is not None else ind.seed_documents(data)
        except ValueError as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(1)
        if not docs:
            typer.echo("error: no dev-set texts: rebuild them with python -m pipeline.learning.devset build (corpus/devset/README.md)", err=True)
            raise typer.Exit(1)
        result = ind.evaluate_pipeline(spacy.load(model), docs)
        md = ind.markdown(result, f"Indicators of {model} on {'the dev set (' + devset + ')' if devset else ', '.join(map(str, data))}")
        if output:
            output.mkdir(parents=True, exist_ok=True)
            (output / "indicators.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
            (output / "indicators.md").write_text(md, encoding="utf-8")
        typer.echo(md if not output else f"wrote {output / 'indicators.md'} and indicators.json")
        return
    if devset is not None:
        from pipeline.learning.devset import load_gold
        from pipeline.learning.evaluate import devset_markdown, evaluate_devset

        if devset not in ("study", "test", "all"):
            typer.echo("error: --devset takes study, test or all", err=True)
            raise typer.Exit(2)
        gold_docs = load_gold(split=None if devset == "all" else devset)
        if not gold_docs:
            typer.echo("error: no dev-set texts: rebuild them with python -m pipeline.learning.devset build (corpus/devset/README.md)", err=True)
            raise typer.Exit(1)
        result = evaluate_devset(spacy.load(model), gold_docs)
        md = devset_markdown(result, f"Evaluation of {model} on the dev set ({devset})")
        if output:
            output.mkdir(parents=True, exist_ok=True)
            (output / "evaluation.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
            (output / "evaluation.md").write_text(md, encoding="utf-8")
        typer.echo(md if not output else f"wrote {output / 'evaluation.md'} and evaluation.json")
        return
    if not data:
        typer.echo("error: give annotation files or directories, or --devset", err=True)
        raise typer.Exit(2)
    try:
        docs = load_corpus(data)
    except ValueError as err:  # one line naming the file and line (corpus.Problem)
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1)
    nlp = spacy.load(model)
    result = score_spans(predict_spans(nlp, docs))
    if records:
        gold = load_gold_records(data)
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
    corpus: List[Path] = typer.Option([Path("corpus/annotations")], "--corpus", help="Annotation files or directories."),
    output: Path = typer.Option(Path("training/cv/default"), "--output", "-o", help="Where fold models and cv.json/cv.md go."),
    config: Path = typer.Option(Path("configs/ner.cfg"), "--config", "-c", help="Training config."),
    workers: int = typer.Option(2, "--workers", help="Folds trained in parallel."),
    name: str = typer.Option("default", "--name", help="Title of the table."),
) -> None:
    """Leave-one-report-out cross-validation; extra --section.key value override the config."""
    from pipeline.learning.cv import cross_validate, save

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
    from pipeline.learning.corpus import load_corpus
    from pipeline.learning.segment import make_pkuseg

    make_pkuseg(raw, output, load_corpus([annotations]) if annotations else None, iterations)
    typer.echo(f"saved pkuseg model to {output}")


# ---------------------------------------------------------------- doccano loop
annotate_app = typer.Typer(no_args_is_help=True, help="The annotation loop with doccano: push suggestions, pull gold, retrain.")
app.add_typer(annotate_app, name="annotate")


@annotate_app.command("push")
def annotate_push_cli(
    docs: List[Path] = typer.Argument(..., help="Reports: .txt (UTF-8), corpus .jsonl, or directories of them."),
    project: str = typer.Option(..., "--project", "-p", help="doccano project name (created if missing)."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="Pipeline whose entities and records become suggestions."),
    order: str = typer.Option("input", "--order", help="input, or uncertainty: the documents the model is least sure of first."),
) -> None:
    """Upload each document once to a doccano project, with the model's suggestions."""
    from pipeline.annotation.annotate import AnnotateError, push

    try:
        result = push(docs, project, model, order)
    except AnnotateError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1)
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    for doc_id, score in result.uncertainty.items():
        typer.echo(f"  {doc_id}: uncertainty {score:.4f}")
    typer.echo(
        f"pushed {len(result.added)} new document(s) ({len(result.skipped)} already there) "
        f"with {result.spans} suggested span(s) and {result.relations} relation(s)"
    )
    typer.echo(f"project {project!r}: {result.url}")


@annotate_app.command("pull")
def annotate_pull_cli(
    project: str = typer.Option(..., "--project", "-p", help="doccano project name."),
    out: Path = typer.Option(..., "--out", "-o", help="Directory for the corpus files (one .jsonl per document)."),
    force: bool = typer.Option(False, "--force", help="Replace files that differ from doccano's version."),
    unconfirmed: bool = typer.Option(False, "--include-unconfirmed", help="Also take documents not marked done in doccano."),
) -> None:
    """Download the annotations, write them in the corpus format, validate them."""
    from pipeline.annotation.annotate import AnnotateError, pull

    try:
        result = pull(project, out, force=force, confirmed_only=not unconfirmed)
    except AnnotateError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1)
    for line in result.conflicts + result.problems:
        typer.echo(line, err=True)
    typer.echo(f"{len(result.added)} added, {len(result.changed)} changed, {len(result.unchanged)} unchanged in {out}")
    if result.problems:
        typer.echo(f"{len(result.problems)} problem(s): fix them in doccano and pull again", err=True)
        raise typer.Exit(1)


@annotate_app.command("retrain", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def annotate_retrain_cli(
    ctx: typer.Context,
    project: Optional[str] = typer.Option(None, "--project", "-p", help="doccano project to pull first (omit to use what is in --pulled)."),
    pulled: Path = typer.Option(Path("corpus/doccano"), "--pulled", help="Where pulled documents go."),
    corpus: List[Path] = typer.Option([Path("corpus/annotations")], "--corpus", help="The gold corpus."),
    heldout: Path = typer.Option(Path("configs/heldout.txt"), "--heldout", help="Held-out report ids, one per line."),
    output: Path = typer.Option(Path("training/retrain"), "--output", "-o", help="Where the candidate is trained."),
    baseline: Path = typer.Option(Path("training/baseline-heldout"), "--baseline", help="Cached baseline (current model, same held-out split)."),
    model_best: Path = typer.Option(Path("training/model-best"), "--model-best", help="Replaced by the candidate if it is not worse."),
    config: Path = typer.Option(Path("configs/ner.cfg"), "--config", "-c", help="Training config."),
    force: bool = typer.Option(False, "--force", help="Let the pull replace files that differ."),
) -> None:
    """Pull → validate → train → evaluate on held-out reports → keep the new model only if not worse.

    Extra ``--section.key value`` options override the training config (e.g. --training.max_epochs 1).
    """
    from spacy.cli._util import parse_config_overrides

    from pipeline.annotation.annotate import AnnotateError
    from pipeline.annotation.retrain import retrain

    try:
        result = retrain(
            project, pulled, corpus, heldout, output, baseline, model_best, config, parse_config_overrides(ctx.args), force,
            log=lambda message: typer.echo(message, err=True),
        )
    except AnnotateError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1)
    typer.echo(f"held out: {', '.join(result.heldout)}")
    typer.echo(result.table)
    c, b = result.candidate["micro"]["strict"]["f"], result.baseline["micro"]["strict"]["f"]
    if result.kept:
        typer.echo(f"kept: the candidate ({c:.3f} ≥ {b:.3f}) is now {model_best}")
    else:
        typer.echo(f"not kept: the candidate ({c:.3f}) is worse than the current model ({b:.3f}); {model_best} unchanged")


DEFAULT_MODEL = Path("training/model-best")


@app.command("extract")
def extract_cli(
    inputs: List[str] = typer.Argument(..., help="Files, directories (recursive) or globs of .txt, .docx, .html/.htm, .pdf."),
    out: Path = typer.Option(..., "--out", "-o", help="Output directory: documents.jsonl, entities.csv, records.csv, texts/."),
    model: Path = typer.Option(DEFAULT_MODEL, "--model", "-m", help="Trained pipeline directory."),
    n_process: int = typer.Option(1, "--n-process", help="Worker processes for the model."),
    batch_size: int = typer.Option(16, "--batch-size", help="Texts per batch."),
    resume: bool = typer.Option(False, "--resume", help="Skip inputs already done in OUT (same path and content hash)."),
    force: bool = typer.Option(False, "--force", help="Start again, replacing OUT's extraction."),
    max_chars: int = typer.Option(1_000_000, "--max-chars", help="Longer documents fail with a reason."),
    text_copy: bool = typer.Option(True, "--text-copy/--no-text-copy", help="Save every text under OUT/texts (default), so offsets and review pages survive moving the inputs; --no-text-copy points a UTF-8 .txt's text_path at the input."),
    scheduler: Optional[str] = typer.Option(
        None, "--scheduler",
        help="Run on a Dask cluster: a scheduler address (tcp://host:8786), or local:N for N worker processes here. Same outputs as a local run; see docs/distributed.md.",
    ),
) -> None:
    """Extract entities and records from many reports.

    Exit status: 0 if every input is ok, 1 if any input failed (each failure is
    one line naming the file and the reason, and is in documents.jsonl), 2 for a
    usage error (no inputs, OUT already used without --resume/--force, no model,
    a --scheduler that cannot be reached or whose workers cannot run the model).
    """
    import spacy

    from pipeline.tables.export import write_tables_csv
    from pipeline.batch.extract import UsageError, extract

    from pipeline.errors import E_AT_LEAST_ONE, E_NO_MODEL, E_NOT_A_MODEL, E_OUT_NOT_DIR

    problem = None
    if resume and force:
        problem = "--resume and --force exclude each other"
    for flag, value in (("--batch-size", batch_size), ("--n-process", n_process), ("--max-chars", max_chars)):
        if problem is None and value < 1:
            problem = E_AT_LEAST_ONE.format(flag=flag, value=value)
    if problem is None and out.exists() and not out.is_dir():
        problem = E_OUT_NOT_DIR.format(path=out)
    if problem is None and not model.exists():
        problem = E_NO_MODEL.format(path=model)
    if problem is None and not (model / "config.cfg").is_file():
        problem = E_NOT_A_MODEL.format(path=model)
    if problem:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    try:
        if scheduler is not None:
            from pipeline.batch.distributed import E_N_PROCESS, extract_on_dask

            if n_process != 1:
                raise UsageError(E_N_PROCESS)
            summary = extract_on_dask(
                inputs, out, model, scheduler, batch_size=batch_size, resume=resume, force=force,
                max_chars=max_chars, write_tables=write_tables_csv, copy_texts=text_copy,
            )
        else:
            summary = extract(
                inputs, out, spacy.load(model), n_process=n_process, batch_size=batch_size, resume=resume, force=force,
                max_chars=max_chars, write_tables=write_tables_csv, copy_texts=text_copy,
            )
    except UsageError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2)
    # each failure was printed once, as it happened, by the progress display
    if summary.missing:
        from pipeline.errors import E_MISSING_LINES

        typer.echo(f"error: {E_MISSING_LINES.format(n=len(summary.missing), first=summary.missing[0])}", err=True)
    typer.echo(
        f"{summary.total} input(s): {summary.ok} ok, {summary.failed} failed, {summary.skipped} already done; "
        f"{summary.seconds:.1f}s; wrote {out / 'documents.jsonl'}"
    )
    raise typer.Exit(1 if summary.failed or summary.missing else 0)


class TableFormat(str, Enum):
    csv = "csv"
    xlsx = "xlsx"
    parquet = "parquet"


class HeaderLang(str, Enum):
    en = "en"
    zh = "zh"


@contextmanager
def _export_errors() -> Iterator[None]:
    """Reading an extraction's output or writing what is made from it: one line and its exit code, no traceback."""
    from pipeline.tables.export import ExportError

    try:
        yield
    except ExportError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(err.exit_code)


@app.command("export")
def export_cli(
    out_dir: Path = typer.Argument(..., help="The --out directory of `fazhi extract` (holds documents.jsonl)."),
    fmt: TableFormat = typer.Option(TableFormat.xlsx, "--format", "-f", help="csv → DIR/export/<table>.csv; xlsx → DIR/export/fazhi.xlsx (a sheet per table); parquet → DIR/export/<table>.parquet."),
    lang: HeaderLang = typer.Option(HeaderLang.en, "--lang", help="Column headers (and sheet names) in English or Chinese."),
) -> None:
    """Tables documents, entities, records and pivot (issuer × year × indicator → value). Exit 2 if DIR has no extraction output."""
    from pipeline.tables.export import EXPORT_SUBDIR, export_tables, read_documents

    with _export_errors():
        extraction = read_documents(out_dir)
        if extraction.torn_last_line:
            typer.echo(f"warning: skipped a torn last line in {out_dir / 'documents.jsonl'}", err=True)
        written = export_tables(extraction.docs, out_dir / EXPORT_SUBDIR, fmt.value, lang.value)
    typer.echo(f"exported {len(extraction.docs)} document(s): " + ", ".join(str(p) for p in written))


@app.command("review")
def review_cli(
    out_dir: Path = typer.Argument(..., help="The --out directory of `fazhi extract` (holds documents.jsonl)."),
    dest: Optional[Path] = typer.Option(None, "--out", "-o", help="Where the pages go (default DIR/review)."),
) -> None:
    """Static HTML review pages (open index.html in a browser, no server). Exit 2 if DIR has no extraction output."""
    from pipeline.tables.review import write_review

    with _export_errors():
        index = write_review(out_dir, dest)
    typer.echo(f"wrote {index}")


@app.command("dashboard")
def dashboard_cli(
    out_dir: Path = typer.Argument(..., help="The --out directory of `fazhi extract` (holds documents.jsonl)."),
    dest: Optional[Path] = typer.Option(None, "--out", "-o", help="Where the dashboard goes (default DIR/dashboard)."),
) -> None:
    """A static comparison dashboard (open index.html in a browser, no server, no network). Exit 2 if DIR has no extraction output."""
    from pipeline.tables.dashboard import write_dashboard

    with _export_errors():
        index = write_dashboard(out_dir, dest)
    typer.echo(f"wrote {index}")


if __name__ == "__main__":
    app()
