"""The ``memvault`` command line: a thin shell over :class:`memvault.Vault`."""
