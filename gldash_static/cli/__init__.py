"""The `gldash` command line: one module per subcommand."""
