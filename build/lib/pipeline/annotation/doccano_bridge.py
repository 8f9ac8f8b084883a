"""Bridge to doccano through doccano-client, run in its own virtual environment.

doccano-client 1.2.8 needs pydantic<2 and urllib3<2, spaCy needs pydantic 2, so
the client cannot be imported next to the pipeline (see docs/doccano.md). This
script is run with ``.venv-doccano-client/bin/python -I`` and imports only the
standard library and ``doccano_client``, never spaCy or the rest of
``pipeline``. It reads one JSON request on stdin::

    {"settings": {"url", "username", "password" | "token"}, "action": NAME, "args": {...}}

and writes one JSON response on stdout: ``{"ok": true, "result": ...}`` or
``{"ok": false, "error": "<one line>"}``. Credentials travel on stdin only (not
on the command line, where ``ps`` shows them) and are blanked out of every
error text. Offsets in requests and responses are doccano's own (UTF-16 code
units); the caller converts them.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, Callable

MAX_ERROR_CHARS = 400


def connect(settings: dict[str, Any]) -> Any:
    """A logged-in ``DoccanoClient`` (password login or API token)."""
    from doccano_client import DoccanoClient

    client = DoccanoClient(settings["url"])
    if settings.get("token"):
        # doccano accepts DRF tokens; doccano-client has no call for them.
        client._base_repository._session.headers["Authorization"] = f"Token {settings['token']}"
        client.get_profile()
    else:
        client.login(username=settings["username"], password=settings["password"])
    return client


def find_project(client: Any, name: str) -> Any | None:
    """The project called ``name`` among those the user is a member of."""
    return next((p for p in client.list_projects() if p.name == name), None)


def project_info(client: Any, settings: dict[str, Any], project: Any, created: bool) -> dict[str, Any]:
    """What the caller needs to know about a project, with its address in the UI."""
    return {
        "id": project.id,
        "name": project.name,
        "url": f"{settings['url'].rstrip('/')}/projects/{project.id}",
        "created": created,
        "project_type": project.project_type,
        "grapheme_mode": project.grapheme_mode,
        "use_relation": project.use_relation,
        "allow_overlapping": project.allow_overlapping,
        "collaborative_annotation": project.collaborative_annotation,
    }


def action_ensure_project(client: Any, settings: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    """Find the project by name or create it; add missing label types; set the guideline."""
    project = find_project(client, args["name"])
    created = project is None
    if created:
        project = client.create_project(
            name=args["name"],
            project_type="SequenceLabeling",
            description=args.get("description") or "fazhi-ie annotation project",
            guideline=args.get("guideline", ""),
            collaborative_annotation=args.get("collaborative_annotation", True),
            allow_overlapping=True,
            grapheme_mode=False,
            use_relation=True,
        )
    elif project.project_type == "SequenceLabeling" and not project.grapheme_mode:
        changes: dict[str, Any] = {}
        if not project.use_relation:
            changes["use_relation"] = True
        if not project.allow_overlapping:
            changes["allow_overlapping"] = True
        if args.get("guideline") and project.guideline != args["guideline"]:
            changes["guideline"] = args["guideline"]
        if changes:
            project = client.update_project(project.id, tags=list(project.tags or []) or None, **changes)
    info = project_info(client, settings, project, created)
    if project.project_type != "SequenceLabeling" or project.grapheme_mode:
        return info
    ids: dict[str, dict[str, int]] = {}
    for kind, wanted in (("span", args.get("span_labels", [])), ("relation", args.get("relation_types", []))):
        have = {t.text: t.id for t in client.list_label_types(project.id, kind)}
        for label in wanted:
            if label["text"] not in have:
                made = client.create_label_type(project.id, kind, label["text"], color=label.get("color"))
                have[made.text] = made.id
        ids[kind] = have
    info["span_label_ids"] = ids["span"]
    info["relation_type_ids"] = ids["relation"]
    return info


def action_find_project(client: Any, settings: dict[str, Any], args: dict[str, Any]) -> dict[str, Any] | None:
    """The project by name, or None."""
    project = find_project(client, args["name"])
    return None if project is None else project_info(client, settings, project, False)


def action_list_examples(client: Any, settings: dict[str, Any], args: dict[str, Any]) -> list[dict[str, Any]]:
    """Every example's id, text and metadata."""
    return [{"id": e.id, "text": e.text, "meta": e.meta or {}} for e in client.list_examples(args["project_id"])]


def action_add_examples(client: Any, settings: dict[str, Any], args: dict[str, Any]) -> list[dict[str, Any]]:
    """Create each example, then its spans, then the relations between them."""
    pid = args["project_id"]
    out = []
    for ex in args["examples"]:
        example = client.create_example(pid, ex["text"], meta=ex.get("meta") or {})
        try:
            span_ids: list[int] = []
            for s in ex.get("spans", []):
                made = client.create_span(pid, example.id, s["start"], s["end"], s["label_id"], confidence=s.get("confidence", 0.0))
                span_ids.append(made.id)
            for r in ex.get("relations", []):
                client.create_relation(pid, example.id, span_ids[r["from"]], span_ids[r["to"]], r["type_id"])
        except Exception:
            # An example without its suggestions would be skipped by the next push: take it out again.
            client.delete_example(pid, example.id)
            raise
        out.append({"id": example.id, "spans": len(span_ids), "relations": len(ex.get("relations", []))})
    return out


def action_export(client: Any, settings: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    """Export the project as JSONL (a zip) into ``args["dir"]``; waits for the worker."""
    repo = client._data_export_repository
    status_repo = client._task_status_repository
    option = repo.find_option_by_name(args["project_id"], "JSONL")
    task_id = repo.schedule_download(args["project_id"], option, args.get("only_approved", True))
    deadline = time.monotonic() + float(args.get("timeout", 120))
    while True:
        status = status_repo.get(task_id)
        if status.ready:
            break
        if time.monotonic() > deadline:
            raise TimeoutError("the export did not finish in time: is doccano's task worker (`doccano task`) running?")
        time.sleep(0.5)
    if status.error:
        raise RuntimeError(f"export failed on the server: {status.error}")
    path = repo.download(args["project_id"], task_id, args["dir"])
    return {"path": str(Path(path).resolve())}


ACTIONS: dict[str, Callable[[Any, dict[str, Any], dict[str, Any]], Any]] = {
    "ensure_project": action_ensure_project,
    "find_project": action_find_project,
    "list_examples": action_list_examples,
    "add_examples": action_add_examples,
    "export": action_export,
}


class LoginError(Exception):
    """Connecting or logging in failed; the message is already fit to show."""


def redact_url(url: str) -> str:
    """The address without its user:password part (``http://***@host``)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]))


def login_problem(err: BaseException, url: str) -> str:
    """Why connecting failed, in words a person can act on (the address's credentials blanked out)."""
    import requests

    url = redact_url(url)

    if isinstance(err, requests.exceptions.ConnectionError):
        return f"cannot reach doccano at {url}: is the server running?"
    response = getattr(err, "response", None)
    if response is not None and response.status_code in (400, 401, 403):
        return f"login to {url} refused (HTTP {response.status_code}): check the username and password or token"
    return f"login to {url} failed: {type(err).__name__}: {err}"


def one_line(err: BaseException, secrets: list[str]) -> str:
    """The error as one line, without any secret in it."""
    text = str(err) if isinstance(err, LoginError) else f"{type(err).__name__}: {err}"
    text = " ".join(text.split())
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text[:MAX_ERROR_CHARS]


def main() -> int:
    """Answer one request from stdin on stdout."""
    secrets: list[str] = []
    try:
        request = json.loads(sys.stdin.read())
        settings = request["settings"]
        secrets = [str(settings.get(k) or "") for k in ("password", "token")]
        action = ACTIONS[request["action"]]
        try:
            client = connect(settings)
        except Exception as err:
            raise LoginError(login_problem(err, settings["url"])) from None
        result = action(client, settings, request.get("args", {}))
        response: dict[str, Any] = {"ok": True, "result": result}
    except Exception as err:  # every failure goes back to the caller as one line
        response = {"ok": False, "error": one_line(err, secrets)}
    sys.stdout.write(json.dumps(response, ensure_ascii=False) + "\n")
    return 0 if response["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
