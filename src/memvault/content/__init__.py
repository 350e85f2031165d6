"""Content as text: Markdown (front matter, edits, links, safe paths, memory files) and the
chunkers that cut files into searchable pieces.

Pure: bytes and strings in, values out. Nothing here opens the database or takes the folder's
lock; the ``folder`` and ``indexing`` layers do that with what this package returns.
"""
