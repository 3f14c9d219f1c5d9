"""One module per verb (or close group of verbs); cli.TABLE lists them explicitly."""
