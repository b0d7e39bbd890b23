"""Output formats, one folder each: ``formats/<name>/__init__.py`` declares the
format (a ``FormatSpec``, light), its ``writer`` module holds ``OUTPUT_FORMAT``.
A format imports ``core``, ``io`` and ``render``, never a source or another
format."""
