"""The canonical scheme document: shape, checks, override resolution and YAML files."""
