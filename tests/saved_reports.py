"""The seed reports as users save them: government CMS pages, PDFs and Word 97 files built at test time.

Each builder takes one of the five plain reports (``corpus/raw/*.txt``) and
wraps it the way it reaches users: a page on the template of a common Chinese
government CMS (``tests/fixtures/pages/*.html``: TRS WCM, Hanweb JCMS, a
provincial intensive platform), an A4 PDF with running headers, page numbers
and the hard line breaks of a justified layout, or a Word 97 binary written by
LibreOffice. The report's text is the gold: whatever the reader extracts is
compared with the .txt (``report_lines``) and its entities with the .txt's.
"""
from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "corpus" / "raw"
PAGES = ROOT / "tests" / "fixtures" / "pages"


@dataclass(frozen=True)
class Report:
    """How a seed report is published: the page's title, source, date and site (not read from its text)."""

    name: str
    title: str  # the title as the CMS shows it (ArticleTitle)
    source: str  # 来源 / ContentSource
    date: str  # 发布时间 / PubDate
    site: str
    title_lines: int  # the .txt's lines (non-empty) that make its title

    @property
    def path(self) -> Path:
        return RAW / f"{self.name}.txt"

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")


REPORTS = {
    r.name: r
    for r in (
        Report("dongcheng-sifaju-2022", "东城区司法局2022年法治政府建设年度情况报告", "北京市东城区司法局", "2023-03-28", "北京市东城区人民政府", 2),
        Report("donghuamen-jiedao-2024", "北京市东城区人民政府东华门街道办事处2024年法治政府建设年度情况报告", "东华门街道办事处", "2025-03-25", "北京市东城区人民政府", 1),
        Report("guangnei-jiedao-2021", "2021年法治政府建设年度情况报告", "广内街道", "2022-03-30", "北京市西城区人民政府", 1),
        Report("fatou-jiedao-2023", "垡头街道2023年度法治政府建设情况报告", "垡头街道办事处", "2024-01-12", "北京市朝阳区人民政府", 1),
        Report("dongsan-jiedao-2024", "中共东三街道党工委  东三街道办事处    关于2024年度法治政府建设情况的报告", "东三街道办事处", "2025-01-10", "公主岭市人民政府", 1),
    )
}
TEMPLATES = ("trs", "hanweb", "intensive")
# the template each report is published on in the end-to-end tests (every pair is read in the text tests)
PUBLISHED_ON = {
    "dongcheng-sifaju-2022": "trs",
    "fatou-jiedao-2023": "trs",
    "donghuamen-jiedao-2024": "hanweb",
    "guangnei-jiedao-2021": "hanweb",
    "dongsan-jiedao-2024": "intensive",
}
PAGE_CHARSET = {"trs": "gbk", "hanweb": "gbk", "intensive": "utf-8"}

# every line of site chrome the templates add: none of it may reach the text
CHROME = (
    "欢迎访问", "网站首页", "无障碍", "手机版", "设为首页", "加入收藏", "政务公开", "政务服务", "互动交流",
    "当前位置", "您当前的位置", "发布时间", "发布日期", "来源：", "信息来源", "浏览次数", "字号", "字体",
    "打印", "关闭", "分享到", "分享：", "上一篇", "下一篇", "相关链接", "相关文章", "主办单位", "承办单位",
    "ICP备", "公网安备", "网站标识码", "技术支持", "网站地图", "联系我们", "请输入", "索引号", "索 引 号",
    "TRS_Editor", "margin-top", "document.write", "您的浏览器不支持框架", "今天是",
)


def report_lines(text: str) -> list[str]:
    """The non-blank lines of a text, each with its runs of whitespace made one space: what any faithful reader keeps."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\([一二三四五六七八九十]+\))")


def _inline(line: str) -> str:
    """A line as a CMS editor stores it: trimmed, escaped, runs of spaces kept as &nbsp;."""
    line = html.escape(line.strip(), quote=False)
    return re.sub(r" {2,}", lambda m: "&nbsp;" * len(m.group()), line.replace("\u3000", "&nbsp;"))


def _signature_start(lines: list[str]) -> int:
    """Where the closing block (unit names and a date, short lines without a full stop) begins."""
    i = len(lines)
    while i > 0 and (not lines[i - 1].strip() or (len(lines[i - 1].strip()) <= 40 and not lines[i - 1].strip().endswith(("。", "：", ":")))):
        i -= 1
    return i


def _body(template: str, lines: list[str]) -> str:
    sign = _signature_start(lines)
    out: list[str] = []
    if template == "trs":
        for k, line in enumerate(lines):
            if not line.strip():
                out.append("<p>&nbsp;</p>")
            elif k >= sign:
                out.append(f'<p style="text-align: right;">{_inline(line)}</p>')
            elif _HEADING.match(line.strip()):
                out.append(f'<p style="text-indent: 2em;"><strong>{_inline(line)}</strong></p>')
            else:
                out.append(f'<p style="text-indent: 2em;"><span style="font-family: 仿宋_GB2312; font-size: 16pt;">{_inline(line)}</span></p>')
        return "\n".join(out)
    if template == "hanweb":
        # the classic Hanweb body: no paragraphs, lines separated by <br>, indents as &nbsp;
        return "\n".join("<br>" if not line.strip() else f"&nbsp;&nbsp;&nbsp;&nbsp;{_inline(line)}<br>" for line in lines)
    # intensive platform: paragraphs, the closing block in a right-aligned table inside the body
    for line in lines[:sign]:
        out.append('<p style="text-indent: 2em;">&nbsp;</p>' if not line.strip() else f'<p style="text-indent: 2em;">{_inline(line)}</p>')
    closing = [l for l in lines[sign:] if l.strip()]
    if closing:
        rows = "".join(f"<tr><td>{_inline(l)}</td></tr>" for l in closing)
        out.append(f'<table class="sign" align="right" border="0"><tbody>{rows}</tbody></table>')
    return "\n".join(out)


def title_in_body(report: Report, template: str) -> bool:
    """TRS pages carry the title pasted from Word again in the body; a title over two lines is always kept in the body."""
    return template == "trs" or report.title_lines > 1


def page_html(report: Report, template: str) -> str:
    """The saved page of ``report`` on ``template`` (a str; ``page_bytes`` encodes it as the page declares)."""
    lines = report.text().splitlines()
    if not title_in_body(report, template):
        seen = 0
        for k, line in enumerate(lines):
            if line.strip():
                seen += 1
                if seen == report.title_lines:
                    lines = lines[k + 1 :]
                    break
    source = (PAGES / f"{template}.html").read_text(encoding="utf-8")
    fields = {"TITLE": _inline(report.title), "SOURCE": report.source, "DATE": report.date, "SITE": report.site, "BODY": _body(template, lines)}
    return re.sub(r"\{\{(\w+)\}\}", lambda m: fields[m.group(1)], source)


def page_bytes(report: Report, template: str) -> bytes:
    return page_html(report, template).encode(PAGE_CHARSET[template], errors="xmlcharrefreplace")


# ---------------------------------------------------------------------------
# PDF: an A4 report as a government office prints it (fpdf2, a CJK TrueType font)

CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


def cjk_font() -> Path | None:
    return next((Path(p) for p in CJK_FONTS if Path(p).exists()), None)


def report_pdf(report: Report, page_numbers: str = "dash", header: bool = True) -> bytes:
    """The report as an A4 PDF: justified 16 pt lines, first-line indents, a running header and page numbers.

    ``page_numbers``: ``"dash"`` (``- 3 -``, the national standard for official documents)
    or ``"of"`` (``第3页 共10页``).
    """
    from fpdf import FPDF

    font = cjk_font()
    if font is None:
        raise FileNotFoundError("no CJK font (make formats installs fonts-wqy-microhei)")

    class ReportPDF(FPDF):
        def header(self) -> None:
            if header:
                self.set_font("cjk", size=9)
                self.set_y(12)
                self.cell(0, 6, f"{report.source}  {report.title}"[:60], align="C")
                self.ln(10)

        def footer(self) -> None:
            self.set_y(-18)
            self.set_font("cjk", size=10)
            label = f"- {self.page_no()} -" if page_numbers == "dash" else f"第{self.page_no()}页 共{{nb}}页"
            self.cell(0, 8, label, align="C")

    pdf = ReportPDF(format="A4")
    pdf.set_margins(28, 30, 26)
    pdf.set_auto_page_break(True, margin=28)
    pdf.add_font("cjk", fname=str(font))
    pdf.add_page()
    lines = [" ".join(l.split()) for l in report.text().splitlines() if l.strip()]
    n_title = report.title_lines
    sign = _signature_start(lines)
    for k, line in enumerate(lines):
        line = line.replace(" ", "\xa0")  # wrapped at the margin only, like a Chinese word processor, not at spaces
        if k < n_title:
            pdf.set_font("cjk", size=min(20, int(150 / (len(line) * 0.3528))))  # the title on one line
            pdf.multi_cell(0, 12, line, align="C", new_x="LMARGIN", new_y="NEXT")
            if k == n_title - 1:
                pdf.ln(4)
        elif k >= sign and len(line) <= 40:
            pdf.set_font("cjk", size=15)
            pdf.multi_cell(0, 9, line, align="R", new_x="LMARGIN", new_y="NEXT")
        else:
            # a paragraph: first line indented two characters, the others from the margin, wrapped anywhere
            pdf.set_font("cjk", size=15)
            pdf.set_x(pdf.l_margin + 2 * 15 * 0.3528)
            pdf.write(9, line)
            pdf.ln(9)
    return bytes(pdf.output())


# ---------------------------------------------------------------------------
# Word 97: a .docx written with python-docx, saved as MS Word 97 by headless LibreOffice


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def report_docx(report: Report, path: Path) -> Path:
    import docx

    document = docx.Document()
    lines = report.text().splitlines()
    for line in lines:
        document.add_paragraph(line.strip())
    document.save(path)
    return path


def report_doc(report: Report, out_dir: Path) -> Path:
    """``<out_dir>/<name>.doc``: a real Word 97–2003 binary, converted by LibreOffice from a .docx of the report."""
    exe = soffice()
    if exe is None:
        raise FileNotFoundError("LibreOffice is not installed (make formats)")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        src = report_docx(report, Path(work) / f"{report.name}.docx")
        profile = Path(work) / "profile"
        subprocess.run(
            [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", "--convert-to", "doc:MS Word 97", "--outdir", str(out_dir), str(src)],
            check=True, capture_output=True, timeout=180,
        )
    out = out_dir / f"{report.name}.doc"
    if not out.exists():
        raise FileNotFoundError(f"LibreOffice wrote no {out.name}")
    return out
