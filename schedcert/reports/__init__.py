"""Problem-specific sections of ``schedcert report`` (one module per problem)."""
