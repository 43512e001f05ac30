"""Pure rules of identity: e-mail domains, roster rows, token formats (no Django)."""
