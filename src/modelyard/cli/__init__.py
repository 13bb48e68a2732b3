"""The command line: parse, call one ops function, render."""
