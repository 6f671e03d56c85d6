from optsolve.cli.main import entry

entry()
