"""Blur and sharpen kernels (OpenCV filters on numpy arrays).

Pure functions: no classes, no randomness, no I/O; inputs are never modified. uint8, uint16 and
float32 images ``(H, W)`` or ``(H, W, C)``; a fourth (alpha) channel is passed through untouched.
All filters use OpenCV's default border (``BORDER_REFLECT_101``), as imgaug does.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = [
    "gaussian_ksize",
    "gaussian_blur",
    "average_blur",
    "sharpen_matrix",
    "motion_kernel",
    "convolve",
]


def _restore(out: np.ndarray, like: np.ndarray) -> np.ndarray:
    return out if out.ndim == like.ndim else out.reshape(like.shape)


def _colour_and_alpha(image: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    if image.ndim == 3 and image.shape[2] == 4:
        return image[..., :3], image[..., 3:]
    return image, None


def _with_alpha(out: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    return out if alpha is None else np.concatenate([out, alpha], axis=2)


def gaussian_ksize(sigma: float) -> int:
    """imgaug's kernel size for ``sigma``: 3.3 sigma (< 3), 2.9 sigma (< 5), else 2.6 sigma; at
    least 5; made odd."""
    if sigma < 3.0:
        k = 3.3 * sigma
    elif sigma < 5.0:
        k = 2.9 * sigma
    else:
        k = 2.6 * sigma
    k = int(max(k, 5))
    return k + 1 if k % 2 == 0 else k


def gaussian_blur(image: np.ndarray, sigma: float, eps: float = 1e-3) -> np.ndarray:
    """``cv2.GaussianBlur`` with imgaug's kernel size; ``sigma <= eps`` returns a copy."""
    if sigma <= eps:
        return image.copy()
    colour, alpha = _colour_and_alpha(image)
    k = gaussian_ksize(sigma)
    out = cv2.GaussianBlur(colour, (k, k), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT_101)
    return _with_alpha(_restore(out, colour), alpha)


def average_blur(image: np.ndarray, k: int) -> np.ndarray:
    """``cv2.blur`` with a ``k x k`` box (any k >= 1; k = 1 returns a copy)."""
    if k <= 1:
        return image.copy()
    colour, alpha = _colour_and_alpha(image)
    out = cv2.blur(colour, (k, k))
    return _with_alpha(_restore(out, colour), alpha)


def sharpen_matrix(alpha: float, lightness: float) -> np.ndarray:
    """imgaug's sharpening kernel: ``(1 - alpha) * identity + alpha * [[-1,-1,-1],[-1,8+L,-1],[-1,-1,-1]]``
    in float32.

    Built from float32 scalars with the same roundings as the array formula: off the centre
    ``(1 - alpha) * 0 + alpha * -1`` is ``-alpha`` (``+0`` when alpha is 0), at the centre
    ``(1 - alpha) * 1 + alpha * (8 + L)``.
    """
    a = np.float32(alpha)
    centre = np.float32(1 - alpha) + a * np.float32(8 + lightness)
    out = np.full((3, 3), -a if a != 0 else np.float32(0), np.float32)
    out[1, 1] = centre
    return out


def motion_kernel(k: int, angle: float, direction: float) -> np.ndarray:
    """imgaug's motion-blur kernel: a ``k x k`` (k odd) vertical line through the centre with
    weights ``linspace(d, 1 - d)`` (``d = (direction + 1) / 2``), quantised to uint8, rotated by
    ``angle`` degrees clockwise (bilinear, about the centre), normalised to sum 1; float32."""
    d = (float(np.clip(direction, -1.0, 1.0)) + 1.0) / 2.0
    m = np.zeros((k, k), np.float32)
    m[:, k // 2] = np.linspace(d, 1.0 - d, num=k)
    m8 = (m * 255).astype(np.uint8)
    c = (k - 1) / 2.0
    rot = cv2.getRotationMatrix2D((c, c), -float(angle), 1.0)
    rotated = cv2.warpAffine(m8, rot, (k, k), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    out = rotated.astype(np.float32) / 255.0
    total = float(out.sum())
    if total <= 0:  # a fully faded line (direction +-1 and k tiny): keep the centre weight
        out = np.zeros((k, k), np.float32)
        out[k // 2, k // 2] = 1.0
        return out
    return out / np.float32(total)


def convolve(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``cv2.filter2D`` with the same float32 ``kernel`` on every colour channel."""
    colour, alpha = _colour_and_alpha(image)
    out = cv2.filter2D(colour, -1, kernel, borderType=cv2.BORDER_REFLECT_101)
    return _with_alpha(_restore(out, colour), alpha)
