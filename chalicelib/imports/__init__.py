"""Imports of sign-ons collected elsewhere (by email, on paper): a CSV or XLSX file read
(`reader`), checked row by row against a column mapping (`plan`), and, once the organiser
confirms the dry run, stored through the sign-on's own signature code (`importer`)."""
