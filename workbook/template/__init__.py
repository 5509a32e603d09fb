"""The pieces workbook/build.py assembles the template from: styles and cell helpers
(:mod:`.base`), the workbook builder (:mod:`.builder`) and one module per group of
sheets. Positions are decided here; words come from ``src/mall.toml``; table and name
vocabulary from ``followup_xl.contract``."""
