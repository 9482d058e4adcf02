"""``python -m artgan`` (also what ``torchrun -m artgan`` runs)."""

from artgan.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
