"""Formats beyond plain files and JSONL: Parquet, WARC, zstd-compressed JSONL, and remote paths.

Each module imports its third-party library only when a file of its format is met, and raises
:class:`cleaner.errors.MissingExtraError` with the ``pip install`` line when it is missing:

============================  =============================  ==========================
``.jsonl.zst``                :mod:`cleaner.formats.compression`  ``cleaner[zstd]``
``.parquet``                  :mod:`cleaner.formats.parquet`      ``cleaner[parquet]``
``.warc``, ``.warc.gz``       :mod:`cleaner.formats.warc`         ``cleaner[warc]``
``s3://``, ``gs://`` ...      :mod:`cleaner.formats.remote`       fsspec and its backend
============================  =============================  ==========================
"""
