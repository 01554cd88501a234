"""The documentation site's generated pages: the model catalog and the CLI reference."""
