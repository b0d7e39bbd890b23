"""Where samples come from, one folder each: ``sources/<name>/__init__.py``
declares the source (a ``SourceSpec``, light), its ``source`` module makes it
(``open_source``). A source imports ``core`` and ``io``, never a format or
another source."""
