#!/usr/bin/env python3
"""Command-line entry: `python build.py --help` lists the commands and options."""

import sys

from sitegen.cli import main

if __name__ == "__main__":
    sys.exit(main())
