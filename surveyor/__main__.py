"""`python -m surveyor`: the same command as the `surveyor` script."""

from .cli import main

if __name__ == "__main__":
    main()
