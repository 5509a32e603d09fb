"""Build the ribbon add-in ``workbook/followup_xl.xlam`` from xlwings' own add-in.

    .venv/bin/python workbook/build_addin.py           # rebuild workbook/followup_xl.xlam
    .venv/bin/python workbook/build_addin.py OUTDIR    # build into another directory

The add-in is ``quickstart_addin_ribbon.xlam`` of the installed xlwings (the file that
``xlwings quickstart NAME --addin --ribbon`` copies as ``NAME.xlam``; that command only
copies it, and needs no Excel). Its VBA project -- xlwings' module and the ribbon
callback ``RibbonMyAddin.RunMain`` -- is Excel-made and stays byte for byte as xlwings
ships it, as does every other part. Only the ribbon (``customUI/customUI.xml``, which is
XML, not VBA) is replaced: a tab *Uppföljning* with one button *Beräkna* wired to the
existing callback. ``RunMain`` imports the module named after the add-in file and calls
its ``main()``; the file is therefore named ``followup_xl.xlam`` so that the click runs
``import followup_xl;followup_xl.main()``.

Reproducible: the parts are written in the source's order with a fixed timestamp
(1980-01-01) and fixed compression, so the same xlwings gives the same bytes (a test
compares the committed file with a fresh build).
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from followup_xl.doors import excel as xl  # noqa: E402

ADDIN_NAME = xl.ADDIN_NAME  # RunMain imports the module named after this file
SOURCE_NAME = "quickstart_addin_ribbon.xlam"
CUSTOM_UI = "customUI/customUI.xml"
CALLBACK = xl.ADDIN_CALLBACK  # the Excel-made callback in the add-in's VBA
FIXED_TIME = (1980, 1, 1, 0, 0, 0)

TAB_LABEL = "Uppföljning"
GROUP_LABEL = "Månadsuppföljning"
BUTTON_LABEL = xl.BUTTON_CAPTION  # "Beräkna", as on the template's button
SCREENTIP = "Beräkna den aktiva arbetsboken"
SUPERTIP = ("Räknar den arbetsbok som är aktiv, precis som knappen Beräkna i mallen och "
            "followup-xl calc, och skriver resultaten och bladet Kontroll. Med Word-rapport "
            "vid Beräkna = Ja på bladet Inställningar skrivs också rapportutkastet. "
            "Fungerar också i arbetsböcker utan makron (.xlsx).")


def custom_ui() -> bytes:
    """The ribbon: one tab, one group, one large button calling the existing callback."""
    from xml.sax.saxutils import quoteattr

    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui">\n'
        '    <ribbon>\n'
        '        <tabs>\n'
        f'            <tab id="followupTab" label={quoteattr(TAB_LABEL)}>\n'
        f'                <group id="followupGroup" label={quoteattr(GROUP_LABEL)}>\n'
        f'                    <button id="followupBerakna" label={quoteattr(BUTTON_LABEL)}'
        f' size="large" onAction="{CALLBACK}" imageMso="MacroPlay"'
        f' screentip={quoteattr(SCREENTIP)} supertip={quoteattr(SUPERTIP)} />\n'
        '                </group>\n'
        '            </tab>\n'
        '        </tabs>\n'
        '    </ribbon>\n'
        '</customUI>\n')
    return xml.encode("utf-8")


def xlwings_addin() -> Path:
    """The ribbon add-in of the installed xlwings, which must be the pinned version."""
    import xlwings

    if xlwings.__version__ != xl.XLWINGS_VERSION:
        raise SystemExit(f"build_addin.py: xlwings {xl.XLWINGS_VERSION} behövs "
                         f"(pyproject.toml), installerad är {xlwings.__version__}")
    return Path(xlwings.__file__).resolve().parent / SOURCE_NAME


def build(outdir: Path = HERE, source: Path | None = None) -> Path:
    """Write ``outdir/followup_xl.xlam``; returns its path."""
    source = source or xlwings_addin()
    target = Path(outdir) / ADDIN_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    with zipfile.ZipFile(source) as src, \
            zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        names = src.namelist()
        if CUSTOM_UI not in names:
            raise SystemExit(f"build_addin.py: {source.name} har ingen {CUSTOM_UI}")
        for name in names:
            data = custom_ui() if name == CUSTOM_UI else src.read(name)
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            out.writestr(info, data)
    tmp.replace(target)
    return target


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Bygg tillägget followup_xl.xlam från "
                                            "xlwings menyflikstillägg.")
    p.add_argument("outdir", nargs="?", type=Path, default=HERE,
                   help="katalog att skriva till (standard: workbook/)")
    args = p.parse_args(argv)
    print(f"Byggde {build(args.outdir)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
