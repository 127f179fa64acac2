"""Stock import: file readers (CSV, XLSX, XML, photo ZIP), value parsing and column mapping.

Pure Python: no Flask, no SQLAlchemy. Everything here takes bytes or strings and returns
frozen dataclasses, so the import job and its tests need no app.
"""
