"""What a user's type checker sees of the public API (checked by .ci/lint.sh with mypy, never run).

Pins the typing that py.typed promises: operators are keyword-only dataclasses to type checkers
(``register`` is a ``dataclass_transform``), calling one on a Sample gives ``Sample | None``, and
the registry hands out operator classes.
"""

from typing import Any, assert_type

import numpy as np

from augment import (
    Flip,
    LightContrast,
    OneOf,
    Operator,
    Pipeline,
    Rotate,
    Sample,
    SomeOf,
    Sometimes,
    get_operator,
    operator_from_dict,
)
from manifest import read_voc, voc_to_xyxy

sample = Sample(np.zeros((8, 8, 3), np.uint8), np.array([[1, 1, 4, 4]], np.float32), ["a"])
rotate = Rotate(angle_min=-30, angle_max=30)
assert_type(rotate.angle_min, float)
assert_type(rotate(sample), Sample | None)
assert_type(rotate(sample, 7, return_params=True), tuple[Sample | None, Any])
assert_type(rotate.evolve(angle_max=10), Operator)
pipeline = Pipeline([Flip(lr_ud="ud"), rotate, LightContrast(func="sigmoid")], seed=1)
assert_type(pipeline(sample, index=3), Sample | None)
assert_type(pipeline.run(sample).sample, Sample | None)
assert_type(get_operator("Flip"), type[Operator])
assert_type(operator_from_dict({"name": "Flip"}), Operator)
assert_type(voc_to_xyxy(1, 1, 4, 4), tuple[float, float, float, float])
assert_type(read_voc("a.xml").objects[0].name, str | None)
Rotate(angle_min="-30")  # type: ignore[arg-type]  # a wrong field type is reported to the user
Rotate(angel_min=-30)  # type: ignore[call-arg]  # so is a misspelt field
assert_type(Rotate(p=0.5).p, float)  # the probability every operator has, a declared field
assert_type(LightContrast(func="log").gain_min, float | None)
composed = Pipeline([Flip(p=0.5), OneOf([Rotate(), Flip()], weights=[1, 2]), SomeOf([Flip(), Rotate()], n=(1, 2))])
assert_type(composed(sample, index=0), Sample | None)
assert_type(Sometimes(0.5, Flip()).then, Operator)
