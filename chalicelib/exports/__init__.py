"""Exports of one letter's signatures, one format family a module: rows as CSV and JSON
(rows.py) and as an XLSX workbook (xlsx.py), the delivery letter as HTML
(delivery_html.py) and DOCX (delivery_docx.py), and the organiser's on-demand export to
S3 (on_demand.py); the letter's order for the rows comes from external_sort.py.

Text from signers is data, never markup: CSV cells that a spreadsheet would run as a
formula are neutralised (OWASP CSV injection), XLSX text cells are typed as strings (never
formulas) and quote-prefixed where they look like one, HTML is escaped, DOCX text is written as
escaped XML text runs. The letter body is our own Markdown rendering
(`letters.render_body`, raw HTML disabled); it is parsed with `html.parser`, not trusted
as DOCX. Every writer emits chunks or writes to a file-like as it goes, so memory stays
flat as the list grows.
"""
