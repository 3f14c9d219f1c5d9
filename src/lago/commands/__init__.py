"""One module per verb (or close group of verbs); cli.COMMANDS lists them explicitly."""
