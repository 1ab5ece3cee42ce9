"""One or more example configurations for every registered operator.

``test_every_operator_has_cases`` fails when an operator is registered without an entry here, so
every new operator goes through the contract tests in ``test_contract.py``.
"""

GEOMETRIC = {
    "Flip": [{"lr_ud": "lr"}, {"lr_ud": "ud"}, {"lr_ud": "lr", "flip_p": 0.5}],
    "Crop": [{}, {"crop_percent_min": 0.05, "crop_percent_max": 0.3, "keep_size": True}],
    "Padding": [{}, {"px_top": 3, "px_right": 0, "px_bottom": 7, "px_left": 2, "keep_size": True}],
    "Resize": [{"height": 50, "width": 40}, {"height": 120, "width": 80, "interpolation": "linear"}],
    "Rotate": [{"angle_min": -30, "angle_max": 30, "box_policy": "clip"}, {"angle_min": 90, "angle_max": -90}],
    "Scale": [{}, {"scaleXY": "Y", "scale_min": 0.7, "scale_max": 1.2}],
    "Shear": [{}, {"shearXY": "Y", "shear_min": -15, "shear_max": 15}],
    "Translate": [{}, {"translateXY": "Y", "translate_min": -0.1, "translate_max": 0.3}],
}

PIXEL = {
    "AddNoise": [{"noise_type": t} for t in ("Gauss", "Laplace", "Poisson", "Impulse", "SaltAndPepper")]
    + [{"noise_type": "Gauss", "scale": 10, "per_channel": True}],
    "Blur": [{}, {"blur_type": "Average", "k_min": 3, "k_max": 7}],
    "CutOut": [{}, {"nb_iterations_min": 1, "nb_iterations_max": 3, "size_min": 0.1, "size_max": 0.3,
                    "squared": False, "fill_per_channel": True}],
    "Grayscale": [{}, {"alpha_min": 0.2, "alpha_max": 0.8}],
    "HistogramEqual": [{}],
    "LightArithmetic": [{}],
    "LightContrast": [{"func": f} for f in ("gamma", "sigmoid", "log", "linear")],
    "MotionBlur": [{}],
    "Saturation": [{}],
    "Sharpen": [{}],
    "Weather": [{"weather_mode": m} for m in ("Rain", "Fog", "Snow", "Clouds")],
}

# the pixel-operator author's own cases, merged in (duplicates removed)
from .pixel_cases import PIXEL as _MORE  # noqa: E402

for _name, _configs in _MORE.items():
    PIXEL.setdefault(_name, [])
    PIXEL[_name] += [c for c in _configs if c not in PIXEL[_name]]

CASES = {**GEOMETRIC, **PIXEL}


def all_cases():
    """(id, name, params) for every configuration."""
    for name, configs in CASES.items():
        for k, params in enumerate(configs):
            yield f"{name}-{k}", name, params
