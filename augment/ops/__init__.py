"""The operator classes, one family per module."""

from .blur import Blur, MotionBlur, Sharpen
from .color import Grayscale, HistogramEqual, LightArithmetic, LightContrast, Saturation
from .cutout import CutOut
from .geometric import Crop, Flip, Padding, Resize, Rotate, Scale, Shear, Translate
from .noise import AddNoise
from .weather import Weather

__all__ = [
    "Crop", "Flip", "Padding", "Resize", "Rotate", "Scale", "Shear", "Translate",
    "AddNoise", "Blur", "CutOut", "Grayscale", "HistogramEqual", "LightArithmetic", "LightContrast",
    "MotionBlur", "Saturation", "Sharpen", "Weather",
]
