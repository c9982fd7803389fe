"""surveyor: build and maintain literature surveys from paper listings."""

__version__ = "0.1.0"
