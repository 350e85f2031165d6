"""``memvault index PATH``: folders of Markdown, code, PDF and text outside the vault, kept in
step with the index."""
