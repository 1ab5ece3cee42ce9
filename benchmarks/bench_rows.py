"""The table of bench_ops (and the rows bench_shapes reuses): one :class:`Row` per (operator,
variant), with our constructor keyword arguments and, per peer library, the matching call as a
Python expression (evaluated in that peer's namespace: ``A`` albumentations, ``R`` augrs, ``iaa``
imgaug, ``cv2``, ``H`` / ``W`` the image size; the string is also the call's description in the
report; ``None``: the peer has no such call). Adding an operator is one row here.

``ENVS`` names the peer environments (``/tmp/peers-envs/<env>``) and the library each holds.
"""

from dataclasses import dataclass, field

# environment name -> (peer library key used in ROWS, pretty name)
ENVS = {
    "albu": ("albu", "albumentations 2.0.8"),
    "augrs": ("augrs", "augrs 0.1.0"),
    "albux": ("albux", "AlbumentationsX 2.5.1"),
    "imgaug": ("imgaug", "imgaug 0.4.0"),
}
ENV_ORDER = ("albu", "augrs", "albux", "imgaug")
SAME = "=albu"  # in a row's albux column: the albumentations 2.0.8 call works unchanged


# --------------------------------------------------------------------------------------------------
# the table: one row per (operator, variant)
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    op: str
    variant: str
    ours: dict
    geometric: bool
    peers: dict = field(default_factory=dict)  # lib -> expression (str), or None for "no such call"


G, P = True, False
ROWS = [
    # ---- geometric ------------------------------------------------------------------------------
    Row("Flip", "lr", {"lr_ud": "lr"}, G, {
        "albu": "A.HorizontalFlip(p=1)", "albux": SAME, "augrs": "R.HorizontalFlip(p=1)",
        "imgaug": "iaa.Fliplr(1.0)"}),
    Row("Flip", "ud", {"lr_ud": "ud"}, G, {
        "albu": "A.VerticalFlip(p=1)", "albux": SAME, "augrs": "R.VerticalFlip(p=1)",
        "imgaug": "iaa.Flipud(1.0)"}),
    Row("Crop", "no_resize", {"crop_percent_min": 0.0, "crop_percent_max": 0.2, "keep_size": False}, G, {
        "albu": "A.CropAndPad(percent=(-0.2, 0.0), keep_size=False, sample_independently=True, p=1)",
        "albux": SAME,
        "augrs": "R.RandomCrop(height=int(round(0.8 * H)), width=int(round(0.8 * W)), p=1)  # APPROX: fixed 80% window",
        "imgaug": "iaa.Crop(percent=(0.0, 0.2), keep_size=False)"}),
    Row("Crop", "keep_size", {"crop_percent_min": 0.0, "crop_percent_max": 0.2, "keep_size": True}, G, {
        "albu": "A.CropAndPad(percent=(-0.2, 0.0), keep_size=True, sample_independently=True, p=1)  # DIFF: linear resize, ours cubic",
        "albux": SAME,
        "augrs": "R.RandomResizedCrop(size=(H, W), scale=(0.64, 1.0), ratio=(0.75, 4 / 3), p=1)  # APPROX, linear",
        "imgaug": "iaa.Crop(percent=(0.0, 0.2))  # keep_size=True, cubic"}),
    Row("Crop", "keep_size_linear", {"crop_percent_min": 0.0, "crop_percent_max": 0.2, "keep_size": True, "interpolation": "linear"}, G, {
        "albu": "A.CropAndPad(percent=(-0.2, 0.0), keep_size=True, sample_independently=True, p=1)", "albux": SAME,
        "imgaug": None}),  # iaa.Crop/Pad have no interpolation argument (keep_size resizes bicubic)
    Row("Padding", "1px", {"keep_size": False}, G, {
        "albu": "A.Pad(padding=1, fill=0, border_mode=cv2.BORDER_CONSTANT, p=1)", "albux": SAME,
        "augrs": "R.PadIfNeeded(min_height=H + 2, min_width=W + 2, position='center', border_mode=0, fill=0, p=1)",
        "imgaug": "iaa.Pad(px=(1, 1, 1, 1), keep_size=False)"}),
    Row("Padding", "1px_keep_size", {"keep_size": True}, G, {
        "albu": "A.CropAndPad(px=1, keep_size=True, p=1)  # DIFF: linear resize, ours cubic", "albux": SAME,
        "augrs": "[R.PadIfNeeded(min_height=H + 2, min_width=W + 2, position='center', border_mode=0, fill=0, p=1), R.Resize(H, W, p=1)]  # APPROX: 2 transforms, linear",
        "imgaug": "iaa.Pad(px=(1, 1, 1, 1))  # keep_size=True, cubic"}),
    Row("Padding", "1px_keep_size_linear", {"keep_size": True, "interpolation": "linear"}, G, {
        "albu": "A.CropAndPad(px=1, keep_size=True, p=1)", "albux": SAME,
        "imgaug": None}),  # iaa.Crop/Pad have no interpolation argument (keep_size resizes bicubic)
    Row("Resize", "224x224", {"height": 224, "width": 224}, G, {
        "albu": "A.Resize(224, 224, p=1)  # DIFF: linear, ours cubic", "albux": SAME,
        "augrs": "R.Resize(224, 224, p=1)  # DIFF: linear, ours cubic",
        "imgaug": "iaa.Resize({'height': 224, 'width': 224})  # cubic"}),
    Row("Resize", "224x224_linear", {"height": 224, "width": 224, "interpolation": "linear"}, G, {
        "albu": "A.Resize(224, 224, p=1)", "albux": SAME, "augrs": "R.Resize(224, 224, p=1)",
        "imgaug": "iaa.Resize({'height': 224, 'width': 224}, interpolation='linear')"}),
    Row("Rotate", "-90..90", {"angle_min": -90, "angle_max": 90}, G, {
        "albu": "A.Rotate(limit=(-90, 90), border_mode=cv2.BORDER_CONSTANT, fill=0, p=1)",
        "albux": "A.Rotate(angle_range=(-90, 90), border_mode=cv2.BORDER_CONSTANT, fill=0, p=1)",
        "augrs": "R.Rotate(limit=(-90, 90), border_mode=0, fill=0, p=1)",
        "imgaug": "iaa.Rotate((-90, 90))"}),
    Row("Scale", "X", {"scaleXY": "X", "scale_min": 0.5, "scale_max": 1.5}, G, {
        "albu": "A.Affine(scale={'x': (0.5, 1.5), 'y': (1.0, 1.0)}, p=1)",
        "albux": "A.Affine(scale={'x': (0.5, 1.5), 'y': (1.0, 1.0)}, keep_ratio=False, p=1)",
        "augrs": "R.Affine(scale={'x': (0.5, 1.5), 'y': (1.0, 1.0)}, p=1)",
        "imgaug": "iaa.ScaleX((0.5, 1.5))"}),
    Row("Scale", "Y", {"scaleXY": "Y", "scale_min": 0.5, "scale_max": 1.5}, G, {
        "albu": "A.Affine(scale={'x': (1.0, 1.0), 'y': (0.5, 1.5)}, p=1)",
        "albux": "A.Affine(scale={'x': (1.0, 1.0), 'y': (0.5, 1.5)}, keep_ratio=False, p=1)",
        "augrs": "R.Affine(scale={'x': (1.0, 1.0), 'y': (0.5, 1.5)}, p=1)",
        "imgaug": "iaa.ScaleY((0.5, 1.5))"}),
    Row("Shear", "X", {"shearXY": "X", "shear_min": -30, "shear_max": 30}, G, {
        "albu": "A.Affine(shear={'x': (-30, 30), 'y': (0, 0)}, p=1)",
        "albux": "A.Affine(shear={'x': (-30, 30), 'y': (0, 0)}, keep_ratio=False, p=1)",
        "augrs": "R.Affine(shear={'x': (-30, 30), 'y': (0, 0)}, p=1)",
        "imgaug": "iaa.ShearX((-30, 30))"}),
    Row("Shear", "Y", {"shearXY": "Y", "shear_min": -30, "shear_max": 30}, G, {
        "albu": "A.Affine(shear={'x': (0, 0), 'y': (-30, 30)}, p=1)",
        "albux": "A.Affine(shear={'x': (0, 0), 'y': (-30, 30)}, keep_ratio=False, p=1)",
        "augrs": "R.Affine(shear={'x': (0, 0), 'y': (-30, 30)}, p=1)",
        "imgaug": "iaa.ShearY((-30, 30))"}),
    Row("Translate", "X", {"translateXY": "X", "translate_min": -0.25, "translate_max": 0.25}, G, {
        "albu": "A.Affine(translate_percent={'x': (-0.25, 0.25), 'y': (0.0, 0.0)}, p=1)",
        "albux": "A.Affine(translate_percent={'x': (-0.25, 0.25), 'y': (0.0, 0.0)}, keep_ratio=False, p=1)",
        "augrs": "R.Affine(translate_percent={'x': (-0.25, 0.25), 'y': (0.0, 0.0)}, p=1)",
        "imgaug": "iaa.TranslateX(percent=(-0.25, 0.25))"}),
    Row("Translate", "Y", {"translateXY": "Y", "translate_min": -0.25, "translate_max": 0.25}, G, {
        "albu": "A.Affine(translate_percent={'x': (0.0, 0.0), 'y': (-0.25, 0.25)}, p=1)",
        "albux": "A.Affine(translate_percent={'x': (0.0, 0.0), 'y': (-0.25, 0.25)}, keep_ratio=False, p=1)",
        "augrs": "R.Affine(translate_percent={'x': (0.0, 0.0), 'y': (-0.25, 0.25)}, p=1)",
        "imgaug": "iaa.TranslateY(percent=(-0.25, 0.25))"}),
    # ---- pixel (rows whose operator is not in augment.OPERATORS, or whose kwargs it rejects, are
    #      skipped with the reason recorded) --------------------------------------------------------
    Row("AddNoise", "Gauss", {"noise_type": "Gauss"}, P, {
        "albu": "A.GaussNoise(std_range=(1/255, 1/255), mean_range=(0, 0), per_channel=False, p=1)", "albux": SAME,
        "augrs": "R.GaussNoise(std_range=(1/255, 1/255), mean_range=(0, 0), per_channel=False, p=1)",
        "imgaug": "iaa.AdditiveGaussianNoise(loc=0, scale=1)"}),
    Row("AddNoise", "Laplace", {"noise_type": "Laplace"}, P, {
        "albu": "A.AdditiveNoise(noise_type='laplace', spatial_mode='per_pixel', noise_params={'mean_range': (0, 0), 'scale_range': (1/255, 1/255)}, p=1)",
        "albux": SAME, "imgaug": "iaa.AdditiveLaplaceNoise(loc=0, scale=1)"}),
    Row("AddNoise", "Poisson", {"noise_type": "Poisson"}, P, {
        "albu": "A.ShotNoise(p=1)  # APPROX: signal-dependent", "albux": SAME,
        "imgaug": "iaa.AdditivePoissonNoise(lam=2)"}),
    Row("AddNoise", "Impulse", {"noise_type": "Impulse"}, P, {
        "albu": "A.PixelDropout(dropout_prob=0.01, per_channel=True, drop_value=None, p=1)  # APPROX", "albux": SAME,
        "imgaug": "iaa.ImpulseNoise(p=0.01)"}),
    Row("AddNoise", "SaltAndPepper", {"noise_type": "SaltAndPepper"}, P, {
        "albu": "A.SaltAndPepper(amount=(0.01, 0.01), salt_vs_pepper=(0.5, 0.5), p=1)",
        "albux": "A.SaltAndPepper(amount_range=(0.01, 0.01), salt_vs_pepper_range=(0.5, 0.5), p=1)",
        "imgaug": "iaa.SaltAndPepper(p=0.01)"}),
    Row("Blur", "Gauss", {"blur_type": "Gauss"}, P, {
        "albu": "A.GaussianBlur(blur_limit=0, sigma_limit=(0.0, 3.0), p=1)",
        "albux": "A.GaussianBlur(blur_range=(3, 11), sigma_range=(0.0, 3.0), p=1)  # explicit kernel range: X's sigma-only path is a box approximation",
        "augrs": "R.GaussianBlur(blur_limit=0, sigma_limit=(0.0, 3.0), p=1)",
        "imgaug": "iaa.GaussianBlur(sigma=(0.0, 3.0))"}),
    Row("Blur", "Average", {"blur_type": "Average"}, P, {
        "albu": "A.Blur(blur_limit=(3, 7), p=1)  # APPROX: k 3..7 (ours 1..7)", "albux": "A.Blur(blur_range=(3, 7), p=1)  # APPROX: k 3..7 (ours 1..7)",
        "imgaug": "iaa.AverageBlur(k=(1, 7))"}),
    Row("CutOut", "", {}, P, {
        "albu": "A.CoarseDropout(num_holes_range=(1, 1), hole_height_range=(0.2, 0.2), hole_width_range=(0.2, 0.2), fill=128, p=1)",
        "albux": SAME,
        "augrs": "R.CoarseDropout(num_holes_range=(1, 1), hole_height_range=(0.2, 0.2), hole_width_range=(0.2, 0.2), fill=128, p=1)",
        "imgaug": "iaa.Cutout()"}),
    Row("Grayscale", "", {}, P, {
        "albu": "A.ToGray(num_output_channels=3, p=1)", "albux": SAME,
        "augrs": "R.ToGray(num_output_channels=3, p=1)", "imgaug": "iaa.Grayscale(alpha=1.0)"}),
    Row("HistogramEqual", "", {}, P, {
        "albu": "A.Equalize(mode='cv', by_channels=False, p=1)  # DIFF: Y of YCrCb, not L of Lab", "albux": SAME,
        "imgaug": "iaa.HistogramEqualization()"}),
    Row("LightArithmetic", "", {}, P, {  # ours: MultiplyAndAddToBrightness on Y of YCrCb, mul U(0.7,1.3), add U(-30,30)
        "albu": "A.RandomBrightnessContrast(brightness_limit=(-30/255, 30/255), contrast_limit=(-0.3, 0.3), p=1)  # APPROX: on RGB, not Y",
        "albux": "A.RandomBrightnessContrast(brightness_range=(-30/255, 30/255), contrast_range=(-0.3, 0.3), brightness_by_max=True, p=1)  # APPROX: on RGB, not Y",
        "augrs": "R.RandomBrightnessContrast(brightness_limit=(-30/255, 30/255), contrast_limit=(-0.3, 0.3), p=1)  # APPROX: on RGB, not Y",
        "imgaug": "iaa.MultiplyAndAddToBrightness(mul=(0.7, 1.3), add=(-30, 30), to_colorspace='YCrCb', random_order=False)"}),
    Row("LightContrast", "gamma", {"func": "gamma"}, P, {
        "albu": "A.RandomGamma(gamma_limit=(70, 170), p=1)", "albux": "A.RandomGamma(gamma_range=(70, 170), p=1)",
        "augrs": "R.RandomGamma(gamma_limit=(70, 170), p=1)", "imgaug": "iaa.GammaContrast((0.7, 1.7))"}),
    Row("LightContrast", "sigmoid", {"func": "sigmoid"}, P, {
        "imgaug": "iaa.SigmoidContrast(gain=(5, 6), cutoff=(0.3, 0.6))"}),
    Row("LightContrast", "log", {"func": "log"}, P, {"imgaug": "iaa.LogContrast(gain=(0.4, 1.6))"}),
    Row("LightContrast", "linear", {"func": "linear"}, P, {
        "albu": "A.RandomBrightnessContrast(brightness_limit=(0, 0), contrast_limit=(-0.4, 0.4), p=1)  # APPROX",
        "albux": "A.RandomBrightnessContrast(brightness_range=(0, 0), contrast_range=(-0.4, 0.4), brightness_by_max=True, p=1)  # APPROX",
        "augrs": "R.RandomBrightnessContrast(brightness_limit=(0, 0), contrast_limit=(-0.4, 0.4), p=1)  # APPROX",
        "imgaug": "iaa.LinearContrast((0.6, 1.4))"}),
    Row("MotionBlur", "", {}, P, {
        "albu": "A.MotionBlur(blur_limit=(3, 7), p=1)  # APPROX: other line kernel", "albux": "A.MotionBlur(blur_range=(3, 7), p=1)  # APPROX: other line kernel",
        "imgaug": "iaa.MotionBlur(k=(3, 7))"}),
    Row("Saturation", "", {}, P, {
        "albu": "A.HueSaturationValue(hue_shift_limit=20, sat_shift_limit=30, val_shift_limit=0, p=1)  # APPROX: additive",
        "albux": "A.HueSaturationValue(hue_shift_range=(-20, 20), sat_shift_range=(-30, 30), val_shift_range=(0, 0), p=1)  # APPROX: additive",
        "augrs": "R.HueSaturationValue(hue_shift_limit=20, sat_shift_limit=30, val_shift_limit=0, p=1)  # APPROX: additive",
        "imgaug": "iaa.MultiplyHueAndSaturation(mul=(0.5, 1.5))"}),
    Row("Sharpen", "", {}, P, {
        "albu": "A.Sharpen(alpha=(0.0, 0.2), lightness=(0.8, 1.2), p=1)",
        "albux": "A.Sharpen(alpha_range=(0.0, 0.2), lightness_range=(0.8, 1.2), p=1)",
        "imgaug": "iaa.Sharpen(alpha=(0.0, 0.2), lightness=(0.8, 1.2))"}),
    Row("Weather", "Rain", {"weather_mode": "Rain"}, P, {"albu": "A.RandomRain(p=1)  # APPROX: other renderer", "albux": SAME, "imgaug": "iaa.Rain()"}),
    Row("Weather", "Fog", {"weather_mode": "Fog"}, P, {"albu": "A.RandomFog(p=1)  # APPROX: other renderer", "albux": SAME, "imgaug": "iaa.Fog()"}),
    Row("Weather", "Snow", {"weather_mode": "Snow"}, P, {"albu": "A.RandomSnow(p=1)  # APPROX: other renderer", "albux": SAME, "imgaug": "iaa.Snowflakes()"}),
    Row("Weather", "Clouds", {"weather_mode": "Clouds"}, P, {"imgaug": "iaa.Clouds()"}),
]


def peer_expr(row, lib):
    e = row.peers.get(lib)
    return row.peers.get("albu") if e == SAME else e
