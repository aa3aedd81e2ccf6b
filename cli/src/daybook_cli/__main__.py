"""`python -m daybook_cli`: the `daybook` command."""

from daybook_cli.main import main

if __name__ == "__main__":
    main()
