"""The operator classes, one family per module."""

from .geometric import Crop, Flip, Padding, Resize, Rotate, Scale, Shear, Translate

__all__ = ["Crop", "Flip", "Padding", "Resize", "Rotate", "Scale", "Shear", "Translate"]
