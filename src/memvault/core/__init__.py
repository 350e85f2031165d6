"""The domain core: records, errors, ids and times, input rules, the confidence rule, code-aware
terms, where a home lives.

Pure: it imports nothing of memvault's outside this package, so every other layer can use it
and every rule here is testable on plain values.
"""
