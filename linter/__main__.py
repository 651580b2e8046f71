"""`python -m methodlint`: the same as the `methodlint` command."""

from methodlint.cli import main

if __name__ == "__main__":
    main()
