"""The `tradingbot` command line: thin commands that parse, call one service, print."""
