import sys

from .cli import main

# Guarded: fleet workers are spawned processes, which import the parent's main module.
if __name__ == "__main__":
    sys.exit(main())
