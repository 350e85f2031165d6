"""The Markdown folder of a vault: everything that touches its files, under its lock.

Memory files rendered from the index, notes written and edited, the folder synced back into the
index, outside edits watched. The folder is the truth the index is rebuilt from (``reindex``);
a DB-only vault has no folder and never reaches this package.
"""
