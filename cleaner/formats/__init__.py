"""File formats: one module per format, each with a reader and a sink, behind one table.

:mod:`cleaner.formats.table` maps file-name suffixes to a format module's handler
(:class:`cleaner.formats.base.FormatHandler`); :mod:`cleaner.formats.base` and
:mod:`cleaner.formats.decode` hold what the modules share. Optional libraries are imported only
when a file of their format is met, and a missing one raises
:class:`cleaner.errors.MissingExtraError` with the ``pip install`` line:

===============================  ====================================  ======================
``.txt``, ``.html``              :mod:`cleaner.formats.pages`          (built in)
``.jsonl(.gz)``, ``.ndjson``     :mod:`cleaner.formats.jsonl`          (built in)
``.jsonl.zst``                   :mod:`cleaner.formats.compression`    ``cleaner[zstd]``
``.parquet``                     :mod:`cleaner.formats.parquet`        ``cleaner[parquet]``
``.warc``, ``.warc.gz``          :mod:`cleaner.formats.warc`           ``cleaner[warc]``
``s3://``, ``gs://`` ...         :mod:`cleaner.formats.remote`         fsspec and its backend
===============================  ====================================  ======================
"""
