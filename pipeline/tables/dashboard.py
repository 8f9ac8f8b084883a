"""A static comparison dashboard for an extraction output: open ``dashboard/index.html`` from disk.

``fazhi dashboard OUT`` writes ``OUT/dashboard/``:

- ``index.html``: the page (styles, chart specs and the page's script inline);
- ``vega.js``: Vega, Vega-Lite and vega-embed in one script, bundled by
  vl-convert (docs/decisions.md): charts are drawn as SVG in the browser, so
  the filters (year, issuer kind, indicator domain) redraw them;
- ``data/overview.js``: one row per report (issuer, its kind and place, year,
  records and records in ``other``) and records per indicator by year and kind;
- ``data/<indicator>.js``: one file per indicator, loaded with a ``<script>``
  element when the indicator is chosen (a ``file://`` page cannot ``fetch()``
  JSON in Chromium): its pivot cells (issuer × year → value) and the records
  behind them, with links to the review pages.

The numbers are export.py's: the cells are ``pivot_rows`` (top-level counts
summed, rates and 学时 averaged), the records ``record_rows``; nothing is
aggregated again here.  The chart specifications are written with altair
(Vega-Lite) in Python; the page only fills in their data.
"""
from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pipeline.tables.export import OTHER_INDICATOR, pivot_rows, read_documents, record_rows, write_text_atomic
from pipeline.tables.review import DOC_PAGES_SUBDIR, REVIEW_SUBDIR, page_names

DASHBOARD_SUBDIR = "dashboard"
DATA_SUBDIR = "data"
BUNDLE_FILE = "vega.js"
OVERVIEW_FILE = "overview.js"
SENTENCE_CHARS = 160  # a record's sentence in the table is cut here; the review page has it whole

# Issuer kinds by the ending of the issuer's name; the longest ending that matches wins
# (…区人民政府 is a county-level government, …自治区人民政府 a province, …街道办事处 a street).
ISSUER_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "street": ("街道", ("街道办事处", "街道办", "街道", "街道工委")),
    "town": ("乡镇", ("镇人民政府", "乡人民政府", "镇政府", "乡政府", "镇", "乡", "苏木")),
    "county": ("区县", ("区人民政府", "县人民政府", "旗人民政府", "区政府", "县政府", "区", "县", "旗")),
    "city": ("市", ("市人民政府", "州人民政府", "盟行政公署", "市政府", "市", "州", "盟")),
    "province": ("省", ("省人民政府", "自治区人民政府", "省政府", "省", "自治区")),
    "bureau": ("部门", ("局", "厅", "委员会", "委", "办公室", "办", "中心", "院", "署", "所", "队", "站")),
}
OTHER_KIND = "other"
UNKNOWN_KIND = "unknown"
KIND_NAMES_ZH = {**{k: v[0] for k, v in ISSUER_KINDS.items()}, OTHER_KIND: "其他", UNKNOWN_KIND: "未识别"}
_ENDINGS = sorted(((end, kind) for kind, (_, ends) in ISSUER_KINDS.items() for end in ends), key=lambda e: -len(e[0]))

# the taxonomy's domains (../shared/indicators/README.md headings)
DOMAIN_NAMES_ZH = {
    "study": "学法用法",
    "lead": "组织领导",
    "oversight": "法治督察与执法监督",
    "decision": "依法决策",
    "rules": "制度建设",
    "review": "合法性审查与法律顾问",
    "enforcement": "行政执法",
    "disputes": "行政复议与行政诉讼",
    "mediation": "矛盾纠纷化解",
    "petition": "信访与群众诉求",
    "pls": "公共法律服务",
    "pufa": "普法宣传",
    "transparency": "政务公开",
    "services": "政务服务与营商环境",
    "other": "其他",
}

FONT = '"WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif'
TOP_ISSUERS = 30  # bars in a ranked chart
YOY_ISSUERS = 10  # lines in a year-over-year chart
TABLE_ROWS = 300  # records listed under an indicator


def issuer_kind(issuer: str | None) -> str:
    """The kind of an issuer from its name's ending: street, town, county, city, province, bureau, other or unknown."""
    name = (issuer or "").strip()
    if not name:
        return UNKNOWN_KIND
    for ending, kind in _ENDINGS:
        if name.endswith(ending):
            return kind
    return OTHER_KIND


@lru_cache(maxsize=1)
def _place_names() -> tuple[dict[str, str], dict[str, str]]:
    """Province and city names (full and short forms → full form) from corpus/rules/places.json."""
    from pipeline.learning.rule_files import read_table

    table = read_table("places.json")

    def full_forms(names: Sequence[str]) -> dict[str, str]:
        full = {}
        for name in sorted(names, key=len):
            longer = [n for n in names if n != name and n.startswith(name)]
            full[name] = min(longer, key=len) if longer else name
        return full

    return full_forms(table["province"]), full_forms(table["city"])


def issuer_place(issuer: str | None) -> tuple[str | None, str | None]:
    """(province, city) named at the start of an issuer's name, where the gazetteer knows them.

    ``北京市东城区人民政府…`` → (北京市, 北京市); ``东城区司法局`` → (None, None): a
    county alone does not say its province in this table.
    """
    name = (issuer or "").strip()
    provinces, cities = _place_names()
    province = city = None
    for n in range(min(len(name), 8), 1, -1):
        if name[:n] in provinces:
            province, name = provinces[name[:n]], name[n:]
            break
    for n in range(min(len(name), 8), 1, -1):
        if name[:n] in cities:
            city = cities[name[:n]]
            break
    if province and not city and province in cities.values():
        city = province  # a municipality (北京市) is its own city
    return province, city


@lru_cache(maxsize=1)
def taxonomy() -> list[dict[str, Any]]:
    """The indicator taxonomy (id, domain, name_zh, unit_family) shipped in corpus/rules/indicators.json."""
    from pipeline.learning.rule_files import read_table

    return [
        {"id": t["id"], "domain": t["domain"], "name": t["name_zh"], "unit": t["unit_family"]}
        for t in read_table("indicators.json")["taxonomy"]
    ]


def _domain(indicator: str) -> str:
    return indicator.split(".", 1)[0] if "." in indicator else OTHER_INDICATOR


def indicator_file(indicator: str) -> str:
    """The data file of one indicator under ``data/``."""
    return re.sub(r"[^\w.-]+", "_", indicator) + ".js"


# ---------------------------------------------------------------------------
# data


def dashboard_data(docs: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The overview and the per-indicator data of ``docs``, built from export.py's record and pivot rows."""
    pages = dict(zip((d.get("doc_id") for d in docs), page_names(docs)))
    kinds = {}
    places = {}
    for doc in docs:
        issuer = doc.get("issuer")
        if issuer not in kinds:
            kinds[issuer] = issuer_kind(issuer)
            places[issuer] = issuer_place(issuer)

    records = record_rows(docs)
    by_doc: dict[Any, Counter] = defaultdict(Counter)
    per_indicator: Counter = Counter()
    indicator_counts: Counter = Counter()
    meta: dict[str, dict[str, Any]] = {t["id"]: dict(t) for t in taxonomy()}
    for row in records:
        indicator = row["indicator"] or OTHER_INDICATOR
        by_doc[row["doc_id"]]["records"] += 1
        by_doc[row["doc_id"]]["other"] += indicator == OTHER_INDICATOR
        indicator_counts[(indicator, row["year"], kinds.get(row["issuer"], issuer_kind(row["issuer"])))] += 1
        per_indicator[indicator] += 1
        if indicator not in meta:
            meta[indicator] = {"id": indicator, "domain": _domain(indicator), "name": row["indicator_name"] or indicator, "unit": row["unit_family"]}

    overview_docs = []
    for doc in docs:
        issuer = doc.get("issuer")
        province, city = places[issuer]
        counts = by_doc.get(doc.get("doc_id"), Counter())
        overview_docs.append(
            {"doc_id": doc.get("doc_id"), "issuer": issuer, "kind": kinds[issuer], "province": province, "city": city,
             "year": doc.get("year"), "status": doc.get("status"), "records": counts["records"], "other": counts["other"]}
        )

    by_id = {row["record_id"]: row for row in records}
    cells: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for cell in pivot_rows(docs):
        cells[cell["indicator"]].append(cell)
    indicators: dict[str, dict[str, Any]] = {}
    for indicator, rows in cells.items():
        info = meta[indicator]
        table = []
        for cell in rows:
            for rid in cell["record_ids"].split("; "):
                row = by_id[rid]
                doc_id, _, index = rid.rpartition("#r")
                sentence = row["sentence"] or ""
                table.append(
                    {"id": rid, "issuer": row["issuer"], "year": row["year"], "kind": kinds[row["issuer"]], "value": row["value"],
                     "unit": row["unit"], "approx": row["approx"], "count": row["count_text"], "activity": row["activity"],
                     "sentence": sentence[:SENTENCE_CHARS] + ("…" if len(sentence) > SENTENCE_CHARS else ""),
                     "href": f"../{REVIEW_SUBDIR}/{DOC_PAGES_SUBDIR}/{quote(pages[doc_id])}#r{index}"}
                )
        indicators[indicator] = {
            **info,
            "aggregate": "mean" if any(c["aggregate"] == "mean" for c in rows) else "sum",  # the pivot's choice
            "cells": [
                {"issuer": c["issuer"], "year": c["year"], "kind": kinds[c["issuer"]], "province": places[c["issuer"]][0],
                 "value": c["value"], "aggregate": c["aggregate"], "n_records": c["n_records"], "n_approx": c["n_approx"],
                 "units": c["units"]}
                for c in rows
            ],
            "records": table,
        }

    listed = [t for t in meta.values() if t["id"] != OTHER_INDICATOR]
    overview = {
        "n_documents": len(docs),
        "n_ok": sum(1 for d in docs if d.get("status") == "ok"),
        "kinds": [{"id": k, "name": KIND_NAMES_ZH[k]} for k in KIND_NAMES_ZH],
        "domains": [{"id": d, "name": n} for d, n in DOMAIN_NAMES_ZH.items()],
        "indicators": [
            {**t, "domain_name": DOMAIN_NAMES_ZH.get(t["domain"], t["domain"]), "n_records": per_indicator[t["id"]],
             "file": indicator_file(t["id"]) if t["id"] in indicators else None}
            for t in listed
        ],
        "docs": overview_docs,
        "indicator_counts": [
            {"indicator": ind, "name": meta[ind]["name"] if ind != OTHER_INDICATOR else "其他（other）", "domain": meta[ind]["domain"] if ind in meta else OTHER_INDICATOR,
             "year": year, "kind": kind, "n": n}
            for (ind, year, kind), n in sorted(indicator_counts.items(), key=lambda kv: (kv[0][0], str(kv[0][1]), kv[0][2]))
        ],
    }
    return overview, indicators


# ---------------------------------------------------------------------------
# chart specifications (Vega-Lite, written with altair); the page sets each one's data


def chart_specs() -> dict[str, dict[str, Any]]:
    """The dashboard's charts as Vega-Lite specs whose data the page fills in (``data: {name: "table"}``)."""
    import altair as alt

    data = alt.Data(name="table")

    def count_bars(field: str, title: str, sort: Any = "-x") -> dict[str, Any]:
        chart = alt.Chart(data).mark_bar(color="#2563eb").encode(
            y=alt.Y(f"{field}:N", title=title, sort=sort),
            x=alt.X("n:Q", title="报告数"),
            tooltip=[alt.Tooltip(f"{field}:N", title=title), alt.Tooltip("n:Q", title="报告数")],
        )
        return _finish(chart.properties(width=260, height=alt.Step(18)))

    specs = {
        "kinds": count_bars("name", "发布单位类型"),
        "provinces": count_bars("name", "省份"),
        "years": _finish(
            alt.Chart(data).mark_bar(color="#2563eb").encode(
                x=alt.X("year:O", title="年度"), y=alt.Y("n:Q", title="报告数"),
                tooltip=[alt.Tooltip("year:O", title="年度"), alt.Tooltip("n:Q", title="报告数")],
            ).properties(width=260, height=180)
        ),
        "indicators": _finish(
            alt.Chart(data).mark_bar().encode(
                y=alt.Y("name:N", title="指标", sort="-x"),
                x=alt.X("n:Q", title="记录数"),
                color=alt.Color("domain_name:N", title="领域", scale=alt.Scale(scheme="category20")),
                tooltip=[alt.Tooltip("name:N", title="指标"), alt.Tooltip("domain_name:N", title="领域"), alt.Tooltip("n:Q", title="记录数")],
            ).properties(width=420)
        ),
        "ranked": _finish(
            alt.Chart(data).mark_bar(color="#0f766e").encode(
                y=alt.Y("issuer:N", title="发布单位", sort="-x"),
                x=alt.X("value:Q", title="数值"),
                tooltip=[
                    alt.Tooltip("issuer:N", title="发布单位"), alt.Tooltip("year:O", title="年度"),
                    alt.Tooltip("label:N", title="数值"), alt.Tooltip("n_records:Q", title="记录数"),
                ],
            ).properties(width=520)
        ),
        "yoy": _finish(
            alt.Chart(data).mark_line(point=True).encode(
                x=alt.X("year:O", title="年度"),
                y=alt.Y("value:Q", title="数值"),
                color=alt.Color("issuer:N", title="发布单位"),
                tooltip=[alt.Tooltip("issuer:N", title="发布单位"), alt.Tooltip("year:O", title="年度"), alt.Tooltip("label:N", title="数值")],
            ).properties(width=520, height=260)
        ),
    }
    return specs


def _finish(chart: Any) -> dict[str, Any]:
    spec = chart.configure(font=FONT).configure_axis(labelLimit=260).to_dict()
    spec.pop("datasets", None)
    return spec


# ---------------------------------------------------------------------------
# the page


def _vega_lite_version() -> str:
    import altair as alt

    return ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])


def bundle_header() -> str:
    """The first line of ``vega.js``: which bundle it is (a rebuild keeps a file with the same line)."""
    import vl_convert as vlc

    return f"/* vega-embed, Vega-Lite {_vega_lite_version()}, Vega: bundled by vl-convert-python {vlc.__version__} */"


@lru_cache(maxsize=1)
def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one classic script (vl-convert's bundle), setting ``window.vegaEmbed``."""
    import vl_convert as vlc

    # the bundle declares top-level consts (t, n, …): a block keeps them out of the page's global scope
    return f"{bundle_header()}\n{{\n{vlc.javascript_bundle(vl_version=_vega_lite_version())}\n}}\n"


def _bundle_is_current(path: Path) -> bool:
    if not path.is_file():
        return False
    with open(path, encoding="utf-8") as f:
        first = f.readline().rstrip("\n")
    return first == bundle_header() and path.stat().st_size > 100_000


def _script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element (no ``</script>`` or ``<!--`` can appear)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_STYLE = """
body { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 1em auto; max-width: 80em; padding: 0 1em; color: #1f2937; }
h1 { font-size: 1.4em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; border-bottom: 1px solid #e5e7eb; padding-bottom: 0.2em; margin-top: 1.5em; }
.filters { position: sticky; top: 0; background: #f9fafb; border: 1px solid #e5e7eb; padding: 0.5em 0.8em; z-index: 1; }
.filters label { margin-right: 1.2em; }
.summary span { display: inline-block; margin-right: 1.5em; }
.summary b { font-size: 1.2em; }
.grid { display: flex; flex-wrap: wrap; gap: 1.5em; }
.grid > div { min-width: 20em; }
.note { color: #6b7280; font-size: 0.9em; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.85em; }
th, td { border: 1px solid #d1d5db; padding: 0.25em 0.45em; text-align: left; vertical-align: top; }
th { background: #f3f4f6; }
td.num { text-align: right; white-space: nowrap; }
.error { color: #b91c1c; }
"""

_SCRIPT = r"""
(function () {
  "use strict";
  const F = window.FAZHI;
  const ov = F.overview;
  const $ = (id) => document.getElementById(id);
  const kindName = Object.fromEntries(ov.kinds.map((k) => [k.id, k.name]));
  const domainName = Object.fromEntries(ov.domains.map((d) => [d.id, d.name]));
  const indicatorById = Object.fromEntries(ov.indicators.map((i) => [i.id, i]));
  const loaded = {};
  const loading = {};

  F.register = function (id, payload) { loaded[id] = payload; if (loading[id]) loading[id].resolve(payload); };

  function load(id) {
    if (loaded[id]) return Promise.resolve(loaded[id]);
    if (!loading[id]) {
      let resolve, reject;
      const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
      loading[id] = { promise, resolve };
      const script = document.createElement("script");
      script.src = "data/" + indicatorById[id].file;
      script.onerror = () => reject(new Error("缺少数据文件 data/" + indicatorById[id].file));
      document.head.appendChild(script);
    }
    return loading[id].promise;
  }

  function option(value, text) { const o = document.createElement("option"); o.value = value; o.textContent = text; return o; }

  function fill(select, items) { select.replaceChildren(...items.map(([v, t]) => option(v, t))); }

  const years = [...new Set(ov.docs.map((d) => d.year).filter((y) => y != null))].sort();
  fill($("f-year"), [["", "全部年度"], ...years.map((y) => [String(y), y + "年"])]);
  const kindsPresent = new Set(ov.docs.map((d) => d.kind));
  fill($("f-kind"), [["", "全部类型"], ...ov.kinds.filter((k) => kindsPresent.has(k.id)).map((k) => [k.id, k.name])]);
  const domainsPresent = new Set(ov.indicators.map((i) => i.domain));
  fill($("f-domain"), [["", "全部领域"], ...ov.domains.filter((d) => domainsPresent.has(d.id)).map((d) => [d.id, d.name])]);

  function filters() {
    return { year: $("f-year").value, kind: $("f-kind").value, domain: $("f-domain").value, indicator: $("f-indicator").value };
  }
  const keep = (f) => (row) => (!f.year || String(row.year) === f.year) && (!f.kind || row.kind === f.kind);

  function fillIndicators() {
    const f = filters();
    const list = ov.indicators.filter((i) => i.file && (!f.domain || i.domain === f.domain));
    const current = $("f-indicator").value;
    fill($("f-indicator"), list.map((i) => [i.id, i.name + "（" + i.unit + "）"]));
    if (list.some((i) => i.id === current)) $("f-indicator").value = current;
  }

  function draw(id, spec, rows) {
    const el = $(id);
    if (!rows.length) { el.replaceChildren(Object.assign(document.createElement("p"), { className: "note", textContent: "（无数据）" })); return Promise.resolve(); }
    const s = JSON.parse(JSON.stringify(spec));
    s.data = { values: rows };
    return vegaEmbed(el, s, { renderer: "svg", actions: false }).catch((err) => { el.textContent = "图表出错：" + err; console.error(err); });
  }

  function countBy(rows, key) {
    const m = new Map();
    for (const r of rows) { const k = key(r); m.set(k, (m.get(k) || 0) + 1); }
    return [...m.entries()];
  }

  function drawOverview() {
    const f = filters();
    const docs = ov.docs.filter(keep(f));
    const nRecords = docs.reduce((a, d) => a + d.records, 0);
    const nOther = docs.reduce((a, d) => a + d.other, 0);
    $("s-docs").textContent = docs.length;
    $("s-records").textContent = nRecords;
    $("s-coverage").textContent = nRecords ? (100 * nOther / nRecords).toFixed(1) + "%" : "—";
    $("s-known").textContent = nRecords ? (100 * (nRecords - nOther) / nRecords).toFixed(1) + "%" : "—";
    draw("c-kinds", F.specs.kinds, countBy(docs, (d) => kindName[d.kind] || d.kind).map(([name, n]) => ({ name, n })));
    draw("c-provinces", F.specs.provinces, countBy(docs, (d) => d.province || "未识别").map(([name, n]) => ({ name, n })));
    draw("c-years", F.specs.years, countBy(docs, (d) => d.year == null ? "未识别" : d.year).map(([year, n]) => ({ year, n })));
    const counts = new Map();
    for (const c of ov.indicator_counts) {
      if (!keep(f)(c) || (f.domain && c.domain !== f.domain)) continue;
      const e = counts.get(c.indicator) || { name: c.name, domain_name: domainName[c.domain] || c.domain, n: 0 };
      e.n += c.n;
      counts.set(c.indicator, e);
    }
    draw("c-indicators", F.specs.indicators, [...counts.values()]);
  }

  function formatValue(v, ind) { return ind.unit === "%" ? v + "%" : v + " " + ind.unit; }

  function drawIndicator() {
    const f = filters();
    const ind = indicatorById[f.indicator];
    if (!ind) { $("i-title").textContent = "（没有可比较的指标）"; return Promise.resolve(); }
    return load(ind.id).then((data) => {
      const isRate = ind.unit === "%";
      $("i-title").textContent = ind.name + "（" + (domainName[ind.domain] || ind.domain) + "，单位：" + ind.unit + "）";
      $("i-how").textContent = data.aggregate === "mean"
        ? "每个单元格为该发布单位该年度记录的平均值（比率、人均学时不相加）。"
        : "每个单元格为该发布单位该年度顶层记录之和（“其中”的分项已含在总数中，不重复计算）。";
      const cells = data.cells.filter((c) => !f.kind || c.kind === f.kind);
      // ranked: the chosen year, or each issuer's latest year
      const latest = new Map();
      for (const c of cells) {
        if (f.year && String(c.year) !== f.year) continue;
        const prev = latest.get(c.issuer);
        if (!prev || (c.year || 0) > (prev.year || 0)) latest.set(c.issuer, c);
      }
      const ranked = [...latest.values()].sort((a, b) => b.value - a.value);
      $("i-ranked-note").textContent = (f.year ? f.year + "年" : "各单位最近年度") + "，共 " + ranked.length + " 个发布单位" + (ranked.length > F.top ? "，显示前 " + F.top + " 个" : "");
      const valueTitle = isRate ? "比率（%）" : "数值（" + ind.unit + "）";
      const ranks = JSON.parse(JSON.stringify(F.specs.ranked));
      ranks.encoding.x.title = valueTitle;
      if (isRate) ranks.encoding.x.scale = { domain: [0, 100] };
      const p1 = draw("c-ranked", ranks, ranked.slice(0, F.top).map((c) => ({ ...c, label: formatValue(c.value, ind) })));
      // year over year: issuers with several years (the year filter does not apply)
      const byIssuer = new Map();
      for (const c of cells) { if (c.year != null) { (byIssuer.get(c.issuer) || byIssuer.set(c.issuer, []).get(c.issuer)).push(c); } }
      const allSeveral = [...byIssuer.entries()].filter(([, cs]) => new Set(cs.map((c) => c.year)).size > 1)
        .sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
      const several = allSeveral.slice(0, F.yoy);
      $("i-yoy-note").textContent = several.length
        ? "有多个年度的发布单位：" + allSeveral.length + " 个" + (allSeveral.length > F.yoy ? "，显示年度最多的 " + F.yoy + " 个" : "") + "（不受年度筛选影响）"
        : "没有发布单位有多个年度的数据。";
      const yoy = JSON.parse(JSON.stringify(F.specs.yoy));
      yoy.encoding.y.title = valueTitle;
      const p2 = draw("c-yoy", yoy, several.flatMap(([, cs]) => cs.map((c) => ({ ...c, label: formatValue(c.value, ind) }))));
      // records behind the cells
      const records = data.records.filter(keep(f));
      $("i-records-note").textContent = "共 " + records.length + " 条记录" + (records.length > F.rows ? "，显示前 " + F.rows + " 条" : "");
      const body = $("i-records");
      body.replaceChildren(...records.slice(0, F.rows).map((r) => {
        const tr = document.createElement("tr");
        const cells = [r.issuer, r.year, kindName[r.kind], r.count, r.value, r.unit, r.approx || "", r.activity, r.sentence];
        cells.forEach((v, i) => { const td = document.createElement("td"); td.textContent = v == null ? "" : v; if (i === 4) td.className = "num"; tr.appendChild(td); });
        const td = document.createElement("td");
        const a = document.createElement("a");
        a.href = r.href; a.textContent = r.id;
        td.appendChild(a); tr.appendChild(td);
        return tr;
      }));
      return Promise.all([p1, p2]);
    }).catch((err) => { $("i-title").textContent = String(err); $("i-title").className = "error"; console.error(err); });
  }

  // the filters live in the address (#year=2023&kind=street&domain=…&indicator=…): a view can be bookmarked or shared
  function remember() {
    const f = filters();
    const params = new URLSearchParams(Object.entries(f).filter(([, v]) => v));
    try { history.replaceState(null, "", "#" + params.toString()); } catch (e) { /* some browsers refuse it on file:// */ }
  }
  function update() { drawOverview(); fillIndicators(); remember(); return drawIndicator(); }
  $("f-year").addEventListener("change", update);
  $("f-kind").addEventListener("change", update);
  $("f-domain").addEventListener("change", update);
  $("f-indicator").addEventListener("change", () => { remember(); drawIndicator(); });
  const asked = new URLSearchParams(location.hash.slice(1));
  for (const key of ["year", "kind", "domain"]) {
    const select = $("f-" + key);
    if (asked.get(key) && [...select.options].some((o) => o.value === asked.get(key))) select.value = asked.get(key);
  }
  fillIndicators();
  // the indicator asked for in the address, else the one with the most records
  const first = [...ov.indicators].filter((i) => i.file && [...$("f-indicator").options].some((o) => o.value === i.id))
    .sort((a, b) => (b.id === asked.get("indicator")) - (a.id === asked.get("indicator")) || b.n_records - a.n_records)[0];
  if (first) $("f-indicator").value = first.id;
  window.fazhiReady = Promise.all([drawOverview(), drawIndicator()]).then(() => { document.body.dataset.ready = "1"; });
})();
"""


def dashboard_page(specs: dict[str, Any], n_documents: int) -> str:
    """The dashboard's HTML: filters, the overview and one indicator's charts and records."""
    config = {"specs": specs, "top": TOP_ISSUERS, "yoy": YOY_ISSUERS, "rows": TABLE_ROWS}
    head_cells = "".join(f"<th>{h}</th>" for h in ("发布单位", "年度", "类型", "数量原文", "数值", "单位", "约数", "活动", "句子", "记录（审阅页）"))
    return f"""<!DOCTYPE html>
<html lang="zh">
<head>
<meta charset="utf-8">
<title>法治政府建设年度报告 · 比较看板</title>
<style>{_STYLE}</style>
<script src="{BUNDLE_FILE}"></script>
<script>window.FAZHI = {_script_json(config)};</script>
<script src="{DATA_SUBDIR}/{OVERVIEW_FILE}"></script>
</head>
<body>
<h1>法治政府建设年度报告 · 比较看板</h1>
<p class="note">{n_documents} 份报告；数值来自 fazhi 抽取的记录（与导出表 pivot 相同）；每条记录可链接到审阅页。</p>
<div class="filters">
<label>年度 <select id="f-year"></select></label>
<label>发布单位类型 <select id="f-kind"></select></label>
<label>指标领域 <select id="f-domain"></select></label>
<label>指标 <select id="f-indicator"></select></label>
</div>
<h2>总览</h2>
<p class="summary"><span>报告 <b id="s-docs"></b></span><span>记录 <b id="s-records"></b></span>
<span>归入指标 <b id="s-known"></b></span><span>未归类（other）占比 <b id="s-coverage"></b></span></p>
<div class="grid">
<div><h3>按发布单位类型</h3><div id="c-kinds" class="chart"></div></div>
<div><h3>按省份</h3><div id="c-provinces" class="chart"></div></div>
<div><h3>按年度</h3><div id="c-years" class="chart"></div></div>
</div>
<h3>各指标记录数</h3>
<div id="c-indicators" class="chart"></div>
<h2 id="i-title"></h2>
<p class="note" id="i-how"></p>
<div class="grid">
<div><h3>发布单位排名</h3><p class="note" id="i-ranked-note"></p><div id="c-ranked" class="chart"></div></div>
<div><h3>年度变化</h3><p class="note" id="i-yoy-note"></p><div id="c-yoy" class="chart"></div></div>
</div>
<h3>来源记录</h3>
<p class="note" id="i-records-note"></p>
<table class="records"><thead><tr>{head_cells}</tr></thead><tbody id="i-records"></tbody></table>
<script>{_SCRIPT}</script>
</body>
</html>
"""


def write_dashboard(out_dir: Path, dest: Path | None = None) -> Path:
    """Write the dashboard of the extraction output in ``out_dir`` (default ``out_dir/dashboard``); returns index.html.

    Raises ``ExportError`` (exit code 2) when ``out_dir`` or its documents.jsonl is missing.
    """
    docs = read_documents(out_dir).docs
    dest = Path(dest) if dest is not None else Path(out_dir) / DASHBOARD_SUBDIR
    overview, indicators = dashboard_data(docs)
    data_dir = dest / DATA_SUBDIR
    data_dir.mkdir(parents=True, exist_ok=True)
    wanted = {indicator_file(i) for i in indicators} | {OVERVIEW_FILE}
    for stale in data_dir.glob("*.js"):
        if stale.name not in wanted:
            stale.unlink()
    for indicator, payload in indicators.items():
        write_text_atomic(data_dir / indicator_file(indicator), f"FAZHI.register({_script_json(indicator)}, {_script_json(payload)});\n")
    write_text_atomic(data_dir / OVERVIEW_FILE, f"FAZHI.overview = {_script_json(overview)};\n")
    bundle = dest / BUNDLE_FILE
    if not _bundle_is_current(bundle):  # bundling takes seconds; the same versions give the same file
        write_text_atomic(bundle, vega_bundle())
    index = dest / "index.html"
    write_text_atomic(index, dashboard_page(chart_specs(), len(docs)))
    return index
