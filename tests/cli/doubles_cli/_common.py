"""Shared by the CLI tests' player doubles (run as `python -m doubles_cli.X`).

Argument shape is the real player's: SAMPLE RECORDING --name NAME --audio DRIVERS.
Each play appends "<double> <name>" to $CLI_DOUBLE_LOG when it is set, so a
test can count which samples were played, and how often.
"""
import argparse
import os


def parse(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("sample")
    parser.add_argument("recording")
    parser.add_argument("--name", required=True)
    parser.add_argument("--audio", default="silent")
    return parser.parse_args(argv)


def log(double, name):
    path = os.environ.get("CLI_DOUBLE_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{double} {name}\n")
