"""The Markdown folder, as text: front matter, body edits, wiki links and safe note paths.

People read and edit the vault in their own tools (Obsidian, an editor, git), so everything here
works on the files as those tools write them and never rewrites more than it was asked to. The
package is pure: no database and no other memvault layer, so every rule can be tested on strings
and a temporary folder.
"""
