"""Example configurations for the 11 pixel operators (for ``cases.py``: ``PIXEL = pixel_cases.PIXEL``)."""

PIXEL = {
    "AddNoise": [{}, {"noise_type": "Laplace", "scale": 5, "per_channel": True}, {"noise_type": "Poisson", "lam": 4},
                 {"noise_type": "Impulse", "p": 0.05}, {"noise_type": "SaltAndPepper", "p": 0.05}],
    "Blur": [{}, {"blur_type": "Average", "k_min": 2, "k_max": 5}],
    "CutOut": [{}, {"nb_iterations_min": 1, "nb_iterations_max": 4, "size_min": 0.1, "size_max": 0.4,
                    "squared": False, "fill_mode": "gaussian", "fill_per_channel": True}],
    "Grayscale": [{}, {"alpha_min": 0.2, "alpha_max": 0.8}],
    "HistogramEqual": [{}],
    "LightArithmetic": [{}, {"mul_min": 1.0, "mul_max": 1.0, "add_min": 10, "add_max": 10}],
    "LightContrast": [{}, {"func": "sigmoid"}, {"func": "log"}, {"func": "linear", "alpha_min": 0.5, "alpha_max": 1.5}],
    "MotionBlur": [{}, {"k_min": 9, "k_max": 9, "angle_min": 45, "angle_max": 45, "direction_min": 0, "direction_max": 0}],
    "Saturation": [{}, {"mul_min": 0.0, "mul_max": 2.0}],
    "Sharpen": [{}, {"alpha_min": 0.5, "alpha_max": 1.0}],
    "Weather": [{"weather_mode": "Rain"}, {"weather_mode": "Fog"}, {"weather_mode": "Snow"}, {"weather_mode": "Clouds"}],
}
